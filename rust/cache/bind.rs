//! The Python edge of the in-memory cache: `webaccel._core.Cache`, a frozen class over sharded
//! `Mutex<Shard>`s. Keys are exact `str`/`bytes` (hashed with Python's own, cached, hash);
//! values are stored as references, never copied. No Python code runs while a shard is locked:
//! the clock, `sizeof` and value destructors run before the lock is taken or after it is let go.

use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Instant;

use pyo3::exceptions::{PyKeyError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyInt, PyString};

use super::policy::{shard_of, Dropped, Limits, Shard, Stats, Stored};
use crate::errors::guard;

type PyShard = Shard<Py<PyAny>, Py<PyAny>>;

fn process_start() -> Instant {
    static START: OnceLock<Instant> = OnceLock::new();
    *START.get_or_init(Instant::now)
}

/// Nanoseconds on the monotonic clock, never 0 (0 means "no deadline").
fn monotonic_ns() -> u64 {
    process_start().elapsed().as_nanos() as u64 + 1
}

/// Per-shard capacities: each shard keeps at least 256 items and 4 MiB (a value heavier than
/// its shard's share is not stored), and there are never more shards than 4 per CPU.
fn shard_count(max_items: Option<u64>, max_bytes: Option<u64>) -> usize {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut n = (cpus * 4).next_power_of_two().min(64) as u64;
    if let Some(items) = max_items {
        n = n.min((items / 256).max(1));
    }
    if let Some(bytes) = max_bytes {
        n = n.min((bytes / (4 << 20)).max(1));
    }
    // Round down to a power of two.
    1usize << (63 - n.max(1).leading_zeros())
}

fn split(total: Option<u64>, shards: usize, i: usize) -> u64 {
    match total {
        None => u64::MAX,
        Some(t) => t / shards as u64 + u64::from((i as u64) < t % shards as u64),
    }
}

static GETSIZEOF: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// An in-memory cache: W-TinyLFU eviction, bounded by item count and/or bytes, per-entry TTL.
#[pyclass(frozen, subclass, module = "webaccel._core", name = "Cache")]
pub struct PyCache {
    shards: Box<[Mutex<PyShard>]>,
    max_items: Option<u64>,
    max_bytes: Option<u64>,
    /// Default time to live in nanoseconds (0 = none).
    default_ttl: u64,
    default_ttl_secs: Option<f64>,
    timer: Option<Py<PyAny>>,
    sizeof: Option<Py<PyAny>>,
}

/// How "now" is read: lazily from the monotonic clock, or a value read from the user's timer
/// before the lock was taken.
#[derive(Clone, Copy)]
enum Now {
    Clock,
    Fixed(u64),
}

impl Now {
    #[inline]
    fn read(self) -> impl FnMut() -> u64 {
        let mut cached = 0u64;
        move || match self {
            Now::Fixed(t) => t,
            Now::Clock => {
                if cached == 0 {
                    cached = monotonic_ns();
                }
                cached
            }
        }
    }
}

#[inline]
fn check_key(key: &Bound<'_, PyAny>) -> PyResult<u64> {
    if key.is_exact_instance_of::<PyString>() || key.is_exact_instance_of::<PyBytes>() {
        Ok(key.hash()? as u64)
    } else {
        Err(PyTypeError::new_err(format!(
            "cache keys must be str or bytes, not {}",
            key.get_type().name().map_or_else(|_| "?".to_owned(), |n| n.to_string())
        )))
    }
}

/// Equality of a stored key with the key looked up: identity first, then (same exact type
/// only, so no user `__eq__` can run under the lock) str/bytes comparison.
#[inline]
fn key_eq<'a, 'py>(key: &'a Bound<'py, PyAny>) -> impl FnMut(&Py<PyAny>) -> bool + 'a {
    move |stored: &Py<PyAny>| {
        if stored.as_ptr() == key.as_ptr() {
            return true;
        }
        let s = stored.bind(key.py());
        s.get_type().is(key.get_type()) && s.eq(key).unwrap_or(false)
    }
}

