//! The Python edge of multipart parsing: `Part` objects, the streaming `MultipartParser` and the
//! one-shot `parse_multipart`. File parts past `spool_max_size` are written to a
//! `tempfile.TemporaryFile` opened from Python, so the OS and Python own the file's lifetime.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyByteArray, PyBytes, PyList, PyString};
use pyo3::intern;

use memchr::memmem;
use pyo3::ffi;

use std::mem::MaybeUninit;

use super::multipart::{boundary_from_content_type, Limits, MultipartError, Parser, PartHead, Sink};
use super::multipart_scan::{search_and_copy, FusedPair, Scanned};
use crate::errors::{err_with_limit, guard, MULTIPART_ERROR};

impl From<MultipartError> for PyErr {
    fn from(e: MultipartError) -> PyErr {
        Python::attach(|py| err_with_limit(py, &MULTIPART_ERROR, e.to_string(), e.limit()))
    }
}

/// One form part: a field (`filename is None`, content in `data`) or a file (content in `data`,
/// or in `file` when it was larger than `spool_max_size`).
#[pyclass(frozen, module = "webaccel._core", name = "MultipartPart")]
pub struct Part {
    #[pyo3(get)]
    name: String,
    #[pyo3(get)]
    filename: Option<String>,
    #[pyo3(get)]
    content_type: Option<String>,
    #[pyo3(get)]
    headers: Vec<(String, String)>,
    #[pyo3(get)]
    data: Option<Py<PyBytes>>,
    #[pyo3(get)]
    file: Option<Py<PyAny>>,
    #[pyo3(get)]
    size: usize,
}

#[pymethods]
impl Part {
    fn __repr__(&self) -> String {
        let opt = |o: &Option<String>| o.as_ref().map_or_else(|| "None".to_owned(), |s| format!("{s:?}"));
        let where_ = if self.file.is_some() { "file" } else { "data" };
        format!(
            "MultipartPart(name={:?}, filename={}, content_type={}, size={}, in {where_})",
            self.name,
            opt(&self.filename),
            opt(&self.content_type),
            self.size
        )
    }
}

/// The part being received.
pub struct Open {
    head: PartHead,
    /// The content so far (once spilled: the bytes not yet written to `file`), in pieces of
    /// 64 KiB or more: no reallocation-and-copy as a large part grows, one copy into its `bytes`.
    pieces: Vec<Vec<u8>>,
    pending: usize,
    file: Option<Py<PyAny>>,
    size: usize,
}

const WRITE_BATCH: usize = 256 << 10;
const PIECE: usize = 64 << 10;

/// One `bytes` from the pieces, copied once.
fn join<'py>(py: Python<'py>, pieces: &[Vec<u8>], len: usize) -> PyResult<Bound<'py, PyBytes>> {
    match pieces {
        [] => Ok(PyBytes::new(py, b"")),
        [one] => Ok(PyBytes::new(py, one)),
        _ => PyBytes::new_with(py, len, |buf| {
            let mut at = 0;
            for piece in pieces {
                let end = at + piece.len();
                if let Some(dst) = buf.get_mut(at..end) {
                    dst.copy_from_slice(piece);
                }
                at = end;
            }
            Ok(())
        }),
    }
}
static TEMPORARY_FILE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

struct PySink<'a, 'py> {
    py: Python<'py>,
    open: &'a mut Option<Open>,
    out: Vec<Py<Part>>,
    spool: Option<usize>,
}

impl PySink<'_, '_> {
    fn write(&self, file: &Py<PyAny>, pieces: &[Vec<u8>]) -> PyResult<()> {
        for piece in pieces {
            file.bind(self.py).call_method1(intern!(self.py, "write"), (PyBytes::new(self.py, piece),))?;
        }
        Ok(())
    }
}

impl Sink for PySink<'_, '_> {
    type Error = PyErr;

    fn start(&mut self, head: PartHead) -> PyResult<()> {
        *self.open = Some(Open { head, pieces: Vec::new(), pending: 0, file: None, size: 0 });
        Ok(())
    }

