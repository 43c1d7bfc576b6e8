//! One shard of the in-memory cache: entries in a slab, a hash index, and the W-TinyLFU policy
//! (a 1% LRU window, then a segmented LRU main space of probation + protected, with the
//! frequency sketch deciding whether a window victim may displace a main victim).
//! Pure Rust, generic over key and value, so `cargo test` covers the policy without Python.

use hashbrown::HashTable;

use super::sketch::{mix, FrequencySketch};

const NIL: u32 = u32::MAX;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Queue {
    Window,
    Probation,
    Protected,
}

struct Node<K, V> {
    entry: Option<(K, V)>,
    hash: u64,
    /// Deadline in clock nanoseconds; 0 = never.
    expires: u64,
    weight: u64,
    prev: u32,
    next: u32,
    queue: Queue,
}

#[derive(Default, Clone, Copy)]
struct List {
    head: u32, // most recently used
    tail: u32, // least recently used
    len: u64,
    weight: u64,
}

impl List {
    const fn new() -> Self {
        Self { head: NIL, tail: NIL, len: 0, weight: 0 }
    }
}

/// Limits of one shard, in items and in weight (bytes); `u64::MAX` means unbounded.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub items: u64,
    pub weight: u64,
}

impl Limits {
    fn bounded(&self) -> bool {
        self.items != u64::MAX || self.weight != u64::MAX
    }
    fn part(&self, percent: u64) -> Limits {
        let f = |v: u64| if v == u64::MAX { v } else { (v.saturating_mul(percent) / 100).max(1) };
        Limits { items: f(self.items), weight: f(self.weight) }
    }
    fn over(&self, len: u64, weight: u64) -> bool {
        len > self.items || weight > self.weight
    }
}

/// Counters reported by `stats()`.
#[derive(Default, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stats {
    pub hits: u64,
    pub misses: u64,
    pub sets: u64,
    pub evictions: u64,
    pub expirations: u64,
    pub rejections: u64,
}

impl std::ops::AddAssign for Stats {
    fn add_assign(&mut self, o: Stats) {
        self.hits += o.hits;
        self.misses += o.misses;
        self.sets += o.sets;
        self.evictions += o.evictions;
        self.expirations += o.expirations;
        self.rejections += o.rejections;
    }
}

/// What `set` did with the new entry.
#[derive(Debug, PartialEq, Eq)]
pub enum Stored {
    Yes,
    /// Heavier than the shard's whole capacity: not stored (any previous value was removed).
    TooLarge,
}

pub struct Shard<K, V> {
    nodes: Vec<Node<K, V>>,
    free: Vec<u32>,
    index: HashTable<u32>,
    window: List,
    probation: List,
    protected: List,
    limits: Limits,
    window_limits: Limits,
    protected_limits: Limits,
    sketch: Option<FrequencySketch>,
    rng: u64,
    pub stats: Stats,
}

/// Values dropped while the shard was locked, to be released after the lock is let go (a
/// Python value's destructor may run arbitrary code, which must never run under the lock).
pub type Dropped<K, V> = Vec<(K, V)>;

