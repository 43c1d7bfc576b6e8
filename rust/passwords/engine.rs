//! Argon2 (RFC 9106) over RustCrypto's `argon2`: raw hashing with argon2-cffi's (libargon2's)
//! parameter checks and messages, and verification in constant time. The lanes of each slice are
//! filled on a private thread pool that is rebuilt after a `fork()` (rayon's global pool would be
//! left without threads in a forked worker, and would be shared with whatever else uses rayon).

use std::sync::{Arc, Mutex};

use argon2::{Algorithm, Argon2, AssociatedData, ParamsBuilder, Version};
use rayon::{ThreadPool, ThreadPoolBuilder};
use subtle::ConstantTimeEq;

/// The Argon2 variants, numbered as argon2-cffi's `Type` (and libargon2's `argon2_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    D = 0,
    I = 1,
    ID = 2,
}

impl Variant {
    pub fn from_int(value: u32) -> Option<Variant> {
        match value {
            0 => Some(Variant::D),
            1 => Some(Variant::I),
            2 => Some(Variant::ID),
            _ => None,
        }
    }

    /// The name in a PHC string (`$argon2id$...`).
    pub fn name(self) -> &'static str {
        match self {
            Variant::D => "argon2d",
            Variant::I => "argon2i",
            Variant::ID => "argon2id",
        }
    }

    pub fn from_name(name: &str) -> Option<Variant> {
        match name {
            "argon2d" => Some(Variant::D),
            "argon2i" => Some(Variant::I),
            "argon2id" => Some(Variant::ID),
            _ => None,
        }
    }

    fn algorithm(self) -> Algorithm {
        match self {
            Variant::D => Algorithm::Argon2d,
            Variant::I => Algorithm::Argon2i,
            Variant::ID => Algorithm::Argon2id,
        }
    }
}

/// Everything that determines a tag besides the password, salt, key and associated data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    pub variant: Variant,
    /// 0x10 (16) or 0x13 (19).
    pub version: u32,
    /// KiB.
    pub memory_cost: u32,
    pub time_cost: u32,
    pub parallelism: u32,
    pub hash_len: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordError {
    /// Hashing refused its inputs or failed (argon2-cffi's `HashingError`, libargon2's message).
    Hashing(&'static str),
    /// An encoded hash that is malformed or over a cap (`InvalidHashError`).
    InvalidHash(String),
    /// The password does not match the hash (`VerifyMismatchError`).
    Mismatch,
    /// Verification failed for another reason (`VerificationError`, libargon2's message).
    Verification(&'static str),
}

impl std::fmt::Display for PasswordError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PasswordError::Hashing(m) | PasswordError::Verification(m) => f.write_str(m),
            PasswordError::InvalidHash(m) => f.write_str(m),
            PasswordError::Mismatch => f.write_str("The password does not match the supplied hash"),
        }
    }
}

/// libargon2's `argon2_error_message` for each failure, so messages match argon2-cffi's.
fn message(e: argon2::Error) -> &'static str {
    use argon2::Error as E;
    match e {
        E::AdTooLong => "Associated data is too long",
        E::AlgorithmInvalid => "There is no such version of Argon2",
        E::KeyIdTooLong => "Secret is too long",
        E::MemoryTooLittle => "Memory cost is too small",
        E::MemoryTooMuch => "Memory cost is too large",
        E::OutputTooShort => "Output is too short",
        E::OutputTooLong => "Output is too long",
        E::PwdTooLong => "Password is too long",
        E::SaltTooShort => "Salt is too short",
        E::SaltTooLong => "Salt is too long",
        E::SecretTooLong => "Secret is too long",
        E::ThreadsTooFew => "Too few lanes",
        E::ThreadsTooMany => "Too many lanes",
        E::TimeTooSmall => "Time cost is too small",
        E::VersionInvalid => "There is no such version of Argon2",
        E::OutOfMemory => "Memory allocation error",
        _ => "Unknown error code",
    }
}

static POOL: Mutex<Option<(u32, Arc<ThreadPool>)>> = Mutex::new(None);

/// The lane pool of this process, built on first use and again after a fork.
fn pool() -> Result<Arc<ThreadPool>, PasswordError> {
    let pid = std::process::id();
    let mut slot = POOL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((owner, pool)) = slot.as_ref() {
        if *owner == pid {
            return Ok(Arc::clone(pool));
        }
    }
    // Inherited from the parent through fork(): its threads do not exist here. Dropping it would
    // signal threads that are gone; leak it instead (once per fork).
    if let Some((_, stale)) = slot.take() {
        std::mem::forget(stale);
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(64);
    let pool = ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("webaccel-argon2-{i}"))
        .build()
        .map(Arc::new)
        .map_err(|_| PasswordError::Hashing("Threading failure"))?;
    *slot = Some((pid, Arc::clone(&pool)));
    Ok(pool)
}

