//! auth: JSON Web Tokens (`jwt/`), each part registering its own functions and classes.
//! Password hashing and webhook signatures join here as sibling modules.

use pyo3::prelude::*;

pub mod jwt;

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    jwt::register(m)?;
    Ok(())
}
