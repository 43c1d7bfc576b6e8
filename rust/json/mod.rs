//! JSON: `loads` builds Python objects straight from the bytes; `dumps` writes straight into the
//! output buffer. Both are exact with stdlib `json` on what they accept and refuse.

use pyo3::prelude::*;

pub mod dumps;
pub mod loads;

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(loads::json_loads, m)?)?;
    m.add_function(wrap_pyfunction!(dumps::json_dumps, m)?)?;
    m.add_function(wrap_pyfunction!(dumps::json_dumps_str, m)?)?;
    Ok(())
}
