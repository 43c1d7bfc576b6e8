//! The Python edge of multipart parsing: `Part` objects, the streaming `MultipartParser` and the
//! one-shot `parse_multipart`. File parts past `spool_max_size` are written to a
//! `tempfile.TemporaryFile` opened from Python, so the OS and Python own the file's lifetime.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyByteArray, PyBytes, PyList, PyString};
use pyo3::intern;

use super::multipart::{boundary_from_content_type, parse_all, Limits, MultipartError, Parser, PartHead, Piece, Sink};
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
        // Nothing to spool: parse without the interpreter (the body is immutable bytes or our
        // copy), then copy each part's content out of the body once.
        let parsed = py.detach(|| parse_all(raw, &boundary, l))?;
        let mut out = Vec::with_capacity(parsed.len());
        for (head, pieces) in parsed {
            let data = match pieces.as_slice() {
                [] => PyBytes::new(py, b""),
                [Piece::Span(a, b)] => PyBytes::new(py, &raw[*a..*b]),
                _ => {
                    let mut joined = Vec::new();
                    for piece in &pieces {
                        match piece {
                            Piece::Span(a, b) => joined.extend_from_slice(&raw[*a..*b]),
                            Piece::Owned(v) => joined.extend_from_slice(v),
                        }
                    }
                    PyBytes::new(py, &joined)
                }
            };
            let size = data.as_bytes().len();
            let PartHead { name, filename, content_type, headers } = head;
            out.push(Py::new(py, Part { name, filename, content_type, headers, data: Some(data.unbind()), file: None, size })?);
        }
        PyList::new(py, out)
    })
}