    fn data(&mut self, bytes: &[u8]) -> PyResult<()> {
        let Some(mut o) = self.open.take() else { return Ok(()) };
        o.size += bytes.len();
        o.pending += bytes.len();
        match o.pieces.last_mut() {
            Some(last) if last.len() < PIECE => last.extend_from_slice(bytes),
            _ => o.pieces.push(bytes.to_vec()),
        }
        let r = self.spill(&mut o);
        *self.open = Some(o);
        r
    }

    fn end(&mut self) -> PyResult<()> {
        let Some(mut o) = self.open.take() else { return Ok(()) };
        let py = self.py;
        let (data, file) = match o.file.take() {
            Some(file) => {
                self.write(&file, &o.pieces)?;
                file.bind(py).call_method1(intern!(py, "seek"), (0,))?;
                (None, Some(file))
            }
            None => (Some(join(py, &o.pieces, o.pending)?.unbind()), None),
        };
        let PartHead { name, filename, content_type, headers } = o.head;
        let part = Part { name, filename, content_type, headers, data, file, size: o.size };
        self.out.push(Py::new(py, part)?);
        Ok(())
    }
}

impl PySink<'_, '_> {
    /// File parts larger than `spool` bytes go to a temporary file, written in batches.
    fn spill(&self, o: &mut Open) -> PyResult<()> {
        let Some(limit) = self.spool else { return Ok(()) };
        if !o.head.is_file() || o.size <= limit {
            return Ok(());
        }
        if o.file.is_none() {
            let open = TEMPORARY_FILE.import(self.py, "tempfile", "TemporaryFile")?;
            o.file = Some(open.call0()?.unbind());
        }
        if o.pending >= WRITE_BATCH {
            if let Some(file) = &o.file {
                self.write(file, &o.pieces)?;
            }
            o.pieces.clear();
            o.pending = 0;
        }
        Ok(())
    }
}

/// Drops an unfinished part, closing (so deleting) its temporary file now rather than at
/// collection, with a ResourceWarning.
fn discard(py: Python<'_>, open: Option<Open>) {
    if let Some(file) = open.and_then(|o| o.file) {
        // A failure to close cannot be reported better than the error that got us here.
        let _ = file.bind(py).call_method0(intern!(py, "close"));
    }
}

fn bytes_arg<'a>(obj: &'a Bound<'_, PyAny>, what: &str, owned: &'a mut Vec<u8>) -> PyResult<&'a [u8]> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        Ok(b.as_bytes())
    } else if let Ok(s) = obj.cast::<PyString>() {
        *owned = s.to_str()?.as_bytes().to_vec();
        Ok(owned)
    } else if let Ok(b) = obj.cast::<PyByteArray>() {
        *owned = b.to_vec();
        Ok(owned)
    } else {
        Err(PyTypeError::new_err(format!("{what} must be bytes or str, not {}", obj.get_type().name()?)))
    }
}

#[allow(clippy::too_many_arguments)]
fn limits(
    max_parts: Option<usize>,
    max_files: Option<usize>,
    max_field_size: Option<usize>,
    max_file_size: Option<usize>,
    max_header_size: usize,
    max_headers: usize,
    max_preamble: usize,
    max_epilogue: usize,
    max_body_size: Option<usize>,
) -> Limits {
    Limits {
        max_parts,
        max_files,
        max_field_size,
        max_file_size,
        max_header_size,
        max_headers,
        max_preamble,
        max_epilogue,
        max_body_size,
    }
}

/// A streaming `multipart/form-data` parser: `feed()` returns the parts completed by that chunk.
#[pyclass(module = "webaccel._core")]
pub struct MultipartParser {
    core: Parser,
    open: Option<Open>,
    spool: Option<usize>,
}

