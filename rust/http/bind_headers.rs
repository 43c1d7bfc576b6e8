//! The Python edge of the header parsers (`headers`, `options`, `accept`): argument handling
//! and result objects. Kept apart from `bind.rs` (query strings, forms, cookies) so each area's
//! binding stays short.

use pyo3::exceptions::PyValueError;
use pyo3::ffi;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyList, PyString, PyTuple};

use super::accept::{self, Kind};
use super::bind::{ascii_str, pair, text_str};
use super::headers::{self, HeaderError, Limits};
use super::options::{self, OrderedMap};
use crate::errors::{err_with_limit, guard, HEADER_ERROR};

impl From<HeaderError> for PyErr {
    fn from(e: HeaderError) -> PyErr {
        Python::attach(|py| err_with_limit(py, &HEADER_ERROR, e.to_string(), e.limit()))
    }
}

/// Run `f` on the str's UTF-8 bytes (`surrogatepass` bytes, flagged, for lone surrogates).
pub(crate) fn with_text<R>(s: &Bound<'_, PyString>, f: impl FnOnce(&[u8], bool) -> PyResult<R>) -> PyResult<R> {
    match s.to_str() {
        Ok(t) => f(t.as_bytes(), false),
        Err(_) => {
            let b = s.call_method1(intern!(s.py(), "encode"), ("utf-8", "surrogatepass"))?.cast_into::<PyBytes>()?;
            f(b.as_bytes(), true)
        }
    }
}

/// A str from latin-1 bytes (how HTTP field values reach Python in WSGI and ASGI).
pub(crate) fn latin1_str<'py>(py: Python<'py>, b: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    if b.is_ascii() {
        return ascii_str(py, b);
    }
    let len = ffi::Py_ssize_t::try_from(b.len())?;
    // SAFETY: pointer and length describe `b`; the decoder copies the data.
    unsafe { Bound::from_owned_ptr_or_err(py, ffi::PyUnicode_DecodeLatin1(b.as_ptr().cast(), len, std::ptr::null())) }
}

fn kind_of(kind: &str) -> PyResult<Kind> {
    match kind {
        "mime" => Ok(Kind::Mime),
        "language" => Ok(Kind::Language),
        "encoding" | "plain" => Ok(Kind::Plain),
        other => Err(PyValueError::new_err(format!("kind must be 'mime', 'language' or 'encoding', not {other:?}"))),
    }
}

#[pyfunction]
#[pyo3(signature = (value, /))]
pub fn http_parse_options_header<'py>(py: Python<'py>, value: Option<&Bound<'py, PyString>>) -> PyResult<Bound<'py, PyTuple>> {
    guard(py, || {
        let Some(value) = value else {
            return PyTuple::new(py, [PyString::new(py, "").into_any(), PyDict::new(py).into_any()]);
        };
        with_text(value, |text, surrogates| {
            let (v, params) = options::parse(text);
            let dict = PyDict::new(py);
            for (k, pv) in &params {
                dict.set_item(text_str(py, k, surrogates)?, text_str(py, pv, surrogates)?)?;
            }
            PyTuple::new(py, [text_str(py, v, surrogates)?, dict.into_any()])
        })
    })
}

fn parsed_accept(value: Option<&Bound<'_, PyString>>, kind: Kind) -> PyResult<(accept::Accepted, bool)> {
    match value {
        None => Ok((Vec::new(), false)),
        Some(v) => with_text(v, |text, surrogates| Ok((accept::parse(text, kind), surrogates))),
    }
}

#[pyfunction]
#[pyo3(signature = (value, /, kind = "mime"))]
pub fn http_parse_accept<'py>(py: Python<'py>, value: Option<&Bound<'py, PyString>>, kind: &str) -> PyResult<Bound<'py, PyList>> {
    guard(py, || {
        let (items, surrogates) = parsed_accept(value, kind_of(kind)?)?;
        let mut out = Vec::with_capacity(items.len());
        for (v, q) in &items {
            out.push(pair(py, text_str(py, v, surrogates)?, q.into_pyobject(py)?.into_any())?);
        }
        PyList::new(py, out)
    })
}

