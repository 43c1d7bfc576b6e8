//! In-memory state: keys spread over sharded, mutex-protected maps, bounded by `max_keys`.
//!
//! Eviction (only when a shard is full and a new key arrives): first a sweep of up to
//! `SWEEP` entries from a rotating cursor drops expired states (lossless: an expired state equals a
//! fresh one); if none was expired, the entry expiring soonest among `SAMPLE` random ones is
//! evicted (its state is the closest to fresh, so evicting it forgives the least). The work per
//! insert is bounded, so a flood of distinct keys costs O(1) each and never grows memory.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher};
use std::sync::Mutex;

use indexmap::{Equivalent, IndexMap};

use super::algo::State;

const SWEEP: usize = 32;
const SAMPLE: usize = 8;

pub struct Entry {
    pub states: Box<[State]>,
    pub expires: u64,
}

/// A key with its hash, computed once per call (SipHash, randomly seeded: clients cannot pick
/// colliding keys) and used both to pick the shard and inside the shard's map.
struct HKey {
    hash: u64,
    key: Box<str>,
}

struct HRef<'a> {
    hash: u64,
    key: &'a str,
}

impl Hash for HKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

impl Hash for HRef<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

impl PartialEq for HKey {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash && self.key == other.key
    }
}

impl Eq for HKey {}

impl Equivalent<HKey> for HRef<'_> {
    fn equivalent(&self, k: &HKey) -> bool {
        self.hash == k.hash && *self.key == *k.key
    }
}

/// Passes the precomputed hash through.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only write_u64 is used (by HKey / HRef); fold anything else in for completeness.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type Map = IndexMap<HKey, Entry, BuildHasherDefault<PassThrough>>;

struct Shard {
    map: Map,
    cursor: usize,
    rng: u64,
}

impl Shard {
    fn next_random(&mut self) -> u64 {
        // xorshift64*: cheap, only picks eviction candidates.
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Frees one slot (the shard is full): expired entries first, then a sampled victim.
    fn make_room(&mut self, now: u64) -> usize {
        let mut removed = 0;
        let mut looked = 0;
        while looked < SWEEP && !self.map.is_empty() {
            if self.cursor >= self.map.len() {
                self.cursor = 0;
            }
            if self.map[self.cursor].expires <= now {
                self.map.swap_remove_index(self.cursor);
                removed += 1;
            } else {
                self.cursor += 1;
            }
            looked += 1;
        }
        if removed == 0 && !self.map.is_empty() {
            let len = self.map.len() as u64;
            let mut victim = (self.next_random() % len) as usize;
            for _ in 1..SAMPLE {
                let i = (self.next_random() % len) as usize;
                if self.map[i].expires < self.map[victim].expires {
                    victim = i;
                }
            }
            self.map.swap_remove_index(victim);
            removed = 1;
        }
        removed
    }
}

pub struct MemoryStore {
    shards: Box<[Mutex<Shard>]>,
    per_shard: usize,
    hasher: RandomState,
    evictions: std::sync::atomic::AtomicU64,
}

/// The most limits one key can hold (rate strings are capped at this many).
pub const MAX_LIMITS: usize = 16;

impl MemoryStore {
    pub fn new(max_keys: usize) -> Self {
        let max_keys = max_keys.max(1);
        let mut shards = 64usize;
        while shards > 1 && max_keys / shards < 64 {
            shards /= 2;
        }
        let per_shard = max_keys / shards;
        let seed = RandomState::new();
        let shards = (0..shards)
            .map(|i| {
                Mutex::new(Shard {
                    map: Map::default(),
                    cursor: 0,
                    rng: seed.hash_one(i) | 1,
                })
            })
            .collect();
        Self { shards, per_shard, hasher: seed, evictions: Default::default() }
    }

    /// The most keys held at once (max_keys rounded down to a multiple of the shard count).
    pub fn capacity(&self) -> usize {
        self.per_shard * self.shards.len()
    }

    fn shard(&self, key: &str) -> (&Mutex<Shard>, u64) {
        let h = self.hasher.hash_one(key);
        // Bits 32 and up pick the shard; the map's buckets use the low bits and its tags the top 7.
        let i = (h >> 32) as usize % self.shards.len();
        (&self.shards[i], h)
    }

