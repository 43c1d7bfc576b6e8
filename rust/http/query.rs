//! Query strings and urlencoded bodies, free of Python: splitting on the separator, classifying
//! each field as `urllib.parse.parse_qsl` does, and `unquote_plus` with UTF-8 decoding.
//! Text is handled as UTF-8 bytes; decoded output may carry surrogates (from `surrogateescape`)
//! encoded the way `surrogatepass` reads them back (ED A0..BF xx), flagged by `Unquoted::surrogates`.

use std::borrow::Cow;

/// How invalid UTF-8 produced by percent escapes is decoded (`bytes.decode(errors=...)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Errors {
    Replace,
    Ignore,
    SurrogateEscape,
    BackslashReplace,
    /// `strict` or any other handler: the caller decodes through Python's codec, which raises
    /// exactly what stdlib raises or calls the registered handler.
    Python,
}

impl Errors {
    pub fn from_name(name: &str) -> Self {
        match name {
            "replace" => Self::Replace,
            "ignore" => Self::Ignore,
            "surrogateescape" => Self::SurrogateEscape,
            "backslashreplace" => Self::BackslashReplace,
            _ => Self::Python,
        }
    }
}

/// Whether a codec name is one of Python's spellings of UTF-8 (its `utf_8` aliases).
pub fn is_utf8_name(name: &str) -> bool {
    let n = name.trim().to_ascii_lowercase().replace(['-', ' '], "_");
    matches!(n.as_str(), "utf_8" | "utf8" | "u8" | "utf" | "utf8_ucs2" | "utf8_ucs4" | "cp65001")
}

/// `len(qs.split(sep))` for a non-empty `qs`, 0 for an empty one: what stdlib compares with
/// `max_num_fields` before parsing. Linear, allocation-free.
pub fn count_fields(qs: &[u8], sep: &[u8]) -> usize {
    if qs.is_empty() {
        0
    } else {
        1 + count_occurrences(qs, sep)
    }
}

/// Non-overlapping occurrences, like `str.count`. `sep` must not be empty.
fn count_occurrences(hay: &[u8], sep: &[u8]) -> usize {
    match sep {
        [] => 0,
        [b] => super::scan::split_byte(hay, *b).count() - 1,
        _ => Split::new(hay, sep).count() - 1,
    }
}

/// `hay.split(sep)` on bytes. UTF-8 is self-synchronizing, so splitting the UTF-8 bytes of a
/// str on the UTF-8 bytes of a str separator gives the same pieces as `str.split`.
pub struct Split<'a> {
    rest: Option<&'a [u8]>,
    sep: &'a [u8],
}

impl<'a> Split<'a> {
    pub fn new(hay: &'a [u8], sep: &'a [u8]) -> Self {
        Self { rest: Some(hay), sep }
    }
}

impl<'a> Iterator for Split<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let rest = self.rest?;
        match find(rest, self.sep) {
            Some(i) => {
                self.rest = Some(&rest[i + self.sep.len()..]);
                Some(&rest[..i])
            }
            None => {
                self.rest = None;
                Some(rest)
            }
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    match needle {
        [] => None,
        [b] => super::scan::find_byte(hay, *b),
        [first, tail @ ..] => {
            let last_start = hay.len().checked_sub(needle.len())?;
            let mut i = 0;
            while i <= last_start {
                match hay[i..=last_start].iter().position(|c| c == first) {
                    None => return None,
                    Some(off) => {
                        let at = i + off;
                        if &hay[at + 1..at + needle.len()] == tail {
                            return Some(at);
                        }
                        i = at + 1;
                    }
                }
            }
            None
        }
    }
}

/// What `parse_qsl` does with one separator-delimited field.
#[derive(Debug, PartialEq, Eq)]
pub enum Field<'a> {
    Skip,
    Pair(&'a [u8], &'a [u8]),
    /// Only with `strict_parsing`: stdlib raises `ValueError("bad query field: %r")`.
    Bad(&'a [u8]),
}

/// Mirrors the body of stdlib's loop: empty fields are skipped unless strict; a field without
/// `=` is bad when strict, kept with an empty value when `keep_blank`, dropped otherwise; a pair
/// with an empty value is kept only when `keep_blank`.
pub fn classify(field: &[u8], keep_blank: bool, strict: bool) -> Field<'_> {
    if field.is_empty() && !strict {
        return Field::Skip;
    }
    match super::scan::find_byte(field, b'=') {
        None if strict => Field::Bad(field),
        None if keep_blank => Field::Pair(field, b""),
        None => Field::Skip,
        Some(i) => {
            let value = &field[i + 1..];
            if !value.is_empty() || keep_blank {
                Field::Pair(&field[..i], value)
            } else {
                Field::Skip
            }
        }
    }
}