#[pyfunction]
#[pyo3(signature = (accept_header, available, default = None, *, kind = "mime"))]
pub fn http_best_match<'py>(
    py: Python<'py>,
    accept_header: Option<&Bound<'py, PyString>>,
    available: &Bound<'py, PyAny>,
    default: Option<Bound<'py, PyAny>>,
    kind: &str,
) -> PyResult<Bound<'py, PyAny>> {
    guard(py, || {
        let kind = kind_of(kind)?;
        let (items, _) = parsed_accept(accept_header, kind)?;
        let objs: Vec<Bound<'py, PyString>> =
            available.try_iter()?.map(|o| o.and_then(|o| o.cast_into::<PyString>().map_err(PyErr::from))).collect::<PyResult<_>>()?;
        let texts: Vec<std::borrow::Cow<'_, str>> = objs.iter().map(|o| o.to_cow()).collect::<PyResult<_>>()?;
        let refs: Vec<&str> = texts.iter().map(|t| t.as_ref()).collect();
        match accept::best_match(kind, &items, &refs) {
            Ok(Some(i)) => Ok(objs[i].clone().into_any()),
            Ok(None) => Ok(default.unwrap_or_else(|| py.None().into_bound(py))),
            Err(accept::InvalidMimetype(v)) => {
                let repr = PyString::new(py, &v).repr()?;
                Err(HeaderError::Other(format!("invalid mimetype {repr}")).into())
            }
        }
    })
}

fn bytes_of<'py>(obj: &Bound<'py, PyAny>, what: &str) -> PyResult<Vec<u8>> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        Ok(b.as_bytes().to_vec())
    } else if let Ok(b) = obj.cast::<PyByteArray>() {
        Ok(b.to_vec())
    } else if let Ok(s) = obj.cast::<PyString>() {
        // Field values are latin-1 text in WSGI/ASGI; anything else cannot be a header byte.
        Ok(s.call_method1(intern!(obj.py(), "encode"), ("latin-1",))?.cast_into::<PyBytes>()?.as_bytes().to_vec())
    } else {
        Err(pyo3::exceptions::PyTypeError::new_err(format!("{what} must be bytes or str, not {}", obj.get_type().name()?)))
    }
}

#[pyfunction]
#[pyo3(signature = (data, /, *, max_headers = 100, max_line = 8190, max_size = 65536))]
pub fn http_parse_header_block<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    max_headers: usize,
    max_line: usize,
    max_size: usize,
) -> PyResult<Bound<'py, PyList>> {
    guard(py, || {
        let raw = if data.is_instance_of::<PyString>() {
            return Err(pyo3::exceptions::PyTypeError::new_err("parse_header_block() expects bytes, not str"));
        } else {
            bytes_of(data, "data")?
        };
        let fields = headers::parse_block(&raw, &Limits { max_headers, max_line, max_size })?;
        let mut out = Vec::with_capacity(fields.len());
        for (name, value) in fields {
            out.push(pair(py, ascii_str(py, name)?, latin1_str(py, value)?)?);
        }
        PyList::new(py, out)
    })
}

/// `(lower-cased name, raw value)` of each pair of an ASGI-style header list, refusing more than
/// `max_headers` pairs or more than `max_size` bytes of names and values as soon as the pair
/// crossing the limit is read (a hostile iterable is never drained).
pub(crate) fn asgi_pairs(
    headers: &Bound<'_, PyAny>,
    max_headers: Option<usize>,
    max_size: Option<usize>,
) -> PyResult<Vec<(Vec<u8>, Vec<u8>)>> {
    let mut out = Vec::new();
    let mut size = 0usize;
    for item in headers.try_iter()? {
        let item = item?;
        if let Some(max) = max_headers {
            if out.len() == max {
                return Err(HeaderError::TooManyHeaders { max }.into());
            }
        }
        let (name, value): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item.extract()?;
        let mut name = bytes_of(&name, "header name")?;
        let value = bytes_of(&value, "header value")?;
        size = size.saturating_add(name.len()).saturating_add(value.len());
        if let Some(max) = max_size {
            if size > max {
                return Err(HeaderError::ListTooLarge { max }.into());
            }
        }
        name.make_ascii_lowercase();
        out.push((name, value));
    }
    Ok(out)
}

