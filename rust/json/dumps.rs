//! PLACEHOLDER (being replaced by the native serializer): delegates to stdlib json.
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};

fn stdlib<'py>(py: Python<'py>, obj: &Bound<'py, PyAny>, default: Option<&Bound<'py, PyAny>>, sort_keys: bool, indent: Option<&Bound<'py, PyAny>>, ensure_ascii: bool) -> PyResult<Bound<'py, PyString>> {
    let kw = PyDict::new(py);
    kw.set_item("default", default)?;
    kw.set_item("sort_keys", sort_keys)?;
    kw.set_item("indent", indent)?;
    kw.set_item("ensure_ascii", ensure_ascii)?;
    kw.set_item("allow_nan", false)?;
    if indent.is_none() { kw.set_item("separators", (",", ":"))?; }
    Ok(py.import("json")?.call_method("dumps", (obj,), Some(&kw))?.cast_into()?)
}

#[pyfunction]
#[pyo3(signature = (obj, /, *, default = None, sort_keys = false, indent = None, nan_as_null = false, ensure_ascii = false))]
pub fn json_dumps<'py>(py: Python<'py>, obj: &Bound<'py, PyAny>, default: Option<&Bound<'py, PyAny>>, sort_keys: bool, indent: Option<&Bound<'py, PyAny>>, nan_as_null: bool, ensure_ascii: bool) -> PyResult<Bound<'py, PyBytes>> {
    let _ = nan_as_null;
    let s = stdlib(py, obj, default, sort_keys, indent, ensure_ascii)?;
    Ok(PyBytes::new(py, s.to_str()?.as_bytes()))
}

#[pyfunction]
#[pyo3(signature = (obj, /, *, default = None, sort_keys = false, indent = None, nan_as_null = false, ensure_ascii = false))]
pub fn json_dumps_str<'py>(py: Python<'py>, obj: &Bound<'py, PyAny>, default: Option<&Bound<'py, PyAny>>, sort_keys: bool, indent: Option<&Bound<'py, PyAny>>, nan_as_null: bool, ensure_ascii: bool) -> PyResult<Bound<'py, PyString>> {
    let _ = nan_as_null;
    stdlib(py, obj, default, sort_keys, indent, ensure_ascii)
}
