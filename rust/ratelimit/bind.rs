//! The Python edge: `RateLimiter` (subclassed in `webaccel/ratelimit.py`) and `RateLimitResult`.
//! Memory hits run inline (well under a microsecond, no I/O); Redis hits release the GIL for the
//! round trip. A Redis failure never raises: `fail_open` decides, and a warning is logged through
//! Python's `logging` at most once per `WARN_INTERVAL` (with the count of failures in between).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyTuple;

use super::algo::{Algorithm, Limit};
use super::memory::MemoryStore;
use super::rate::parse_rates;
use super::{Backend, Limiter, Outcome, RateLimitError};
use crate::errors::guard;
use crate::store::bind::redis_options;
use crate::store::redis::RedisPool;

const NS: f64 = 1e9;
const WARN_INTERVAL_NS: u64 = 10_000_000_000;
const MAX_COST: i64 = 1_000_000_000_000;

fn monotonic_ns() -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    EPOCH.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

/// The outcome of one hit, as Python sees it. Truthy when admitted.
#[pyclass(frozen, module = "webaccel._core", name = "RateLimitResult")]
pub struct RateLimitResult {
    /// Whether the hit was admitted.
    #[pyo3(get)]
    allowed: bool,
    /// The binding limit's amount (hits per window).
    #[pyo3(get)]
    limit: u64,
    /// Hits still admitted by the binding limit.
    #[pyo3(get)]
    remaining: u64,
    reset_ns: u64,
    retry_ns: Option<u64>,
    window_ns: u64,
    /// Which of the limiter's limits binds (index into `RateLimiter.limits`).
    #[pyo3(get)]
    index: usize,
    /// True when the storage failed and the outage policy (`fail_open`) gave this answer.
    #[pyo3(get)]
    degraded: bool,
}

#[pymethods]
impl RateLimitResult {
    /// Seconds until the binding limit is entirely available again.
    #[getter]
    fn reset_after(&self) -> f64 {
        self.reset_ns as f64 / NS
    }

    /// Seconds until the same hit would be admitted; None when it was admitted.
    #[getter]
    fn retry_after(&self) -> Option<f64> {
        self.retry_ns.map(|n| n as f64 / NS)
    }

    /// The binding limit's window (period) in seconds.
    #[getter]
    fn window(&self) -> f64 {
        self.window_ns as f64 / NS
    }

    fn __bool__(&self) -> bool {
        self.allowed
    }

    fn __repr__(&self) -> String {
        let retry = self.retry_ns.map_or_else(|| "None".to_owned(), |n| format!("{}", n as f64 / NS));
        format!(
            "RateLimitResult(allowed={}, limit={}, remaining={}, reset_after={}, retry_after={retry}{})",
            if self.allowed { "True" } else { "False" },
            self.limit,
            self.remaining,
            self.reset_ns as f64 / NS,
            if self.degraded { ", degraded=True" } else { "" }
        )
    }
}

#[pyclass(frozen, subclass, module = "webaccel._core", name = "RateLimiter")]
pub struct RateLimiter {
    inner: Limiter,
    clock: Option<Py<PyAny>>,
    fail_open: bool,
    rate: String,
    last_warn: AtomicU64,
    failures: AtomicU64,
    down: AtomicBool,
}

static LOGGER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn logger(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    Ok(LOGGER
        .get_or_try_init(py, || -> PyResult<Py<PyAny>> {
            Ok(py.import("logging")?.call_method1("getLogger", ("webaccel.ratelimit",))?.unbind())
        })?
        .bind(py))
}

fn cost_of(cost: i64) -> Result<u64, RateLimitError> {
    if !(0..=MAX_COST).contains(&cost) {
        return Err(RateLimitError(format!("cost must be between 0 and {MAX_COST}, not {cost}")));
    }
    Ok(cost as u64)
}

