//! The shared Redis client: a small pool of synchronous redis-rs connections with short
//! timeouts, EVALSHA-with-fallback scripts, and an outage state so a dead server is not hammered.
//! Pure Rust (no Python): the bindings release the GIL around every call (`py.detach`).
//!
//! # Using it from another area (rate limiting, caching, ...)
//!
//! ```ignore
//! use crate::store::redis::{RedisOptions, RedisPool, Script};
//! let pool = RedisPool::new("redis://127.0.0.1:6379/0", RedisOptions::default())?;
//! // One round trip on a pooled connection. Call it inside `py.detach(|| ...)`.
//! let n: i64 = pool.run(|con| ::redis::cmd("INCR").arg("k").query(con))?;
//! static SCRIPT: LazyLock<Script> = LazyLock::new(|| Script::new("return redis.call('TIME')"));
//! let t: Vec<i64> = pool.run(|con| SCRIPT.prepare_invoke().invoke(con))?; // EVALSHA, EVAL on NOSCRIPT
//! ```
//!
//! - URLs: `redis://[[user]:password@]host[:port][/db]`, `redis+unix:///path?db=N&pass=...`,
//!   `unix:///path`. `rediss://` (TLS) is refused: the crate is built without TLS.
//! - [`RedisOptions`]: `timeout` bounds each read and write on a connection, `connect_timeout`
//!   bounds opening one; a call that has to open a connection gives its round trip what is left
//!   of `timeout`, so one round trip takes about `max(timeout, connect_timeout)` at worst.
//!   `pool_size` idle connections are kept; more are opened under load and closed afterwards.
//! - Outage state: a connection or I/O failure (refused, timed out, reset) marks the server down for
//!   `retry_interval` (doubling on each further failure up to `max_retry_interval`); meanwhile
//!   `run` fails at once with [`StoreError::Unavailable`] without touching the network. The first
//!   call after the interval tries again; a success clears the state (recovery on its own).
//!   Server replies that are errors (`WRONGTYPE`, a script error) are [`StoreError::Server`] and
//!   do not mark the server down. `retry_interval = 0` retries on every call.
//! - A failed connection is dropped and so are the idle ones (after a restart they are all dead).
//!   A dead connection taken from the pool gets one retry on a new connection first, so a server
//!   restart costs no request an outage answer.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

pub use ::redis::{Connection, RedisError, RedisResult, Script};
use ::redis::io::tcp::TcpSettings;
use ::redis::{Client, ConnectionAddr, ConnectionLike, IntoConnectionInfo};

use super::StoreError;

/// Connection settings shared by every Redis-backed area.
#[derive(Clone, Debug, PartialEq)]
pub struct RedisOptions {
    /// Bound on each socket read and write of a command.
    pub timeout: Duration,
    /// Bound on opening a connection (TCP connect + AUTH/SELECT handshake). A call that opens a
    /// connection gives its round trip only what is left of `timeout`.
    pub connect_timeout: Duration,
    /// Idle connections kept for reuse.
    pub pool_size: usize,
    /// Pause after a failure before the server is tried again.
    pub retry_interval: Duration,
    /// Cap of the pause when failures repeat (it doubles each time).
    pub max_retry_interval: Duration,
}

impl Default for RedisOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_millis(100),
            connect_timeout: Duration::from_millis(200),
            pool_size: 16,
            retry_interval: Duration::from_millis(500),
            max_retry_interval: Duration::from_secs(5),
        }
    }
}

impl RedisOptions {
    /// Checks the values (timeouts must be positive: redis-rs treats zero as an error).
    pub fn validate(&self) -> Result<(), StoreError> {
        if self.timeout.is_zero() || self.connect_timeout.is_zero() {
            return Err(StoreError::Config("timeout and connect_timeout must be positive".into()));
        }
        if self.max_retry_interval < self.retry_interval {
            return Err(StoreError::Config("max_retry_interval must be at least retry_interval".into()));
        }
        Ok(())
    }
}

fn clock_ns() -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    // +1 so that 0 can mean "never failed".
    EPOCH.get_or_init(Instant::now).elapsed().as_nanos() as u64 + 1
}

/// The outage state machine, with time passed in (so it is testable without sleeping).
#[derive(Debug, Default)]
pub struct Outage {
    /// Monotonic ns before which calls fail fast; 0 when the server is believed up.
    down_until: AtomicU64,
    /// Consecutive failures (for the doubling pause).
    failures: AtomicU32,
}

impl Outage {
    /// Whether a call at `now` may try the server.
    pub fn may_try(&self, now: u64) -> bool {
        let until = self.down_until.load(Ordering::Relaxed);
        until == 0 || now >= until
    }

    pub fn is_down(&self) -> bool {
        self.down_until.load(Ordering::Relaxed) != 0
    }

