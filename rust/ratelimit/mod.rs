//! Rate limiting: rate strings (`rate`), the GCRA / fixed-window / sliding-window algorithms as
//! pure functions (`algo`), the bounded sharded in-memory store (`memory`), the Redis Lua script
//! (`redis`), and the Python edge (`bind`). `Limiter` puts them together without Python.

use pyo3::prelude::*;

pub mod algo;
pub mod bind;
pub mod memory;
pub mod rate;
pub mod redis;

use algo::{decide, Algorithm, Limit, State};
use memory::MemoryStore;

use crate::errors::RATE_LIMIT_ERROR;
use crate::store::redis::RedisPool;
use crate::store::StoreError;

/// A misconfiguration (bad rate string, option or cost).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimitError(pub String);

impl From<RateLimitError> for PyErr {
    fn from(e: RateLimitError) -> PyErr {
        Python::attach(|py| RATE_LIMIT_ERROR.err(py, (e.0,)))
    }
}

/// One limit's answer (times in ns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PerLimit {
    pub allowed: bool,
    pub remaining: u64,
    pub reset_after: u64,
    pub retry_after: u64,
}

/// The answer for a hit: the limit that binds (the refusing one that needs the longest wait, or
/// when admitted the one with the fewest hits left).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub allowed: bool,
    pub index: usize,
    pub remaining: u64,
    pub reset_after: u64,
    /// ns until the same hit would be admitted; None when admitted.
    pub retry_after: Option<u64>,
}

pub fn aggregate(allowed: bool, per: &[PerLimit]) -> Outcome {
    let mut index = 0;
    for (i, p) in per.iter().enumerate() {
        let b = &per[index];
        let better = if allowed {
            p.remaining < b.remaining || (p.remaining == b.remaining && p.reset_after > b.reset_after)
        } else {
            !p.allowed && (b.allowed || p.retry_after > b.retry_after)
        };
        if better {
            index = i;
        }
    }
    let b = per.get(index).copied().unwrap_or(PerLimit { allowed, remaining: 0, reset_after: 0, retry_after: 0 });
    Outcome {
        allowed,
        index,
        remaining: b.remaining,
        reset_after: b.reset_after,
        retry_after: if allowed { None } else { Some(b.retry_after.max(1)) },
    }
}

pub enum Backend {
    Memory(MemoryStore),
    Redis { pool: Box<RedisPool>, prefix: String },
}

pub struct Limiter {
    pub algorithm: Algorithm,
    pub limits: Vec<Limit>,
    pub backend: Backend,
}

impl Limiter {
    /// A hit (`commit`) or a peek on the in-memory store at `now` (ns).
    pub fn memory_hit(&self, store: &MemoryStore, key: &str, now: u64, cost: u64, commit: bool) -> Outcome {
        let alg = self.algorithm;
        let limits = &self.limits;
        store.with(key, now, limits.len(), |states| {
            let mut per = [PerLimit { allowed: true, remaining: 0, reset_after: 0, retry_after: 0 }; memory::MAX_LIMITS];
            let mut next = [State::Fresh; memory::MAX_LIMITS];
            let mut allowed = true;
            let mut expires = 0u64;
            for (i, (l, s)) in limits.iter().zip(states.iter()).enumerate() {
                let d = decide(alg, l, *s, now, cost);
                allowed &= d.allowed;
                expires = expires.max(d.expires);
                next[i] = d.state;
                let (remaining, reset_after) = if commit {
                    (d.remaining, d.reset_after)
                } else {
                    let z = decide(alg, l, *s, now, 0);
                    (z.remaining, z.reset_after)
                };
                per[i] = PerLimit { allowed: d.allowed, remaining, reset_after, retry_after: d.retry_after };
            }
            let n = limits.len();
            let store_it = commit && allowed;
            if store_it {
                states.copy_from_slice(&next[..n]);
            }
            (store_it, expires, aggregate(allowed, &per[..n]))
        })
    }

    /// A hit or peek on Redis (blocking: call it with the GIL released).
    pub fn redis_hit(&self, pool: &RedisPool, prefix: &str, key: &str, cost: u64, commit: bool, now_us: Option<u64>) -> Result<Outcome, StoreError> {
        let keys = redis::redis_keys(prefix, key, self.algorithm, &self.limits);
        let (allowed, per) = redis::hit(pool, &keys, self.algorithm, &self.limits, cost, commit, now_us)?;
        Ok(aggregate(allowed, &per))
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    bind::register(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rate::parse_rates;

    fn limiter(rate: &str, alg: Algorithm) -> Limiter {
        let limits = parse_rates(rate).unwrap().into_iter().map(|r| Limit::new(r, None)).collect();
        Limiter { algorithm: alg, limits, backend: Backend::Memory(MemoryStore::new(1000)) }
    }

    #[test]
    fn several_limits_consume_nothing_when_one_refuses() {
        for alg in [Algorithm::Gcra, Algorithm::FixedWindow, Algorithm::SlidingWindow] {
            let l = limiter("5/second;7/minute", alg);
            let store = MemoryStore::new(1000);
            let s = 1_000_000_000u64;
            let admitted = (0..20).filter(|_| l.memory_hit(&store, "k", 10 * s, 1, true).allowed).count();
            assert_eq!(admitted, 5, "{alg:?}");
            // A second later the per-second limit has room, the per-minute one has 2 left: the
            // refused hits above consumed nothing from it.
            let admitted = (0..20).filter(|_| l.memory_hit(&store, "k", 12 * s, 1, true).allowed).count();
            assert_eq!(admitted, 2, "{alg:?}");
            let o = l.memory_hit(&store, "k", 12 * s, 1, true);
            assert!(!o.allowed);
            assert_eq!(o.index, 1, "the per-minute limit binds");
        }
    }

    #[test]
    fn peek_consumes_nothing() {
        let l = limiter("3/minute", Algorithm::Gcra);
        let store = MemoryStore::new(10);
        for _ in 0..10 {
            let p = l.memory_hit(&store, "k", 0, 1, false);
            assert!(p.allowed && p.remaining == 3);
        }
        assert_eq!(l.memory_hit(&store, "k", 0, 1, true).remaining, 2);
        assert_eq!(l.memory_hit(&store, "k", 0, 1, false).remaining, 2);
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn aggregate_picks_the_binding_limit() {
        let p = |allowed, remaining, reset_after, retry_after| PerLimit { allowed, remaining, reset_after, retry_after };
        let o = aggregate(true, &[p(true, 5, 10, 0), p(true, 2, 100, 0), p(true, 2, 200, 0)]);
        assert_eq!((o.index, o.remaining, o.retry_after), (2, 2, None));
        let o = aggregate(false, &[p(true, 5, 10, 0), p(false, 0, 100, 30), p(false, 0, 200, 70)]);
        assert_eq!((o.index, o.retry_after), (2, Some(70)));
    }
}