/// Seconds to a relative deadline in nanoseconds: `Some(0)` = already expired, `None` = never.
fn ttl_ns(ttl: f64) -> PyResult<Option<u64>> {
    if ttl.is_nan() {
        return Err(PyValueError::new_err("ttl must be a number of seconds, not NaN"));
    }
    if ttl == f64::INFINITY {
        return Ok(None);
    }
    if ttl <= 0.0 {
        return Ok(Some(0));
    }
    Ok(Some(((ttl * 1e9) as u64).max(1)))
}

impl PyCache {
    #[inline]
    fn shard(&self, hash: u64) -> MutexGuard<'_, PyShard> {
        let i = shard_of(hash, self.shards.len());
        self.shards[i].lock().unwrap_or_else(PoisonError::into_inner)
    }

    #[inline]
    fn now(&self, py: Python<'_>) -> PyResult<Now> {
        match &self.timer {
            None => Ok(Now::Clock),
            Some(t) => {
                let secs: f64 = t.bind(py).call0()?.extract()?;
                Ok(Now::Fixed(if secs.is_finite() && secs > 0.0 { (secs * 1e9) as u64 + 1 } else { 1 }))
            }
        }
    }

    /// The deadline for a new entry (0 = never), or `None` when the ttl says "already expired".
    fn deadline(&self, ttl: Option<f64>, now: Now) -> PyResult<Option<u64>> {
        let rel = match ttl {
            None if self.default_ttl == 0 => return Ok(Some(0)),
            None => Some(self.default_ttl),
            Some(t) => ttl_ns(t)?,
        };
        match rel {
            None => Ok(Some(0)),
            Some(0) => Ok(None),
            Some(r) => Ok(Some(now.read()().saturating_add(r))),
        }
    }

    fn weight(&self, key: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<u64> {
        if self.max_bytes.is_none() {
            return Ok(1);
        }
        let py = key.py();
        let key_size = key.len()? as u64;
        let value_size: u64 = if let Some(f) = &self.sizeof {
            let n: i64 = f.bind(py).call1((value,))?.extract()?;
            if n < 0 {
                return Err(PyValueError::new_err("sizeof() returned a negative size"));
            }
            n as u64
        } else if value.is_instance_of::<PyBytes>()
            || value.is_instance_of::<PyString>()
            || value.is_instance_of::<pyo3::types::PyByteArray>()
        {
            value.len()? as u64
        } else {
            let getsizeof = GETSIZEOF.get_or_try_init(py, || -> PyResult<Py<PyAny>> {
                Ok(py.import("sys")?.getattr("getsizeof")?.unbind())
            })?;
            getsizeof.bind(py).call1((value,))?.extract()?
        };
        Ok(key_size + value_size)
    }

    fn do_set(&self, key: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>, ttl: Option<f64>, only_if_absent: bool) -> PyResult<bool> {
        let py = key.py();
        let hash = check_key(key)?;
        let now = self.now(py)?;
        let mut dropped: Dropped<Py<PyAny>, Py<PyAny>> = Vec::new();
        let Some(deadline) = self.deadline(ttl, now)? else {
            // Already expired: storing it would only evict a live entry.
            if !only_if_absent {
                let mut shard = self.shard(hash);
                shard.delete(hash, key_eq(key), now.read(), &mut dropped);
            }
            drop(dropped);
            return Ok(!only_if_absent);
        };
        let weight = self.weight(key, value)?;
        let stored = {
            let mut shard = self.shard(hash);
            if only_if_absent && shard.contains(hash, key_eq(key), now.read(), &mut dropped) {
                false
            } else {
                let r = shard.set(hash, key.clone().unbind(), key_eq(key), value.clone().unbind(), weight, deadline, now.read(), &mut dropped);
                r == Stored::Yes
            }
        };
        drop(dropped); // outside the lock: destructors may run Python code
        Ok(stored)
    }

    fn lookup<'py>(&self, key: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let py = key.py();
        let hash = check_key(key)?;
        let now = self.now(py)?;
        let mut dropped = Vec::new();
        let found = {
            let mut shard = self.shard(hash);
            shard.get(hash, key_eq(key), now.read(), &mut dropped).map(|v| v.bind(py).clone())
        };
        drop(dropped);
        Ok(found)
    }

    fn total_stats(&self) -> (Stats, usize, u64) {
        let mut stats = Stats::default();
        let (mut len, mut weight) = (0, 0);
        for s in self.shards.iter() {
            let s = s.lock().unwrap_or_else(PoisonError::into_inner);
            stats += s.stats;
            len += s.len();
            weight += s.weight();
        }
        (stats, len, weight)
    }
}