    pub fn failed(&self, now: u64, first: Duration, max: Duration) {
        let n = self.failures.fetch_add(1, Ordering::Relaxed).min(16);
        let pause = first.saturating_mul(1u32 << n).min(max);
        let until = now.saturating_add(pause.as_nanos() as u64).max(1);
        self.down_until.store(until, Ordering::Relaxed);
    }

    pub fn succeeded(&self) {
        if self.down_until.load(Ordering::Relaxed) != 0 || self.failures.load(Ordering::Relaxed) != 0 {
            self.down_until.store(0, Ordering::Relaxed);
            self.failures.store(0, Ordering::Relaxed);
        }
    }
}

/// A pool of connections to one Redis server. `Send + Sync`; share it behind an `Arc`.
pub struct RedisPool {
    client: Client,
    options: RedisOptions,
    idle: Mutex<Vec<Connection>>,
    outage: Outage,
    /// The URL with any password replaced by `***`, for messages and logs.
    display: String,
}

/// Whether an error means the connection (and probably the server) is gone, as opposed to a
/// server reply that is an error.
fn is_connection_error(e: &RedisError) -> bool {
    e.is_io_error() || e.is_timeout() || e.is_connection_dropped() || e.is_connection_refusal() || e.is_unrecoverable_error()
}

/// `url` with the password (if any) masked.
pub fn redact_url(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        if let Some((userinfo, host)) = rest.rsplit_once('@') {
            let user = userinfo.split(':').next().unwrap_or("");
            return format!("{scheme}://{user}:***@{host}");
        }
    }
    if let Some(i) = url.find("pass=") {
        let end = url[i..].find('&').map_or(url.len(), |j| i + j);
        return format!("{}pass=***{}", &url[..i], &url[end..]);
    }
    url.to_owned()
}

impl RedisPool {
    /// Parses the URL and checks the options; does not connect (the first call does).
    pub fn new(url: &str, options: RedisOptions) -> Result<Self, StoreError> {
        options.validate()?;
        let display = redact_url(url);
        if url.starts_with("rediss://") || url.starts_with("valkeys://") {
            return Err(StoreError::Config(format!("{display}: TLS (rediss://) is not supported by this build")));
        }
        let info = url
            .into_connection_info()
            .map_err(|e| StoreError::Config(format!("invalid Redis URL {display}: {e}")))?;
        let info = match info.addr() {
            // Small commands on a request path: never wait for Nagle's algorithm.
            ConnectionAddr::Tcp(..) => info.set_tcp_settings(TcpSettings::default().set_nodelay(true)),
            ConnectionAddr::Unix(..) => info,
            _ => return Err(StoreError::Config(format!("{display}: unsupported address"))),
        };
        let client = Client::open(info).map_err(|e| StoreError::Config(format!("invalid Redis URL {display}: {e}")))?;
        Ok(Self { client, options, idle: Mutex::new(Vec::new()), outage: Outage::default(), display })
    }

    pub fn options(&self) -> &RedisOptions {
        &self.options
    }

    /// The URL with its password masked.
    pub fn url(&self) -> &str {
        &self.display
    }

    /// Whether the pool currently believes the server is down (after a failure, until a success).
    pub fn is_down(&self) -> bool {
        self.outage.is_down()
    }

    /// Idle connections held right now.
    pub fn idle_count(&self) -> usize {
        self.idle.lock().map(|v| v.len()).unwrap_or(0)
    }

    fn open(&self) -> RedisResult<Connection> {
        let con = self.client.get_connection_with_timeout(self.options.connect_timeout)?;
        con.set_read_timeout(Some(self.options.timeout))?;
        con.set_write_timeout(Some(self.options.timeout))?;
        Ok(con)
    }

    fn take(&self) -> Option<Connection> {
        self.idle.lock().ok().and_then(|mut v| v.pop())
    }

    fn give_back(&self, con: Connection) {
        if let Ok(mut v) = self.idle.lock() {
            if v.len() < self.options.pool_size {
                v.push(con);
            }
        }
    }

    fn unavailable(&self, why: &str) -> StoreError {
        StoreError::Unavailable(format!("Redis at {} is unavailable: {why}", self.display))
    }

    fn fail(&self, e: &RedisError) -> StoreError {
        self.outage.failed(clock_ns(), self.options.retry_interval, self.options.max_retry_interval);
        if let Ok(mut v) = self.idle.lock() {
            v.clear();
        }
        self.unavailable(&e.to_string())
    }

    /// A new connection whose round trip gets what the connect left of `timeout`, so a call
    /// stays within about `timeout` when connect_timeout <= timeout.
    fn open_for_call(&self) -> RedisResult<Connection> {
        let start = Instant::now();
        let con = self.open()?;
        let left = self.options.timeout.saturating_sub(start.elapsed()).max(Duration::from_millis(1));
        if left < self.options.timeout {
            con.set_read_timeout(Some(left))?;
            con.set_write_timeout(Some(left))?;
        }
        Ok(con)
    }

