//! The metrics store: one histogram series per (method, route template, status), each a row of
//! `AtomicU64` bucket counters plus an atomic f64 sum, in a sharded map. Observing takes one
//! shard's read lock and a few relaxed atomic adds; only a label tuple never seen before takes a
//! write lock. The number of series is capped (`max_series`): past it, new tuples are recorded
//! under the route `__overflow__`, so a caller passing raw paths cannot exhaust memory.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::fmt::Write;
use std::sync::{Arc, RwLock};

use super::format::{push_help, push_label_value, push_number, valid_metric_name};
use super::MetricsError;

/// prometheus_client's default buckets (seconds), without the implied `+Inf`.
pub const DEFAULT_BUCKETS: [f64; 14] =
    [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0];
pub const OVERFLOW_ROUTE: &str = "__overflow__";
pub const OTHER_METHOD: &str = "OTHER";
const SHARDS: usize = 16;

/// The methods kept as they are; anything else (a client can send any token) becomes `OTHER`.
const METHODS: [&str; 9] = ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"];

pub fn normalize_method(method: &str) -> &str {
    METHODS.iter().find(|m| **m == method).copied().unwrap_or(OTHER_METHOD)
}

#[derive(Debug, Clone)]
pub struct Config {
    pub namespace: String,
    /// Finite, strictly increasing upper bounds; `+Inf` is implied after the last.
    pub buckets: Vec<f64>,
    pub max_series: usize,
    /// Count 4xx answers in `<ns>_request_errors_total` too (5xx always are).
    pub errors_4xx: bool,
}

impl Config {
    /// Checks the namespace and buckets (a trailing `+Inf` is dropped: it is always there).
    pub fn new(namespace: &str, buckets: &[f64], max_series: usize, errors_4xx: bool) -> Result<Self, MetricsError> {
        if !valid_metric_name(namespace) {
            return Err(MetricsError::Config(format!(
                "namespace must match [a-zA-Z_:][a-zA-Z0-9_:]*, got {namespace:?}"
            )));
        }
        let mut buckets = buckets.to_vec();
        if buckets.last() == Some(&f64::INFINITY) {
            buckets.pop();
        }
        if buckets.is_empty() {
            return Err(MetricsError::Config("buckets must have at least one finite bound".into()));
        }
        if buckets.iter().any(|b| !b.is_finite()) {
            return Err(MetricsError::Config("bucket bounds must be finite numbers (+Inf is implied)".into()));
        }
        if buckets.windows(2).any(|w| w[0] >= w[1]) {
            return Err(MetricsError::Config("bucket bounds must be strictly increasing".into()));
        }
        if max_series == 0 {
            return Err(MetricsError::Config("max_series must be at least 1".into()));
        }
        Ok(Self { namespace: namespace.to_owned(), buckets, max_series, errors_4xx })
    }

    pub fn is_error(&self, status: u16) -> bool {
        status >= 500 || (self.errors_4xx && (400..500).contains(&status))
    }
}

/// One (method, route, status) histogram. `counts[i]` is the number of observations in bucket
/// `i` alone (not cumulative; the last is `+Inf`), so a render's cumulative counts, `_count` and
/// the request counter always agree with each other even while other threads observe.
pub struct Series {
    pub method: Box<str>,
    pub route: Box<str>,
    pub status: u16,
    counts: Box<[AtomicU64]>,
    sum_bits: AtomicU64,
}

impl Series {
    fn new(method: &str, route: &str, status: u16, buckets: usize) -> Self {
        Self {
            method: method.into(),
            route: route.into(),
            status,
            counts: (0..=buckets).map(|_| AtomicU64::new(0)).collect(),
            sum_bits: AtomicU64::new(0f64.to_bits()),
        }
    }

    fn is(&self, method: &str, route: &str, status: u16) -> bool {
        self.status == status && &*self.method == method && &*self.route == route
    }

    fn add_sum(&self, v: f64) {
        if v == 0.0 {
            return;
        }
        let _ = self.sum_bits.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |bits| {
            Some((f64::from_bits(bits) + v).to_bits())
        });
    }

    fn observe(&self, bucket: usize, v: f64) {
        if let Some(c) = self.counts.get(bucket) {
            c.fetch_add(1, Ordering::Relaxed);
        }
        self.add_sum(v);
    }

    fn add(&self, counts: &[u64], sum: f64) {
        for (c, n) in self.counts.iter().zip(counts) {
            c.fetch_add(*n, Ordering::Relaxed);
        }
        self.add_sum(sum);
    }

    pub fn snapshot(&self) -> SeriesSnapshot {
        SeriesSnapshot {
            method: self.method.to_string(),
            route: self.route.to_string(),
            status: self.status,
            counts: self.counts.iter().map(|c| c.load(Ordering::Relaxed)).collect(),
            sum: f64::from_bits(self.sum_bits.load(Ordering::Relaxed)),
        }
    }
}

