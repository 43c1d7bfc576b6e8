//! The Python edge of `webaccel.http`: argument handling with stdlib's exact rules, building
//! result objects directly (ASCII strs by memcpy, tuples and lists at their final size), and a
//! fallback to the stdlib function itself for argument types the native path does not model.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use pyo3::{intern, PyTypeInfo};

use super::cookie;
use super::query::{self, classify, count_fields, unquote_plus, Errors, Field, Split};
use super::quote::Quoter;
use super::HttpError;
use crate::errors::guard;

/// An optional argument whose explicit `None` differs from leaving it out (stdlib's
/// `separator=None` raises, the default is `"&"`).
pub enum Arg<'py> {
    Default,
    Given(Bound<'py, PyAny>),
}

impl<'a, 'py> FromPyObject<'a, 'py> for Arg<'py> {
    type Error = PyErr;
    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        Ok(Arg::Given(obj.to_owned()))
    }
}

// ---------------------------------------------------------------------------------------------
// Object builders

/// A str from ASCII bytes: `PyUnicode_New` and a copy, skipping the UTF-8 decoder.
pub(crate) fn ascii_str<'py>(py: Python<'py>, b: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    debug_assert!(b.is_ascii());
    let len = ffi::Py_ssize_t::try_from(b.len())?;
    // SAFETY: PyUnicode_New(len, 127) returns a new compact ASCII str with room for `len` bytes
    // (or NULL with an exception set); nothing else holds it before we fill it.
    unsafe {
        let obj = Bound::from_owned_ptr_or_err(py, ffi::PyUnicode_New(len, 127))?;
        if len > 0 {
            std::ptr::copy_nonoverlapping(b.as_ptr(), ffi::PyUnicode_DATA(obj.as_ptr()).cast::<u8>(), b.len());
        }
        Ok(obj)
    }
}

/// A str from (generalized) UTF-8 text; `surrogates` text is read back with `surrogatepass`.
pub(crate) fn text_str<'py>(py: Python<'py>, b: &[u8], surrogates: bool) -> PyResult<Bound<'py, PyAny>> {
    if b.is_ascii() {
        return ascii_str(py, b);
    }
    let len = ffi::Py_ssize_t::try_from(b.len())?;
    let errors = if surrogates { c"surrogatepass".as_ptr() } else { std::ptr::null() };
    // SAFETY: pointer and length describe `b`; the decoder copies the data.
    unsafe { Bound::from_owned_ptr_or_err(py, ffi::PyUnicode_DecodeUTF8(b.as_ptr().cast(), len, errors)) }
}

/// `(a, b)` without going through an iterator.
pub(crate) fn pair<'py>(py: Python<'py>, a: Bound<'py, PyAny>, b: Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    // SAFETY: a fresh 2-tuple is filled exactly once per slot with owned references.
    unsafe {
        let t = Bound::from_owned_ptr_or_err(py, ffi::PyTuple_New(2))?;
        ffi::PyTuple_SET_ITEM(t.as_ptr(), 0, a.into_ptr());
        ffi::PyTuple_SET_ITEM(t.as_ptr(), 1, b.into_ptr());
        Ok(t)
    }
}

/// Truthiness for the argument types the native path handles (None, bool, int); `None` asks the
/// caller to fall back to stdlib, which evaluates anything else itself.
fn flag(o: Option<&Bound<'_, PyAny>>) -> Option<bool> {
    match o {
        None => Some(false),
        Some(o) if o.is_none() => Some(false),
        Some(o) => {
            if let Ok(b) = o.cast::<PyBool>() {
                Some(b.is_true())
            } else if o.is_exact_instance_of::<PyInt>() {
                o.is_truthy().ok()
            } else {
                None
            }
        }
    }
}

fn stdlib<'py>(py: Python<'py>, cell: &'static PyOnceLock<Py<PyAny>>, module: &str, name: &str) -> PyResult<Bound<'py, PyAny>> {
    Ok(cell.import(py, module, name)?.clone())
}

static PARSE_QSL: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static PARSE_QS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static URLENCODE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static QUOTE_PLUS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static QUOTE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

// ---------------------------------------------------------------------------------------------
// parse_qsl / parse_qs

