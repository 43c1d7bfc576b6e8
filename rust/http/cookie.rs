//! `Cookie:` headers, free of Python: Django's `parse_cookie` (split on `;`, `=`-less chunks get
//! the name "", strip, `http.cookies._unquote`) in one linear pass. Stdlib's `_unquote` restarts
//! two regex searches at every escape, which is quadratic on backslash-heavy values
//! (CVE-2024-7592); here each byte is looked at a bounded number of times.
//! Input is the UTF-8 text of a str (or its `surrogatepass` form: surrogates are 3-byte sequences).

use std::borrow::Cow;

/// `str.isspace()` of Python 3.11 (bidirectional class WS, B or S, or category Zs). Rust's
/// `char::is_whitespace` differs (it lacks U+001C..U+001F), so `str.strip()` is spelled out here.
pub fn is_py_space(cp: u32) -> bool {
    matches!(
        cp,
        0x09..=0x0D | 0x1C..=0x20 | 0x85 | 0xA0 | 0x1680 | 0x2000..=0x200A | 0x2028 | 0x2029 | 0x202F | 0x205F | 0x3000
    )
}

/// Decode the code point starting at `s[i]` (well-formed generalized UTF-8) and its length.
fn char_at(s: &[u8], i: usize) -> (u32, usize) {
    let b0 = u32::from(s[i]);
    let cont = |k: usize| s.get(i + k).map_or(0, |&b| u32::from(b) & 0x3F);
    if b0 < 0x80 {
        (b0, 1)
    } else if b0 < 0xE0 {
        (((b0 & 0x1F) << 6) | cont(1), 2)
    } else if b0 < 0xF0 {
        (((b0 & 0x0F) << 12) | (cont(1) << 6) | cont(2), 3)
    } else {
        (((b0 & 0x07) << 18) | (cont(1) << 12) | (cont(2) << 6) | cont(3), 4)
    }
}

fn char_len(lead: u8) -> usize {
    match lead {
        0x00..=0x7F => 1,
        0x80..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    }
}

/// `str.strip()` with no argument. ASCII bytes are judged directly; other characters decoded.
pub fn py_strip(s: &[u8]) -> &[u8] {
    let mut start = 0;
    while start < s.len() {
        let b = s[start];
        let (space, n) = if b < 0x80 { (is_py_space(u32::from(b)), 1) } else {
            let (cp, n) = char_at(s, start);
            (is_py_space(cp), n)
        };
        if !space {
            break;
        }
        start += n;
    }
    let mut end = s.len();
    while end > start {
        let b = s[end - 1];
        if b < 0x80 {
            if !is_py_space(u32::from(b)) {
                break;
            }
            end -= 1;
            continue;
        }
        let mut lead = end - 1;
        while lead > start && (0x80..0xC0).contains(&s[lead]) {
            lead -= 1;
        }
        let (cp, _) = char_at(s, lead);
        if !is_py_space(cp) {
            break;
        }
        end = lead;
    }
    &s[start..end]
}

/// `http.cookies._unquote`: a value quoted at both ends loses its quotes, and inside, `\ooo`
/// (first digit 0-3) becomes `chr(0o ooo)` and a backslash followed by any character but a
/// newline becomes that character; a backslash before a newline or at the end stays.
pub fn unquote(val: &[u8]) -> Cow<'_, [u8]> {
    if val.len() < 2 || val[0] != b'"' || val[val.len() - 1] != b'"' {
        return Cow::Borrowed(val);
    }
    let inner = &val[1..val.len() - 1];
    let Some(first) = super::scan::find_byte(inner, b'\\') else {
        return Cow::Borrowed(inner);
    };
    let mut out = Vec::with_capacity(inner.len());
    out.extend_from_slice(&inner[..first]);
    let mut i = first;
    while i < inner.len() {
        let b = inner[i];
        if b != b'\\' {
            // Copy up to the next backslash in one go.
            let n = super::scan::find_byte(&inner[i..], b'\\').unwrap_or(inner.len() - i);
            out.extend_from_slice(&inner[i..i + n]);
            i += n;
            continue;
        }
        let is_octal = |k: usize, hi: u8| inner.get(i + k).is_some_and(|&d| (b'0'..=hi).contains(&d));
        if is_octal(1, b'3') && is_octal(2, b'7') && is_octal(3, b'7') {
            let code = u32::from(inner[i + 1] - b'0') << 6 | u32::from(inner[i + 2] - b'0') << 3 | u32::from(inner[i + 3] - b'0');
            super::query::push_code_point(&mut out, code);
            i += 4;
        } else if i + 1 < inner.len() && inner[i + 1] != b'\n' {
            let n = char_len(inner[i + 1]).min(inner.len() - (i + 1));
            out.extend_from_slice(&inner[i + 1..i + 1 + n]);
            i += 1 + n;
        } else {
            out.push(b'\\');
            i += 1;
        }
    }
    Cow::Owned(out)
}

