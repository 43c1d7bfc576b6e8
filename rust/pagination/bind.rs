//! The Python edge of pagination: `Paginator`, `CursorCodec` and `FilterPlan`.

use std::time::{SystemTime, UNIX_EPOCH};

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

use super::cursor::Signer;
use super::filter::{self, Cond, Lit, Op};
use super::paginator::{paginate, Page, PageNumber};
use super::PaginationError;
use crate::errors::{guard, PAGINATION_ERROR};

/// `int(obj)` with Django's `validate_number` rules: a float must be integral; whatever `int()`
/// refuses with TypeError or ValueError is not an integer.
fn to_number(obj: &Bound<'_, PyAny>) -> PyResult<PageNumber> {
    let py = obj.py();
    let int = if let Ok(i) = obj.cast_exact::<PyInt>() {
        i.clone()
    } else {
        if let Ok(f) = obj.cast::<PyFloat>() {
            let v = f.value();
            if !v.is_finite() || v.fract() != 0.0 {
                return Ok(PageNumber::NotInteger);
            }
        }
        match py.get_type::<PyInt>().call1((obj,)) {
            Ok(i) => i.cast_into::<PyInt>()?,
            Err(e) if e.is_instance_of::<PyTypeError>(py) || e.is_instance_of::<PyValueError>(py) => {
                return Ok(PageNumber::NotInteger)
            }
            Err(e) => return Err(e),
        }
    };
    match int.extract::<i64>() {
        Ok(n) => Ok(PageNumber::Int(n)),
        Err(_) => Ok(PageNumber::Huge { negative: int.lt(0)? }),
    }
}

fn pagination_error(py: Python<'_>, msg: String) -> PyErr {
    PAGINATION_ERROR.err(py, (msg,))
}

fn non_negative(py: Python<'_>, obj: &Bound<'_, PyAny>, what: &str) -> PyResult<u64> {
    if obj.is_instance_of::<PyBool>() || !obj.is_instance_of::<PyInt>() {
        return Err(pagination_error(py, format!("{what} must be an int, not {}", obj.get_type().name()?)));
    }
    if obj.lt(0)? {
        return Err(pagination_error(py, format!("{what} must not be negative")));
    }
    // Above u64: no listing is that long; saturate (the arithmetic stays exact below it).
    Ok(obj.extract::<u64>().unwrap_or(u64::MAX))
}

/// One page of a listing, with Django's `Paginator` + `Page` arithmetic.
#[pyclass(frozen, module = "webaccel._core")]
pub struct Paginator {
    page: Page,
    max_page_size: Option<u64>,
    allow_empty_first_page: bool,
}