#[derive(Clone, Copy, PartialEq, Eq)]
enum Out {
    Str,
    Bytes,
}

struct QsParams<'a, 'py> {
    sep: &'a [u8],
    keep_blank: bool,
    strict: bool,
    /// `Some(handler)` when the encoding is UTF-8: decode natively, through Python's codec only
    /// for invalid UTF-8 the handler is not implemented for. `None`: Python's codec for every
    /// field with a `%`, as stdlib does.
    native: Option<Errors>,
    encoding: Bound<'py, PyAny>,
    errors: Bound<'py, PyAny>,
    out: Out,
}

/// stdlib's `unquote(s, encoding, errors)` for a str with a `%`: each ASCII run is unquoted to
/// bytes and decoded by the codec, other characters are copied.
fn unquote_via_codec<'py>(py: Python<'py>, raw: &[u8], p: &QsParams<'_, 'py>) -> PyResult<Bound<'py, PyAny>> {
    let replaced: Vec<u8> = raw.iter().map(|&b| if b == b'+' { b' ' } else { b }).collect();
    let pieces = PyList::empty(py);
    let mut bytes = Vec::new();
    for (ascii, run) in query::ascii_runs(&replaced) {
        if ascii {
            bytes.clear();
            query::unquote_to_bytes_into(run, false, &mut bytes);
            pieces.append(PyBytes::new(py, &bytes).call_method1(intern!(py, "decode"), (&p.encoding, &p.errors))?)?;
        } else {
            pieces.append(text_str(py, run, false)?)?;
        }
    }
    PyString::new(py, "").call_method1(intern!(py, "join"), (pieces,))
}

fn decode_part<'py>(py: Python<'py>, raw: &[u8], p: &QsParams<'_, 'py>) -> PyResult<Bound<'py, PyAny>> {
    let native = match p.native {
        Some(errors) => unquote_plus(raw, errors).ok(),
        None if !raw.contains(&b'%') => unquote_plus(raw, Errors::Replace).ok(),
        None => None,
    };
    let text = match native {
        Some(u) => {
            if p.out == Out::Bytes && u.text.is_ascii() {
                return Ok(PyBytes::new(py, &u.text).into_any());
            }
            text_str(py, &u.text, u.surrogates)?
        }
        None => unquote_via_codec(py, raw, p)?,
    };
    match p.out {
        Out::Str => Ok(text),
        // stdlib encodes each result with ASCII/strict: raises UnicodeEncodeError exactly as it does.
        Out::Bytes => text.call_method1(intern!(py, "encode"), ("ascii",)),
    }
}

fn parse_fields<'py>(
    py: Python<'py>,
    text: &[u8],
    p: &QsParams<'_, 'py>,
    mut emit: impl FnMut(Bound<'py, PyAny>, Bound<'py, PyAny>) -> PyResult<()>,
) -> PyResult<()> {
    if text.is_empty() {
        return Ok(());
    }
    for field in Split::new(text, p.sep) {
        match classify(field, p.keep_blank, p.strict) {
            Field::Skip => {}
            Field::Bad(f) => return Err(HttpError::BadQueryField(f.to_vec()).into()),
            Field::Pair(name, value) => {
                let name = decode_part(py, name, p)?;
                let value = decode_part(py, value, p)?;
                emit(name, value)?;
            }
        }
    }
    Ok(())
}

/// The input of a native parse: the text as UTF-8 bytes (borrowed from the str or bytes).
struct Prepared<'a, 'py> {
    text: &'a [u8],
    params: QsParams<'a, 'py>,
}