/// The raw tag (`argon2.low_level.hash_secret_raw`, plus RFC 9106's secret key K and associated
/// data X). Runs on the lane pool; the calling thread waits.
pub fn hash_raw(
    password: &[u8],
    salt: &[u8],
    params: &Params,
    key: Option<&[u8]>,
    associated_data: Option<&[u8]>,
) -> Result<Vec<u8>, PasswordError> {
    let version = match params.version {
        0x10 => Version::V0x10,
        0x13 => Version::V0x13,
        _ => return Err(PasswordError::Hashing("There is no such version of Argon2")),
    };
    // libargon2 checks the output length before anything else.
    if params.hash_len < 4 {
        return Err(PasswordError::Hashing("Output is too short"));
    }
    if u32::try_from(params.hash_len).is_err() {
        return Err(PasswordError::Hashing("Output is too long"));
    }
    // Then libargon2's `validate_inputs` order, so the first problem reported is argon2-cffi's.
    if salt.len() < 8 {
        return Err(PasswordError::Hashing("Salt is too short"));
    }
    if params.memory_cost < 8 || u64::from(params.memory_cost) < 8 * u64::from(params.parallelism) {
        return Err(PasswordError::Hashing("Memory cost is too small"));
    }
    if params.time_cost < 1 {
        return Err(PasswordError::Hashing("Time cost is too small"));
    }
    if params.parallelism < 1 {
        return Err(PasswordError::Hashing("Too few lanes"));
    }
    if params.parallelism > 0xFF_FFFF {
        return Err(PasswordError::Hashing("Too many lanes"));
    }
    let mut builder = ParamsBuilder::new();
    builder
        .m_cost(params.memory_cost)
        .t_cost(params.time_cost)
        .p_cost(params.parallelism)
        .output_len(params.hash_len);
    if let Some(ad) = associated_data {
        builder.data(AssociatedData::new(ad).map_err(|e| PasswordError::Hashing(message(e)))?);
    }
    let argon_params = builder.build().map_err(|e| PasswordError::Hashing(message(e)))?;
    let algorithm = params.variant.algorithm();
    let ctx = match key {
        Some(k) => Argon2::new_with_secret(k, algorithm, version, argon_params),
        None => Ok(Argon2::new(algorithm, version, argon_params)),
    }
    .map_err(|e| PasswordError::Hashing(message(e)))?;
    let mut out = vec![0u8; params.hash_len];
    pool()?
        .install(|| ctx.hash_password_into(password, salt, &mut out))
        .map_err(|e| PasswordError::Hashing(message(e)))?;
    Ok(out)
}

/// Recompute the tag and compare it with `expected` in constant time.
pub fn verify_raw(password: &[u8], salt: &[u8], params: &Params, expected: &[u8]) -> Result<(), PasswordError> {
    let tag = hash_raw(password, salt, params, None, None).map_err(|e| match e {
        PasswordError::Hashing(m) => PasswordError::Verification(m),
        other => other,
    })?;
    if bool::from(tag.ct_eq(expected)) {
        Ok(())
    } else {
        Err(PasswordError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    #[test]
    fn rfc9106_argon2id_vector() {
        let params = Params { variant: Variant::ID, version: 19, memory_cost: 32, time_cost: 3, parallelism: 4, hash_len: 32 };
        let tag = hash_raw(&[1; 32], &[2; 16], &params, Some(&[3; 8]), Some(&[4; 12])).unwrap();
        assert_eq!(tag, unhex("0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659"));
    }

    #[test]
    fn libargon2_messages_for_bad_parameters() {
        let base = Params { variant: Variant::ID, version: 19, memory_cost: 32, time_cost: 1, parallelism: 1, hash_len: 32 };
        let bad = |p: Params, salt: &[u8]| hash_raw(b"pw", salt, &p, None, None).unwrap_err();
        assert_eq!(bad(Params { hash_len: 3, ..base }, b"saltsalt"), PasswordError::Hashing("Output is too short"));
        assert_eq!(bad(Params { time_cost: 0, ..base }, b"saltsalt"), PasswordError::Hashing("Time cost is too small"));
        assert_eq!(bad(Params { memory_cost: 7, ..base }, b"saltsalt"), PasswordError::Hashing("Memory cost is too small"));
        assert_eq!(bad(Params { version: 18, ..base }, b"saltsalt"), PasswordError::Hashing("There is no such version of Argon2"));
        assert_eq!(bad(base, b"short"), PasswordError::Hashing("Salt is too short"));
    }

    #[test]
    fn verify_mismatch_and_match() {
        let p = Params { variant: Variant::I, version: 16, memory_cost: 16, time_cost: 1, parallelism: 2, hash_len: 16 };
        let tag = hash_raw(b"pw", b"saltsalt", &p, None, None).unwrap();
        assert_eq!(verify_raw(b"pw", b"saltsalt", &p, &tag), Ok(()));
        assert_eq!(verify_raw(b"pW", b"saltsalt", &p, &tag), Err(PasswordError::Mismatch));
        assert_eq!(verify_raw(b"pw", b"saltsalt", &p, &tag[..15]), Err(PasswordError::Mismatch));
    }
}
