//! The PHC string format as libargon2 (and so argon2-cffi and Django) writes it:
//! `$argon2id$v=19$m=65536,t=3,p=4$<salt>$<tag>`, unpadded standard base64, `v=` optional
//! (absent means version 0x10). Decoding is strict and bounded: an encoded hash comes from
//! storage an attacker may have written to, so its cost parameters are checked against caps
//! before any memory is allocated.

use base64ct::{Base64Unpadded, Encoding};

use super::engine::{Params, PasswordError, Variant};

/// Longest encoded hash accepted (bytes). argon2-cffi's default hash is 97.
pub const MAX_ENCODED_LEN: usize = 4096;

/// What a hash being verified may ask for.
#[derive(Debug, Clone, Copy)]
pub struct Caps {
    /// KiB.
    pub max_memory_cost: u32,
    pub max_time_cost: u32,
    pub max_parallelism: u32,
}

impl Default for Caps {
    fn default() -> Self {
        // RFC 9106's first recommendation (2 GiB, t=1, p=4) passes; an attacker's hash asks for
        // at most 2 GiB and 16 passes over it.
        Caps { max_memory_cost: 2 << 20, max_time_cost: 16, max_parallelism: 255 }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub params: Params,
    pub salt: Vec<u8>,
    pub hash: Vec<u8>,
}

pub fn encode(params: &Params, salt: &[u8], hash: &[u8]) -> String {
    format!(
        "${}$v={}$m={},t={},p={}${}${}",
        params.variant.name(),
        params.version,
        params.memory_cost,
        params.time_cost,
        params.parallelism,
        Base64Unpadded::encode_string(salt),
        Base64Unpadded::encode_string(hash)
    )
}

fn invalid(why: impl Into<String>) -> PasswordError {
    PasswordError::InvalidHash(why.into())
}

/// A decimal without sign or leading zeros that fits in u32.
fn number(field: &str, value: &str) -> Result<u32, PasswordError> {
    let canonical = !value.is_empty()
        && value.len() <= 10
        && value.bytes().all(|b| b.is_ascii_digit())
        && (value == "0" || !value.starts_with('0'));
    if !canonical {
        return Err(invalid(format!("{field}= is not a decimal number")));
    }
    value.parse::<u32>().map_err(|_| invalid(format!("{field}= is out of range")))
}

fn keyed<'a>(part: &'a str, key: &str) -> Result<&'a str, PasswordError> {
    part.strip_prefix(key)
        .and_then(|rest| rest.strip_prefix('='))
        .ok_or_else(|| invalid(format!("expected {key}=")))
}

/// Parse an encoded hash (no caps applied: see [`check_caps`]).
pub fn decode(encoded: &str) -> Result<Decoded, PasswordError> {
    if encoded.len() > MAX_ENCODED_LEN {
        return Err(invalid(format!("hash is longer than {MAX_ENCODED_LEN} characters")));
    }
    let mut parts = encoded.split('$');
    if parts.next() != Some("") {
        return Err(invalid("hash does not start with '$'"));
    }
    let variant = parts
        .next()
        .and_then(Variant::from_name)
        .ok_or_else(|| invalid("unknown Argon2 variant"))?;
    let mut field = parts.next().ok_or_else(|| invalid("hash is truncated"))?;
    let version = if field.starts_with("v=") {
        let v = number("v", keyed(field, "v")?)?;
        field = parts.next().ok_or_else(|| invalid("hash is truncated"))?;
        v
    } else {
        0x10
    };
    if version != 0x10 && version != 0x13 {
        return Err(invalid("unsupported Argon2 version"));
    }
    let mut costs = field.split(',');
    let mut cost = |key: &str| -> Result<u32, PasswordError> {
        let part = costs.next().ok_or_else(|| invalid(format!("expected {key}=")))?;
        number(key, keyed(part, key)?)
    };
    let memory_cost = cost("m")?;
    let time_cost = cost("t")?;
    let parallelism = cost("p")?;
    if costs.next().is_some() {
        return Err(invalid("unexpected field after p="));
    }
    let salt_b64 = parts.next().ok_or_else(|| invalid("hash is truncated"))?;
    let hash_b64 = parts.next().ok_or_else(|| invalid("hash is truncated"))?;
    if parts.next().is_some() {
        return Err(invalid("unexpected '$' after the hash"));
    }
    let salt = Base64Unpadded::decode_vec(salt_b64).map_err(|_| invalid("salt is not valid base64"))?;
    let hash = Base64Unpadded::decode_vec(hash_b64).map_err(|_| invalid("hash is not valid base64"))?;
    if salt.len() < 8 {
        return Err(invalid("salt is shorter than 8 bytes"));
    }
    if hash.len() < 4 {
        return Err(invalid("hash is shorter than 4 bytes"));
    }
    if time_cost < 1 || parallelism < 1 || parallelism > 0xFF_FFFF || u64::from(memory_cost) < 8 * u64::from(parallelism) {
        return Err(invalid("parameters out of Argon2's range"));
    }
    let params = Params { variant, version, memory_cost, time_cost, parallelism, hash_len: hash.len() };
    Ok(Decoded { params, salt, hash })
}