#[allow(clippy::too_many_arguments)]
fn prepare_qs<'a, 'py>(
    py: Python<'py>,
    qs: &'a Bound<'py, PyAny>,
    keep_blank_values: Option<&Bound<'py, PyAny>>,
    strict_parsing: Option<&Bound<'py, PyAny>>,
    encoding: Option<&Bound<'py, PyAny>>,
    errors: Option<&Bound<'py, PyAny>>,
    max_num_fields: Option<&Bound<'py, PyAny>>,
    separator: &'a Arg<'py>,
) -> PyResult<Option<Prepared<'a, 'py>>> {
    // Order of checks follows stdlib: coerce qs, coerce separator, validate separator, count.
    let (text, out): (&[u8], Out) = if qs.is_exact_instance_of::<PyString>() {
        // SAFETY of the cast: exact type checked just above.
        match unsafe { qs.cast_unchecked::<PyString>() }.to_str() {
            Ok(s) => (s.as_bytes(), Out::Str),
            Err(_) => return Ok(None), // lone surrogates: stdlib's own path
        }
    } else if qs.is_exact_instance_of::<PyBytes>() {
        // SAFETY of the cast: exact type checked just above.
        let b = unsafe { qs.cast_unchecked::<PyBytes>() }.as_bytes();
        if !b.is_ascii() {
            return Ok(None); // stdlib raises UnicodeDecodeError (ascii)
        }
        (b, Out::Bytes)
    } else {
        return Ok(None);
    };
    let sep: &[u8] = match separator {
        Arg::Default => b"&",
        Arg::Given(s) => {
            if let Ok(s) = s.cast::<PyString>() {
                match s.to_str() {
                    Ok(s) => s.as_bytes(),
                    Err(_) => return Ok(None),
                }
            } else if let Ok(b) = s.cast::<PyBytes>() {
                let b = b.as_bytes();
                if !b.is_ascii() {
                    return Ok(None);
                }
                b
            } else if s.is_none() {
                b""
            } else {
                return Ok(None);
            }
        }
    };
    if sep.is_empty() {
        return Err(HttpError::BadSeparator.into());
    }
    if let Some(max) = max_num_fields.filter(|m| !m.is_none()) {
        if !(max.is_exact_instance_of::<PyInt>() || max.is_instance_of::<PyBool>()) {
            return Ok(None);
        }
        let Ok(max) = max.extract::<i64>() else { return Ok(None) };
        let n = i64::try_from(count_fields(text, sep)).unwrap_or(i64::MAX);
        if max < n {
            return Err(HttpError::TooManyQueryFields.into());
        }
    }
    let (Some(keep_blank), Some(strict)) = (flag(keep_blank_values), flag(strict_parsing)) else {
        return Ok(None);
    };
    // `unquote` turns None into its defaults.
    let encoding = match encoding {
        Some(e) if !e.is_none() => e.clone(),
        _ => intern!(py, "utf-8").clone().into_any(),
    };
    let errors = match errors {
        Some(e) if !e.is_none() => e.clone(),
        _ => intern!(py, "replace").clone().into_any(),
    };
    let utf8 = encoding.cast::<PyString>().ok().and_then(|e| e.to_str().ok().map(query::is_utf8_name)).unwrap_or(false);
    // A non-str `errors` makes every decode call raise TypeError: keep every '%' field on the codec.
    let handler = errors.cast::<PyString>().ok().and_then(|e| e.to_str().ok().map(Errors::from_name));
    let native = match (utf8, handler) {
        (true, Some(h)) => Some(h),
        _ => None,
    };
    Ok(Some(Prepared { text, params: QsParams { sep, keep_blank, strict, native, encoding, errors, out } }))
}

/// Re-raise stdlib's plain `ValueError` as `QueryStringError` (still a `ValueError`).
fn retype_value_error(py: Python<'_>, err: PyErr) -> PyErr {
    if err.get_type(py).is(PyValueError::type_object(py)) {
        let new = crate::errors::QUERY_STRING_ERROR.err(py, (err.value(py).str().map(|s| s.to_string()).unwrap_or_default(),));
        new.set_cause(py, Some(err));
        new
    } else {
        err
    }
}