#[pyfunction]
#[pyo3(signature = (headers, /, *, max_headers=Some(100), max_size=Some(65536)))]
#[pyo3(text_signature = "(headers, /, *, max_headers=100, max_size=65536)")]
pub fn http_headers_from_asgi<'py>(
    py: Python<'py>,
    headers: &Bound<'py, PyAny>,
    max_headers: Option<usize>,
    max_size: Option<usize>,
) -> PyResult<Bound<'py, PyDict>> {
    guard(py, || {
        let mut merged: OrderedMap<Vec<u8>> = OrderedMap::default();
        for (name, value) in asgi_pairs(headers, max_headers, max_size)? {
            let sep = headers::join_separator(&name);
            match merged.get_mut(&name) {
                Some(v) => {
                    v.extend_from_slice(sep.as_bytes());
                    v.extend_from_slice(&value);
                }
                None => merged.insert(name, value),
            }
        }
        let dict = PyDict::new(py);
        for (k, v) in merged.into_vec() {
            dict.set_item(latin1_str(py, &k)?, latin1_str(py, &v)?)?;
        }
        Ok(dict)
    })
}
// ---------------------------------------------------------------------------------------------
// client_ip / ClientIP

use super::client_ip::{self as cip, Format, Network};

const DEFAULT_TRUSTED: [&str; 2] = ["127.0.0.1/32", "::1/128"];

/// The client-address resolver with its trusted networks parsed once.
#[pyclass(frozen, name = "ClientIP", module = "webaccel.http")]
pub struct ClientIP {
    networks: Vec<Network>,
    /// Lower-cased header name.
    header: String,
    format: Format,
}

impl ClientIP {
    fn build(trusted: Option<&Bound<'_, PyAny>>, header: &str) -> PyResult<Self> {
        let mut networks = Vec::new();
        match trusted {
            None => {
                for s in DEFAULT_TRUSTED {
                    networks.push(Network::parse(s).map_err(PyValueError::new_err)?);
                }
            }
            Some(obj) => {
                if obj.is_instance_of::<PyString>() {
                    // A lone str would iterate character by character.
                    return Err(pyo3::exceptions::PyTypeError::new_err("trusted_proxies must be an iterable of CIDR strings, not a str"));
                }
                for item in obj.try_iter()? {
                    let item = item?;
                    let s = item.cast::<PyString>().map_err(PyErr::from)?.to_cow()?;
                    networks.push(Network::parse(s.trim()).map_err(PyValueError::new_err)?);
                }
            }
        }
        let header = header.trim().to_ascii_lowercase();
        if header.is_empty() || !header.bytes().all(super::options::is_token) {
            return Err(PyValueError::new_err(format!("header must be a header name, not {header:?}")));
        }
        let format = if header == "forwarded" { Format::Forwarded } else { Format::List };
        Ok(Self { networks, header, format })
    }

    fn resolve<'py>(&self, py: Python<'py>, peer: &Bound<'py, PyAny>, headers: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        if peer.is_none() {
            return Ok(py.None().into_bound(py));
        }
        // A str, or ASGI's `scope["client"]` `(host, port)`.
        let host = if let Ok(s) = peer.cast::<PyString>() {
            s.clone()
        } else {
            peer.get_item(0)?.cast_into::<PyString>().map_err(PyErr::from)?
        };
        let host_text = host.to_cow()?;
        let Some(peer_ip) = cip::parse_node(&host_text) else {
            // A unix socket path or other non-IP peer: nothing to vouch for the headers.
            return Ok(host.into_any());
        };
        let values = header_values(headers, self.header.as_bytes())?;
        let lines: Vec<std::borrow::Cow<'_, str>> = values.iter().map(|v| String::from_utf8_lossy(v)).collect();
        let refs: Vec<&str> = lines.iter().map(|l| l.as_ref()).collect();
        let ip = cip::resolve(peer_ip, &refs, self.format, &self.networks);
        Ok(PyString::new(py, &ip.to_string()).into_any())
    }
}

#[pymethods]
impl ClientIP {
    #[new]
    #[pyo3(signature = (trusted_proxies = None, header = "x-forwarded-for"))]
    #[pyo3(text_signature = "(trusted_proxies=('127.0.0.1/32', '::1/128'), header='x-forwarded-for')")]
    fn new(trusted_proxies: Option<&Bound<'_, PyAny>>, header: &str) -> PyResult<Self> {
        Self::build(trusted_proxies, header)
    }