/// A decoded name or value.
#[derive(Debug, PartialEq, Eq)]
pub struct Unquoted<'a> {
    pub text: Cow<'a, [u8]>,
    /// `text` holds surrogates (only from `surrogateescape`): build the str with `surrogatepass`.
    pub surrogates: bool,
}

/// The field needs Python's codec (another encoding, `strict`, or an unknown handler, with invalid
/// UTF-8 in the unquoted bytes).
#[derive(Debug, PartialEq, Eq)]
pub struct NeedsCodec;

#[inline]
fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// `unquote_to_bytes`: `%XX` with two hex digits becomes the byte, any other `%` stays as is.
/// With `plus`, `+` becomes a space first (`unquote_plus`).
pub fn unquote_to_bytes_into(src: &[u8], plus: bool, out: &mut Vec<u8>) {
    out.reserve(src.len());
    let mut i = 0;
    while i < src.len() {
        // Copy the run up to the next byte that needs attention in one go.
        let rest = &src[i..];
        let next = if plus { super::scan::find_either(rest, b'%', b'+') } else { super::scan::find_byte(rest, b'%') };
        let Some(off) = next else {
            out.extend_from_slice(rest);
            break;
        };
        out.extend_from_slice(&rest[..off]);
        i += off;
        if src[i] == b'+' {
            out.push(b' ');
            i += 1;
            continue;
        }
        if i + 2 < src.len() {
            if let (Some(h), Some(l)) = (hex_val(src[i + 1]), hex_val(src[i + 2])) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(b'%');
        i += 1;
    }
}

/// `unquote_plus(raw, encoding="utf-8", errors=...)` for UTF-8 `raw` (the text of a str).
///
/// Stdlib decodes each ASCII run separately and copies non-ASCII characters; decoding the whole
/// unquoted buffer gives the same text, because a raw character is a complete UTF-8 sequence:
/// its lead byte ends any truncated sequence before it and continuation bytes after it are
/// invalid on their own either way.
pub fn unquote_plus(raw: &[u8], errors: Errors) -> Result<Unquoted<'_>, NeedsCodec> {
    let Some(first) = super::scan::find_either(raw, b'%', b'+') else {
        return Ok(Unquoted { text: Cow::Borrowed(raw), surrogates: false });
    };
    if super::scan::find_byte(&raw[first..], b'%').is_none() {
        // stdlib returns the string untouched when it has no '%'.
        let text = if raw[first] == b'+' {
            Cow::Owned(raw.iter().map(|&b| if b == b'+' { b' ' } else { b }).collect())
        } else {
            Cow::Borrowed(raw)
        };
        return Ok(Unquoted { text, surrogates: false });
    }
    let mut bytes = Vec::with_capacity(raw.len());
    unquote_to_bytes_into(raw, true, &mut bytes);
    if bytes.is_ascii() {
        return Ok(Unquoted { text: Cow::Owned(bytes), surrogates: false });
    }
    match std::str::from_utf8(&bytes) {
        Ok(_) => Ok(Unquoted { text: Cow::Owned(bytes), surrogates: false }),
        Err(_) => decode_utf8_lossy(&bytes, errors).map(|(text, surrogates)| Unquoted { text: Cow::Owned(text), surrogates }),
    }
}