#[pymethods]
impl MultipartParser {
    #[new]
    #[pyo3(signature = (boundary, *, max_parts=Some(1000), max_files=Some(100), max_field_size=Some(1_048_576),
        max_file_size=Some(104_857_600), max_header_size=8192, max_headers=32, max_preamble=1024,
        max_epilogue=1024, max_body_size=None, spool_max_size=Some(1_048_576)))]
    #[pyo3(text_signature = "(boundary, *, max_parts=1000, max_files=100, max_field_size=1048576, max_file_size=104857600, max_header_size=8192, max_headers=32, max_preamble=1024, max_epilogue=1024, max_body_size=None, spool_max_size=1048576)")]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        boundary: &Bound<'_, PyAny>,
        max_parts: Option<usize>,
        max_files: Option<usize>,
        max_field_size: Option<usize>,
        max_file_size: Option<usize>,
        max_header_size: usize,
        max_headers: usize,
        max_preamble: usize,
        max_epilogue: usize,
        max_body_size: Option<usize>,
        spool_max_size: Option<usize>,
    ) -> PyResult<Self> {
        guard(py, || {
            let mut owned = Vec::new();
            let boundary = bytes_arg(boundary, "boundary", &mut owned)?;
            let l = limits(
                max_parts, max_files, max_field_size, max_file_size, max_header_size, max_headers,
                max_preamble, max_epilogue, max_body_size,
            );
            Ok(MultipartParser { core: Parser::new(boundary, l)?, open: None, spool: spool_max_size })
        })
    }

    /// Parses the next chunk; returns the parts it completed, in order.
    fn feed<'py>(&mut self, py: Python<'py>, chunk: PyBackedBytes) -> PyResult<Bound<'py, PyList>> {
        guard(py, || {
            let mut sink = PySink { py, open: &mut self.open, out: Vec::new(), spool: self.spool };
            let r = self.core.feed(&chunk, &mut sink);
            let out = std::mem::take(&mut sink.out);
            if r.is_err() {
                discard(py, self.open.take());
            }
            r?;
            PyList::new(py, out)
        })
    }

    /// Ends the body: raises `MultipartError` unless the closing boundary was received.
    fn close(&mut self, py: Python<'_>) -> PyResult<()> {
        guard(py, || {
            discard(py, self.open.take());
            Ok(self.core.close()?)
        })
    }

    /// Bytes the parser holds between feeds (bounded by the boundary length or one header block).
    #[getter]
    fn buffered(&self) -> usize {
        self.core.buffered()
    }
}

/// Parses a whole `multipart/form-data` body; the boundary comes from `content_type`.
#[pyfunction]
#[pyo3(signature = (body, content_type, *, max_parts=Some(1000), max_files=Some(100), max_field_size=Some(1_048_576),
    max_file_size=Some(104_857_600), max_header_size=8192, max_headers=32, max_preamble=1024,
    max_epilogue=1024, max_body_size=None, spool_max_size=None))]
#[pyo3(text_signature = "(body, content_type, *, max_parts=1000, max_files=100, max_field_size=1048576, max_file_size=104857600, max_header_size=8192, max_headers=32, max_preamble=1024, max_epilogue=1024, max_body_size=None, spool_max_size=None)")]
#[allow(clippy::too_many_arguments)]
pub fn http_parse_multipart<'py>(
    py: Python<'py>,
    body: &Bound<'py, PyAny>,
    content_type: &Bound<'py, PyAny>,
    max_parts: Option<usize>,
    max_files: Option<usize>,
    max_field_size: Option<usize>,
    max_file_size: Option<usize>,
    max_header_size: usize,
    max_headers: usize,
    max_preamble: usize,
    max_epilogue: usize,
    max_body_size: Option<usize>,
    spool_max_size: Option<usize>,
) -> PyResult<Bound<'py, PyList>> {
    guard(py, || {
        let (mut owned_ct, mut owned_body) = (Vec::new(), Vec::new());
        let ct = bytes_arg(content_type, "content_type", &mut owned_ct)?;
        let raw = bytes_arg(body, "body", &mut owned_body)?;
        if let Some(max) = max_body_size {
            if raw.len() > max {
                return Err(MultipartError::BodyTooLarge { max }.into());
            }
        }
        let boundary = boundary_from_content_type(ct)?;
        let l = limits(
            max_parts, max_files, max_field_size, max_file_size, max_header_size, max_headers,
            max_preamble, max_epilogue, max_body_size,
        );
        if spool_max_size.is_some() {
            let mut core = Parser::new(&boundary, l)?;
            let mut open = None;
            let mut sink = PySink { py, open: &mut open, out: Vec::new(), spool: spool_max_size };
            let r = core.feed(raw, &mut sink);
            let out = std::mem::take(&mut sink.out);
            if r.is_err() {
                discard(py, open.take());
            }
            r?;
            core.close()?;
            return PyList::new(py, out);
        }
        // Nothing to spool: every part becomes a `bytes` copied out of the body once. A large
        // part is copied while it is searched (OneShotSink::find), with the GIL released.
        let mut core = Parser::new(&boundary, l)?;
        let mut sink = OneShotSink { py, base: raw, out: Vec::new(), open: None, pending: None, pair: None };
        core.feed(raw, &mut sink)?;
        core.close()?;
        let out = sink.out;
        PyList::new(py, out)
    })
}

