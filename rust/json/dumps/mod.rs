//! `dumps`: Python objects to JSON text, written straight into the result `bytes` object.
//! Output is byte for byte stdlib `json.dumps(obj, separators=(",", ":"), allow_nan=False)`
//! (or its `indent=` layout) for everything stdlib accepts; datetime, UUID, Decimal, Enum and
//! dataclasses are written natively (datetimes with orjson's text).

mod escape;
mod number;
mod ser;
mod types;
mod writer;

use pyo3::exceptions::PyTypeError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString, PyTuple, PyType};

pub use ser::MAX_DEPTH;
use ser::Ser;
use writer::Writer;

struct Options<'a, 'py> {
    default: Option<&'a Bound<'py, PyAny>>,
    passthrough: Option<&'a Bound<'py, PyTuple>>,
    sort_keys: bool,
    indent: Option<&'a Bound<'py, PyAny>>,
    nan_as_null: bool,
    ensure_ascii: bool,
    str_output: bool,
}

/// One level of indentation as stdlib builds it: `" " * indent` for an int, the str itself.
fn indent_unit(indent: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(s) = indent.cast::<PyString>() {
        return Ok(s.to_str()?.as_bytes().to_vec());
    }
    if indent.is_instance_of::<pyo3::types::PyInt>() {
        let n: i64 = indent.extract()?;
        let n = usize::try_from(n).unwrap_or(0);
        let mut v = Vec::new();
        v.try_reserve_exact(n).map_err(|_| pyo3::exceptions::PyMemoryError::new_err("indent too large"))?;
        v.resize(n, b' ');
        return Ok(v);
    }
    Err(PyTypeError::new_err(format!(
        "indent must be None, an int or a str, not {}",
        indent.get_type().name()?
    )))
}

/// `passthrough=` must be a tuple of classes; an empty one is the same as none.
fn passthrough_types(p: Option<&Bound<'_, PyTuple>>) -> PyResult<*mut ffi::PyObject> {
    let Some(p) = p.filter(|p| !p.is_empty()) else {
        return Ok(std::ptr::null_mut());
    };
    for item in p.iter() {
        if !item.is_instance_of::<PyType>() {
            return Err(PyTypeError::new_err(format!(
                "passthrough must be a tuple of types, not one holding {}",
                item.get_type().name()?
            )));
        }
    }
    Ok(p.as_ptr())
}

/// The written buffer and whether non-ASCII bytes went into it (only these leave the
/// serializer: moving the whole `Ser` out cost a visible share of a small `dumps`).
fn serialize<'py>(py: Python<'py>, obj: &Bound<'py, PyAny>, opts: &Options<'_, 'py>) -> PyResult<(Writer<'py>, bool)> {
    let mut ser = Ser {
        py,
        w: Writer::new(py)?,
        default: opts.default.filter(|d| !d.is_none()).map_or(std::ptr::null_mut(), |d| d.as_ptr()),
        passthrough: passthrough_types(opts.passthrough)?,
        indent: Vec::new(),
        level: 0,
        depth: 0,
        sort_keys: opts.sort_keys,
        nan_as_null: opts.nan_as_null,
        ensure_ascii: opts.ensure_ascii,
        str_output: opts.str_output,
        nonascii: false,
        overflow: false,
        stack_low: false,
        chain: Vec::new(),
    };
    let pretty = match opts.indent {
        Some(i) if !i.is_none() => {
            ser.indent = indent_unit(i)?;
            ser.nonascii = !ser.indent.is_ascii();
            true
        }
        _ => false,
    };
    let r = unsafe {
        if pretty {
            ser.value::<true>(obj.as_ptr())
        } else {
            ser.value::<false>(obj.as_ptr())
        }
    };
    match r {
        Ok(()) => Ok((ser.w, ser.nonascii)),
        Err(_) if ser.overflow => Err(ser.depth_error()),
        Err(ser::Fail(e)) => Err(*e),
    }
}

fn to_str<'py>(py: Python<'py>, w: Writer<'py>, nonascii: bool) -> PyResult<Bound<'py, PyString>> {
    let bytes = w.as_slice();
    unsafe {
        let s = if nonascii {
            // Lone surrogates were written in their 3-byte form: give them back as they were.
            ffi::PyUnicode_DecodeUTF8(bytes.as_ptr() as *const _, bytes.len() as ffi::Py_ssize_t, c"surrogatepass".as_ptr())
        } else {
            let s = ffi::PyUnicode_New(bytes.len() as ffi::Py_ssize_t, 127);
            if !s.is_null() {
                std::ptr::copy_nonoverlapping(bytes.as_ptr(), ffi::PyUnicode_DATA(s) as *mut u8, bytes.len());
            }
            s
        };
        if s.is_null() {
            return Err(PyErr::fetch(py));
        }
        Ok(Bound::from_owned_ptr(py, s).cast_into_unchecked())
    }
}

/// Serialize `obj` to JSON `bytes` (`newline`: followed by `\n`, written into the same object,
/// as Flask's responses end; `dumps(obj) + b"\n"` would copy the whole text once more).
#[pyfunction]
#[pyo3(signature = (obj, /, *, default = None, sort_keys = false, indent = None, nan_as_null = false, ensure_ascii = false, passthrough = None, newline = false))]
#[allow(clippy::too_many_arguments)]
pub fn json_dumps<'py>(
    py: Python<'py>,
    obj: &Bound<'py, PyAny>,
    default: Option<&Bound<'py, PyAny>>,
    sort_keys: bool,
    indent: Option<&Bound<'py, PyAny>>,
    nan_as_null: bool,
    ensure_ascii: bool,
    passthrough: Option<&Bound<'py, PyTuple>>,
    newline: bool,
) -> PyResult<Bound<'py, PyBytes>> {
    crate::errors::guard(py, || {
        let opts = Options { default, passthrough, sort_keys, indent, nan_as_null, ensure_ascii, str_output: false };
        let (mut w, _) = serialize(py, obj, &opts)?;
        if newline {
            w.write(b"\n").map_err(|ser::Fail(e)| *e)?;
        }
        w.finish()
    })
}

/// Serialize `obj` to a JSON `str` (same text as `json_dumps(...).decode()`).
#[pyfunction]
#[pyo3(signature = (obj, /, *, default = None, sort_keys = false, indent = None, nan_as_null = false, ensure_ascii = false, passthrough = None))]
pub fn json_dumps_str<'py>(
    py: Python<'py>,
    obj: &Bound<'py, PyAny>,
    default: Option<&Bound<'py, PyAny>>,
    sort_keys: bool,
    indent: Option<&Bound<'py, PyAny>>,
    nan_as_null: bool,
    ensure_ascii: bool,
    passthrough: Option<&Bound<'py, PyTuple>>,
) -> PyResult<Bound<'py, PyString>> {
    crate::errors::guard(py, || {
        let opts = Options { default, passthrough, sort_keys, indent, nan_as_null, ensure_ascii, str_output: true };
        let (w, nonascii) = serialize(py, obj, &opts)?;
        to_str(py, w, nonascii)
    })
}