#[pymethods]
impl PyCache {
    #[new]
    #[pyo3(signature = (max_items=None, max_bytes=None, ttl=None, *, sizeof=None, timer=None))]
    fn new(
        py: Python<'_>,
        max_items: Option<i64>,
        max_bytes: Option<i64>,
        ttl: Option<f64>,
        sizeof: Option<Py<PyAny>>,
        timer: Option<Py<PyAny>>,
    ) -> PyResult<Self> {
        guard(py, || {
            let non_negative = |name: &str, v: Option<i64>| -> PyResult<Option<u64>> {
                match v {
                    Some(n) if n < 0 => Err(PyValueError::new_err(format!("{name} must be >= 0, not {n}"))),
                    other => Ok(other.map(|n| n as u64)),
                }
            };
            let max_items = non_negative("max_items", max_items)?;
            let max_bytes = non_negative("max_bytes", max_bytes)?;
            let default_ttl = match ttl {
                None => 0,
                Some(t) => match ttl_ns(t)? {
                    None => 0,
                    Some(0) => return Err(PyValueError::new_err("ttl must be > 0 seconds (or None)")),
                    Some(n) => n,
                },
            };
            let n = shard_count(max_items, max_bytes);
            let seed = monotonic_ns();
            let shards = (0..n)
                .map(|i| {
                    let limits = Limits { items: split(max_items, n, i), weight: split(max_bytes, n, i) };
                    Mutex::new(Shard::new(limits, seed.wrapping_add(i as u64)))
                })
                .collect();
            Ok(Self {
                shards,
                max_items,
                max_bytes,
                default_ttl,
                default_ttl_secs: ttl.filter(|t| t.is_finite()),
                timer,
                sizeof,
            })
        })
    }

    #[getter]
    fn max_items(&self) -> Option<u64> {
        self.max_items
    }

    #[getter]
    fn max_bytes(&self) -> Option<u64> {
        self.max_bytes
    }

    #[getter]
    fn ttl(&self) -> Option<f64> {
        self.default_ttl_secs
    }