/// A copy of one series' values (non-cumulative bucket counts, `+Inf` last).
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesSnapshot {
    pub method: String,
    pub route: String,
    pub status: u16,
    pub counts: Vec<u64>,
    pub sum: f64,
}

impl SeriesSnapshot {
    pub fn count(&self) -> u64 {
        self.counts.iter().sum()
    }
}

/// The map key is already a hash of the labels: no second hashing.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type Shard = RwLock<HashMap<u64, Vec<Arc<Series>>, BuildHasherDefault<IdHasher>>>;

pub struct Registry {
    pub config: Config,
    hasher: RandomState,
    shards: Box<[Shard]>,
    /// Series created under their own route (overflow series are not counted: there are at
    /// most 10 methods x 1000 statuses of them).
    len: AtomicUsize,
}

impl Registry {
    pub fn new(config: Config) -> Self {
        Self {
            config,
            hasher: RandomState::new(),
            shards: (0..SHARDS).map(|_| RwLock::new(HashMap::default())).collect(),
            len: AtomicUsize::new(0),
        }
    }

    fn hash(&self, method: &str, route: &str, status: u16) -> u64 {
        let mut h = self.hasher.build_hasher();
        method.hash(&mut h);
        route.hash(&mut h);
        status.hash(&mut h);
        h.finish()
    }

    fn shard(&self, hash: u64) -> &Shard {
        &self.shards[(hash >> 60) as usize % SHARDS]
    }

    /// Index of the bucket `v` falls in (`le` is inclusive, as in Prometheus).
    fn bucket_of(&self, v: f64) -> usize {
        let b = &self.config.buckets;
        if b.len() <= 16 {
            b.iter().position(|bound| v <= *bound).unwrap_or(b.len())
        } else {
            b.partition_point(|bound| *bound < v)
        }
    }

    /// Runs `f` on the series of these labels, creating it (or falling back to the overflow
    /// series) when it is new.
    fn with_series<R>(&self, method: &str, route: &str, status: u16, f: impl FnOnce(&Series) -> R) -> R {
        let method = normalize_method(method);
        let hash = self.hash(method, route, status);
        let shard = self.shard(hash);
        {
            let map = shard.read().unwrap_or_else(|e| e.into_inner());
            if let Some(s) = map.get(&hash).and_then(|v| v.iter().find(|s| s.is(method, route, status))) {
                return f(s);
            }
        }
        let overflow = route == OVERFLOW_ROUTE;
        let mut map = shard.write().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = map.get(&hash).and_then(|v| v.iter().find(|s| s.is(method, route, status))) {
            return f(s);
        }
        let reserved = overflow
            || self
                .len
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < self.config.max_series).then_some(n + 1))
                .is_ok();
        if !reserved {
            drop(map);
            return self.with_series(method, OVERFLOW_ROUTE, status, f);
        }
        let series = Arc::new(Series::new(method, route, status, self.config.buckets.len()));
        let r = f(&series);
        map.entry(hash).or_default().push(series);
        r
    }

    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) -> Result<(), MetricsError> {
        check_status(status)?;
        if !seconds.is_finite() || seconds < 0.0 {
            return Err(MetricsError::Value(format!("seconds must be a finite number >= 0, got {seconds}")));
        }
        let bucket = self.bucket_of(seconds);
        self.with_series(method, route, status, |s| s.observe(bucket, seconds));
        Ok(())
    }

    /// Adds another registry's snapshot (same buckets) into this one.
    pub fn merge(&self, series: &[SeriesSnapshot]) -> Result<(), MetricsError> {
        let width = self.config.buckets.len() + 1;
        for s in series {
            check_status(s.status)?;
            if s.counts.len() != width {
                return Err(MetricsError::Snapshot(format!(
                    "a series has {} bucket counts, this Metrics has {width} buckets (+Inf included)",
                    s.counts.len()
                )));
            }
            if !s.sum.is_finite() {
                return Err(MetricsError::Snapshot("a series' sum is not finite".into()));
            }
        }
        for s in series {
            self.with_series(&s.method, &s.route, s.status, |target| target.add(&s.counts, s.sum));
        }
        Ok(())
    }

    /// Every series, in a stable order (route, method, status).
    pub fn snapshot(&self) -> Vec<SeriesSnapshot> {
        let mut out = Vec::new();
        for shard in self.shards.iter() {
            let map = shard.read().unwrap_or_else(|e| e.into_inner());
            out.extend(map.values().flatten().map(|s| s.snapshot()));
        }
        out.sort_by(|a, b| (&a.route, &a.method, a.status).cmp(&(&b.route, &b.method, b.status)));
        out
    }

    pub fn series_count(&self) -> usize {
        self.shards.iter().map(|s| s.read().unwrap_or_else(|e| e.into_inner()).values().map(Vec::len).sum::<usize>()).sum()
    }

    /// The Prometheus text exposition format 0.0.4.
    pub fn render(&self) -> String {
        render(&self.config, &self.snapshot())
    }
}