impl<K, V> Shard<K, V> {
    pub fn new(limits: Limits, seed: u64) -> Self {
        let sketch = if limits.bounded() {
            let estimate = if limits.items != u64::MAX { limits.items } else { limits.weight / 256 };
            Some(FrequencySketch::new(estimate.min(1 << 22) as usize))
        } else {
            None
        };
        let window_limits = limits.part(1);
        let main = Limits {
            items: limits.items.saturating_sub(if limits.items == u64::MAX { 0 } else { window_limits.items }),
            weight: limits.weight.saturating_sub(if limits.weight == u64::MAX { 0 } else { window_limits.weight }),
        };
        Self {
            nodes: Vec::new(),
            free: Vec::new(),
            index: HashTable::new(),
            window: List::new(),
            probation: List::new(),
            protected: List::new(),
            limits,
            window_limits,
            protected_limits: main.part(80),
            sketch,
            rng: seed | 1,
            stats: Stats::default(),
        }
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    pub fn weight(&self) -> u64 {
        self.window.weight + self.probation.weight + self.protected.weight
    }

    fn list(&mut self, q: Queue) -> &mut List {
        match q {
            Queue::Window => &mut self.window,
            Queue::Probation => &mut self.probation,
            Queue::Protected => &mut self.protected,
        }
    }

    fn unlink(&mut self, i: u32) {
        let (prev, next, q, w) = {
            let n = &self.nodes[i as usize];
            (n.prev, n.next, n.queue, n.weight)
        };
        if prev != NIL {
            self.nodes[prev as usize].next = next;
        }
        if next != NIL {
            self.nodes[next as usize].prev = prev;
        }
        let l = self.list(q);
        if l.head == i {
            l.head = next;
        }
        if l.tail == i {
            l.tail = prev;
        }
        l.len -= 1;
        l.weight -= w;
    }

    fn push_head(&mut self, i: u32, q: Queue) {
        let w = self.nodes[i as usize].weight;
        let l = self.list(q);
        let old = l.head;
        l.head = i;
        if l.tail == NIL {
            l.tail = i;
        }
        l.len += 1;
        l.weight += w;
        if old != NIL {
            self.nodes[old as usize].prev = i;
        }
        let n = &mut self.nodes[i as usize];
        n.prev = NIL;
        n.next = old;
        n.queue = q;
    }

    fn find(&self, hash: u64, eq: &mut impl FnMut(&K) -> bool) -> Option<u32> {
        let nodes = &self.nodes;
        self.index
            .find(hash, |&i| {
                let n = &nodes[i as usize];
                n.hash == hash && n.entry.as_ref().is_some_and(|(k, _)| eq(k))
            })
            .copied()
    }

    /// Remove node `i` entirely (index, list, slab); its key and value go to `dropped`.
    fn remove_node(&mut self, i: u32, dropped: &mut Dropped<K, V>) {
        self.unlink(i);
        let hash = self.nodes[i as usize].hash;
        if let Ok(e) = self.index.find_entry(hash, |&j| j == i) {
            e.remove();
        }
        if let Some(kv) = self.nodes[i as usize].entry.take() {
            dropped.push(kv);
        }
        self.free.push(i);
    }

    fn record_access(&mut self, i: u32) {
        let hash = self.nodes[i as usize].hash;
        if let Some(s) = self.sketch.as_mut() {
            s.increment(hash);
        }
        match self.nodes[i as usize].queue {
            Queue::Window => {
                self.unlink(i);
                self.push_head(i, Queue::Window);
            }
            Queue::Probation => {
                if self.sketch.is_none() {
                    return;
                }
                self.unlink(i);
                self.push_head(i, Queue::Protected);
                // Protected over its share: its LRU entries go back to probation.
                while self.protected_limits.over(self.protected.len, self.protected.weight) && self.protected.len > 1 {
                    let t = self.protected.tail;
                    self.unlink(t);
                    self.push_head(t, Queue::Probation);
                }
            }
            Queue::Protected => {
                self.unlink(i);
                self.push_head(i, Queue::Protected);
            }
        }
    }

    #[inline]
    fn expired(&self, i: u32, now: &mut impl FnMut() -> u64) -> bool {
        let e = self.nodes[i as usize].expires;
        e != 0 && now() >= e
    }

    /// The live value for the key, recording the hit (or the miss).
    pub fn get(
        &mut self,
        hash: u64,
        mut eq: impl FnMut(&K) -> bool,
        mut now: impl FnMut() -> u64,
        dropped: &mut Dropped<K, V>,
    ) -> Option<&V> {
        match self.find(hash, &mut eq) {
            Some(i) if self.expired(i, &mut now) => {
                self.remove_node(i, dropped);
                self.stats.expirations += 1;
                self.stats.misses += 1;
                None
            }
            Some(i) => {
                self.stats.hits += 1;
                self.record_access(i);
                self.nodes[i as usize].entry.as_ref().map(|(_, v)| v)
            }
            // A miss is not counted in the sketch: the `set` that usually follows counts it, and
            // counting both would let a one-off key through the doorkeeper.
            None => {
                self.stats.misses += 1;
                None
            }
        }
    }

    /// Like `get` but without touching statistics or recency (`__contains__`).
    pub fn contains(&mut self, hash: u64, mut eq: impl FnMut(&K) -> bool, mut now: impl FnMut() -> u64, dropped: &mut Dropped<K, V>) -> bool {
        match self.find(hash, &mut eq) {
            Some(i) if self.expired(i, &mut now) => {
                self.remove_node(i, dropped);
                self.stats.expirations += 1;
                false
            }
            Some(_) => true,
            None => false,
        }
    }

    /// The live entry's value for in-place update (`incr`), and its deadline.
    pub fn get_mut(
        &mut self,
        hash: u64,
        mut eq: impl FnMut(&K) -> bool,
        mut now: impl FnMut() -> u64,
        dropped: &mut Dropped<K, V>,
    ) -> Option<&mut V> {
        match self.find(hash, &mut eq) {
            Some(i) if self.expired(i, &mut now) => {
                self.remove_node(i, dropped);
                self.stats.expirations += 1;
                None
            }
            Some(i) => {
                self.record_access(i);
                self.nodes[i as usize].entry.as_mut().map(|(_, v)| v)
            }
            None => None,
        }
    }

    /// Insert or replace. `expires` is a deadline (0 = never); `weight` counts against the
    /// weight limit. Evicts as needed.
    #[allow(clippy::too_many_arguments)]
    pub fn set(
        &mut self,
        hash: u64,
        key: K,
        mut eq: impl FnMut(&K) -> bool,
        value: V,
        weight: u64,
        expires: u64,
        mut now: impl FnMut() -> u64,
        dropped: &mut Dropped<K, V>,
    ) -> Stored {
        self.stats.sets += 1;
        let existing = self.find(hash, &mut eq);
        if weight > self.limits.weight || (self.limits.items == 0) {
            if let Some(i) = existing {
                self.remove_node(i, dropped);
            }
            dropped.push((key, value));
            self.stats.rejections += 1;
            return Stored::TooLarge;
        }
        if let Some(i) = existing {
            // Replace in place: keep the position, adjust the weight.
            let q = self.nodes[i as usize].queue;
            let old_w = self.nodes[i as usize].weight;
            let l = self.list(q);
            l.weight = l.weight - old_w + weight;
            let n = &mut self.nodes[i as usize];
            n.weight = weight;
            n.expires = expires;
            if let Some(old) = n.entry.replace((key, value)) {
                dropped.push(old);
            }
            self.record_access(i);
        } else {
            if let Some(s) = self.sketch.as_mut() {
                s.increment(hash);
            }
            let node = Node { entry: Some((key, value)), hash, expires, weight, prev: NIL, next: NIL, queue: Queue::Window };
            let i = match self.free.pop() {
                Some(i) => {
                    self.nodes[i as usize] = node;
                    i
                }
                None => {
                    self.nodes.push(node);
                    (self.nodes.len() - 1) as u32
                }
            };
            let nodes = &self.nodes;
            self.index.insert_unique(hash, i, |&j| nodes[j as usize].hash);
            self.push_head(i, Queue::Window);
        }
        self.maintain(&mut now, dropped);
        Stored::Yes
    }

    /// Move window overflow into main, and evict from main (admission duel) until within limits.
    fn maintain(&mut self, now: &mut impl FnMut() -> u64, dropped: &mut Dropped<K, V>) {
        if !self.limits.bounded() {
            return;
        }
        while self.window_limits.over(self.window.len, self.window.weight) && self.window.len > 0 {
            let candidate = self.window.tail;
            self.unlink(candidate);
            self.push_head(candidate, Queue::Probation);
            self.evict_from_main(candidate, now, dropped);
        }
        // A replacement that grew an entry can leave the total over; evict LRU-wise from main,
        // then from the window.
        while self.limits.over(self.len() as u64, self.weight()) {
            let victim = [self.probation.tail, self.protected.tail, self.window.tail].into_iter().find(|&v| v != NIL);
            match victim {
                Some(v) => self.evict(v, now, dropped),
                None => break,
            }
        }
    }

    fn evict(&mut self, i: u32, now: &mut impl FnMut() -> u64, dropped: &mut Dropped<K, V>) {
        if self.expired(i, now) {
            self.stats.expirations += 1;
        } else {
            self.stats.evictions += 1;
        }
        self.remove_node(i, dropped);
    }

    fn main_over(&self) -> bool {
        let len = self.probation.len + self.protected.len + self.window.len;
        let weight = self.weight();
        self.limits.over(len, weight)
    }

    /// `candidate` just entered probation from the window; while the shard is over its limits,
    /// it duels the LRU victim of main: the one the sketch has seen less often leaves.
    fn evict_from_main(&mut self, candidate: u32, now: &mut impl FnMut() -> u64, dropped: &mut Dropped<K, V>) {
        while self.main_over() {
            let victim = [self.probation.tail, self.protected.tail]
                .into_iter()
                .find(|&v| v != NIL && v != candidate)
                .unwrap_or(NIL);
            if victim == NIL {
                self.evict(candidate, now, dropped);
                return;
            }
            if self.expired(victim, now) {
                self.evict(victim, now, dropped);
                continue;
            }
            if self.expired(candidate, now) || !self.admit(candidate, victim) {
                self.evict(candidate, now, dropped);
                return;
            }
            self.evict(victim, now, dropped);
        }
    }

    fn admit(&mut self, candidate: u32, victim: u32) -> bool {
        let Some(s) = self.sketch.as_ref() else { return false };
        let cf = s.frequency(self.nodes[candidate as usize].hash);
        let vf = s.frequency(self.nodes[victim as usize].hash);
        if cf > vf {
            return true;
        }
        if cf <= 5 {
            return false;
        }
        // A warm candidate facing a hotter victim still gets in now and then, so an attacker
        // cannot pin a victim by inflating its count (Caffeine does the same).
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng & 127 == 0
    }

    pub fn delete(&mut self, hash: u64, mut eq: impl FnMut(&K) -> bool, mut now: impl FnMut() -> u64, dropped: &mut Dropped<K, V>) -> bool {
        match self.find(hash, &mut eq) {
            Some(i) => {
                let live = !self.expired(i, &mut now);
                self.remove_node(i, dropped);
                live
            }
            None => false,
        }
    }

    /// Set a new deadline on a live entry.
    pub fn touch(&mut self, hash: u64, mut eq: impl FnMut(&K) -> bool, expires: u64, mut now: impl FnMut() -> u64, dropped: &mut Dropped<K, V>) -> bool {
        match self.find(hash, &mut eq) {
            Some(i) if self.expired(i, &mut now) => {
                self.remove_node(i, dropped);
                self.stats.expirations += 1;
                false
            }
            Some(i) => {
                self.nodes[i as usize].expires = expires;
                true
            }
            None => false,
        }
    }

    /// Drop every expired entry; returns how many.
    pub fn purge_expired(&mut self, mut now: impl FnMut() -> u64, dropped: &mut Dropped<K, V>) -> usize {
        let t = now();
        let mut n = 0;
        for i in 0..self.nodes.len() as u32 {
            let node = &self.nodes[i as usize];
            if node.entry.is_some() && node.expires != 0 && t >= node.expires {
                self.remove_node(i, dropped);
                self.stats.expirations += 1;
                n += 1;
            }
        }
        n
    }

    pub fn clear(&mut self, dropped: &mut Dropped<K, V>) {
        for n in self.nodes.drain(..) {
            if let Some(kv) = n.entry {
                dropped.push(kv);
            }
        }
        self.free.clear();
        self.index.clear();
        self.window = List::new();
        self.probation = List::new();
        self.protected = List::new();
        if let Some(s) = self.sketch.as_mut() {
            s.clear();
        }
    }

    /// Live keys and values (for iteration and tests), in no particular order.
    pub fn entries(&self, mut now: impl FnMut() -> u64) -> Vec<(&K, &V)> {
        let mut out = Vec::with_capacity(self.len());
        for n in &self.nodes {
            if let Some((k, v)) = n.entry.as_ref() {
                if n.expires == 0 || now() < n.expires {
                    out.push((k, v));
                }
            }
        }
        out
    }
}

/// Which shard a hash belongs to (the high bits of the mixed hash; the index uses the low bits).
#[inline]
pub fn shard_of(hash: u64, shards: usize) -> usize {
    if shards <= 1 {
        0
    } else {
        (mix(hash) >> 32) as usize & (shards - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(k: u64) -> u64 {
        mix(k.wrapping_add(0x9e37_79b9_7f4a_7c15))
    }

    fn cache(items: u64) -> Shard<u64, u64> {
        Shard::new(Limits { items, weight: u64::MAX }, 1)
    }

    fn set(s: &mut Shard<u64, u64>, k: u64, v: u64) {
        let mut d = Vec::new();
        s.set(h(k), k, |x| *x == k, v, 1, 0, || 0, &mut d);
    }

    fn get(s: &mut Shard<u64, u64>, k: u64) -> Option<u64> {
        let mut d = Vec::new();
        s.get(h(k), |x| *x == k, || 0, &mut d).copied()
    }

    #[test]
    fn stays_within_item_limit() {
        let mut s = cache(50);
        for k in 0..1000 {
            set(&mut s, k, k * 2);
            assert!(s.len() <= 50);
        }
        assert_eq!(s.len(), 50);
        assert_eq!(s.stats.evictions, 950);
    }

    #[test]
    fn get_set_replace_delete() {
        let mut s = cache(10);
        set(&mut s, 1, 10);
        set(&mut s, 1, 11);
        assert_eq!(get(&mut s, 1), Some(11));
        assert_eq!(s.len(), 1);
        let mut d = Vec::new();
        assert!(s.delete(h(1), |x| *x == 1, || 0, &mut d));
        assert_eq!(get(&mut s, 1), None);
        assert_eq!(d.len(), 1, "the deleted entry is handed back for release");
    }

    #[test]
    fn frequent_keys_survive_a_scan() {
        let mut s = cache(100);
        for _ in 0..20 {
            for k in 0..50 {
                if get(&mut s, k).is_none() {
                    set(&mut s, k, k);
                }
            }
        }
        for k in 10_000..20_000 {
            if get(&mut s, k).is_none() {
                set(&mut s, k, k);
            }
        }
        let kept = (0..50).filter(|&k| get(&mut s, k).is_some()).count();
        assert!(kept >= 45, "only {kept} of the hot keys survived a scan");
    }

    #[test]
    fn weight_limit() {
        let mut s: Shard<u64, u64> = Shard::new(Limits { items: u64::MAX, weight: 1000 }, 1);
        let mut d = Vec::new();
        for k in 0..100 {
            s.set(h(k), k, |x| *x == k, k, 30, 0, || 0, &mut d);
            assert!(s.weight() <= 1000);
        }
        assert_eq!(s.set(h(5000), 5000, |x| *x == 5000, 1, 1001, 0, || 0, &mut d), Stored::TooLarge);
        // A replacement that grows past the limit evicts others.
        let k = *s.entries(|| 0)[0].0;
        s.set(h(k), k, |x| *x == k, 0, 900, 0, || 0, &mut d);
        assert!(s.weight() <= 1000);
    }

    #[test]
    fn ttl_expiry() {
        let mut s = cache(10);
        let mut d = Vec::new();
        s.set(h(1), 1, |x| *x == 1, 5, 1, 100, || 0, &mut d);
        assert_eq!(s.get(h(1), |x| *x == 1, || 99, &mut d).copied(), Some(5));
        assert_eq!(s.get(h(1), |x| *x == 1, || 100, &mut d).copied(), None);
        assert_eq!(s.stats.expirations, 1);
        s.set(h(2), 2, |x| *x == 2, 5, 1, 100, || 0, &mut d);
        assert_eq!(s.purge_expired(|| 200, &mut d), 1);
        assert!(s.is_empty());
    }

    #[test]
    fn unbounded_never_evicts() {
        let mut s: Shard<u64, u64> = Shard::new(Limits { items: u64::MAX, weight: u64::MAX }, 1);
        for k in 0..5000 {
            set(&mut s, k, k);
        }
        assert_eq!(s.len(), 5000);
        assert_eq!(get(&mut s, 0), Some(0));
    }

    #[test]
    fn tiny_caches() {
        for cap in 1..5 {
            let mut s = cache(cap);
            for k in 0..100 {
                set(&mut s, k, k);
                assert!(s.len() as u64 <= cap);
                get(&mut s, k % 3);
            }
        }
    }
}
