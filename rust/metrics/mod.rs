//! Request metrics kept in Rust: request and error counters and a latency histogram per
//! (method, route template, status), with atomics in a sharded map (`registry`), rendered in the
//! Prometheus text format (`format`). Snapshots let several worker processes be summed.

use pyo3::prelude::*;

pub mod bind;
pub mod format;
pub mod registry;

use crate::errors::METRICS_ERROR;

#[derive(Debug, PartialEq)]
pub enum MetricsError {
    /// A bad constructor argument (namespace, buckets, max_series).
    Config(String),
    /// A bad observation (status out of range, negative or non-finite seconds).
    Value(String),
    /// A snapshot that does not fit this registry (other buckets, malformed).
    Snapshot(String),
}

impl std::fmt::Display for MetricsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MetricsError::Config(m) | MetricsError::Value(m) => f.write_str(m),
            MetricsError::Snapshot(m) => write!(f, "invalid metrics snapshot: {m}"),
        }
    }
}

impl From<MetricsError> for PyErr {
    fn from(e: MetricsError) -> PyErr {
        Python::attach(|py| METRICS_ERROR.err(py, (e.to_string(),)))
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<bind::Metrics>()?;
    Ok(())
}