#[allow(clippy::too_many_arguments)]
fn call_stdlib_qs<'py>(
    py: Python<'py>,
    cell: &'static PyOnceLock<Py<PyAny>>,
    name: &str,
    qs: &Bound<'py, PyAny>,
    keep_blank_values: Option<&Bound<'py, PyAny>>,
    strict_parsing: Option<&Bound<'py, PyAny>>,
    encoding: Option<&Bound<'py, PyAny>>,
    errors: Option<&Bound<'py, PyAny>>,
    max_num_fields: Option<&Bound<'py, PyAny>>,
    separator: &Arg<'py>,
) -> PyResult<Bound<'py, PyAny>> {
    let f = stdlib(py, cell, "urllib.parse", name)?;
    let kw = PyDict::new(py);
    if let Some(k) = keep_blank_values {
        kw.set_item("keep_blank_values", k)?;
    }
    if let Some(s) = strict_parsing {
        kw.set_item("strict_parsing", s)?;
    }
    if let Some(e) = encoding {
        kw.set_item("encoding", e)?;
    }
    if let Some(e) = errors {
        kw.set_item("errors", e)?;
    }
    if let Some(m) = max_num_fields {
        kw.set_item("max_num_fields", m)?;
    }
    if let Arg::Given(s) = separator {
        kw.set_item("separator", s)?;
    }
    f.call((qs,), Some(&kw)).map_err(|e| retype_value_error(py, e))
}

#[pyfunction]
#[pyo3(signature = (qs, keep_blank_values=None, strict_parsing=None, encoding=None, errors=None, max_num_fields=None, separator=Arg::Default))]
#[pyo3(text_signature = "(qs, keep_blank_values=False, strict_parsing=False, encoding='utf-8', errors='replace', max_num_fields=None, separator='&')")]
#[allow(clippy::too_many_arguments)]
pub fn http_parse_qsl<'py>(
    py: Python<'py>,
    qs: &Bound<'py, PyAny>,
    keep_blank_values: Option<&Bound<'py, PyAny>>,
    strict_parsing: Option<&Bound<'py, PyAny>>,
    encoding: Option<&Bound<'py, PyAny>>,
    errors: Option<&Bound<'py, PyAny>>,
    max_num_fields: Option<&Bound<'py, PyAny>>,
    separator: Arg<'py>,
) -> PyResult<Bound<'py, PyAny>> {
    guard(py, || {
        let Some(prep) = prepare_qs(py, qs, keep_blank_values, strict_parsing, encoding, errors, max_num_fields, &separator)? else {
            return call_stdlib_qs(py, &PARSE_QSL, "parse_qsl", qs, keep_blank_values, strict_parsing, encoding, errors, max_num_fields, &separator);
        };
        let mut items = Vec::new();
        parse_fields(py, prep.text, &prep.params, |n, v| {
            items.push(pair(py, n, v)?);
            Ok(())
        })?;
        Ok(PyList::new(py, items)?.into_any())
    })
}

#[pyfunction]
#[pyo3(signature = (qs, keep_blank_values=None, strict_parsing=None, encoding=None, errors=None, max_num_fields=None, separator=Arg::Default))]
#[pyo3(text_signature = "(qs, keep_blank_values=False, strict_parsing=False, encoding='utf-8', errors='replace', max_num_fields=None, separator='&')")]
#[allow(clippy::too_many_arguments)]
pub fn http_parse_qs<'py>(
    py: Python<'py>,
    qs: &Bound<'py, PyAny>,
    keep_blank_values: Option<&Bound<'py, PyAny>>,
    strict_parsing: Option<&Bound<'py, PyAny>>,
    encoding: Option<&Bound<'py, PyAny>>,
    errors: Option<&Bound<'py, PyAny>>,
    max_num_fields: Option<&Bound<'py, PyAny>>,
    separator: Arg<'py>,
) -> PyResult<Bound<'py, PyAny>> {
    guard(py, || {
        let Some(prep) = prepare_qs(py, qs, keep_blank_values, strict_parsing, encoding, errors, max_num_fields, &separator)? else {
            return call_stdlib_qs(py, &PARSE_QS, "parse_qs", qs, keep_blank_values, strict_parsing, encoding, errors, max_num_fields, &separator);
        };
        let dict = PyDict::new(py);
        parse_fields(py, prep.text, &prep.params, |n, v| append_to_dict(&dict, n, v))?;
        Ok(dict.into_any())
    })
}

fn append_to_dict<'py>(dict: &Bound<'py, PyDict>, name: Bound<'py, PyAny>, value: Bound<'py, PyAny>) -> PyResult<()> {
    match dict.get_item(&name)? {
        // Only this function fills the dict, so every value is a list.
        Some(list) => list.cast::<PyList>()?.append(value),
        None => dict.set_item(name, PyList::new(dict.py(), [value])?),
    }
}