/// Refuse a hash whose costs exceed the caps (before anything is allocated).
pub fn check_caps(params: &Params, caps: &Caps) -> Result<(), PasswordError> {
    if params.memory_cost > caps.max_memory_cost {
        return Err(invalid(format!(
            "memory cost m={} exceeds max_memory_cost={}",
            params.memory_cost, caps.max_memory_cost
        )));
    }
    if params.time_cost > caps.max_time_cost {
        return Err(invalid(format!("time cost t={} exceeds max_time_cost={}", params.time_cost, caps.max_time_cost)));
    }
    if params.parallelism > caps.max_parallelism {
        return Err(invalid(format!(
            "parallelism p={} exceeds max_parallelism={}",
            params.parallelism, caps.max_parallelism
        )));
    }
    Ok(())
}

/// Decode, check the caps (and the expected variant, if any), recompute, compare.
pub fn verify(encoded: &str, password: &[u8], variant: Option<Variant>, caps: &Caps) -> Result<(), PasswordError> {
    let decoded = decode(encoded)?;
    if let Some(v) = variant {
        if v != decoded.params.variant {
            return Err(invalid("hash is not of the expected Argon2 type"));
        }
    }
    check_caps(&decoded.params, caps)?;
    super::engine::verify_raw(password, &decoded.salt, &decoded.params, &decoded.hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    const REF: &str = "$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc";

    #[test]
    fn round_trip_and_reference_vector() {
        let d = decode(REF).unwrap();
        assert_eq!(d.params.memory_cost, 256);
        assert_eq!(d.params.parallelism, 2);
        assert_eq!(d.salt, b"somesalt");
        assert_eq!(encode(&d.params, &d.salt, &d.hash), REF);
        assert_eq!(verify(REF, b"password", None, &Caps::default()), Ok(()));
        assert_eq!(verify(REF, b"passwore", None, &Caps::default()), Err(PasswordError::Mismatch));
    }

    #[test]
    fn no_version_means_0x10() {
        let d = decode("$argon2i$m=65536,t=2,p=1$c29tZXNhbHQ$b2G3seW+uPzerwQQC+/E1K50CLLO7YXy0JRcaTuswRo").unwrap();
        assert_eq!(d.params.version, 0x10);
    }

    #[test]
    fn malformed_is_invalid_hash() {
        for bad in [
            "",
            "argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB",
            "$argon2x$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB",
            "$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ",
            "$argon2id$v=19$m=256,t=2$c29tZXNhbHQ$bQk8UB",
            "$argon2id$v=19$t=2,m=256,p=2$c29tZXNhbHQ$bQk8UB",
            "$argon2id$v=19$m=0256,t=2,p=2$c29tZXNhbHQ$bQk8UB",
            "$argon2id$v=19$m=+256,t=2,p=2$c29tZXNhbHQ$bQk8UB",
            "$argon2id$v=19$m=99999999999,t=2,p=2$c29tZXNhbHQ$bQk8UB",
            "$argon2id$v=18$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB",
            "$argon2id$v=19$m=256,t=0,p=2$c29tZXNhbHQ$bQk8UB",
            "$argon2id$v=19$m=8,t=1,p=2$c29tZXNhbHQ$bQk8UB",
            "$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ=$bQk8UB",
            "$argon2id$v=19$m=256,t=2,p=2$c29tZQ$bQk8UB",
            "$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB$",
        ] {
            assert!(matches!(decode(bad), Err(PasswordError::InvalidHash(_))), "{bad}");
        }
    }

    #[test]
    fn caps_refuse_before_allocating() {
        let huge = "$argon2id$v=19$m=4294967295,t=4294967295,p=16777215$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc";
        assert!(matches!(verify(huge, b"x", None, &Caps::default()), Err(PasswordError::InvalidHash(_))));
        let long = format!("$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ${}", "A".repeat(MAX_ENCODED_LEN));
        assert!(matches!(decode(&long), Err(PasswordError::InvalidHash(_))));
    }
}