#[pymethods]
impl Paginator {
    #[new]
    #[pyo3(signature = (page, page_size, total_items, *, max_page_size=Some(100), allow_empty_first_page=true, orphans=0, clamp=false))]
    #[pyo3(text_signature = "(page, page_size, total_items, *, max_page_size=100, allow_empty_first_page=True, orphans=0, clamp=False)")]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        page: &Bound<'_, PyAny>,
        page_size: &Bound<'_, PyAny>,
        total_items: &Bound<'_, PyAny>,
        max_page_size: Option<i64>,
        allow_empty_first_page: bool,
        orphans: i64,
        clamp: bool,
    ) -> PyResult<Self> {
        guard(py, || {
            let total = non_negative(py, total_items, "total_items")?;
            let orphans = u64::try_from(orphans)
                .map_err(|_| pagination_error(py, "orphans must not be negative".to_owned()))?;
            let max = match max_page_size {
                None => None,
                Some(m) if m < 1 => {
                    return Err(pagination_error(py, "max_page_size must be at least 1".to_owned()))
                }
                Some(m) => Some(m as u64),
            };
            let size = match to_number(page_size)? {
                PageNumber::NotInteger => return Err(PaginationError::PageSizeNotAnInteger.into()),
                PageNumber::Int(n) if n < 1 => return Err(PaginationError::PageSizeTooSmall.into()),
                PageNumber::Huge { negative: true } => return Err(PaginationError::PageSizeTooSmall.into()),
                PageNumber::Int(n) => n as u64,
                PageNumber::Huge { negative: false } => u64::MAX,
            };
            let size = max.map_or(size, |m| size.min(m));
            let number = to_number(page)?;
            let page = paginate(number, size, total, orphans, allow_empty_first_page, clamp)?;
            Ok(Paginator { page, max_page_size: max, allow_empty_first_page })
        })
    }

    /// The (1-based) page number.
    #[getter]
    fn page(&self) -> u64 {
        self.page.number
    }
    /// The page size in effect (the requested one, clamped to `max_page_size`).
    #[getter]
    fn page_size(&self) -> u64 {
        self.page.page_size
    }
    #[getter]
    fn total_items(&self) -> u64 {
        self.page.total_items
    }
    #[getter]
    fn total_pages(&self) -> u64 {
        self.page.total_pages
    }
    #[getter]
    fn has_next(&self) -> bool {
        self.page.has_next()
    }
    #[getter]
    fn has_prev(&self) -> bool {
        self.page.has_prev()
    }
    #[getter]
    fn next_page(&self) -> Option<u64> {
        self.page.next_page()
    }
    #[getter]
    fn prev_page(&self) -> Option<u64> {
        self.page.prev_page()
    }
    /// Index of the page's first item (0-based): `items[offset:offset + limit]`, SQL `OFFSET`.
    #[getter]
    fn offset(&self) -> u64 {
        self.page.offset
    }
    /// Items on this page (the last page also takes the orphans): SQL `LIMIT`.
    #[getter]
    fn limit(&self) -> u64 {
        self.page.limit
    }
    #[getter]
    fn start_index(&self) -> u64 {
        self.page.start_index()
    }
    #[getter]
    fn end_index(&self) -> u64 {
        self.page.end_index()
    }
    #[getter]
    fn orphans(&self) -> u64 {
        self.page.orphans
    }
    #[getter]
    fn max_page_size(&self) -> Option<u64> {
        self.max_page_size
    }
    #[getter]
    fn allow_empty_first_page(&self) -> bool {
        self.allow_empty_first_page
    }

    /// `sequence[offset:offset + limit]`.
    fn slice<'py>(&self, py: Python<'py>, items: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let p = &self.page;
            let slice = pyo3::types::PySlice::new(
                py,
                p.offset.min(isize::MAX as u64) as isize,
                p.offset.saturating_add(p.limit).min(isize::MAX as u64) as isize,
                1,
            );
            items.get_item(slice)
        })
    }

    /// The figures as a dict (for a JSON envelope).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        guard(py, || {
            let p = &self.page;
            let d = PyDict::new(py);
            d.set_item("page", p.number)?;
            d.set_item("page_size", p.page_size)?;
            d.set_item("total_items", p.total_items)?;
            d.set_item("total_pages", p.total_pages)?;
            d.set_item("has_next", p.has_next())?;
            d.set_item("has_prev", p.has_prev())?;
            d.set_item("next_page", p.next_page())?;
            d.set_item("prev_page", p.prev_page())?;
            d.set_item("offset", p.offset)?;
            d.set_item("limit", p.limit)?;
            d.set_item("start_index", p.start_index())?;
            d.set_item("end_index", p.end_index())?;
            Ok(d)
        })
    }

    fn __repr__(&self) -> String {
        let p = &self.page;
        format!(
            "Paginator(page={}, page_size={}, total_items={}, total_pages={})",
            p.number, p.page_size, p.total_items, p.total_pages
        )
    }
}

fn secret_bytes(obj: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    let bytes = if let Ok(s) = obj.cast::<PyString>() {
        s.to_str()?.as_bytes().to_vec()
    } else if let Ok(b) = obj.cast::<PyBytes>() {
        b.as_bytes().to_vec()
    } else {
        return Err(PyTypeError::new_err(format!("a secret must be str or bytes, not {}", obj.get_type().name()?)));
    };
    if bytes.len() < 16 {
        return Err(PyValueError::new_err("a cursor secret must be at least 16 bytes long"));
    }
    Ok(bytes)
}

