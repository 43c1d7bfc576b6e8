//! The Python edge of `webaccel.compress`: one-shot functions, the streaming `Compressor` and
//! `Decompressor`, and `negotiate`. The GIL is released around every call into a codec, except
//! one-shot gzip/deflate of bodies up to `small::SMALL_MAX` bytes (tens of microseconds).

use std::sync::Mutex;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyBytes, PyString};

use super::codec::{self, Decoder, Encoder, Mode};
use super::small;
use super::negotiate::negotiate;
use super::{CompressError, Encoding};
use crate::errors::{guard, COMPRESSION_ERROR, DECOMPRESSION_ERROR, SIZE_LIMIT_ERROR};

impl From<CompressError> for PyErr {
    fn from(e: CompressError) -> PyErr {
        Python::attach(|py| {
            let message = e.to_string();
            match e {
                CompressError::TooLarge { .. } => SIZE_LIMIT_ERROR.err(py, (message,)),
                _ if e.is_decode() => DECOMPRESSION_ERROR.err(py, (message,)),
                _ => COMPRESSION_ERROR.err(py, (message,)),
            }
        })
    }
}

fn encoding_arg(name: &str) -> PyResult<Encoding> {
    Ok(Encoding::parse(name)?)
}

/// Compresses `data` with the content coding `encoding` ("gzip", "deflate", "br", "zstd").
#[pyfunction]
#[pyo3(signature = (data, encoding, level=None))]
pub fn compress_compress<'py>(py: Python<'py>, data: PyBackedBytes, encoding: &str, level: Option<i32>) -> PyResult<Bound<'py, PyBytes>> {
    guard(py, || {
        let enc = encoding_arg(encoding)?;
        let level = enc.level(level)?;
        if small::handles(data.len(), level) && matches!(enc, Encoding::Gzip | Encoding::Deflate) {
            // Tens of microseconds at most: the GIL stays held (a detach/attach round trip costs
            // more than it lends other threads) and the output is copied once, into the bytes.
            return Ok(small::compress_with(&data, enc, level, |out| PyBytes::new(py, out)));
        }
        let out = py.detach(|| codec::compress(&data, enc, level))?;
        Ok(PyBytes::new(py, &out))
    })
}

/// Decodes `data`, refusing output over `max_size` bytes (`SizeLimitError`).
#[pyfunction]
// max_size: 16 MiB by default (a literal: the signature shows it to Python).
#[pyo3(signature = (data, encoding, *, max_size=16777216))]
pub fn compress_decompress<'py>(py: Python<'py>, data: PyBackedBytes, encoding: &str, max_size: usize) -> PyResult<Bound<'py, PyBytes>> {
    guard(py, || {
        let enc = encoding_arg(encoding)?;
        let max_size = max_size.min(usize::MAX - 1);
        let out = py.detach(|| codec::decompress(&data, enc, max_size))?;
        Ok(PyBytes::new(py, &out))
    })
}

/// The coding of `available` to apply for this `Accept-Encoding` value, or `None`.
#[pyfunction]
#[pyo3(signature = (accept_encoding, available=None))]
pub fn compress_negotiate(py: Python<'_>, accept_encoding: Option<&Bound<'_, PyAny>>, available: Option<Vec<String>>) -> PyResult<Option<String>> {
    guard(py, || {
        let available = available.unwrap_or_else(|| vec!["zstd".into(), "br".into(), "gzip".into()]);
        let names: Vec<&str> = available.iter().map(String::as_str).collect();
        let header: Option<Vec<u8>> = match accept_encoding {
            None => None,
            Some(v) if v.is_none() => None,
            Some(v) => {
                if let Ok(s) = v.cast::<PyString>() {
                    Some(s.to_str()?.as_bytes().to_vec())
                } else if let Ok(b) = v.cast::<PyBytes>() {
                    Some(b.as_bytes().to_vec())
                } else {
                    return Err(PyTypeError::new_err(format!(
                        "accept_encoding must be str, bytes or None, not {}",
                        v.get_type().name()?
                    )));
                }
            }
        };
        Ok(negotiate(header.as_deref(), &names).map(|i| available[i].clone()))
    })
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding the lock was already reported by `guard`; the state is still
    // memory-safe, and a broken stream reports its own errors.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A streaming compressor: `compress(chunk)` returns what the coding emits (often nothing
/// until enough input arrived), `flush()` everything so far, `finish()` ends the stream.
#[pyclass(frozen, module = "webaccel._core", name = "Compressor")]
pub struct Compressor {
    encoding: Encoding,
    level: i32,
    state: Mutex<Option<Encoder>>,
}

impl Compressor {
    fn run<'py>(&self, py: Python<'py>, data: &[u8], mode: Mode) -> PyResult<Bound<'py, PyBytes>> {
        let out = py.detach(|| {
            let mut state = lock(&self.state);
            let enc = state.as_mut().ok_or(CompressError::Finished)?;
            let mut out = Vec::new();
            enc.write(data, mode, &mut out)?;
            if mode == Mode::Finish {
                *state = None;
            }
            Ok::<_, CompressError>(out)
        })?;
        Ok(PyBytes::new(py, &out))
    }
}