// ---------------------------------------------------------------------------------------------
// One-shot parsing: a large part is searched and copied in the same pass

extern "C" {
    // Exported by every CPython build (PyAPI_FUNC); pyo3-ffi declares it crate-private.
    fn _PyBytes_Resize(bytes: *mut *mut ffi::PyObject, newsize: ffi::Py_ssize_t) -> std::os::raw::c_int;
}

/// A new `bytes` object nobody else has seen yet, written in place, shrunk once at the end.
struct FillBytes {
    obj: *mut ffi::PyObject,
    cap: usize,
    /// Bytes written (a prefix of the part's content).
    filled: usize,
}

impl FillBytes {
    fn new(py: Python<'_>, cap: usize) -> PyResult<Self> {
        let len = ffi::Py_ssize_t::try_from(cap)?;
        // SAFETY: a NULL source asks CPython for an uninitialised object of `len` bytes.
        let obj = unsafe { ffi::PyBytes_FromStringAndSize(std::ptr::null(), len) };
        if obj.is_null() {
            return Err(PyErr::fetch(py));
        }
        Ok(FillBytes { obj, cap, filled: 0 })
    }

    fn data(&self) -> *mut u8 {
        // SAFETY: `obj` is a live bytes object owned by `self`.
        unsafe { ffi::PyBytes_AS_STRING(self.obj) as *mut u8 }
    }

    fn written(&self, len: usize) -> &[u8] {
        // SAFETY: the first `filled` bytes were written; `len` is at most `filled`.
        unsafe { std::slice::from_raw_parts(self.data(), len.min(self.filled)) }
    }

    /// The object, shrunk to `len` bytes (at most `filled`).
    fn finish(mut self, py: Python<'_>, len: usize) -> PyResult<Bound<'_, PyBytes>> {
        let len = len.min(self.filled);
        if len != self.cap {
            // SAFETY: `obj` has a reference count of one (never shared), as resizing requires.
            if unsafe { _PyBytes_Resize(&mut self.obj, ffi::Py_ssize_t::try_from(len)?) } != 0 {
                self.obj = std::ptr::null_mut(); // CPython released it
                return Err(PyErr::fetch(py));
            }
        }
        let obj = std::mem::replace(&mut self.obj, std::ptr::null_mut());
        // SAFETY: an owned, valid bytes object.
        Ok(unsafe { Bound::from_owned_ptr(py, obj).cast_into_unchecked() })
    }
}

impl Drop for FillBytes {
    fn drop(&mut self) {
        if !self.obj.is_null() {
            // SAFETY: dropped only where the GIL is held (the one-shot parse holds it, and the
            // object never crosses into the detached closure).
            unsafe { ffi::Py_DECREF(self.obj) };
        }
    }
}

enum Held {
    /// `base[a..b]`
    Span(usize, usize),
    Owned(Vec<u8>),
    /// The first `.1` bytes of a filled object.
    Filled(FillBytes, usize),
}

/// Parts whose delimiter is within this many bytes are found first and copied afterwards (the
/// copy reads bytes the search just brought into cache); longer parts are searched and copied in
/// one pass (`multipart_scan`) into a `bytes` allocated for the rest of the body (bounded by the
/// size limit).
const PROBE: usize = 64 << 10;

/// The destination of a fused copy, handed to the detached closure as an address.
#[derive(Clone, Copy)]
struct Dest(usize, usize);

/// The sink of `parse_multipart` without spooling: each part's content becomes one `bytes`,
/// copied once out of the body.
struct OneShotSink<'a, 'py> {
    py: Python<'py>,
    base: &'a [u8],
    out: Vec<Py<Part>>,
    open: Option<(PartHead, Vec<Held>)>,
    /// Filled by the last `find`, starting at this offset of `base`.
    pending: Option<(FillBytes, usize)>,
    /// The delimiter's pair for the fused loop, chosen at the first large part.
    pair: Option<Option<FusedPair>>,
}

impl OneShotSink<'_, '_> {
    fn offset(&self, bytes: &[u8]) -> Option<usize> {
        let start = (bytes.as_ptr() as usize).wrapping_sub(self.base.as_ptr() as usize);
        (start <= self.base.len() && bytes.len() <= self.base.len() - start).then_some(start)
    }
}

impl Sink for OneShotSink<'_, '_> {
    type Error = PyErr;

