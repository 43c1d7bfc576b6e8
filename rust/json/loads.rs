//! PLACEHOLDER (being replaced by the native parser): delegates to stdlib json.
use pyo3::prelude::*;

#[pyfunction]
#[pyo3(signature = (data, /, *, max_depth = 1024))]
pub fn json_loads<'py>(py: Python<'py>, data: &Bound<'py, PyAny>, max_depth: usize) -> PyResult<Bound<'py, PyAny>> {
    let _ = max_depth;
    let data = if let Ok(b) = data.cast::<pyo3::types::PyByteArray>() { b.call_method0("__bytes__").unwrap_or(data.clone()) } else { data.clone() };
    py.import("json")?.call_method1("loads", (data,))
}
