//! The bridge from Rust errors to webaccel's Python exception hierarchy.
//! The classes live in `webaccel/errors.py` (several of them subclass two builtins, which is
//! natural in Python); Rust looks each one up once and caches it.

use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;
use pyo3::PyErrArguments;

/// A lazily imported exception class from `webaccel.errors`.
pub struct ExcType {
    cell: PyOnceLock<Py<PyType>>,
    name: &'static str,
}

impl ExcType {
    pub const fn new(name: &'static str) -> Self {
        Self { cell: PyOnceLock::new(), name }
    }

    /// The class itself (imported on first use).
    pub fn get<'py>(&self, py: Python<'py>) -> PyResult<&Bound<'py, PyType>> {
        self.cell.import(py, "webaccel.errors", self.name)
    }

    /// A new exception of this class with the given constructor arguments.
    pub fn err<A>(&self, py: Python<'_>, args: A) -> PyErr
    where
        A: PyErrArguments + Send + Sync + 'static,
    {
        match self.get(py) {
            Ok(ty) => PyErr::from_type(ty.clone(), args),
            Err(import_error) => import_error,
        }
    }
}

pub static WEBACCEL_ERROR: ExcType = ExcType::new("WebAccelError");
pub static INTERNAL_ERROR: ExcType = ExcType::new("InternalError");
pub static JSON_DECODE_ERROR: ExcType = ExcType::new("JSONDecodeError");
pub static JSON_ENCODE_ERROR: ExcType = ExcType::new("JSONEncodeError");
pub static QUERY_STRING_ERROR: ExcType = ExcType::new("QueryStringError");
pub static FORM_ERROR: ExcType = ExcType::new("FormError");
pub static COOKIE_ERROR: ExcType = ExcType::new("CookieError");
pub static HEADER_ERROR: ExcType = ExcType::new("HeaderError");
pub static MULTIPART_ERROR: ExcType = ExcType::new("MultipartError");
// compress
pub static COMPRESSION_ERROR: ExcType = ExcType::new("CompressionError");
pub static DECOMPRESSION_ERROR: ExcType = ExcType::new("DecompressionError");
pub static SIZE_LIMIT_ERROR: ExcType = ExcType::new("SizeLimitError");
pub static METRICS_ERROR: ExcType = ExcType::new("MetricsError");
// storage (shared Redis client) and rate limiting
pub static STORAGE_ERROR: ExcType = ExcType::new("StorageError");
pub static STORAGE_CONFIG_ERROR: ExcType = ExcType::new("StorageConfigError");
pub static RATE_LIMIT_ERROR: ExcType = ExcType::new("RateLimitError");
// pagination
pub static PAGINATION_ERROR: ExcType = ExcType::new("PaginationError");
pub static PAGE_NOT_AN_INTEGER: ExcType = ExcType::new("PageNotAnInteger");
pub static EMPTY_PAGE: ExcType = ExcType::new("EmptyPage");
pub static INVALID_PAGE_SIZE: ExcType = ExcType::new("InvalidPageSize");
pub static INVALID_CURSOR: ExcType = ExcType::new("InvalidCursor");
pub static FILTER_ERROR: ExcType = ExcType::new("FilterError");
// passwords (argon2-cffi's names)
pub static PASSWORD_HASHING_ERROR: ExcType = ExcType::new("HashingError");
pub static PASSWORD_VERIFICATION_ERROR: ExcType = ExcType::new("VerificationError");
pub static PASSWORD_MISMATCH_ERROR: ExcType = ExcType::new("VerifyMismatchError");
pub static PASSWORD_INVALID_HASH_ERROR: ExcType = ExcType::new("InvalidHashError");
// webhooks
pub static WEBHOOK_ERROR: ExcType = ExcType::new("WebhookSignatureError");
// auth (JWT): PyJWT's names
pub static DECODE_ERROR: ExcType = ExcType::new("DecodeError");
pub static INVALID_SIGNATURE_ERROR: ExcType = ExcType::new("InvalidSignatureError");
pub static EXPIRED_SIGNATURE_ERROR: ExcType = ExcType::new("ExpiredSignatureError");
pub static IMMATURE_SIGNATURE_ERROR: ExcType = ExcType::new("ImmatureSignatureError");
pub static INVALID_AUDIENCE_ERROR: ExcType = ExcType::new("InvalidAudienceError");
pub static INVALID_ISSUER_ERROR: ExcType = ExcType::new("InvalidIssuerError");
pub static INVALID_ISSUED_AT_ERROR: ExcType = ExcType::new("InvalidIssuedAtError");
pub static INVALID_ALGORITHM_ERROR: ExcType = ExcType::new("InvalidAlgorithmError");
pub static MISSING_REQUIRED_CLAIM_ERROR: ExcType = ExcType::new("MissingRequiredClaimError");
pub static INVALID_SUBJECT_ERROR: ExcType = ExcType::new("InvalidSubjectError");
pub static INVALID_JTI_ERROR: ExcType = ExcType::new("InvalidJTIError");
pub static INVALID_TYPE_ERROR: ExcType = ExcType::new("InvalidTypeError");
pub static UNKNOWN_KEY_ERROR: ExcType = ExcType::new("UnknownKeyError");
pub static INVALID_KEY_ERROR: ExcType = ExcType::new("InvalidKeyError");

/// An instance of `ty` with message `msg` and its `limit` attribute set to the name of the limit
/// the input exceeded (`HTTPParseError.limit`; the class default is `None`, for malformed input).
pub fn err_with_limit(py: Python<'_>, ty: &ExcType, msg: String, limit: Option<&'static str>) -> PyErr {
    let err = ty.err(py, (msg,));
    if let Some(name) = limit {
        // Setting an attribute on a fresh exception instance cannot fail short of memory
        // exhaustion; the error without the attribute is still the right error.
        let _ = err.value(py).setattr(pyo3::intern!(py, "limit"), name);
    }
    err
}

/// Run `f`, turning a Rust panic into `webaccel.InternalError` (a `WebAccelError`) instead of
/// PyO3's `PanicException`, which derives from `BaseException` and escapes `except Exception`.
/// The happy path costs nothing: unwinding tables are only read when a panic happens.
#[inline]
pub fn guard<T>(py: Python<'_>, f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => {
            let detail = if let Some(s) = payload.downcast_ref::<&str>() {
                (*s).to_owned()
            } else if let Some(s) = payload.downcast_ref::<String>() {
                s.clone()
            } else {
                "unknown panic".to_owned()
            };
            Err(INTERNAL_ERROR.err(py, (format!("internal error in webaccel (please report it): {detail}"),)))
        }
    }
}

/// Deliberately panics inside `guard`: lets the tests show that a panic reaches Python as
/// `webaccel.InternalError`, never as `PanicException`.
#[pyfunction]
fn _panic_for_tests(py: Python<'_>, message: &str) -> PyResult<()> {
    guard(py, || panic!("{}", message))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_panic_for_tests, m)?)?;
    Ok(())
}