    fn start(&mut self, head: PartHead) -> PyResult<()> {
        self.open = Some((head, Vec::new()));
        Ok(())
    }

    fn find(&mut self, finder: &memmem::Finder<'static>, hay: &[u8]) -> PyResult<Option<usize>> {
        self.pending = None;
        if hay.len() <= PROBE {
            return Ok(finder.find(hay));
        }
        if let Some(i) = finder.find(&hay[..PROBE]) {
            return Ok(Some(i));
        }
        let Some(at) = self.offset(hay) else { return Ok(finder.find(hay)) };
        let pair = *self.pair.get_or_insert_with(|| FusedPair::new(finder.needle()));
        let mut fill = FillBytes::new(self.py, hay.len())?;
        let dst = Dest(fill.data() as usize, hay.len());
        let start = PROBE + 1 - finder.needle().len();
        let Scanned { found, copied } = self.py.detach(|| {
            // SAFETY: `fill` owns a bytes object of `hay.len()` bytes that nothing else has seen
            // and that outlives this closure; its bytes are only written through this slice.
            let dst = unsafe { std::slice::from_raw_parts_mut(dst.0 as *mut MaybeUninit<u8>, dst.1) };
            search_and_copy(finder, pair.as_ref(), hay, start, dst)
        });
        fill.filled = copied;
        self.pending = Some((fill, at));
        Ok(found)
    }

    fn data(&mut self, bytes: &[u8]) -> PyResult<()> {
        let at = self.offset(bytes);
        let pending = self.pending.take();
        let Some((_, held)) = &mut self.open else { return Ok(()) };
        if let (Some((fill, from)), Some(at)) = (pending, at) {
            if at == from && bytes.len() <= fill.filled {
                held.push(Held::Filled(fill, bytes.len()));
                return Ok(());
            }
        }
        match at {
            Some(a) => match held.last_mut() {
                Some(Held::Span(_, b)) if *b == a => *b += bytes.len(),
                _ => held.push(Held::Span(a, a + bytes.len())),
            },
            None => held.push(Held::Owned(bytes.to_vec())),
        }
        Ok(())
    }

    fn end(&mut self) -> PyResult<()> {
        let Some((head, mut held)) = self.open.take() else { return Ok(()) };
        let py = self.py;
        let data = match held.len() {
            0 => PyBytes::new(py, b""),
            1 => match held.pop() {
                Some(Held::Span(a, b)) => PyBytes::new(py, &self.base[a..b]),
                Some(Held::Owned(v)) => PyBytes::new(py, &v),
                Some(Held::Filled(fill, len)) => fill.finish(py, len)?,
                None => PyBytes::new(py, b""),
            },
            _ => {
                let total = held.iter().map(|h| match h {
                    Held::Span(a, b) => b - a,
                    Held::Owned(v) => v.len(),
                    Held::Filled(_, len) => *len,
                });
                PyBytes::new_with(py, total.sum(), |buf| {
                    let mut at = 0;
                    for h in &held {
                        let piece: &[u8] = match h {
                            Held::Span(a, b) => &self.base[*a..*b],
                            Held::Owned(v) => v,
                            Held::Filled(fill, len) => fill.written(*len),
                        };
                        if let Some(dst) = buf.get_mut(at..at + piece.len()) {
                            dst.copy_from_slice(piece);
                        }
                        at += piece.len();
                    }
                    Ok(())
                })?
            }
        };
        let size = data.as_bytes().len();
        let PartHead { name, filename, content_type, headers } = head;
        self.out.push(Py::new(py, Part { name, filename, content_type, headers, data: Some(data.unbind()), file: None, size })?);
        Ok(())
    }
}

