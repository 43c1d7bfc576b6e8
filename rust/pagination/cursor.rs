//! Opaque keyset-pagination cursors: `base64url(version | issued_at | payload | tag)`, the tag an
//! HMAC-SHA256 (full 32 bytes, compared in constant time by ring) over everything before it.
//! Several keys may verify (rotation); the first one signs. Pure Rust: the payload is bytes.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::hmac;

use super::PaginationError;

const VERSION: u8 = 1;
const TAG_LEN: usize = 32;
const HEADER_LEN: usize = 1 + 8;
/// Domain separation: the signing key is derived from the user's secret, so a secret shared with
/// something else (Django's SECRET_KEY) never signs cursors with itself.
const CONTEXT: &[u8] = b"webaccel.pagination.cursor.v1:";

pub struct Signer {
    keys: Vec<hmac::Key>,
}

/// What a cursor carried, once verified.
#[derive(Debug, PartialEq, Eq)]
pub struct Opened {
    pub issued_at: u64,
    pub payload: Vec<u8>,
}

impl Signer {
    /// `secrets[0]` signs; every one of them verifies. `salt` separates cursor families (one
    /// endpoint's cursors do not verify on another's codec).
    pub fn new(secrets: &[&[u8]], salt: &[u8]) -> Signer {
        let keys = secrets
            .iter()
            .map(|secret| {
                let master = hmac::Key::new(hmac::HMAC_SHA256, secret);
                let mut ctx = hmac::Context::with_key(&master);
                ctx.update(CONTEXT);
                ctx.update(salt);
                hmac::Key::new(hmac::HMAC_SHA256, ctx.sign().as_ref())
            })
            .collect();
        Signer { keys }
    }

    /// The length of the cursor for a payload of `n` bytes.
    pub fn encoded_len(n: usize) -> usize {
        // Unpadded base64: 4 characters per 3 bytes, rounded up.
        (4 * (HEADER_LEN + n + TAG_LEN)).div_ceil(3)
    }

    pub fn seal(&self, issued_at: u64, payload: &[u8]) -> String {
        let mut raw = Vec::with_capacity(HEADER_LEN + payload.len() + TAG_LEN);
        raw.push(VERSION);
        raw.extend_from_slice(&issued_at.to_be_bytes());
        raw.extend_from_slice(payload);
        if let Some(key) = self.keys.first() {
            let tag = hmac::sign(key, &raw);
            raw.extend_from_slice(tag.as_ref());
        }
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// Verifies a cursor; `max_len` (characters) is checked before any decoding.
    pub fn open(&self, token: &str, max_len: usize) -> Result<Opened, PaginationError> {
        if token.len() > max_len {
            return Err(PaginationError::CursorTooLong { max: max_len });
        }
        let raw = URL_SAFE_NO_PAD.decode(token).map_err(|_| PaginationError::CursorMalformed)?;
        if raw.len() < HEADER_LEN + TAG_LEN {
            return Err(PaginationError::CursorMalformed);
        }
        let (signed, tag) = raw.split_at(raw.len() - TAG_LEN);
        // Every key is tried (no early exit on the first byte that differs: ring compares in
        // constant time); the work only depends on how many keys there are.
        let mut ok = false;
        for key in &self.keys {
            ok |= hmac::verify(key, signed, tag).is_ok();
        }
        if !ok {
            return Err(PaginationError::CursorBadSignature);
        }
        // Only a signed cursor reaches this point: a version we do not know is our own old
        // format, refused by name.
        if signed[0] != VERSION {
            return Err(PaginationError::CursorMalformed);
        }
        let mut iat = [0u8; 8];
        iat.copy_from_slice(&signed[1..HEADER_LEN]);
        Ok(Opened { issued_at: u64::from_be_bytes(iat), payload: signed[HEADER_LEN..].to_vec() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_rotation() {
        let old = Signer::new(&[b"old secret of some length"], b"");
        let rotated = Signer::new(&[b"new secret of some length", b"old secret of some length"], b"");
        let token = old.seal(1_700_000_000, b"[1,2]");
        assert_eq!(token.len(), Signer::encoded_len(5));
        let opened = rotated.open(&token, 1024).unwrap();
        assert_eq!(opened, Opened { issued_at: 1_700_000_000, payload: b"[1,2]".to_vec() });
        // The new key signs; the old codec cannot read it.
        let fresh = rotated.seal(5, b"{}");
        assert_eq!(old.open(&fresh, 1024), Err(PaginationError::CursorBadSignature));
        assert!(token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    }

    #[test]
    fn salt_separates_families() {
        let a = Signer::new(&[b"secret secret secret"], b"users");
        let b = Signer::new(&[b"secret secret secret"], b"orders");
        assert_eq!(b.open(&a.seal(0, b"1"), 1024), Err(PaginationError::CursorBadSignature));
    }

    #[test]
    fn tampered_truncated_oversized() {
        let s = Signer::new(&[b"secret secret secret"], b"");
        let token = s.seal(7, b"\"abc\"");
        for i in 0..token.len() {
            let mut bytes = token.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let t = String::from_utf8(bytes).unwrap();
            assert!(s.open(&t, 1024).is_err(), "flipped char {i}");
        }
        for n in 0..token.len() {
            assert!(s.open(&token[..n], 1024).is_err(), "truncated to {n}");
        }
        assert_eq!(s.open(&token, token.len() - 1), Err(PaginationError::CursorTooLong { max: token.len() - 1 }));
        assert_eq!(s.open("not base64!", 1024), Err(PaginationError::CursorMalformed));
        assert_eq!(s.open(&format!("{token}="), 1024), Err(PaginationError::CursorMalformed));
    }
}
