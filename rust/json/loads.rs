//! `loads`: RFC 8259 JSON to Python objects in one pass, without an intermediate tree.
//! This file is the edge: it takes the input's bytes, runs the parser, and turns its errors into
//! `webaccel.json.JSONDecodeError` (positions counted in characters of the input as text).

mod number;
mod parser;
mod pow5;
mod pystr;
mod scan;

use std::os::raw::c_char;

use pyo3::exceptions::PyValueError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::errors::{guard, JSON_DECODE_ERROR};
use parser::ErrorKind;

pub const DEFAULT_MAX_DEPTH: usize = 1024;
const MAX_DEPTH_LIMIT: usize = 10_000;

/// The `max_depth` argument: containers may nest this deep (1..=10_000).
pub struct MaxDepth(usize);

impl<'a, 'py> FromPyObject<'a, 'py> for MaxDepth {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        let invalid = || PyValueError::new_err(format!("max_depth must be an int between 1 and {MAX_DEPTH_LIMIT}"));
        let depth: i64 = obj.extract().map_err(|e: PyErr| if e.is_instance_of::<pyo3::exceptions::PyOverflowError>(obj.py()) { invalid() } else { e })?;
        if (1..=MAX_DEPTH_LIMIT as i64).contains(&depth) {
            Ok(MaxDepth(depth as usize))
        } else {
            Err(invalid())
        }
    }
}

/// The input's bytes, kept alive (and, for buffers, locked against resizing) while parsing.
enum Input {
    Str,
    Bytes,
    Buffer(Box<ffi::Py_buffer>),
}

impl Drop for Input {
    fn drop(&mut self) {
        if let Input::Buffer(view) = self {
            // SAFETY: the view was filled by a successful PyObject_GetBuffer.
            unsafe { ffi::PyBuffer_Release(&mut **view) };
        }
    }
}

/// Parse JSON (`bytes`, `bytearray`, `memoryview` or `str`) into Python objects.
#[pyfunction]
#[pyo3(signature = (data, /, *, max_depth = MaxDepth(DEFAULT_MAX_DEPTH)), text_signature = "(data, /, *, max_depth=1024)")]
pub fn json_loads<'py>(py: Python<'py>, data: &Bound<'py, PyAny>, max_depth: MaxDepth) -> PyResult<Bound<'py, PyAny>> {
    guard(py, || loads(py, data, max_depth.0))
}

fn loads<'py>(py: Python<'py>, data: &Bound<'py, PyAny>, max_depth: usize) -> PyResult<Bound<'py, PyAny>> {
    let op = data.as_ptr();
    let (input, ptr, len) = unsafe {
        if ffi::PyBytes_Check(op) != 0 {
            (Input::Bytes, ffi::PyBytes_AS_STRING(op) as *const u8, ffi::Py_SIZE(op) as usize)
        } else if ffi::PyUnicode_Check(op) != 0 {
            let mut size: ffi::Py_ssize_t = 0;
            let p = ffi::PyUnicode_AsUTF8AndSize(op, &mut size);
            if p.is_null() {
                return Err(surrogate_error(py, data));
            }
            (Input::Str, p as *const u8, size as usize)
        } else if ffi::PyByteArray_Check(op) != 0 || ffi::PyMemoryView_Check(op) != 0 {
            let mut view: Box<ffi::Py_buffer> = Box::new(std::mem::zeroed());
            if ffi::PyObject_GetBuffer(op, &mut *view, ffi::PyBUF_C_CONTIGUOUS) != 0 {
                let err = PyErr::fetch(py);
                let msg = format!("Input buffer must be C-contiguous bytes ({})", err.value(py));
                return Err(decode_error(py, msg, PyString::new(py, ""), 0));
            }
            let (p, n) = (view.buf as *const u8, view.len as usize);
            (Input::Buffer(view), p, n)
        } else {
            let msg = "Input must be bytes, bytearray, memoryview, or str".to_owned();
            return Err(decode_error(py, msg, PyString::new(py, ""), 0));
        }
    };
    // SAFETY: the object (and the buffer export, for buffers) outlives `input`, which outlives
    // every use of `bytes`.
    let bytes: &[u8] = if len == 0 { &[] } else { unsafe { std::slice::from_raw_parts(ptr, len) } };
    // stdlib skips a UTF-8 BOM in bytes and refuses one in str.
    let bom = if !matches!(input, Input::Str) && bytes.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
    let text = &bytes[bom..];
    if matches!(input, Input::Str) && text.starts_with(b"\xEF\xBB\xBF") {
        return Err(decode_error(py, "Unexpected UTF-8 BOM (decode using utf-8-sig)".to_owned(), data.clone(), 0));
    }
    let result = parser::parse(py, text, max_depth);
    match result {
        Ok(obj) => Ok(obj),
        Err(err) => match *err.0 {
            ErrorKind::Python(e) => Err(e),
            ErrorKind::Syntax(msg, pos) => {
                let (doc, char_pos) = match input {
                    Input::Str => (data.clone(), utf8_char_count(&text[..pos])),
                    _ => {
                        let doc = decode_replace(py, text)?;
                        let char_pos = decode_replace(py, &text[..pos])?.len()?;
                        (doc.into_any(), char_pos)
                    }
                };
                drop(input);
                Err(decode_error(py, msg, doc, char_pos))
            }
        },
    }
}

/// Parse UTF-8 JSON bytes for another area of the crate (auth parses JWT headers and claims).
/// A syntax error comes back as `Err(Ok(message))`, a Python exception as `Err(Err(e))`.
pub fn loads_slice<'py>(py: Python<'py>, data: &[u8], max_depth: usize) -> Result<Bound<'py, PyAny>, PyResult<String>> {
    parser::parse(py, data, max_depth).map_err(|err| match *err.0 {
        ErrorKind::Python(e) => Err(e),
        ErrorKind::Syntax(msg, pos) => Ok(format!("{msg}: byte {pos}")),
    })
}

fn decode_error<'py>(py: Python<'py>, msg: String, doc: Bound<'py, impl Sized>, pos: usize) -> PyErr {
    JSON_DECODE_ERROR.err(py, (msg, doc.into_any().unbind(), pos))
}

/// A str whose UTF-8 form does not exist (lone surrogates): point at the first surrogate.
#[cold]
fn surrogate_error(py: Python<'_>, data: &Bound<'_, PyAny>) -> PyErr {
    let err = PyErr::fetch(py);
    let pos: usize = err.value(py).getattr("start").and_then(|s| s.extract()).unwrap_or(0);
    decode_error(py, "Invalid str input: lone surrogate (not encodable as UTF-8)".to_owned(), data.clone(), pos)
}

fn decode_replace<'py>(py: Python<'py>, bytes: &[u8]) -> PyResult<Bound<'py, PyString>> {
    unsafe {
        let op = ffi::PyUnicode_DecodeUTF8(
            bytes.as_ptr() as *const c_char,
            bytes.len() as ffi::Py_ssize_t,
            c"replace".as_ptr(),
        );
        Ok(Bound::from_owned_ptr_or_err(py, op)?.cast_into_unchecked())
    }
}

fn utf8_char_count(s: &[u8]) -> usize {
    s.iter().filter(|&&b| (b as i8) >= -64).count()
}
