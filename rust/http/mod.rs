//! HTTP request parsing: query strings (`parse_qsl`/`parse_qs`, exact with `urllib.parse`),
//! `urlencode`, urlencoded form bodies with limits checked before any work, and `Cookie:` headers
//! (exact with Django's `parse_cookie`, in linear time). Pure logic in `query`, `cookie` and
//! `quote`; the Python edge in `bind`.

use pyo3::prelude::*;

pub mod accept;
pub mod bind;
pub mod bind_headers;
pub mod client_ip;
pub mod cookie;
pub mod fields;
pub mod headers;
pub mod options;
pub mod multipart;
pub mod multipart_bind;
pub mod multipart_scan;
pub mod query;
pub mod quote;
pub mod scan;

use crate::errors::{err_with_limit, COOKIE_ERROR, FORM_ERROR, QUERY_STRING_ERROR};

/// Failures webaccel itself detects while parsing HTTP input.
#[derive(Debug, PartialEq, Eq)]
pub enum HttpError {
    /// stdlib's `ValueError("Max number of fields exceeded")`.
    TooManyQueryFields,
    /// stdlib's `ValueError("bad query field: %r")` under `strict_parsing` (the raw UTF-8 field).
    BadQueryField(Vec<u8>),
    /// stdlib's `ValueError("Separator must be of type string or bytes.")`.
    BadSeparator,
    FormTooLarge { size: usize, max: usize },
    FormTooManyFields { count: usize, max: usize },
    CookieTooLarge { size: usize, max: usize },
    TooManyCookies { count: usize, max: usize },
}

impl From<HttpError> for PyErr {
    fn from(e: HttpError) -> PyErr {
        Python::attach(|py| match e {
            HttpError::TooManyQueryFields => QUERY_STRING_ERROR.err(py, ("Max number of fields exceeded",)),
            HttpError::BadQueryField(field) => {
                // The message carries Python's repr of the field, as stdlib's does.
                let repr = pyo3::types::PyString::new(py, &String::from_utf8_lossy(&field))
                    .repr()
                    .map(|r| r.to_string())
                    .unwrap_or_default();
                QUERY_STRING_ERROR.err(py, (format!("bad query field: {repr}"),))
            }
            HttpError::BadSeparator => QUERY_STRING_ERROR.err(py, ("Separator must be of type string or bytes.",)),
            HttpError::FormTooLarge { size, max } => {
                err_with_limit(py, &FORM_ERROR, format!("form body of {size} bytes exceeds max_size={max}"), Some("max_size"))
            }
            HttpError::FormTooManyFields { count, max } => {
                err_with_limit(py, &FORM_ERROR, format!("form body has {count} fields, more than max_fields={max}"), Some("max_fields"))
            }
            HttpError::CookieTooLarge { size, max } => {
                err_with_limit(py, &COOKIE_ERROR, format!("cookie header of {size} characters exceeds max_size={max}"), Some("max_size"))
            }
            HttpError::TooManyCookies { count, max } => {
                err_with_limit(py, &COOKIE_ERROR, format!("cookie header has {count} cookies, more than max_cookies={max}"), Some("max_cookies"))
            }
        })
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(bind::http_parse_qsl, m)?)?;
    m.add_function(wrap_pyfunction!(bind::http_parse_qs, m)?)?;
    m.add_function(wrap_pyfunction!(bind::http_urlencode, m)?)?;
    m.add_function(wrap_pyfunction!(bind::http_parse_form, m)?)?;
    m.add_function(wrap_pyfunction!(bind::http_parse_cookie, m)?)?;
    m.add_function(wrap_pyfunction!(bind_headers::http_parse_header_block, m)?)?;
    m.add_function(wrap_pyfunction!(bind_headers::http_headers_from_asgi, m)?)?;
    m.add_function(wrap_pyfunction!(bind_headers::http_parse_options_header, m)?)?;
    m.add_function(wrap_pyfunction!(bind_headers::http_parse_accept, m)?)?;
    m.add_function(wrap_pyfunction!(bind_headers::http_best_match, m)?)?;
    m.add_function(wrap_pyfunction!(bind_headers::http_client_ip, m)?)?;
    m.add_class::<bind_headers::ClientIP>()?;
    m.add_function(wrap_pyfunction!(bind_headers::http_parse_authorization, m)?)?;
    m.add_function(wrap_pyfunction!(bind_headers::http_parse_basic_auth, m)?)?;
    m.add_function(wrap_pyfunction!(bind_headers::http_parse_cache_control, m)?)?;
    m.add_function(wrap_pyfunction!(multipart_bind::http_parse_multipart, m)?)?;
    m.add_class::<multipart_bind::MultipartParser>()?;
    m.add_class::<multipart_bind::Part>()?;
    Ok(())
}