fn now_seconds(now: Option<f64>) -> PyResult<f64> {
    match now {
        Some(t) if t.is_finite() && t >= 0.0 => Ok(t),
        Some(_) => Err(PyValueError::new_err("now must be a finite, non-negative number of seconds")),
        None => Ok(SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)),
    }
}

static JSON_LOADS_DEPTH: i32 = 32;

/// Signs and verifies opaque keyset cursors (HMAC-SHA256, URL-safe base64).
#[pyclass(frozen, module = "webaccel._core")]
pub struct CursorCodec {
    signer: Signer,
    max_age: Option<f64>,
    max_length: usize,
}

#[pymethods]
impl CursorCodec {
    #[new]
    #[pyo3(signature = (secret, *, salt="", max_age=None, max_length=1024))]
    #[pyo3(text_signature = "(secret, *, salt='', max_age=None, max_length=1024)")]
    fn new(py: Python<'_>, secret: &Bound<'_, PyAny>, salt: &str, max_age: Option<f64>, max_length: usize) -> PyResult<Self> {
        guard(py, || {
            let secrets: Vec<Vec<u8>> = if secret.is_instance_of::<PyList>() || secret.is_instance_of::<PyTuple>() {
                secret.try_iter()?.map(|s| secret_bytes(&s?)).collect::<PyResult<_>>()?
            } else {
                vec![secret_bytes(secret)?]
            };
            if secrets.is_empty() {
                return Err(PyValueError::new_err("at least one secret is needed"));
            }
            if let Some(age) = max_age {
                if !(age.is_finite() && age >= 0.0) {
                    return Err(PyValueError::new_err("max_age must be a finite, non-negative number of seconds"));
                }
            }
            let refs: Vec<&[u8]> = secrets.iter().map(Vec::as_slice).collect();
            Ok(CursorCodec { signer: Signer::new(&refs, salt.as_bytes()), max_age, max_length })
        })
    }

    /// An opaque cursor for `values` (JSON data: the sort-key values of the boundary row) read
    /// in `direction` ("next" or "prev").
    #[pyo3(signature = (values, direction="next", *, now=None))]
    fn encode(&self, py: Python<'_>, values: &Bound<'_, PyAny>, direction: &str, now: Option<f64>) -> PyResult<String> {
        guard(py, || {
            let d = match direction {
                "next" => 0u8,
                "prev" => 1,
                _ => return Err(PyValueError::new_err("direction must be 'next' or 'prev'")),
            };
            let payload = PyTuple::new(py, [d.into_pyobject(py)?.into_any(), values.clone()])?;
            let json = crate::json::dumps::json_dumps(py, payload.as_any(), None, false, None, false, false, None, false)?;
            let json = json.as_bytes();
            if Signer::encoded_len(json.len()) > self.max_length {
                return Err(pagination_error(
                    py,
                    format!("the cursor would be longer than max_length={} characters", self.max_length),
                ));
            }
            Ok(self.signer.seal(now_seconds(now)? as u64, json))
        })
    }