fn check_status(status: u16) -> Result<(), MetricsError> {
    if status > 999 {
        return Err(MetricsError::Value(format!("status must be between 0 and 999, got {status}")));
    }
    Ok(())
}

/// `method="..",route="..",status=".."`: built once per series, reused by its ~18 lines.
fn labels_of(s: &SeriesSnapshot) -> String {
    let mut out = String::with_capacity(s.method.len() + s.route.len() + 32);
    out.push_str("method=");
    push_label_value(&mut out, &s.method);
    out.push_str(",route=");
    push_label_value(&mut out, &s.route);
    let _ = write!(out, ",status=\"{}\"", s.status);
    out
}

fn push_header(out: &mut String, name: &str, kind: &str, help: &str) {
    out.push_str("# HELP ");
    out.push_str(name);
    out.push(' ');
    push_help(out, help);
    out.push_str("\n# TYPE ");
    out.push_str(name);
    out.push(' ');
    out.push_str(kind);
    out.push('\n');
}

/// A count as prometheus_client writes the float: `12.0` below 1e6 (the common case, without
/// going through the float formatter), the general form above.
fn push_count(out: &mut String, n: u64) {
    if n < 1_000_000 {
        let _ = write!(out, "{n}.0");
    } else {
        push_number(out, n as f64);
    }
}

#[cfg(test)]
pub fn push_count_for_tests(out: &mut String, n: u64) {
    push_count(out, n);
}

/// `name{labels[,le="..."]} ` (the value follows).
fn push_head(out: &mut String, name: &str, suffix: &str, labels: &str, le: Option<&str>) {
    out.push_str(name);
    out.push_str(suffix);
    out.push('{');
    out.push_str(labels);
    if let Some(le) = le {
        out.push_str(",le=\"");
        out.push_str(le);
        out.push('"');
    }
    out.push_str("} ");
}

