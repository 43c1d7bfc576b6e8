//! The compact serialization (RFC 7515 section 7.1): three base64url segments joined by dots.
//! Pure byte work, capped in size before anything is decoded (CVE-2025-61920).

use base64::Engine;

use super::error::{decode, JwtError};

/// Defaults of `max_size` / `max_depth` (written as literals in the `#[pyo3(signature)]`s, so
/// the Python signatures show them: keep them equal).
pub const DEFAULT_MAX_SIZE: usize = 16384;
pub const DEFAULT_MAX_DEPTH: usize = 32;

pub struct Segments<'a> {
    pub header: &'a [u8],
    pub payload: &'a [u8],
    pub signature: &'a [u8],
    /// `header.payload`: the bytes the signature covers, exactly as received.
    pub signing_input: &'a [u8],
}

pub fn split(token: &[u8], max_size: usize) -> Result<Segments<'_>, JwtError> {
    if token.len() > max_size {
        return Err(decode(format!("Token is larger than the {max_size} bytes allowed")));
    }
    let mut dots = token.iter().enumerate().filter(|(_, &b)| b == b'.').map(|(i, _)| i);
    let (Some(a), Some(b)) = (dots.next(), dots.next()) else {
        return Err(decode("Not enough segments"));
    };
    if dots.next().is_some() {
        return Err(decode("Too many segments (JWE and JSON serializations are not supported)"));
    }
    Ok(Segments { header: &token[..a], payload: &token[a + 1..b], signature: &token[b + 1..], signing_input: &token[..b] })
}

/// Strict base64url without padding (RFC 7515 section 2): no `=`, no whitespace, no
/// non-canonical trailing bits.
pub fn b64decode(seg: &[u8], name: &str) -> Result<Vec<u8>, JwtError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(seg).map_err(|_| decode(format!("Invalid {name} padding")))
}

pub fn b64encode_into(data: &[u8], out: &mut String) {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode_string(data, out);
}

/// `typ` values compare case-insensitively, with the `application/` prefix optional
/// (RFC 7515 section 4.1.9).
pub fn normalize_typ(t: &str) -> String {
    let lower = t.to_ascii_lowercase();
    match lower.strip_prefix("application/") {
        Some(rest) if !rest.contains('/') => rest.to_owned(),
        _ => lower,
    }
}

/// PyJWT's time checks on a claim value already read as seconds (truncated like `int()`).
pub fn expired(exp: f64, now: f64, leeway: f64) -> bool {
    exp <= now - leeway
}

pub fn immature(t: f64, now: f64, leeway: f64) -> bool {
    t > now + leeway
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments() {
        let s = split(b"a.b.c", 100).ok().unwrap();
        assert_eq!((s.header, s.payload, s.signature, s.signing_input), (&b"a"[..], &b"b"[..], &b"c"[..], &b"a.b"[..]));
        assert_eq!(split(b"a.b", 100).err(), Some(decode("Not enough segments")));
        assert!(split(b"a.b.c.d.e", 100).is_err());
        assert!(split(b"a.b.c", 4).is_err());
        let s = split(b"..", 100).ok().unwrap();
        assert!(s.header.is_empty() && s.signature.is_empty());
    }

    #[test]
    fn base64_is_strict() {
        assert_eq!(b64decode(b"YQ", "x").ok(), Some(b"a".to_vec()));
        assert!(b64decode(b"YQ==", "x").is_err());
        assert!(b64decode(b"YR", "x").is_err()); // non-canonical trailing bits
        assert!(b64decode(b"Y Q", "x").is_err());
        assert!(b64decode(b"YQ+/", "x").is_err());
    }

    #[test]
    fn typ_normalization() {
        assert_eq!(normalize_typ("JWT"), "jwt");
        assert_eq!(normalize_typ("application/at+JWT"), "at+jwt");
        assert_eq!(normalize_typ("application/a/b"), "application/a/b");
    }

    #[test]
    fn times() {
        assert!(expired(100.0, 100.0, 0.0));
        assert!(!expired(100.0, 99.0, 0.0));
        assert!(!expired(100.0, 105.0, 10.0));
        assert!(immature(101.0, 100.0, 0.0));
        assert!(!immature(100.0, 100.0, 0.0));
    }
}
