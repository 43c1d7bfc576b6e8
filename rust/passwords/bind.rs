//! The Python edge of password hashing: flat `passwords_*` functions that release the GIL for
//! the whole hash. The public API (argon2-cffi's names) is `webaccel/passwords.py`.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use super::engine::{hash_raw, Params, PasswordError, Variant};
use super::phc::{self, Caps};
use crate::errors::{guard, PASSWORD_HASHING_ERROR, PASSWORD_INVALID_HASH_ERROR, PASSWORD_MISMATCH_ERROR, PASSWORD_VERIFICATION_ERROR};

impl From<PasswordError> for PyErr {
    fn from(e: PasswordError) -> PyErr {
        Python::attach(|py| {
            let msg = e.to_string();
            match e {
                PasswordError::Hashing(_) => PASSWORD_HASHING_ERROR.err(py, (msg,)),
                PasswordError::InvalidHash(_) => PASSWORD_INVALID_HASH_ERROR.err(py, (msg,)),
                PasswordError::Mismatch => PASSWORD_MISMATCH_ERROR.err(py, (msg,)),
                PasswordError::Verification(_) => PASSWORD_VERIFICATION_ERROR.err(py, (msg,)),
            }
        })
    }
}

fn variant(value: u32) -> PyResult<Variant> {
    Variant::from_int(value).ok_or_else(|| PyValueError::new_err(format!("{value} is not a valid Argon2 type (0, 1 or 2)")))
}

#[allow(clippy::too_many_arguments)]
fn params(time_cost: u32, memory_cost: u32, parallelism: u32, hash_len: usize, type_: u32, version: u32) -> PyResult<Params> {
    Ok(Params { variant: variant(type_)?, version, memory_cost, time_cost, parallelism, hash_len })
}

/// `argon2.low_level.hash_secret_raw`, plus RFC 9106's secret key and associated data.
#[pyfunction]
#[pyo3(signature = (secret, salt, time_cost, memory_cost, parallelism, hash_len, r#type, version = 19, *, key = None, associated_data = None))]
#[allow(clippy::too_many_arguments)]
fn passwords_hash_raw<'py>(
    py: Python<'py>,
    secret: &[u8],
    salt: &[u8],
    time_cost: u32,
    memory_cost: u32,
    parallelism: u32,
    hash_len: usize,
    r#type: u32,
    version: u32,
    key: Option<&[u8]>,
    associated_data: Option<&[u8]>,
) -> PyResult<Bound<'py, PyBytes>> {
    guard(py, || {
        let p = params(time_cost, memory_cost, parallelism, hash_len, r#type, version)?;
        let tag = py.detach(|| hash_raw(secret, salt, &p, key, associated_data))?;
        Ok(PyBytes::new(py, &tag))
    })
}

/// `argon2.low_level.hash_secret`: the PHC string.
#[pyfunction]
#[pyo3(signature = (secret, salt, time_cost, memory_cost, parallelism, hash_len, r#type, version = 19))]
#[allow(clippy::too_many_arguments)]
fn passwords_hash_encoded(
    py: Python<'_>,
    secret: &[u8],
    salt: &[u8],
    time_cost: u32,
    memory_cost: u32,
    parallelism: u32,
    hash_len: usize,
    r#type: u32,
    version: u32,
) -> PyResult<String> {
    guard(py, || {
        let p = params(time_cost, memory_cost, parallelism, hash_len, r#type, version)?;
        let tag = py.detach(|| hash_raw(secret, salt, &p, None, None))?;
        Ok(phc::encode(&p, salt, &tag))
    })
}

/// Verify `secret` against an encoded hash; `True`, or `VerifyMismatchError`, `InvalidHashError`
/// (malformed, over a cap, or not of `type` when given) or `VerificationError`.
#[pyfunction]
#[pyo3(signature = (hash, secret, r#type = None, *, max_memory_cost = 2097152, max_time_cost = 16, max_parallelism = 255))]
fn passwords_verify(
    py: Python<'_>,
    hash: &str,
    secret: &[u8],
    r#type: Option<u32>,
    max_memory_cost: u32,
    max_time_cost: u32,
    max_parallelism: u32,
) -> PyResult<bool> {
    guard(py, || {
        let expected = r#type.map(variant).transpose()?;
        let caps = Caps { max_memory_cost, max_time_cost, max_parallelism };
        py.detach(|| phc::verify(hash, secret, expected, &caps))?;
        Ok(true)
    })
}

/// The parameters of an encoded hash: (type, version, salt_len, hash_len, time_cost,
/// memory_cost, parallelism).
#[pyfunction]
fn passwords_decode(py: Python<'_>, hash: &str) -> PyResult<(u32, u32, usize, usize, u32, u32, u32)> {
    guard(py, || {
        let d = phc::decode(hash)?;
        let p = d.params;
        Ok((p.variant as u32, p.version, d.salt.len(), d.hash.len(), p.time_cost, p.memory_cost, p.parallelism))
    })
}

#[cfg(test)]
mod tests {
    /// The literal defaults in `passwords_verify`'s signature (literals, so that its text
    /// signature and the stub show them) are the caps' defaults.
    #[test]
    fn signature_defaults_are_the_caps() {
        let caps = super::Caps::default();
        assert_eq!((caps.max_memory_cost, caps.max_time_cost, caps.max_parallelism), (2_097_152, 16, 255));
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(passwords_hash_raw, m)?)?;
    m.add_function(wrap_pyfunction!(passwords_hash_encoded, m)?)?;
    m.add_function(wrap_pyfunction!(passwords_verify, m)?)?;
    m.add_function(wrap_pyfunction!(passwords_decode, m)?)?;
    m.add("passwords_MAX_ENCODED_LEN", phc::MAX_ENCODED_LEN)?;
    Ok(())
}
