//! Shared storage plumbing for the stateful areas (rate limiting, caching): the Redis client
//! (`redis`), its error type, and the Python edge (`RedisClient`, option parsing) that every
//! Redis-backed class accepts the same way.

use std::time::Duration;

use pyo3::prelude::*;

pub mod bind;
pub mod redis;

use crate::errors::{STORAGE_CONFIG_ERROR, STORAGE_ERROR};

/// Failures of a storage backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// A bad URL or option (raised at construction).
    Config(String),
    /// The server cannot be reached: refused, timed out, reset, or in the pause after a failure.
    Unavailable(String),
    /// The server answered with an error (`WRONGTYPE`, a script error, `NOAUTH`, ...).
    Server(String),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Config(m) | StoreError::Unavailable(m) => f.write_str(m),
            StoreError::Server(m) => write!(f, "Redis replied with an error: {m}"),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<StoreError> for PyErr {
    fn from(e: StoreError) -> PyErr {
        Python::attach(|py| match &e {
            StoreError::Config(m) => STORAGE_CONFIG_ERROR.err(py, (m.clone(),)),
            _ => STORAGE_ERROR.err(py, (e.to_string(),)),
        })
    }
}

/// Seconds (a Python float) to a `Duration`, refusing negative, NaN and absurd values.
pub fn seconds(name: &str, value: f64) -> Result<Duration, StoreError> {
    if !value.is_finite() || !(0.0..=86_400.0).contains(&value) {
        return Err(StoreError::Config(format!("{name} must be between 0 and 86400 seconds, not {value}")));
    }
    Ok(Duration::from_secs_f64(value))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    bind::register(m)
}