    /// Runs `f` on a pooled connection (one or more round trips) and returns its result.
    /// Blocking I/O: call it with the GIL released. A connection whose call failed with an I/O
    /// error is dropped; one whose call got a server error reply is reused. When a connection
    /// taken from the pool turns out dead (the server restarted, or closed it as idle), the idle
    /// ones are dropped and `f` runs once more on a new connection before the failure counts as
    /// an outage (not after a timeout); so `f` may run twice, and should be a single command or
    /// script.
    pub fn run<T>(&self, mut f: impl FnMut(&mut Connection) -> RedisResult<T>) -> Result<T, StoreError> {
        if !self.outage.may_try(clock_ns()) {
            return Err(self.unavailable("in the pause after a failure"));
        }
        let (mut con, mut fresh) = match self.take() {
            Some(con) => (con, false),
            None => (self.open_for_call().map_err(|e| self.fail(&e))?, true),
        };
        let mut result = f(&mut con);
        // Only a connection found closed is retried: after a timeout the server is slow or hung,
        // and a retry would double the time the caller waits.
        if !fresh && matches!(&result, Err(e) if is_connection_error(e) && !e.is_timeout()) {
            if let Ok(mut v) = self.idle.lock() {
                v.clear();
            }
            con = self.open_for_call().map_err(|e| self.fail(&e))?;
            fresh = true;
            result = f(&mut con);
        }
        if fresh && result.is_ok() {
            let _ = con.set_read_timeout(Some(self.options.timeout));
            let _ = con.set_write_timeout(Some(self.options.timeout));
        }
        match result {
            Ok(v) => {
                self.outage.succeeded();
                self.give_back(con);
                Ok(v)
            }
            Err(e) if is_connection_error(&e) => Err(self.fail(&e)),
            Err(e) => {
                self.outage.succeeded();
                if con.is_open() {
                    self.give_back(con);
                }
                Err(StoreError::Server(e.to_string()))
            }
        }
    }

    /// `PING`: true when the server answered.
    pub fn ping(&self) -> Result<bool, StoreError> {
        self.run(|con| ::redis::cmd("PING").query::<String>(con)).map(|s| s == "PONG")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outage_backs_off_and_recovers() {
        let o = Outage::default();
        let ms = Duration::from_millis;
        assert!(o.may_try(10));
        o.failed(1_000_000, ms(100), ms(1000));
        assert!(o.is_down());
        assert!(!o.may_try(1_000_000 + 99_999_999));
        assert!(o.may_try(1_000_000 + 100_000_000));
        // A second failure doubles the pause; a third again; capped at max.
        o.failed(0, ms(100), ms(1000));
        assert!(!o.may_try(199_999_999) && o.may_try(200_000_000));
        o.failed(0, ms(100), ms(1000));
        assert!(!o.may_try(399_999_999) && o.may_try(400_000_000));
        for _ in 0..40 {
            o.failed(0, ms(100), ms(1000));
        }
        assert!(!o.may_try(999_999_999) && o.may_try(1_000_000_000));
        o.succeeded();
        assert!(!o.is_down() && o.may_try(0));
    }

    #[test]
    fn zero_interval_retries_every_call() {
        let o = Outage::default();
        o.failed(500, Duration::ZERO, Duration::ZERO);
        assert!(o.may_try(500));
    }

    #[test]
    fn urls() {
        let opts = RedisOptions::default();
        assert!(RedisPool::new("redis://127.0.0.1:6379/2", opts.clone()).is_ok());
        assert!(RedisPool::new("redis://:secret@localhost/0", opts.clone()).is_ok());
        assert!(RedisPool::new("unix:///tmp/redis.sock", opts.clone()).is_ok());
        assert!(matches!(RedisPool::new("http://x", opts.clone()), Err(StoreError::Config(_))));
        assert!(matches!(RedisPool::new("rediss://h", opts.clone()), Err(StoreError::Config(_))));
        let zero = RedisOptions { timeout: Duration::ZERO, ..opts.clone() };
        assert!(matches!(RedisPool::new("redis://h", zero), Err(StoreError::Config(_))));
        let p = RedisPool::new("redis://user:secret@h:1/0", opts).unwrap();
        assert_eq!(p.url(), "redis://user:***@h:1/0");
        assert!(!p.url().contains("secret"));
        assert_eq!(redact_url("redis+unix:///s?db=1&pass=pw&x=1"), "redis+unix:///s?db=1&pass=***&x=1");
    }

    #[test]
    fn refused_connection_marks_down_then_fails_fast() {
        // Port 1 on loopback: nothing listens there, so the connect is refused at once.
        let opts = RedisOptions { retry_interval: Duration::from_secs(60), max_retry_interval: Duration::from_secs(60), ..Default::default() };
        let p = RedisPool::new("redis://127.0.0.1:1/0", opts).unwrap();
        assert!(matches!(p.ping(), Err(StoreError::Unavailable(_))));
        assert!(p.is_down());
        // The second call does not touch the network: it reports the pause.
        let e = p.ping().unwrap_err();
        assert!(e.to_string().contains("pause"), "{e}");
    }
}
