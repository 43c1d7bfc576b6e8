//! JSON Web Tokens (RFC 7515/7519): keys and signatures (`key`, `alg`, `der`), the compact
//! token format (`token`), and the Python edge (`bind`): `JWTKey`, `JWKSet`, `JWTVerifier`
//! and the `auth_jwt_*` functions behind `webaccel.auth`.

use pyo3::prelude::*;

pub mod alg;
pub mod bind;
pub mod der;
pub mod error;
pub mod key;
pub mod token;

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    bind::register(m)
}