/// One `(name, value)` per kept chunk, in header order; the caller stores them in a dict, so the
/// last duplicate wins while keeping the first one's position, as Django's dict does.
pub fn parse(header: &[u8]) -> impl Iterator<Item = (&[u8], Cow<'_, [u8]>)> {
    super::scan::split_byte(header, b';').filter_map(|chunk| {
        let (key, val) = match super::scan::find_byte(chunk, b'=') {
            Some(i) => (&chunk[..i], &chunk[i + 1..]),
            None => (&chunk[..0], chunk),
        };
        let (key, val) = (py_strip(key), py_strip(val));
        if key.is_empty() && val.is_empty() {
            None
        } else {
            Some((key, unquote(val)))
        }
    })
}

/// Number of `;`-separated chunks: what the optional `max_cookies` limit counts, before parsing.
pub fn count_chunks(header: &[u8]) -> usize {
    super::scan::split_byte(header, b';').count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(h: &str) -> Vec<(String, String)> {
        parse(h.as_bytes())
            .map(|(k, v)| (String::from_utf8(k.to_vec()).unwrap(), String::from_utf8(v.into_owned()).unwrap()))
            .collect()
    }

    #[test]
    fn django_shapes() {
        assert_eq!(pairs("a=1; b=2"), vec![("a".into(), "1".into()), ("b".into(), "2".into())]);
        assert_eq!(pairs("novalue"), vec![("".into(), "novalue".into())]);
        assert_eq!(pairs(" ; ;="), vec![]);
        assert_eq!(pairs("a=b=c"), vec![("a".into(), "b=c".into())]);
        assert_eq!(pairs("\u{1c}a\u{a0}=\u{3000}x "), vec![("a".into(), "x".into())]);
    }

    #[test]
    fn unquote_escapes() {
        let u = |s: &str| String::from_utf8(unquote(s.as_bytes()).into_owned()).unwrap();
        assert_eq!(u("\"a\\\"b\""), "a\"b");
        assert_eq!(u("\"\\012\""), "\n");
        assert_eq!(u("\"\\351\""), "\u{e9}");
        assert_eq!(u("\"\\400\""), "400");
        assert_eq!(u("\"a\\\""), "a\\");
        assert_eq!(u("\"\\\n\""), "\\\n");
        assert_eq!(u("\"\\\\012\""), "\\012");
        assert_eq!(u("\"\\\u{e9}\""), "\u{e9}");
        assert_eq!(u("\""), "\"");
        assert_eq!(u("\"\""), "");
        assert_eq!(u("x\"\\012\""), "x\"\\012\"");
    }

    #[test]
    fn linear_on_backslashes() {
        // 1 MB of backslashes: one pass, each backslash pair becomes one backslash.
        let mut v = vec![b'"'];
        v.extend(std::iter::repeat_n(b'\\', 1 << 20));
        v.push(b'"');
        assert_eq!(unquote(&v).len(), 1 << 19);
    }

    #[test]
    fn strip_unicode() {
        assert_eq!(py_strip(" \u{85}x\u{2028}".as_bytes()), b"x");
        assert_eq!(py_strip(b"\x1f\x1fy"), b"y");
        assert_eq!(py_strip("\u{200b}".as_bytes()), "\u{200b}".as_bytes());
    }
}
