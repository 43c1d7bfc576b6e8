//! The in-memory cache: a sharded W-TinyLFU cache bounded by items and/or bytes, with per-entry
//! TTL. The frequency sketch lives in `sketch`, the eviction policy (pure Rust) in `policy`,
//! the Python class `Cache` in `bind`.

use pyo3::prelude::*;

pub mod bind;
pub mod policy;
pub mod sketch;

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<bind::PyCache>()?;
    Ok(())
}
