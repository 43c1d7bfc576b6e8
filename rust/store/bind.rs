//! The Python edge of the shared Redis client: `RedisClient` (a pool with `ping` and `execute`,
//! for applications, tests and diagnostics) and `redis_options`, the keyword arguments every
//! Redis-backed class takes (`timeout`, `connect_timeout`, `pool_size`, `retry_interval`,
//! `max_retry_interval`, all in seconds).

use std::sync::Arc;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString, PyTuple};

use super::redis::{RedisOptions, RedisPool};
use super::{seconds, StoreError};
use crate::errors::guard;

/// Builds `RedisOptions` from the keyword arguments Redis-backed classes share (seconds).
pub fn redis_options(
    timeout: f64,
    connect_timeout: f64,
    pool_size: usize,
    retry_interval: f64,
    max_retry_interval: f64,
) -> Result<RedisOptions, StoreError> {
    let options = RedisOptions {
        timeout: seconds("timeout", timeout)?,
        connect_timeout: seconds("connect_timeout", connect_timeout)?,
        pool_size,
        retry_interval: seconds("retry_interval", retry_interval)?,
        max_retry_interval: seconds("max_retry_interval", max_retry_interval.max(retry_interval))?,
    };
    options.validate()?;
    Ok(options)
}

/// A pool of connections to one Redis server (see `rust/store/redis.rs` for the behaviour).
#[pyclass(frozen, module = "webaccel._core", name = "RedisClient")]
pub struct RedisClient {
    pub pool: Arc<RedisPool>,
}

/// One command argument: bytes, str, int or float, as redis-py sends them.
fn arg_bytes(obj: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(b.as_bytes().to_vec());
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(s.to_str()?.as_bytes().to_vec());
    }
    if obj.is_instance_of::<pyo3::types::PyBool>() {
        return Err(PyTypeError::new_err("a bool is not a Redis argument; use int or str"));
    }
    if let Ok(i) = obj.extract::<i64>() {
        return Ok(i.to_string().into_bytes());
    }
    if let Ok(f) = obj.extract::<f64>() {
        return Ok(f.to_string().into_bytes());
    }
    Err(PyTypeError::new_err(format!("a Redis argument must be bytes, str, int or float, not {}", obj.get_type().name()?)))
}

/// A reply as Python objects: bytes, int, None, list, str for status replies, float, bool.
fn reply<'py>(py: Python<'py>, v: ::redis::Value) -> PyResult<Bound<'py, PyAny>> {
    use ::redis::Value;
    Ok(match v {
        Value::Nil => py.None().into_bound(py),
        Value::Int(i) => i.into_pyobject(py)?.into_any(),
        Value::BulkString(b) => PyBytes::new(py, &b).into_any(),
        Value::SimpleString(s) => PyString::new(py, &s).into_any(),
        Value::Okay => PyString::new(py, "OK").into_any(),
        Value::Double(d) => d.into_pyobject(py)?.into_any(),
        Value::Boolean(b) => pyo3::types::PyBool::new(py, b).to_owned().into_any(),
        Value::Array(items) | Value::Set(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(reply(py, item)?)?;
            }
            list.into_any()
        }
        other => PyString::new(py, &format!("{other:?}")).into_any(),
    })
}

#[pymethods]
impl RedisClient {
    #[new]
    #[pyo3(signature = (url, *, timeout=0.1, connect_timeout=0.2, pool_size=16, retry_interval=0.5, max_retry_interval=5.0))]
    fn new(
        py: Python<'_>,
        url: &str,
        timeout: f64,
        connect_timeout: f64,
        pool_size: usize,
        retry_interval: f64,
        max_retry_interval: f64,
    ) -> PyResult<Self> {
        guard(py, || {
            let options = redis_options(timeout, connect_timeout, pool_size, retry_interval, max_retry_interval)?;
            Ok(Self { pool: Arc::new(RedisPool::new(url, options)?) })
        })
    }

    /// `PING`; raises `StorageError` when the server cannot be reached.
    fn ping(&self, py: Python<'_>) -> PyResult<bool> {
        guard(py, || {
            let pool = &self.pool;
            Ok(py.detach(|| pool.ping())?)
        })
    }

    /// Runs one command (`execute("SET", "k", b"v")`) and returns the reply; a server error reply
    /// and an unreachable server both raise `StorageError`.
    #[pyo3(signature = (*args))]
    fn execute<'py>(&self, py: Python<'py>, args: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            if args.is_empty() {
                return Err(PyTypeError::new_err("execute() needs a command name"));
            }
            let parts = args.iter().map(|a| arg_bytes(&a)).collect::<PyResult<Vec<_>>>()?;
            let pool = &self.pool;
            let value = py.detach(|| {
                pool.run(|con| {
                    let mut cmd = ::redis::Cmd::new();
                    for p in &parts {
                        cmd.arg(p.as_slice());
                    }
                    cmd.query::<::redis::Value>(con)
                })
            })?;
            reply(py, value)
        })
    }

    /// The URL, password masked.
    #[getter]
    fn url(&self) -> String {
        self.pool.url().to_owned()
    }

    /// True after a connection failure, until a call succeeds again.
    #[getter]
    fn is_down(&self) -> bool {
        self.pool.is_down()
    }

    /// Idle pooled connections right now.
    #[getter]
    fn idle_connections(&self) -> usize {
        self.pool.idle_count()
    }

    fn __repr__(&self) -> String {
        format!("RedisClient({:?})", self.pool.url())
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<RedisClient>()?;
    Ok(())
}