pub fn render(config: &Config, series: &[SeriesSnapshot]) -> String {
    let ns = &config.namespace;
    let labels: Vec<String> = series.iter().map(labels_of).collect();
    let les: Vec<String> = config
        .buckets
        .iter()
        .copied()
        .chain([f64::INFINITY])
        .map(|b| {
            let mut t = String::new();
            push_number(&mut t, b);
            t
        })
        .collect();
    let per_series: usize = labels.iter().map(|l| l.len() + 64).sum::<usize>() * (les.len() + 4);
    let mut out = String::with_capacity(1024 + per_series);

    let requests = format!("{ns}_requests_total");
    push_header(&mut out, &requests, "counter", "HTTP requests, by method, route template and status.");
    for (s, l) in series.iter().zip(&labels) {
        push_head(&mut out, &requests, "", l, None);
        push_count(&mut out, s.count());
        out.push('\n');
    }

    let errors = format!("{ns}_request_errors_total");
    let which = if config.errors_4xx { "4xx or 5xx" } else { "5xx" };
    push_header(&mut out, &errors, "counter", &format!("HTTP requests answered with a {which} status, by method, route template and status."));
    for (s, l) in series.iter().zip(&labels).filter(|(s, _)| config.is_error(s.status)) {
        push_head(&mut out, &errors, "", l, None);
        push_count(&mut out, s.count());
        out.push('\n');
    }

    let duration = format!("{ns}_request_duration_seconds");
    push_header(&mut out, &duration, "histogram", "HTTP request duration in seconds, until the last body byte was sent.");
    for (s, l) in series.iter().zip(&labels) {
        let mut cumulative = 0u64;
        for (n, le) in s.counts.iter().zip(&les) {
            cumulative += n;
            push_head(&mut out, &duration, "_bucket", l, Some(le));
            push_count(&mut out, cumulative);
            out.push('\n');
        }
        push_head(&mut out, &duration, "_count", l, None);
        push_count(&mut out, cumulative);
        out.push('\n');
        push_head(&mut out, &duration, "_sum", l, None);
        push_number(&mut out, s.sum);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::thread;

    fn registry(max_series: usize) -> Registry {
        Registry::new(Config::new("http", &DEFAULT_BUCKETS, max_series, false).unwrap())
    }

    #[test]
    fn buckets_are_inclusive_upper_bounds() {
        let r = registry(10);
        for v in [0.0, 0.005, 0.0051, 10.0, 11.0] {
            r.observe("GET", "/", 200, v).unwrap();
        }
        let s = &r.snapshot()[0];
        assert_eq!(s.counts[0], 2);
        assert_eq!(s.counts[1], 1);
        assert_eq!(s.counts[13], 1);
        assert_eq!(s.counts[14], 1);
        assert_eq!(s.count(), 5);
        assert!((s.sum - 21.0101).abs() < 1e-9);
    }

    #[test]
    fn unknown_methods_are_other() {
        let r = registry(10);
        r.observe("BREW", "/", 200, 0.1).unwrap();
        r.observe("get", "/", 200, 0.1).unwrap();
        let snap = r.snapshot();
        assert_eq!(snap.len(), 1);
        assert_eq!(snap[0].method, "OTHER");
        assert_eq!(snap[0].count(), 2);
    }

    #[test]
    fn cardinality_is_capped() {
        let r = registry(3);
        for i in 0..100 {
            r.observe("GET", &format!("/raw/{i}"), 200, 0.1).unwrap();
        }
        let snap = r.snapshot();
        assert_eq!(snap.len(), 4);
        let overflow = snap.iter().find(|s| &*s.route == OVERFLOW_ROUTE).unwrap();
        assert_eq!(overflow.count(), 97);
    }

    #[test]
    fn bad_values_refused() {
        let r = registry(3);
        assert!(r.observe("GET", "/", 1000, 0.1).is_err());
        assert!(r.observe("GET", "/", 200, -1.0).is_err());
        assert!(r.observe("GET", "/", 200, f64::NAN).is_err());
        assert!(Config::new("a-b", &DEFAULT_BUCKETS, 1, false).is_err());
        assert!(Config::new("a", &[1.0, 1.0], 1, false).is_err());
        assert!(Config::new("a", &[f64::INFINITY], 1, false).is_err());
        assert!(Config::new("a", &[f64::NAN, 1.0], 1, false).is_err());
        assert!(Config::new("a", &[1.0], 0, false).is_err());
    }

    #[test]
    fn concurrent_observations_are_exact() {
        let r = Arc::new(registry(1000));
        let handles: Vec<_> = (0..8)
            .map(|t| {
                let r = Arc::clone(&r);
                thread::spawn(move || {
                    for i in 0..10_000 {
                        r.observe("GET", &format!("/r/{}", i % 7), 200 + (t % 2), 0.25).unwrap();
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let snap = r.snapshot();
        assert_eq!(snap.len(), 14);
        assert_eq!(snap.iter().map(SeriesSnapshot::count).sum::<u64>(), 80_000);
        assert!((snap.iter().map(|s| s.sum).sum::<f64>() - 20_000.0).abs() < 1e-6);
    }

    #[test]
    fn merge_adds_and_checks_width() {
        let a = registry(10);
        let b = registry(10);
        a.observe("GET", "/x", 200, 0.1).unwrap();
        b.observe("GET", "/x", 200, 0.2).unwrap();
        b.observe("POST", "/y", 500, 3.0).unwrap();
        a.merge(&b.snapshot()).unwrap();
        let snap = a.snapshot();
        assert_eq!(snap.len(), 2);
        assert_eq!(snap[0].count(), 2);
        let mut bad = b.snapshot();
        bad[0].counts.pop();
        assert!(a.merge(&bad).is_err());
    }

    #[test]
    fn render_shape() {
        let r = registry(10);
        r.observe("GET", "/a\"b", 503, 0.1).unwrap();
        let text = r.render();
        assert!(text.contains("# TYPE http_requests_total counter\n"));
        assert!(text.contains("http_requests_total{method=\"GET\",route=\"/a\\\"b\",status=\"503\"} 1.0\n"));
        assert!(text.contains("http_request_errors_total{method=\"GET\",route=\"/a\\\"b\",status=\"503\"} 1.0\n"));
        assert!(text.contains("le=\"+Inf\"} 1.0\n"));
        assert!(text.contains("http_request_duration_seconds_sum{method=\"GET\",route=\"/a\\\"b\",status=\"503\"} 0.1\n"));
    }
}
