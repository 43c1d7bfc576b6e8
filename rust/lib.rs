//! webaccel._core: the native engine behind the `webaccel` Python package.
//! This file only assembles the module; each area registers its own functions and classes.

use pyo3::prelude::*;

pub mod compress;
pub mod cache;
pub mod auth;
pub mod errors;
pub mod http;
pub mod json;
pub mod ratelimit;
pub mod accesslog;
pub mod metrics;
pub mod store;
pub mod pagination;
pub mod passwords;
pub mod webhook;

/// The module does not need the GIL: every piece of shared state is `Send + Sync`.
#[pymodule(gil_used = false)]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    errors::register(m)?;
    json::register(m)?;
    http::register(m)?;
    compress::register(m)?;
    cache::register(m)?;
    metrics::register(m)?;
    accesslog::register(m)?;
    store::register(m)?;
    ratelimit::register(m)?;
    pagination::register(m)?;
    passwords::register(m)?;
    webhook::register(m)?;
    auth::register(m)?;
    Ok(())
}