impl RateLimiter {
    fn now(&self, py: Python<'_>) -> PyResult<u64> {
        let Some(clock) = &self.clock else { return Ok(monotonic_ns()) };
        let secs: f64 = clock.bind(py).call0()?.extract()?;
        if !(0.0..=1e10).contains(&secs) {
            return Err(RateLimitError(format!("clock() returned {secs}; it must return seconds >= 0")).into());
        }
        Ok((secs * NS).round() as u64)
    }

    fn result(&self, o: Outcome, degraded: bool) -> RateLimitResult {
        let l = self.inner.limits.get(o.index).copied().unwrap_or(Limit { amount: 0, period_ns: 0, burst: 0 });
        RateLimitResult {
            allowed: o.allowed,
            limit: l.amount,
            remaining: o.remaining,
            reset_ns: o.reset_after,
            retry_ns: o.retry_after,
            window_ns: l.period_ns,
            index: o.index,
            degraded,
        }
    }

    /// The outage policy's answer, with a rate-limited warning.
    fn outage(&self, py: Python<'_>, pool: &RedisPool, err: &crate::store::StoreError) -> PyResult<RateLimitResult> {
        let failures = self.failures.fetch_add(1, Ordering::Relaxed) + 1;
        self.down.store(true, Ordering::Relaxed);
        let now = monotonic_ns();
        let last = self.last_warn.load(Ordering::Relaxed);
        if (last == 0 || now.saturating_sub(last) >= WARN_INTERVAL_NS)
            && self.last_warn.compare_exchange(last, now.max(1), Ordering::Relaxed, Ordering::Relaxed).is_ok()
        {
            self.failures.store(0, Ordering::Relaxed);
            let policy = if self.fail_open { "admitting requests (fail_open=True)" } else { "refusing requests (fail_open=False)" };
            let msg = format!(
                "rate limit storage failed {failures} time(s) since the last warning, {policy}: {err}"
            );
            // Logging must not turn an outage into an exception.
            if let Ok(log) = logger(py) {
                let _ = log.call_method1("warning", (msg,));
            }
        }
        let first = &self.inner.limits[0];
        let wait = pool.options().retry_interval.as_nanos().max(1_000_000_000) as u64;
        Ok(if self.fail_open {
            RateLimitResult {
                allowed: true,
                limit: first.amount,
                remaining: first.amount,
                reset_ns: 0,
                retry_ns: None,
                window_ns: first.period_ns,
                index: 0,
                degraded: true,
            }
        } else {
            RateLimitResult {
                allowed: false,
                limit: first.amount,
                remaining: 0,
                reset_ns: wait,
                retry_ns: Some(wait),
                window_ns: first.period_ns,
                index: 0,
                degraded: true,
            }
        })
    }

    fn recovered(&self, py: Python<'_>, pool: &RedisPool) {
        if self.down.swap(false, Ordering::Relaxed) {
            self.failures.store(0, Ordering::Relaxed);
            self.last_warn.store(0, Ordering::Relaxed);
            if let Ok(log) = logger(py) {
                let _ = log.call_method1("warning", (format!("rate limit storage {} is reachable again", pool.url()),));
            }
        }
    }

    fn run(&self, py: Python<'_>, key: &str, cost: i64, commit: bool) -> PyResult<RateLimitResult> {
        self.run_at(py, key, cost, commit, None)
    }

    fn run_at(&self, py: Python<'_>, key: &str, cost: i64, commit: bool, redis_now_us: Option<u64>) -> PyResult<RateLimitResult> {
        let cost = cost_of(cost)?;
        match &self.inner.backend {
            Backend::Memory(store) => {
                let now = self.now(py)?;
                Ok(self.result(self.inner.memory_hit(store, key, now, cost, commit), false))
            }
            Backend::Redis { pool, prefix } => {
                let inner = &self.inner;
                match py.detach(|| inner.redis_hit(pool, prefix, key, cost, commit, redis_now_us)) {
                    Ok(o) => {
                        if self.down.load(Ordering::Relaxed) {
                            self.recovered(py, pool);
                        }
                        Ok(self.result(o, false))
                    }
                    Err(e) => self.outage(py, pool, &e),
                }
            }
        }
    }
}