// ---------------------------------------------------------------------------------------------
// parse_form

#[pyfunction]
#[pyo3(signature = (body, /, *, max_fields=Some(1000), max_size=Some(2_621_440), encoding="utf-8", keep_blank_values=true))]
#[pyo3(text_signature = "(body, /, *, max_fields=1000, max_size=2621440, encoding='utf-8', keep_blank_values=True)")]
pub fn http_parse_form<'py>(
    py: Python<'py>,
    body: &Bound<'py, PyAny>,
    max_fields: Option<usize>,
    max_size: Option<usize>,
    encoding: &str,
    keep_blank_values: bool,
) -> PyResult<Bound<'py, PyAny>> {
    guard(py, || {
        let owned;
        let raw: &[u8] = if let Ok(b) = body.cast::<PyBytes>() {
            b.as_bytes()
        } else if let Ok(b) = body.cast::<PyByteArray>() {
            owned = b.to_vec();
            &owned
        } else {
            return Err(PyTypeError::new_err(format!(
                "parse_form() expects bytes or bytearray, not {}",
                body.get_type().name()?
            )));
        };
        // Both limits are checked on the raw body before any work: time and memory stay bounded.
        if let Some(max) = max_size {
            if raw.len() > max {
                return Err(HttpError::FormTooLarge { size: raw.len(), max }.into());
            }
        }
        if let Some(max) = max_fields {
            let n = count_fields(raw, b"&");
            if n > max {
                return Err(HttpError::FormTooManyFields { count: n, max }.into());
            }
        }
        let encoding_obj = PyString::new(py, encoding).into_any();
        let mut params = QsParams {
            sep: b"&",
            keep_blank: keep_blank_values,
            strict: false,
            native: Some(Errors::Replace),
            encoding: encoding_obj.clone(),
            errors: intern!(py, "replace").clone().into_any(),
            out: Out::Str,
        };
        let mut items = Vec::new();
        let mut emit = |n, v| {
            items.push(pair(py, n, v)?);
            Ok(())
        };
        if query::is_utf8_name(encoding) {
            match std::str::from_utf8(raw) {
                Ok(_) => parse_fields(py, raw, &params, &mut emit)?,
                Err(_) => {
                    // Django's QueryDict: a body that is not valid in the charset is read as latin-1.
                    let mut text = Vec::with_capacity(raw.len() * 2);
                    for &b in raw {
                        query::push_code_point(&mut text, u32::from(b));
                    }
                    parse_fields(py, &text, &params, &mut emit)?;
                }
            }
        } else {
            params.native = None;
            let bytes = PyBytes::new(py, raw);
            let text = match bytes.call_method1(intern!(py, "decode"), (&encoding_obj,)) {
                Ok(t) => t,
                Err(e) if e.is_instance_of::<pyo3::exceptions::PyUnicodeDecodeError>(py) => {
                    bytes.call_method1(intern!(py, "decode"), ("latin-1",))?
                }
                Err(e) => return Err(e),
            };
            let text = text.cast_into::<PyString>()?;
            match text.to_str() {
                Ok(s) => parse_fields(py, s.as_bytes(), &params, &mut emit)?,
                Err(_) => {
                    // A codec produced lone surrogates: let stdlib parse that text.
                    let kw = PyDict::new(py);
                    kw.set_item("keep_blank_values", keep_blank_values)?;
                    kw.set_item("encoding", &encoding_obj)?;
                    return stdlib(py, &PARSE_QSL, "urllib.parse", "parse_qsl")?.call((text,), Some(&kw));
                }
            }
        }
        Ok(PyList::new(py, items)?.into_any())
    })
}

// ---------------------------------------------------------------------------------------------
// parse_cookie