    /// The value for `key`, or `default` when it is absent or expired.
    #[pyo3(signature = (key, default=None))]
    fn get<'py>(&self, key: &Bound<'py, PyAny>, default: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        let py = key.py();
        guard(py, || match self.lookup(key)? {
            Some(v) => Ok(v),
            None => Ok(default.map_or_else(|| py.None().into_bound(py), |d| d.clone())),
        })
    }

    fn __getitem__<'py>(&self, key: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        guard(key.py(), || match self.lookup(key)? {
            Some(v) => Ok(v),
            None => Err(PyKeyError::new_err(key.clone().unbind())),
        })
    }

    /// Store `value` under `key` for `ttl` seconds (None: the cache's default; inf: forever;
    /// <= 0: already expired, so the key is removed). Returns whether it was stored.
    #[pyo3(signature = (key, value, ttl=None))]
    fn set(&self, key: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>, ttl: Option<f64>) -> PyResult<bool> {
        guard(key.py(), || self.do_set(key, value, ttl, false))
    }

    fn __setitem__(&self, key: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        guard(key.py(), || self.do_set(key, value, None, false).map(|_| ()))
    }

    /// Store only when `key` is absent (or expired); returns whether it was stored.
    #[pyo3(signature = (key, value, ttl=None))]
    fn add(&self, key: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>, ttl: Option<f64>) -> PyResult<bool> {
        guard(key.py(), || self.do_set(key, value, ttl, true))
    }

    /// Remove `key`; returns whether a live entry was removed.
    fn delete(&self, key: &Bound<'_, PyAny>) -> PyResult<bool> {
        let py = key.py();
        guard(py, || {
            let hash = check_key(key)?;
            let now = self.now(py)?;
            let mut dropped = Vec::new();
            let removed = self.shard(hash).delete(hash, key_eq(key), now.read(), &mut dropped);
            drop(dropped);
            Ok(removed)
        })
    }

    fn __delitem__(&self, key: &Bound<'_, PyAny>) -> PyResult<()> {
        if self.delete(key)? {
            Ok(())
        } else {
            Err(PyKeyError::new_err(key.clone().unbind()))
        }
    }

    fn __contains__(&self, key: &Bound<'_, PyAny>) -> PyResult<bool> {
        let py = key.py();
        guard(py, || {
            let hash = check_key(key)?;
            let now = self.now(py)?;
            let mut dropped = Vec::new();
            let found = self.shard(hash).contains(hash, key_eq(key), now.read(), &mut dropped);
            drop(dropped);
            Ok(found)
        })
    }

    /// Give a live entry a new time to live (same meaning as `set`'s `ttl`); returns whether
    /// the key was there.
    #[pyo3(signature = (key, ttl=None))]
    fn touch(&self, key: &Bound<'_, PyAny>, ttl: Option<f64>) -> PyResult<bool> {
        let py = key.py();
        guard(py, || {
            let hash = check_key(key)?;
            let now = self.now(py)?;
            let mut dropped = Vec::new();
            let found = match self.deadline(ttl, now)? {
                Some(deadline) => self.shard(hash).touch(hash, key_eq(key), deadline, now.read(), &mut dropped),
                None => self.shard(hash).delete(hash, key_eq(key), now.read(), &mut dropped),
            };
            drop(dropped);
            Ok(found)
        })
    }

    /// Add `delta` to the int stored under `key` and return the new value, atomically; the
    /// entry keeps its deadline. A missing key raises `KeyError`, unless `initial` is given:
    /// then `initial + delta` is stored (with the default ttl).
    #[pyo3(signature = (key, delta=None, *, initial=None))]
    fn incr<'py>(
        &self,
        key: &Bound<'py, PyAny>,
        delta: Option<&Bound<'py, PyAny>>,
        initial: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = key.py();
        guard(py, || {
            let one = 1i64.into_pyobject(py)?.into_any();
            let delta = delta.unwrap_or(&one);
            let is_int = |v: &Bound<'_, PyAny>| v.is_exact_instance_of::<PyInt>();
            if !is_int(delta) {
                return Err(PyTypeError::new_err("incr() delta must be an int"));
            }
            let hash = check_key(key)?;
            let now = self.now(py)?;
            let mut dropped = Vec::new();
            let result = {
                let mut shard = self.shard(hash);
                match shard.get_mut(hash, key_eq(key), now.read(), &mut dropped) {
                    Some(v) => {
                        let cur = v.bind(py);
                        if !is_int(cur) {
                            return Err(PyTypeError::new_err("incr() needs the stored value to be an int"));
                        }
                        // int + int runs no user code, so it is safe under the lock.
                        let new = cur.add(delta)?;
                        let old = std::mem::replace(v, new.clone().unbind());
                        dropped.push((key.clone().unbind(), old));
                        Some(new)
                    }
                    None => None,
                }
            };
            drop(dropped);
            match (result, initial) {
                (Some(v), _) => Ok(v),
                (None, Some(init)) => {
                    if !is_int(init) {
                        return Err(PyTypeError::new_err("incr() initial must be an int"));
                    }
                    let v = init.add(delta)?;
                    self.do_set(key, &v, None, false)?;
                    Ok(v)
                }
                (None, None) => Err(PyKeyError::new_err(key.clone().unbind())),
            }
        })
    }

    /// A dict of the keys found (absent and expired keys are left out).
    fn get_many<'py>(&self, keys: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
        let py = keys.py();
        guard(py, || {
            let out = PyDict::new(py);
            for key in keys.try_iter()? {
                let key = key?;
                if let Some(v) = self.lookup(&key)? {
                    out.set_item(key, v)?;
                }
            }
            Ok(out)
        })
    }

    /// Store every item of a mapping (or an iterable of pairs) with the same ttl.
    #[pyo3(signature = (mapping, ttl=None))]
    fn set_many(&self, mapping: &Bound<'_, PyAny>, ttl: Option<f64>) -> PyResult<()> {
        let py = mapping.py();
        guard(py, || {
            let items = if let Ok(d) = mapping.cast::<PyDict>() { d.items().into_any() } else if mapping.hasattr("items")? {
                mapping.call_method0("items")?
            } else {
                mapping.clone()
            };
            for item in items.try_iter()? {
                let (k, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item?.extract()?;
                self.do_set(&k, &v, ttl, false)?;
            }
            Ok(())
        })
    }

    /// Remove everything (statistics are kept).
    fn clear(&self, py: Python<'_>) -> PyResult<()> {
        guard(py, || {
            for s in self.shards.iter() {
                let mut dropped = Vec::new();
                s.lock().unwrap_or_else(PoisonError::into_inner).clear(&mut dropped);
                drop(dropped);
            }
            Ok(())
        })
    }

    /// Drop every expired entry now (they are otherwise dropped when met); returns how many.
    fn purge(&self, py: Python<'_>) -> PyResult<usize> {
        guard(py, || {
            let now = self.now(py)?;
            let mut n = 0;
            for s in self.shards.iter() {
                let mut dropped = Vec::new();
                n += s.lock().unwrap_or_else(PoisonError::into_inner).purge_expired(now.read(), &mut dropped);
                drop(dropped);
            }
            Ok(n)
        })
    }

    /// Live keys (a snapshot).
    fn keys(&self, py: Python<'_>) -> PyResult<Vec<Py<PyAny>>> {
        guard(py, || {
            let now = self.now(py)?;
            let mut out = Vec::new();
            for s in self.shards.iter() {
                let s = s.lock().unwrap_or_else(PoisonError::into_inner);
                out.extend(s.entries(now.read()).into_iter().map(|(k, _)| k.clone_ref(py)));
            }
            Ok(out)
        })
    }

    /// Entries held, including expired ones not yet dropped.
    fn __len__(&self) -> usize {
        self.shards.iter().map(|s| s.lock().unwrap_or_else(PoisonError::into_inner).len()).sum()
    }

    /// Counters since creation: hits, misses, sets, evictions (by the size policy),
    /// expirations, rejections (values too large to store), plus the current size.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        guard(py, || {
            let (s, len, weight) = self.total_stats();
            let d = PyDict::new(py);
            d.set_item("hits", s.hits)?;
            d.set_item("misses", s.misses)?;
            let lookups = s.hits + s.misses;
            d.set_item("hit_ratio", if lookups == 0 { 0.0 } else { s.hits as f64 / lookups as f64 })?;
            d.set_item("sets", s.sets)?;
            d.set_item("evictions", s.evictions)?;
            d.set_item("expirations", s.expirations)?;
            d.set_item("rejections", s.rejections)?;
            d.set_item("items", len)?;
            d.set_item("bytes", if self.max_bytes.is_some() { Some(weight) } else { None })?;
            d.set_item("max_items", self.max_items)?;
            d.set_item("max_bytes", self.max_bytes)?;
            d.set_item("shards", self.shards.len())?;
            Ok(d)
        })
    }

    fn __repr__(&self) -> String {
        let opt = |v: Option<u64>| v.map_or_else(|| "None".to_owned(), |n| n.to_string());
        format!(
            "Cache(max_items={}, max_bytes={}, ttl={})",
            opt(self.max_items),
            opt(self.max_bytes),
            self.default_ttl_secs.map_or_else(|| "None".to_owned(), |t| t.to_string())
        )
    }
}