    /// `(values, direction, issued_at)` from a cursor this codec (or one sharing a secret)
    /// made; `InvalidCursor` for anything else.
    #[pyo3(signature = (cursor, *, now=None))]
    fn decode<'py>(&self, py: Python<'py>, cursor: &Bound<'py, PyAny>, now: Option<f64>) -> PyResult<Bound<'py, PyTuple>> {
        guard(py, || {
            let token = match cursor.cast::<PyString>() {
                Ok(s) => s.to_str().map_err(|_| PyErr::from(PaginationError::CursorMalformed))?,
                Err(_) => return Err(PaginationError::CursorMalformed.into()),
            };
            let opened = self.signer.open(token, self.max_length)?;
            if let Some(age) = self.max_age {
                if now_seconds(now)? - opened.issued_at as f64 > age {
                    return Err(PaginationError::CursorExpired.into());
                }
            }
            let data = PyBytes::new(py, &opened.payload);
            let depth: crate::json::loads::MaxDepth = JSON_LOADS_DEPTH.into_pyobject(py)?.extract()?;
            let value = crate::json::loads::json_loads(py, data.as_any(), depth)
                .map_err(|_| PyErr::from(PaginationError::CursorBadPayload))?;
            let pair = value.cast::<PyList>().map_err(|_| PyErr::from(PaginationError::CursorBadPayload))?;
            if pair.len() != 2 {
                return Err(PaginationError::CursorBadPayload.into());
            }
            let code = pair.get_item(0)?;
            let code = code.cast_exact::<PyInt>().ok().and_then(|i| i.extract::<i64>().ok());
            let direction = match code {
                Some(0) => "next",
                Some(1) => "prev",
                _ => return Err(PaginationError::CursorBadPayload.into()),
            };
            PyTuple::new(
                py,
                [pair.get_item(1)?, PyString::new(py, direction).into_any(), opened.issued_at.into_pyobject(py)?.into_any()],
            )
        })
    }

    #[getter]
    fn max_age(&self) -> Option<f64> {
        self.max_age
    }
    #[getter]
    fn max_length(&self) -> usize {
        self.max_length
    }
}

/// Compiled filter conditions and sort keys (built by `webaccel.pagination.FilterSpec`).
#[pyclass(frozen, module = "webaccel._core")]
pub struct FilterPlan {
    conds: Vec<Cond>,
    keys: Vec<(Py<PyString>, bool)>,
}

#[pymethods]
impl FilterPlan {
    /// `conditions`: `(field, operator, value)`; `in` takes a list or tuple of values, `isnull` a
    /// bool, the string operators a str. `sort`: `(field, descending)`.
    #[new]
    fn new(py: Python<'_>, conditions: &Bound<'_, PyAny>, sort: &Bound<'_, PyAny>) -> PyResult<Self> {
        guard(py, || {
            let mut conds = Vec::new();
            for c in conditions.try_iter()? {
                let (field, op, value): (Bound<'_, PyString>, String, Bound<'_, PyAny>) = c?.extract()?;
                let op = Op::parse(&op).ok_or_else(|| PyValueError::new_err(format!("unknown operator {op:?}")))?;
                let field = PyString::intern(py, field.to_str()?).unbind();
                let mut cond = Cond { field, op, lits: Vec::new(), want_null: false, lowered: None };
                match op {
                    Op::In => {
                        if !(value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>()) {
                            return Err(PyTypeError::new_err("an 'in' value must be a list or a tuple"));
                        }
                        for v in value.try_iter()? {
                            cond.lits.push(Lit::new(&v?));
                        }
                    }
                    Op::IsNull => cond.want_null = value.extract::<bool>()?,
                    Op::Contains | Op::IContains | Op::StartsWith | Op::EndsWith => {
                        let s = value
                            .cast::<PyString>()
                            .map_err(|_| PyTypeError::new_err("string operators take a str value"))?;
                        if op == Op::IContains {
                            cond.lowered = Some(s.call_method0("lower")?.extract::<String>()?);
                        }
                        cond.lits.push(Lit::new(&value));
                    }
                    _ => cond.lits.push(Lit::new(&value)),
                }
                conds.push(cond);
            }
            let mut keys = Vec::new();
            for k in sort.try_iter()? {
                let (field, desc): (Bound<'_, PyString>, bool) = k?.extract()?;
                keys.push((PyString::intern(py, field.to_str()?).unbind(), desc));
            }
            Ok(FilterPlan { conds, keys })
        })
    }

    /// The items (an iterable of mappings) that match every condition, sorted by the keys, as a
    /// new list.
    fn apply<'py>(&self, py: Python<'py>, items: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyList>> {
        guard(py, || filter::apply(py, items, &self.conds, &self.keys))
    }
}