#[pyfunction]
#[pyo3(signature = (cookie, *, max_size=None, max_cookies=None))]
pub fn http_parse_cookie<'py>(
    py: Python<'py>,
    cookie: &Bound<'py, PyString>,
    max_size: Option<usize>,
    max_cookies: Option<usize>,
) -> PyResult<Bound<'py, PyDict>> {
    guard(py, || {
        if let Some(max) = max_size {
            let len = cookie.len()?;
            if len > max {
                return Err(HttpError::CookieTooLarge { size: len, max }.into());
            }
        }
        let wtf8;
        let (text, surrogates): (&[u8], bool) = match cookie.to_str() {
            Ok(s) => (s.as_bytes(), false),
            Err(_) => {
                // Lone surrogates: work on their `surrogatepass` bytes and read them back the same way.
                wtf8 = cookie.call_method1(intern!(py, "encode"), ("utf-8", "surrogatepass"))?.cast_into::<PyBytes>()?;
                (wtf8.as_bytes(), true)
            }
        };
        if let Some(max) = max_cookies {
            let n = cookie::count_chunks(text);
            if n > max {
                return Err(HttpError::TooManyCookies { count: n, max }.into());
            }
        }
        let dict = PyDict::new(py);
        // One scan of the header spares one per name and value; only octal escapes can then
        // produce non-ASCII text.
        let ascii = text.is_ascii();
        for (key, value) in cookie::parse(text) {
            let key = if ascii { ascii_str(py, key)? } else { text_str(py, key, surrogates)? };
            let value = match value {
                std::borrow::Cow::Borrowed(v) if ascii => ascii_str(py, v)?,
                v => text_str(py, &v, surrogates)?,
            };
            // SAFETY: both pointers are valid owned objects for the duration of the call;
            // PyDict_SetItem takes its own references.
            if unsafe { ffi::PyDict_SetItem(dict.as_ptr(), key.as_ptr(), value.as_ptr()) } < 0 {
                return Err(PyErr::fetch(py));
            }
        }
        Ok(dict)
    })
}

// ---------------------------------------------------------------------------------------------
// urlencode

/// `str(x)`, with exact strs passed through.
fn to_str<'py>(x: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyString>> {
    if x.is_exact_instance_of::<PyString>() {
        // SAFETY of the cast: exact type checked just above.
        Ok(unsafe { x.cast_unchecked::<PyString>() }.clone())
    } else {
        x.str()
    }
}

/// `quote_via(str_or_bytes, safe)` appended to `out`. Strs are encoded as UTF-8/strict: a str
/// with lone surrogates raises the UnicodeEncodeError stdlib raises.
fn quote_str(q: &Quoter, s: &Bound<'_, PyString>, out: &mut Vec<u8>) -> PyResult<()> {
    match s.to_str() {
        Ok(text) => {
            q.quote_into(text.as_bytes(), out);
            Ok(())
        }
        Err(_) => {
            s.call_method1(intern!(s.py(), "encode"), ("utf-8", "strict"))?;
            Err(PyValueError::new_err("unencodable str"))
        }
    }
}

/// A key or a non-sequence value: bytes as they are, anything else through `str()`.
fn quote_scalar(q: &Quoter, x: &Bound<'_, PyAny>, out: &mut Vec<u8>) -> PyResult<()> {
    if let Ok(b) = x.cast::<PyBytes>() {
        q.quote_into(b.as_bytes(), out);
        Ok(())
    } else {
        quote_str(q, &to_str(x)?, out)
    }
}

fn push_key(out: &mut Vec<u8>, key: &[u8]) {
    if !out.is_empty() {
        out.push(b'&');
    }
    out.extend_from_slice(key);
    out.push(b'=');
}

fn encode_pair(q: &Quoter, doseq: bool, k: &Bound<'_, PyAny>, v: &Bound<'_, PyAny>, key: &mut Vec<u8>, out: &mut Vec<u8>) -> PyResult<()> {
    key.clear();
    quote_scalar(q, k, key)?;
    if !doseq {
        push_key(out, key);
        return quote_scalar(q, v, out);
    }
    if let Ok(b) = v.cast::<PyBytes>() {
        push_key(out, key);
        q.quote_into(b.as_bytes(), out);
        return Ok(());
    }
    if let Ok(s) = v.cast::<PyString>() {
        push_key(out, key);
        return quote_str(q, s, out);
    }
    // Types known to have no len(): skip raising and catching the TypeError.
    let scalar = v.is_none() || v.is_exact_instance_of::<PyInt>() || v.is_exact_instance_of::<PyFloat>() || v.is_instance_of::<PyBool>();
    let is_sequence = !scalar
        && match v.len() {
            Ok(_) => true,
            Err(e) if e.is_instance_of::<PyTypeError>(v.py()) => false,
            Err(e) => return Err(e),
        };
    if !is_sequence {
        push_key(out, key);
        return quote_str(q, &v.str()?, out);
    }
    for elt in v.try_iter()? {
        push_key(out, key);
        quote_scalar(q, &elt?, out)?;
    }
    Ok(())
}

