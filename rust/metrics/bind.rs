//! The Python edge of the metrics store: the `Metrics` class (observe, render, snapshot, merge).

use std::borrow::Cow;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};

use super::registry::{render, Config, Registry, SeriesSnapshot, DEFAULT_BUCKETS};
use super::MetricsError;
use crate::errors::guard;

const SNAPSHOT_VERSION: u32 = 1;

/// Label text from a str; lone surrogates (which UTF-8 cannot hold) become U+FFFD.
fn text<'a>(s: &'a Bound<'_, PyString>) -> Cow<'a, str> {
    match s.to_str() {
        Ok(t) => Cow::Borrowed(t),
        Err(_) => s.to_string_lossy(),
    }
}

#[pyclass(frozen, name = "Metrics", module = "webaccel.metrics")]
pub struct Metrics {
    registry: Registry,
}

#[pymethods]
impl Metrics {
    #[new]
    #[pyo3(signature = (*, buckets = None, namespace = "http", max_series = 10_000, count_4xx_errors = false))]
    #[pyo3(text_signature = "(*, buckets=(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0), namespace='http', max_series=10000, count_4xx_errors=False)")]
    fn new(py: Python<'_>, buckets: Option<Vec<f64>>, namespace: &str, max_series: usize, count_4xx_errors: bool) -> PyResult<Self> {
        guard(py, || {
            let buckets = buckets.unwrap_or_else(|| DEFAULT_BUCKETS.to_vec());
            let config = Config::new(namespace, &buckets, max_series, count_4xx_errors)?;
            Ok(Self { registry: Registry::new(config) })
        })
    }

    /// Records one request: its method, route template (never the raw path), status and
    /// duration in seconds.
    fn observe(&self, py: Python<'_>, method: &Bound<'_, PyString>, route: &Bound<'_, PyString>, status: u16, seconds: f64) -> PyResult<()> {
        guard(py, || Ok(self.registry.observe(&text(method), &text(route), status, seconds)?))
    }

    /// The Prometheus text exposition format (version 0.0.4).
    fn render(&self, py: Python<'_>) -> PyResult<String> {
        guard(py, || Ok(py.detach(|| self.registry.render())))
    }

    /// Every series' values as plain Python data (JSON-serializable), for `merge` elsewhere.
    fn snapshot<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        guard(py, || {
            let series = py.detach(|| self.registry.snapshot());
            let list = PyList::empty(py);
            for s in series {
                let counts = PyList::new(py, &s.counts)?;
                let row = PyList::new(
                    py,
                    [
                        PyString::new(py, &s.method).into_any(),
                        PyString::new(py, &s.route).into_any(),
                        s.status.into_pyobject(py)?.into_any(),
                        counts.into_any(),
                        s.sum.into_pyobject(py)?.into_any(),
                    ],
                )?;
                list.append(row)?;
            }
            let d = PyDict::new(py);
            d.set_item("version", SNAPSHOT_VERSION)?;
            d.set_item("namespace", &self.registry.config.namespace)?;
            d.set_item("buckets", PyList::new(py, &self.registry.config.buckets)?)?;
            d.set_item("series", list)?;
            Ok(d)
        })
    }

    /// Adds a `snapshot()` (of a Metrics with the same buckets) into this one.
    fn merge(&self, py: Python<'_>, snapshot: &Bound<'_, PyAny>) -> PyResult<()> {
        guard(py, || {
            let series = parse_snapshot(snapshot, &self.registry.config)?;
            Ok(self.registry.merge(&series)?)
        })
    }

    /// The text format for this Metrics plus `snapshots`, without changing this Metrics.
    fn render_with(&self, py: Python<'_>, snapshots: &Bound<'_, PyAny>) -> PyResult<String> {
        guard(py, || {
            let total = Registry::new(self.registry.config.clone());
            total.merge(&self.registry.snapshot())?;
            for snap in snapshots.try_iter()? {
                total.merge(&parse_snapshot(&snap?, &self.registry.config)?)?;
            }
            Ok(py.detach(|| render(&total.config, &total.snapshot())))
        })
    }

    #[getter]
    fn namespace(&self) -> &str {
        &self.registry.config.namespace
    }

    #[getter]
    fn buckets<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, &self.registry.config.buckets)
    }

    #[getter]
    fn max_series(&self) -> usize {
        self.registry.config.max_series
    }

    #[getter]
    fn count_4xx_errors(&self) -> bool {
        self.registry.config.errors_4xx
    }

    #[getter]
    fn series_count(&self) -> usize {
        self.registry.series_count()
    }

    fn __repr__(&self) -> String {
        let c = &self.registry.config;
        format!("Metrics(namespace={:?}, buckets={} bounds, max_series={}, series={})", c.namespace, c.buckets.len(), c.max_series, self.registry.series_count())
    }
}

fn bad(msg: impl Into<String>) -> PyErr {
    MetricsError::Snapshot(msg.into()).into()
}

fn parse_snapshot(obj: &Bound<'_, PyAny>, config: &Config) -> PyResult<Vec<SeriesSnapshot>> {
    let d = obj.cast::<PyDict>().map_err(|_| bad("a snapshot is a dict"))?;
    let version: u32 = d
        .get_item("version")?
        .ok_or_else(|| bad("no version"))?
        .extract()
        .map_err(|_| bad("version is not an int"))?;
    if version != SNAPSHOT_VERSION {
        return Err(bad(format!("version {version}, expected {SNAPSHOT_VERSION}")));
    }
    let buckets: Vec<f64> = d
        .get_item("buckets")?
        .ok_or_else(|| bad("no buckets"))?
        .extract()
        .map_err(|_| bad("buckets is not a list of numbers"))?;
    if buckets != config.buckets {
        return Err(bad("its buckets differ from this Metrics' buckets"));
    }
    let rows = d.get_item("series")?.ok_or_else(|| bad("no series"))?;
    let mut out = Vec::new();
    for row in rows.try_iter().map_err(|_| bad("series is not a list"))? {
        let row = row?;
        let shape = || bad("a series is not [method, route, status, counts, sum]");
        let items: Vec<Bound<'_, PyAny>> = if row.is_instance_of::<PyString>() {
            return Err(shape());
        } else {
            row.extract().map_err(|_| shape())?
        };
        let [method, route, status, counts, sum] = items.as_slice() else { return Err(shape()) };
        let method = method.cast::<PyString>().map_err(|_| shape())?;
        let route = route.cast::<PyString>().map_err(|_| shape())?;
        let status: u16 = status.extract().map_err(|_| shape())?;
        let counts: Vec<u64> = counts.extract().map_err(|_| shape())?;
        let sum: f64 = sum.extract().map_err(|_| shape())?;
        out.push(SeriesSnapshot { method: text(method).into_owned(), route: text(route).into_owned(), status, counts, sum });
    }
    Ok(out)
}