    /// Runs `f` under the shard's lock on the key's `n` states (all `Fresh` when the key is absent
    /// or expired). `f` may change them and returns `(store, expires, result)`: with `store` the
    /// states are kept until `expires`, otherwise the key is left as it was (an absent or expired
    /// key stays absent). The whole read-decide-write is atomic per key; no allocation unless the
    /// key is new.
    pub fn with<R>(&self, key: &str, now: u64, n: usize, f: impl FnOnce(&mut [State]) -> (bool, u64, R)) -> R {
        let n = n.min(MAX_LIMITS);
        let (lock, hash) = self.shard(key);
        let mut shard = match lock.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(i) = shard.map.get_index_of(&HRef { hash, key }) {
            let live = shard.map[i].expires > now;
            if live && shard.map[i].states.len() == n {
                let e = &mut shard.map[i];
                let saved = e.expires;
                let (store, expires, r) = f(&mut e.states);
                e.expires = if store { expires } else { saved };
                return r;
            }
            shard.map.swap_remove_index(i);
        }
        let mut buf = [State::Fresh; MAX_LIMITS];
        let (store, expires, r) = f(&mut buf[..n]);
        if store && expires > now {
            if shard.map.len() >= self.per_shard {
                shard.make_room(now);
                self.evictions.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            shard.map.insert(HKey { hash, key: key.into() }, Entry { states: buf[..n].into(), expires });
        }
        r
    }

    pub fn remove(&self, key: &str) -> bool {
        let (lock, hash) = self.shard(key);
        let mut shard = match lock.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        shard.map.swap_remove(&HRef { hash, key }).is_some()
    }

    pub fn clear(&self) {
        for s in self.shards.iter() {
            let mut shard = match s.lock() {
                Ok(g) => g,
                Err(poisoned) => poisoned.into_inner(),
            };
            shard.map.clear();
            shard.map.shrink_to_fit();
        }
    }

    /// Keys held (expired ones included until they are swept).
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().map(|g| g.map.len()).unwrap_or(0)).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Times a full shard had to free a slot.
    pub fn evictions(&self) -> u64 {
        self.evictions.load(std::sync::atomic::Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(store: &MemoryStore, key: &str, now: u64, expires: u64) {
        store.with(key, now, 1, |st| {
            st[0] = State::Fixed { window: 0, count: 1 };
            (true, expires, ())
        });
    }

    fn present(store: &MemoryStore, key: &str, now: u64) -> bool {
        store.with(key, now, 1, |st| (false, 0, st[0] != State::Fresh))
    }

    #[test]
    fn a_flood_of_keys_stays_within_max_keys() {
        let store = MemoryStore::new(1000);
        for i in 0..100_000u64 {
            put(&store, &format!("k{i}"), 10, 1_000_000);
        }
        assert!(store.len() <= 1000);
        assert!(store.len() >= 900);
        assert!(store.capacity() <= 1000);
    }

    #[test]
    fn expired_entries_go_before_live_ones() {
        let store = MemoryStore::new(64); // one shard of 64
        put(&store, "victim", 0, 10_000);
        for i in 0..63 {
            put(&store, &format!("old{i}"), 0, 100);
        }
        // At t=200 the 63 old keys are expired: 63 new keys replace them, the victim stays.
        for i in 0..63 {
            put(&store, &format!("new{i}"), 200, 5_000);
        }
        assert!(present(&store, "victim", 200));
        // Once only live keys remain, the soonest-expiring among a sample goes, never the
        // victim while keys expiring before it exist.
        for i in 0..1000 {
            put(&store, &format!("flood{i}"), 300, 1_000 + i);
        }
        assert!(present(&store, "victim", 300));
        assert!(store.len() <= 64);
    }

    #[test]
    fn an_expired_key_reads_as_absent_and_is_dropped() {
        let store = MemoryStore::new(100);
        put(&store, "k", 0, 50);
        assert!(present(&store, "k", 49));
        assert!(!present(&store, "k", 50));
        assert_eq!(store.len(), 0);
    }
}