#[pyfunction]
#[pyo3(signature = (query, doseq=None, safe=Arg::Default, encoding=None, errors=None, quote_via=Arg::Default))]
#[pyo3(text_signature = "(query, doseq=False, safe='', encoding=None, errors=None, quote_via=quote_plus)")]
pub fn http_urlencode<'py>(
    py: Python<'py>,
    query: &Bound<'py, PyAny>,
    doseq: Option<&Bound<'py, PyAny>>,
    safe: Arg<'py>,
    encoding: Option<&Bound<'py, PyAny>>,
    errors: Option<&Bound<'py, PyAny>>,
    quote_via: Arg<'py>,
) -> PyResult<Bound<'py, PyAny>> {
    guard(py, || {
        let plus = match &quote_via {
            Arg::Default => Some(true),
            Arg::Given(f) if f.is(stdlib(py, &QUOTE_PLUS, "urllib.parse", "quote_plus")?) => Some(true),
            Arg::Given(f) if f.is(stdlib(py, &QUOTE, "urllib.parse", "quote")?) => Some(false),
            Arg::Given(_) => None,
        };
        let safe_bytes: Option<Vec<u8>> = match &safe {
            Arg::Default => Some(Vec::new()),
            Arg::Given(s) => {
                if let Ok(b) = s.cast::<PyBytes>() {
                    Some(b.as_bytes().to_vec())
                } else if let Ok(s) = s.cast::<PyString>() {
                    s.to_str().ok().map(|s| s.as_bytes().to_vec())
                } else {
                    None
                }
            }
        };
        let plain_codec = encoding.is_none_or(|e| e.is_none()) && errors.is_none_or(|e| e.is_none());
        // Items are validated before any of them is converted, so falling back has no side effects.
        let items: Option<Bound<'py, PyList>> = if let Ok(d) = query.cast_exact::<PyDict>() {
            Some(d.items())
        } else if let Some(list) = query
            .cast_exact::<PyList>()
            .ok()
            .map(|l| l.get_slice(0, l.len()))
            .or_else(|| query.cast_exact::<PyTuple>().ok().map(|t| t.to_list()))
        {
            let ok = list.iter().all(|it| it.cast_exact::<PyTuple>().is_ok_and(|t| t.len() == 2));
            ok.then_some(list)
        } else {
            None
        };
        let (Some(plus), Some(safe_bytes), true, Some(items), Some(doseq)) = (plus, safe_bytes, plain_codec, items, flag(doseq)) else {
            let args = (
                query,
                doseq.cloned().unwrap_or_else(|| PyBool::new(py, false).to_owned().into_any()),
                match &safe {
                    Arg::Default => PyString::new(py, "").into_any(),
                    Arg::Given(s) => s.clone(),
                },
                encoding,
                errors,
                match &quote_via {
                    Arg::Default => stdlib(py, &QUOTE_PLUS, "urllib.parse", "quote_plus")?,
                    Arg::Given(f) => f.clone(),
                },
            );
            return stdlib(py, &URLENCODE, "urllib.parse", "urlencode")?.call1(args);
        };
        let quoter = Quoter::new(&safe_bytes, plus);
        let mut out = Vec::new();
        let mut key = Vec::new();
        for item in items.iter() {
            let t = item.cast_into::<PyTuple>()?;
            encode_pair(&quoter, doseq, &t.get_item(0)?, &t.get_item(1)?, &mut key, &mut out)?;
        }
        ascii_str(py, &out)
    })
}