#[pymethods]
impl Compressor {
    #[new]
    #[pyo3(signature = (encoding, level=None))]
    fn new(py: Python<'_>, encoding: &str, level: Option<i32>) -> PyResult<Self> {
        guard(py, || {
            let enc = encoding_arg(encoding)?;
            let level = enc.level(level)?;
            let state = Encoder::new(enc, level, None)?;
            Ok(Compressor { encoding: enc, level, state: Mutex::new(Some(state)) })
        })
    }

    /// Compresses `data`; returns the output the coding produced (possibly empty).
    fn compress<'py>(&self, py: Python<'py>, data: PyBackedBytes) -> PyResult<Bound<'py, PyBytes>> {
        guard(py, || self.run(py, &data, Mode::Process))
    }

    /// Emits everything compressed so far in a form the peer can decode now (a sync flush).
    fn flush<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        guard(py, || self.run(py, b"", Mode::Flush))
    }

    /// Ends the stream and returns its last bytes; the compressor cannot be used afterwards.
    fn finish<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        guard(py, || self.run(py, b"", Mode::Finish))
    }

    #[getter]
    fn encoding(&self) -> &'static str {
        self.encoding.name()
    }

    #[getter]
    fn level(&self) -> i32 {
        self.level
    }

    #[getter]
    fn finished(&self) -> bool {
        lock(&self.state).is_none()
    }

    fn __repr__(&self) -> String {
        format!("Compressor({:?}, level={})", self.encoding.name(), self.level)
    }
}

/// A streaming decompressor whose total output is capped at `max_size` (`SizeLimitError`).
#[pyclass(frozen, module = "webaccel._core", name = "Decompressor")]
pub struct Decompressor {
    encoding: Encoding,
    max_size: usize,
    state: Mutex<Option<Decoder>>,
    /// Output so far, readable after `finish()` too.
    total: Mutex<usize>,
}

#[pymethods]
impl Decompressor {
    #[new]
    #[pyo3(signature = (encoding, *, max_size=16777216))]
    fn new(py: Python<'_>, encoding: &str, max_size: usize) -> PyResult<Self> {
        guard(py, || {
            let enc = encoding_arg(encoding)?;
            let max_size = max_size.min(usize::MAX - 1);
            Ok(Decompressor { encoding: enc, max_size, state: Mutex::new(Some(Decoder::new(enc, max_size)?)), total: Mutex::new(0) })
        })
    }

    /// Decodes `data`; returns the output (possibly empty).
    fn decompress<'py>(&self, py: Python<'py>, data: PyBackedBytes) -> PyResult<Bound<'py, PyBytes>> {
        guard(py, || {
            let out = py.detach(|| {
                let mut state = lock(&self.state);
                let dec = state.as_mut().ok_or(CompressError::Finished)?;
                let mut out = Vec::new();
                let result = dec.feed(&data, &mut out);
                *lock(&self.total) = dec.produced();
                if result.is_err() {
                    // A failed stream stays failed.
                    *state = None;
                }
                result.map(|()| out)
            })?;
            Ok(PyBytes::new(py, &out))
        })
    }

    /// Checks that the stream is complete (`DecompressionError` if it was cut short) and
    /// returns any last output; the decompressor cannot be used afterwards.
    fn finish<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        guard(py, || {
            let out = py.detach(|| {
                let mut state = lock(&self.state);
                let mut dec = state.take().ok_or(CompressError::Finished)?;
                let mut out = Vec::new();
                let result = dec.finish(&mut out);
                *lock(&self.total) = dec.produced();
                result.map(|()| out)
            })?;
            Ok(PyBytes::new(py, &out))
        })
    }

    #[getter]
    fn encoding(&self) -> &'static str {
        self.encoding.name()
    }

    #[getter]
    fn max_size(&self) -> usize {
        self.max_size
    }

    /// Bytes of output produced so far.
    #[getter]
    fn total_out(&self) -> usize {
        *lock(&self.total)
    }

    #[getter]
    fn finished(&self) -> bool {
        lock(&self.state).is_none()
    }

    fn __repr__(&self) -> String {
        format!("Decompressor({:?}, max_size={})", self.encoding.name(), self.max_size)
    }
}
