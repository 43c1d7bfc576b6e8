//! Small single-field parsers: `Authorization` (scheme and credentials, `Basic` decoding) and
//! `Cache-Control` directives. Strict where a lax reading would let a malformed value through
//! authentication (invalid base64 is refused, not skipped as `base64.b64decode` skips it).

use super::headers::{is_value_byte, HeaderError};
use super::options::{is_token, strip_sp};

/// `(lower-cased scheme, credentials)`: `Bearer abc` gives `("bearer", "abc")`; credentials
/// (token68 or auth-params) are returned as sent, stripped, possibly empty.
pub fn parse_authorization(value: &[u8]) -> Result<(Vec<u8>, &[u8]), HeaderError> {
    if !value.iter().all(|&b| is_value_byte(b)) {
        return Err(HeaderError::Other("Authorization header contains a control character".into()));
    }
    let value = strip_sp(value);
    if value.is_empty() {
        return Err(HeaderError::Other("empty Authorization header".into()));
    }
    let end = value.iter().position(|&b| b == b' ' || b == b'\t').unwrap_or(value.len());
    let scheme = &value[..end];
    if !scheme.iter().all(|&b| is_token(b)) {
        return Err(HeaderError::Other("Authorization scheme is not a token".into()));
    }
    Ok((scheme.to_ascii_lowercase(), strip_sp(&value[end..])))
}

fn b64_value(b: u8) -> Option<u8> {
    match b {
        b'A'..=b'Z' => Some(b - b'A'),
        b'a'..=b'z' => Some(b - b'a' + 26),
        b'0'..=b'9' => Some(b - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// RFC 4648 base64, standard alphabet, `=` padding required, no whitespace, no trailing bits.
pub fn b64decode(s: &[u8]) -> Option<Vec<u8>> {
    if s.len() % 4 != 0 {
        return None;
    }
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    for (i, chunk) in s.chunks(4).enumerate() {
        let last = i + 1 == s.len() / 4;
        let pad = chunk.iter().rev().take_while(|&&b| b == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return None;
        }
        let mut n: u32 = 0;
        for &b in &chunk[..4 - pad] {
            n = (n << 6) | u32::from(b64_value(b)?);
        }
        n <<= 6 * pad as u32;
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        // Non-canonical encodings (bits set in the padding) are refused.
        if (pad == 1 && bytes[2] != 0) || (pad == 2 && (bytes[1] != 0 || bytes[2] != 0)) {
            return None;
        }
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}

/// RFC 7617 `Basic` credentials: `(user, password)` from base64 of UTF-8 `user:password`.
pub fn parse_basic(credentials: &[u8], max_size: usize) -> Result<(String, String), HeaderError> {
    let credentials = strip_sp(credentials);
    if credentials.len() > max_size {
        return Err(HeaderError::Other(format!("Basic credentials of {} bytes exceed max_size={max_size}", credentials.len())));
    }
    let raw = b64decode(credentials).ok_or_else(|| HeaderError::Other("Basic credentials are not valid base64".into()))?;
    let text = String::from_utf8(raw).map_err(|_| HeaderError::Other("Basic credentials are not valid UTF-8".into()))?;
    let (user, password) = text
        .split_once(':')
        .ok_or_else(|| HeaderError::Other("Basic credentials have no ':' between user and password".into()))?;
    if text.chars().any(|c| c.is_control()) {
        return Err(HeaderError::Other("Basic credentials contain a control character".into()));
    }
    Ok((user.to_owned(), password.to_owned()))
}

/// `Cache-Control` directives, names lower-cased, `None` for a directive without a value;
/// quoted values unescaped; a directive with an invalid name or value is skipped; a repeated
/// directive keeps its first value. Order of first appearance.
pub fn parse_cache_control(value: &[u8]) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
    let mut out: Vec<(Vec<u8>, Option<Vec<u8>>)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let n = value.len();
    let mut pos = 0;
    while pos <= n {
        // One directive: up to the next comma outside a quoted string.
        let start = pos;
        let (mut quote, mut escape) = (false, false);
        while pos < n {
            let c = value[pos];
            if escape {
                escape = false;
            } else if quote {
                match c {
                    b'\\' => escape = true,
                    b'"' => quote = false,
                    _ => {}
                }
            } else if c == b'"' {
                quote = true;
            } else if c == b',' {
                break;
            }
            pos += 1;
        }
        let item = strip_sp(&value[start..pos]);
        pos += 1;
        if item.is_empty() {
            continue;
        }
        let (name, val) = match item.iter().position(|&b| b == b'=') {
            Some(i) => (strip_sp(&item[..i]), Some(strip_sp(&item[i + 1..]))),
            None => (item, None),
        };
        if name.is_empty() || !name.iter().all(|&b| is_token(b)) {
            continue;
        }
        let val = match val {
            None => None,
            Some(v) if !v.is_empty() && v.iter().all(|&b| is_token(b)) => Some(v.to_vec()),
            Some(v) if v.len() >= 2 && v[0] == b'"' && v[v.len() - 1] == b'"' => match unquote_strict(&v[1..v.len() - 1]) {
                Some(u) => Some(u),
                None => continue,
            },
            Some(_) => continue,
        };
        let name = name.to_ascii_lowercase();
        if seen.insert(name.clone()) {
            out.push((name, val));
        }
    }
    out
}

/// The inside of an RFC 9110 quoted-string: `\x` is `x`; a lone `"` or a trailing `\` is invalid.
fn unquote_strict(inner: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(inner.len());
    let mut i = 0;
    while i < inner.len() {
        match inner[i] {
            b'\\' => {
                out.push(*inner.get(i + 1)?);
                i += 2;
            }
            b'"' => return None,
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64() {
        assert_eq!(b64decode(b"dXNlcjpwYXNz"), Some(b"user:pass".to_vec()));
        assert_eq!(b64decode(b"YQ=="), Some(b"a".to_vec()));
        assert_eq!(b64decode(b"YR=="), None);
        assert_eq!(b64decode(b"YQ"), None);
        assert_eq!(b64decode(b"Y Q=="), None);
    }

    #[test]
    fn cache_control() {
        let got = parse_cache_control(b"no-cache, Max-Age=60, max-age=5, private=\"a, b\", x=\"un");
        assert_eq!(got.len(), 3);
        assert_eq!(got[1], (b"max-age".to_vec(), Some(b"60".to_vec())));
        assert_eq!(got[2], (b"private".to_vec(), Some(b"a, b".to_vec())));
    }
}