    /// The client address (see `client_ip`).
    fn get<'py>(&self, py: Python<'py>, peer: &Bound<'py, PyAny>, headers: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || self.resolve(py, peer, headers))
    }

    #[getter]
    fn header(&self) -> &str {
        &self.header
    }

    #[getter]
    fn trusted_proxies(&self) -> Vec<String> {
        self.networks.iter().map(|n| n.to_string()).collect()
    }

    fn __repr__(&self) -> String {
        format!("ClientIP(trusted_proxies={:?}, header={:?})", self.trusted_proxies(), self.header)
    }
}

/// The raw values of every `name` field in `headers`: a mapping (through `.items()`, which
/// werkzeug's and Starlette's `Headers` answer with every repeated field), or an iterable of
/// `(name, value)` pairs of str or bytes (ASGI). Names compare case-insensitively.
fn header_values(headers: &Bound<'_, PyAny>, name: &[u8]) -> PyResult<Vec<Vec<u8>>> {
    let py = headers.py();
    let pairs = if headers.hasattr(intern!(py, "items"))? {
        headers.call_method0(intern!(py, "items"))?
    } else {
        headers.clone()
    };
    let mut out = Vec::new();
    for item in pairs.try_iter()? {
        let (k, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item?.extract()?;
        let k = bytes_of(&k, "header name")?;
        if k.eq_ignore_ascii_case(name) {
            out.push(bytes_of(&v, "header value")?);
        }
    }
    Ok(out)
}

#[pyfunction]
#[pyo3(signature = (peer, headers, *, trusted_proxies = None, header = "x-forwarded-for"))]
#[pyo3(text_signature = "(peer, headers, *, trusted_proxies=('127.0.0.1/32', '::1/128'), header='x-forwarded-for')")]
pub fn http_client_ip<'py>(
    py: Python<'py>,
    peer: &Bound<'py, PyAny>,
    headers: &Bound<'py, PyAny>,
    trusted_proxies: Option<&Bound<'py, PyAny>>,
    header: &str,
) -> PyResult<Bound<'py, PyAny>> {
    guard(py, || ClientIP::build(trusted_proxies, header)?.resolve(py, peer, headers))
}

// ---------------------------------------------------------------------------------------------
// Authorization / Cache-Control

#[pyfunction]
#[pyo3(signature = (value, /))]
pub fn http_parse_authorization<'py>(py: Python<'py>, value: &Bound<'py, PyString>) -> PyResult<Bound<'py, PyTuple>> {
    guard(py, || {
        with_text(value, |text, surrogates| {
            let (scheme, credentials) = super::fields::parse_authorization(text)?;
            PyTuple::new(py, [ascii_str(py, &scheme)?, text_str(py, credentials, surrogates)?])
        })
    })
}

#[pyfunction]
#[pyo3(signature = (credentials, /, *, max_size = 8190))]
pub fn http_parse_basic_auth<'py>(py: Python<'py>, credentials: &Bound<'py, PyString>, max_size: usize) -> PyResult<Bound<'py, PyTuple>> {
    guard(py, || {
        with_text(credentials, |text, _| {
            let (user, password) = super::fields::parse_basic(text, max_size)?;
            PyTuple::new(py, [PyString::new(py, &user), PyString::new(py, &password)])
        })
    })
}

#[pyfunction]
#[pyo3(signature = (value, /))]
pub fn http_parse_cache_control<'py>(py: Python<'py>, value: Option<&Bound<'py, PyString>>) -> PyResult<Bound<'py, PyDict>> {
    guard(py, || {
        let dict = PyDict::new(py);
        let Some(value) = value else { return Ok(dict) };
        with_text(value, |text, surrogates| {
            for (k, v) in super::fields::parse_cache_control(text) {
                let v = match v {
                    Some(v) => text_str(py, &v, surrogates)?,
                    None => py.None().into_bound(py),
                };
                dict.set_item(ascii_str(py, &k)?, v)?;
            }
            Ok(dict)
        })
    })
}
