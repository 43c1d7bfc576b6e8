//! HMAC signatures for webhooks (GitHub's `X-Hub-Signature-256: sha256=<hex>`, Shopify's base64,
//! ...): sign, and verify in constant time. Pure logic first; the Python edge at the bottom.

use base64ct::{Base64, Base64Unpadded, Encoding as _};
use hmac::{Hmac, KeyInit, Mac};
use pyo3::prelude::*;

use crate::errors::{guard, WEBHOOK_ERROR};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl Algorithm {
    pub fn parse(name: &str) -> Option<Algorithm> {
        match name.to_ascii_lowercase().as_str() {
            "sha1" => Some(Algorithm::Sha1),
            "sha256" => Some(Algorithm::Sha256),
            "sha384" => Some(Algorithm::Sha384),
            "sha512" => Some(Algorithm::Sha512),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Sha1 => "sha1",
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha384 => "sha384",
            Algorithm::Sha512 => "sha512",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigEncoding {
    Hex,
    Base64,
}

impl SigEncoding {
    pub fn parse(name: &str) -> Option<SigEncoding> {
        match name {
            "hex" => Some(SigEncoding::Hex),
            "base64" => Some(SigEncoding::Base64),
            _ => None,
        }
    }
}

fn mac_of<M: Mac + KeyInit>(key: &[u8], payload: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length: new_from_slice cannot fail.
    let mut mac = <M as KeyInit>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(payload);
    mac.finalize().into_bytes().to_vec()
}

fn verify_of<M: Mac + KeyInit>(key: &[u8], payload: &[u8], tag: &[u8]) -> bool {
    let mut mac = <M as KeyInit>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(payload);
    mac.verify_slice(tag).is_ok()
}

/// The raw HMAC tag.
pub fn mac(algorithm: Algorithm, key: &[u8], payload: &[u8]) -> Vec<u8> {
    match algorithm {
        Algorithm::Sha1 => mac_of::<Hmac<sha1::Sha1>>(key, payload),
        Algorithm::Sha256 => mac_of::<Hmac<sha2::Sha256>>(key, payload),
        Algorithm::Sha384 => mac_of::<Hmac<sha2::Sha384>>(key, payload),
        Algorithm::Sha512 => mac_of::<Hmac<sha2::Sha512>>(key, payload),
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The encoded signature, optionally prefixed `<algorithm>=` (GitHub's header style).
pub fn sign(algorithm: Algorithm, encoding: SigEncoding, key: &[u8], payload: &[u8], prefix: bool) -> String {
    let tag = mac(algorithm, key, payload);
    let mut out = String::with_capacity(tag.len() * 2 + 8);
    if prefix {
        out.push_str(algorithm.name());
        out.push('=');
    }
    match encoding {
        SigEncoding::Hex => {
            for b in &tag {
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 15)]));
            }
        }
        SigEncoding::Base64 => out.push_str(&Base64::encode_string(&tag)),
    }
    out
}

fn unhex(s: &[u8]) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    s.chunks_exact(2).map(|p| Some(nibble(p[0])? << 4 | nibble(p[1])?)).collect()
}

/// Whether `signature` is `payload`'s HMAC under `key`. Surrounding whitespace and a
/// `<algorithm>=` prefix naming `algorithm` are accepted; a prefix naming another algorithm, a
/// malformed encoding or a wrong length is simply no match. The tag comparison is constant time.
pub fn verify(algorithm: Algorithm, encoding: SigEncoding, key: &[u8], payload: &[u8], signature: &[u8]) -> bool {
    let mut sig = signature.trim_ascii();
    if let Some(eq) = sig.iter().position(|&b| b == b'=') {
        let (head, rest) = (&sig[..eq], &sig[eq + 1..]);
        // Base64 only has '=' as trailing padding: an '=' followed by more is a prefix.
        if rest.iter().any(|&b| b != b'=') {
            match std::str::from_utf8(head).ok().and_then(Algorithm::parse) {
                Some(named) if named == algorithm => sig = rest,
                _ => return false,
            }
        }
    }
    let tag = match encoding {
        SigEncoding::Hex => unhex(sig),
        SigEncoding::Base64 => std::str::from_utf8(sig).ok().and_then(|s| {
            Base64::decode_vec(s).ok().or_else(|| Base64Unpadded::decode_vec(s).ok())
        }),
    };
    let Some(tag) = tag else { return false };
    match algorithm {
        Algorithm::Sha1 => verify_of::<Hmac<sha1::Sha1>>(key, payload, &tag),
        Algorithm::Sha256 => verify_of::<Hmac<sha2::Sha256>>(key, payload, &tag),
        Algorithm::Sha384 => verify_of::<Hmac<sha2::Sha384>>(key, payload, &tag),
        Algorithm::Sha512 => verify_of::<Hmac<sha2::Sha512>>(key, payload, &tag),
    }
}

// ---- the Python edge ----

/// Payloads above this size are hashed with the GIL released.
const DETACH_ABOVE: usize = 64 << 10;

fn parse_args(py: Python<'_>, algorithm: &str, encoding: &str) -> PyResult<(Algorithm, SigEncoding)> {
    let alg = Algorithm::parse(algorithm).ok_or_else(|| {
        WEBHOOK_ERROR.err(py, (format!("unsupported algorithm {algorithm:?} (sha1, sha256, sha384 or sha512)"),))
    })?;
    let enc = SigEncoding::parse(encoding)
        .ok_or_else(|| WEBHOOK_ERROR.err(py, (format!("unsupported encoding {encoding:?} (hex or base64)"),)))?;
    Ok((alg, enc))
}

#[pyfunction]
#[pyo3(signature = (secret, payload, algorithm = "sha256", encoding = "hex", *, prefix = false))]
fn webhook_sign(py: Python<'_>, secret: &[u8], payload: &[u8], algorithm: &str, encoding: &str, prefix: bool) -> PyResult<String> {
    guard(py, || {
        let (alg, enc) = parse_args(py, algorithm, encoding)?;
        if payload.len() > DETACH_ABOVE {
            Ok(py.detach(|| sign(alg, enc, secret, payload, prefix)))
        } else {
            Ok(sign(alg, enc, secret, payload, prefix))
        }
    })
}

#[pyfunction]
#[pyo3(signature = (secret, payload, signature, algorithm = "sha256", encoding = "hex"))]
fn webhook_verify(
    py: Python<'_>,
    secret: &[u8],
    payload: &[u8],
    signature: &[u8],
    algorithm: &str,
    encoding: &str,
) -> PyResult<bool> {
    guard(py, || {
        let (alg, enc) = parse_args(py, algorithm, encoding)?;
        if payload.len() > DETACH_ABOVE {
            Ok(py.detach(|| verify(alg, enc, secret, payload, signature)))
        } else {
            Ok(verify(alg, enc, secret, payload, signature))
        }
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(webhook_sign, m)?)?;
    m.add_function(wrap_pyfunction!(webhook_verify, m)?)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4231_case_2() {
        let tag = sign(Algorithm::Sha256, SigEncoding::Hex, b"Jefe", b"what do ya want for nothing?", false);
        assert_eq!(tag, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        assert!(verify(Algorithm::Sha256, SigEncoding::Hex, b"Jefe", b"what do ya want for nothing?", tag.to_uppercase().as_bytes()));
    }

    #[test]
    fn prefixes_and_encodings() {
        let (k, p) = (b"key".as_slice(), b"payload".as_slice());
        let gh = sign(Algorithm::Sha256, SigEncoding::Hex, k, p, true);
        assert!(gh.starts_with("sha256="));
        assert!(verify(Algorithm::Sha256, SigEncoding::Hex, k, p, gh.as_bytes()));
        // A prefix naming another algorithm never matches (no downgrade to sha1).
        let sha1 = sign(Algorithm::Sha1, SigEncoding::Hex, k, p, true);
        assert!(!verify(Algorithm::Sha256, SigEncoding::Hex, k, p, sha1.as_bytes()));
        let b64 = sign(Algorithm::Sha512, SigEncoding::Base64, k, p, false);
        assert!(b64.ends_with("=="));
        assert!(verify(Algorithm::Sha512, SigEncoding::Base64, k, p, b64.as_bytes()));
        assert!(verify(Algorithm::Sha512, SigEncoding::Base64, k, p, b64.trim_end_matches('=').as_bytes()));
        assert!(!verify(Algorithm::Sha512, SigEncoding::Base64, k, b"other", b64.as_bytes()));
        assert!(!verify(Algorithm::Sha256, SigEncoding::Hex, k, p, b"zz"));
        assert!(!verify(Algorithm::Sha256, SigEncoding::Hex, k, p, b""));
    }
}