#[pymethods]
impl RateLimiter {
    #[new]
    #[pyo3(signature = (
        rate, *, algorithm="gcra", storage="memory://", max_keys=100_000, fail_open=true, burst=None,
        key_prefix="webaccel:rl", timeout=0.1, connect_timeout=None, pool_size=16, retry_interval=0.5,
        clock=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        rate: &str,
        algorithm: &str,
        storage: &str,
        max_keys: i64,
        fail_open: bool,
        burst: Option<i64>,
        key_prefix: &str,
        timeout: f64,
        connect_timeout: Option<f64>,
        pool_size: usize,
        retry_interval: f64,
        clock: Option<Py<PyAny>>,
    ) -> PyResult<Self> {
        guard(py, || {
            let algorithm = Algorithm::parse(algorithm).ok_or_else(|| {
                RateLimitError(format!("unknown algorithm {algorithm:?}: use \"gcra\", \"fixed_window\" or \"sliding_window\""))
            })?;
            let rates = parse_rates(rate)?;
            let burst = match burst {
                None => None,
                Some(_) if algorithm != Algorithm::Gcra => {
                    return Err(RateLimitError("burst= applies to the gcra algorithm only".into()).into())
                }
                Some(_) if rates.len() > 1 => {
                    return Err(RateLimitError("burst= applies to a single limit; give each limit its own limiter".into()).into())
                }
                Some(b) if !(1..=1_000_000_000_000).contains(&b) => {
                    return Err(RateLimitError(format!("burst must be between 1 and 10^12, not {b}")).into())
                }
                Some(b) => Some(b as u64),
            };
            let limits: Vec<Limit> = rates.iter().map(|r| Limit::new(*r, burst)).collect();
            if let Some(c) = &clock {
                if !c.bind(py).is_callable() {
                    return Err(PyTypeError::new_err("clock must be a callable returning seconds (like time.monotonic)"));
                }
            }
            let backend = if storage == "memory://" || storage == "memory" {
                if max_keys < 1 {
                    return Err(RateLimitError(format!("max_keys must be at least 1, not {max_keys}")).into());
                }
                Backend::Memory(MemoryStore::new(usize::try_from(max_keys).unwrap_or(usize::MAX)))
            } else if ["redis://", "unix://", "redis+unix://", "rediss://"].iter().any(|s| storage.starts_with(s)) {
                if clock.is_some() {
                    return Err(RateLimitError("clock= applies to memory storage only: Redis storage uses the server's clock".into()).into());
                }
                if key_prefix.is_empty() || key_prefix.len() > 256 || key_prefix.contains(['{', '}']) {
                    return Err(RateLimitError("key_prefix must be 1 to 256 characters without braces".into()).into());
                }
                let options = redis_options(timeout, connect_timeout.unwrap_or(timeout), pool_size, retry_interval, (retry_interval * 10.0).clamp(retry_interval, 30.0f64.max(retry_interval)))?;
                Backend::Redis { pool: Box::new(RedisPool::new(storage, options)?), prefix: key_prefix.to_owned() }
            } else {
                return Err(RateLimitError(format!("unknown storage {storage:?}: use \"memory://\" or a redis:// URL")).into());
            };
            Ok(Self {
                inner: Limiter { algorithm, limits, backend },
                clock,
                fail_open,
                rate: rate.to_owned(),
                last_warn: AtomicU64::new(0),
                failures: AtomicU64::new(0),
                down: AtomicBool::new(false),
            })
        })
    }

    /// Counts a hit of `cost` against `key` and says whether it is admitted. With several limits
    /// it is admitted only when every limit admits it, and a refused hit consumes nothing.
    #[pyo3(signature = (key, cost=1))]
    fn hit(&self, py: Python<'_>, key: &str, cost: i64) -> PyResult<RateLimitResult> {
        guard(py, || self.run(py, key, cost, true))
    }

    /// What `hit(key, cost)` would answer, without consuming anything (`remaining` and
    /// `reset_after` describe the key as it is).
    #[pyo3(signature = (key, cost=1))]
    fn peek(&self, py: Python<'_>, key: &str, cost: i64) -> PyResult<RateLimitResult> {
        guard(py, || self.run(py, key, cost, false))
    }

    /// Tests only: a hit on Redis storage at `now` (seconds) instead of the server's clock, so
    /// the Lua script can be compared with the in-memory algorithms at chosen times.
    #[pyo3(signature = (key, cost, now, commit=true))]
    fn _redis_hit_at(&self, py: Python<'_>, key: &str, cost: i64, now: f64, commit: bool) -> PyResult<RateLimitResult> {
        guard(py, || {
            if !matches!(self.inner.backend, Backend::Redis { .. }) {
                return Err(PyTypeError::new_err("_redis_hit_at() is for Redis storage"));
            }
            if !(0.0..1e12).contains(&now) {
                return Err(RateLimitError(format!("now must be seconds >= 0, not {now}")).into());
            }
            self.run_at(py, key, cost, commit, Some((now * 1e6).round() as u64))
        })
    }

    /// Forgets `key` (every limit). True when there was state; False also when Redis is down.
    fn reset(&self, py: Python<'_>, key: &str) -> PyResult<bool> {
        guard(py, || match &self.inner.backend {
            Backend::Memory(store) => Ok(store.remove(key)),
            Backend::Redis { pool, prefix } => {
                let keys = super::redis::redis_keys(prefix, key, self.inner.algorithm, &self.inner.limits);
                match py.detach(|| super::redis::reset(pool, &keys)) {
                    Ok(found) => Ok(found),
                    Err(e) => self.outage(py, pool, &e).map(|_| false),
                }
            }
        })
    }

    /// Forgets every key (memory storage; on Redis, keys expire on their own).
    fn clear(&self, py: Python<'_>) -> PyResult<()> {
        guard(py, || match &self.inner.backend {
            Backend::Memory(store) => {
                store.clear();
                Ok(())
            }
            Backend::Redis { .. } => Err(PyTypeError::new_err("clear() is for memory storage; Redis keys expire on their own")),
        })
    }

    /// Keys held in memory (expired ones included until swept); 0 for Redis storage.
    fn __len__(&self) -> usize {
        match &self.inner.backend {
            Backend::Memory(store) => store.len(),
            Backend::Redis { .. } => 0,
        }
    }

    /// `(amount, period in seconds)` for each limit, in the order of the rate string.
    #[getter]
    fn limits<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyTuple>>> {
        self.inner
            .limits
            .iter()
            .map(|l| PyTuple::new(py, [l.amount.into_pyobject(py)?.into_any(), (l.period_ns as f64 / NS).into_pyobject(py)?.into_any()]))
            .collect()
    }

    #[getter]
    fn rate(&self) -> &str {
        &self.rate
    }

    #[getter]
    fn algorithm(&self) -> &'static str {
        self.inner.algorithm.name()
    }

    #[getter]
    fn burst(&self) -> u64 {
        self.inner.limits[0].burst
    }

    #[getter]
    fn fail_open(&self) -> bool {
        self.fail_open
    }

    /// "memory://" or the Redis URL with its password masked.
    #[getter]
    fn storage(&self) -> String {
        match &self.inner.backend {
            Backend::Memory(_) => "memory://".to_owned(),
            Backend::Redis { pool, .. } => pool.url().to_owned(),
        }
    }

    /// The most keys held in memory (None for Redis).
    #[getter]
    fn max_keys(&self) -> Option<usize> {
        match &self.inner.backend {
            Backend::Memory(store) => Some(store.capacity()),
            Backend::Redis { .. } => None,
        }
    }

    fn __repr__(&self) -> String {
        format!("RateLimiter({:?}, algorithm={:?}, storage={:?})", self.rate, self.inner.algorithm.name(), self.storage())
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<RateLimiter>()?;
    m.add_class::<RateLimitResult>()?;
    Ok(())
}