/// Decode invalid UTF-8 with one of the handlers implemented here. The invalid ranges are the
/// maximal subparts of ill-formed sequences (Unicode 3.9), which is what CPython's decoder reports.
pub fn decode_utf8_lossy(mut bytes: &[u8], errors: Errors) -> Result<(Vec<u8>, bool), NeedsCodec> {
    if errors == Errors::Python {
        return Err(NeedsCodec);
    }
    let mut out = Vec::with_capacity(bytes.len() + 8);
    let mut surrogates = false;
    loop {
        match std::str::from_utf8(bytes) {
            Ok(valid) => {
                out.extend_from_slice(valid.as_bytes());
                return Ok((out, surrogates));
            }
            Err(e) => {
                let (valid, after) = bytes.split_at(e.valid_up_to());
                out.extend_from_slice(valid);
                let bad_len = e.error_len().unwrap_or(after.len());
                let (bad, rest) = after.split_at(bad_len);
                match errors {
                    Errors::Replace => out.extend_from_slice("\u{FFFD}".as_bytes()),
                    Errors::Ignore => {}
                    Errors::SurrogateEscape => {
                        surrogates = true;
                        for &b in bad {
                            push_code_point(&mut out, 0xDC00 + u32::from(b));
                        }
                    }
                    Errors::BackslashReplace => {
                        for &b in bad {
                            const HEX: &[u8; 16] = b"0123456789abcdef";
                            out.extend_from_slice(&[b'\\', b'x', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
                        }
                    }
                    Errors::Python => return Err(NeedsCodec),
                }
                bytes = rest;
            }
        }
    }
}

/// Append a code point as (generalized) UTF-8: surrogates take the 3-byte form that Python's
/// `surrogatepass` decodes.
pub fn push_code_point(out: &mut Vec<u8>, cp: u32) {
    // Truncating casts are intended: each byte is masked to its UTF-8 bit field.
    if cp < 0x80 {
        out.push(cp as u8);
    } else if cp < 0x800 {
        out.extend_from_slice(&[0xC0 | (cp >> 6) as u8, 0x80 | (cp & 0x3F) as u8]);
    } else if cp < 0x10000 {
        out.extend_from_slice(&[0xE0 | (cp >> 12) as u8, 0x80 | ((cp >> 6) & 0x3F) as u8, 0x80 | (cp & 0x3F) as u8]);
    } else {
        out.extend_from_slice(&[
            0xF0 | (cp >> 18) as u8,
            0x80 | ((cp >> 12) & 0x3F) as u8,
            0x80 | ((cp >> 6) & 0x3F) as u8,
            0x80 | (cp & 0x3F) as u8,
        ]);
    }
}

/// Runs of a str as stdlib's `_asciire.split` sees them: `(is_ascii, bytes)`.
pub fn ascii_runs(text: &[u8]) -> impl Iterator<Item = (bool, &[u8])> {
    let mut rest = text;
    std::iter::from_fn(move || {
        let first = *rest.first()?;
        let ascii = first < 0x80;
        let n = rest.iter().position(|&b| (b < 0x80) != ascii).unwrap_or(rest.len());
        let (run, tail) = rest.split_at(n);
        rest = tail;
        Some((ascii, run))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unq(s: &str, e: Errors) -> String {
        let u = unquote_plus(s.as_bytes(), e).unwrap();
        String::from_utf8(u.text.into_owned()).unwrap()
    }

    #[test]
    fn split_like_python() {
        let v: Vec<&[u8]> = Split::new(b"a&&b&", b"&").collect();
        assert_eq!(v, vec![&b"a"[..], b"", b"b", b""]);
        let v: Vec<&[u8]> = Split::new(b"a;;b;;;c", b";;").collect();
        assert_eq!(v, vec![&b"a"[..], b"b", b";c"]);
        assert_eq!(count_fields(b"", b"&"), 0);
        assert_eq!(count_fields(b"a", b"&"), 1);
        assert_eq!(count_fields(b"&&", b"&"), 3);
        assert_eq!(count_fields(b"aaaa", b"aa"), 3);
        assert_eq!(count_fields(b"aaa", b"aa"), 2);
    }

    #[test]
    fn classify_fields() {
        assert_eq!(classify(b"", false, false), Field::Skip);
        assert_eq!(classify(b"", false, true), Field::Bad(b""));
        assert_eq!(classify(b"a", false, false), Field::Skip);
        assert_eq!(classify(b"a", true, false), Field::Pair(b"a", b""));
        assert_eq!(classify(b"a", true, true), Field::Bad(b"a"));
        assert_eq!(classify(b"a=", false, false), Field::Skip);
        assert_eq!(classify(b"a=", true, false), Field::Pair(b"a", b""));
        assert_eq!(classify(b"=b=c", false, false), Field::Pair(b"", b"b=c"));
    }

    #[test]
    fn unquote_partial_escapes() {
        assert_eq!(unq("a+b%20c", Errors::Replace), "a b c");
        assert_eq!(unq("%", Errors::Replace), "%");
        assert_eq!(unq("%4", Errors::Replace), "%4");
        assert_eq!(unq("%zz%41", Errors::Replace), "%zzA");
        assert_eq!(unq("%2B", Errors::Replace), "+");
        assert_eq!(unq("%C3%A9", Errors::Replace), "é");
        assert_eq!(unq("é%41", Errors::Replace), "éA");
        assert_eq!(unq("%FF", Errors::Replace), "\u{FFFD}");
        assert_eq!(unq("%FFx", Errors::Ignore), "x");
        assert_eq!(unq("%E2%82", Errors::Replace), "\u{FFFD}");
        assert_eq!(unq("%FF", Errors::BackslashReplace), "\\xff");
        assert!(unquote_plus(b"%FF", Errors::Python).is_err());
        assert!(unquote_plus(b"%41", Errors::Python).is_ok());
    }

    #[test]
    fn surrogateescape_bytes() {
        let u = unquote_plus(b"%FF", Errors::SurrogateEscape).unwrap();
        assert!(u.surrogates);
        assert_eq!(&*u.text, &[0xED, 0xB3, 0xBF]);
    }

    #[test]
    fn runs() {
        let v: Vec<(bool, &[u8])> = ascii_runs("ab\u{e9}\u{e9}c".as_bytes()).collect();
        assert_eq!(v, vec![(true, &b"ab"[..]), (false, "\u{e9}\u{e9}".as_bytes()), (true, b"c")]);
    }

    #[test]
    fn utf8_names() {
        assert!(is_utf8_name("UTF-8"));
        assert!(is_utf8_name("utf_8"));
        assert!(!is_utf8_name("latin-1"));
    }
}
