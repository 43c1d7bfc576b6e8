//! Python `str` creation from bytes that are already known to be valid UTF-8, without CPython's
//! generic UTF-8 decoder: find the widest code point, `PyUnicode_New` with the narrowest kind
//! that fits, and write the UCS1/UCS2/UCS4 data directly (plain `memcpy` for ASCII).
//! Also the object-key cache shared by every `loads` call.

use std::cell::UnsafeCell;
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};

use pyo3::ffi;

/// Where a compact string's characters start, for a string created with `PyUnicode_New`.
#[inline(always)]
unsafe fn compact_data(op: *mut ffi::PyObject, ascii: bool) -> *mut u8 {
    if ascii {
        (op as *mut ffi::PyASCIIObject).add(1) as *mut u8
    } else {
        (op as *mut ffi::PyCompactUnicodeObject).add(1) as *mut u8
    }
}

/// A new `str` from ASCII bytes. NULL (with a Python error set) if allocation fails.
#[inline(always)]
pub unsafe fn ascii(s: &[u8]) -> *mut ffi::PyObject {
    let op = ffi::PyUnicode_New(s.len() as ffi::Py_ssize_t, 127);
    if !op.is_null() {
        ptr::copy_nonoverlapping(s.as_ptr(), compact_data(op, true), s.len());
    }
    op
}

/// The number of code points in valid UTF-8 and its largest byte (which tells the widest code
/// point's class: a lead byte below 0xC4 encodes at most U+00FF, below 0xF0 at most U+FFFF).
#[inline]
pub fn utf8_stats(s: &[u8]) -> (usize, u8) {
    let mut count = 0usize;
    let mut max = 0u8;
    // Per 32-byte chunk the sums fit u8 lanes, which vectorizes well.
    let mut chunks = s.chunks_exact(32);
    for c in &mut chunks {
        let mut n = 0u8;
        let mut m = 0u8;
        for &b in c {
            n += ((b as i8) >= -64) as u8;
            m = m.max(b);
        }
        count += n as usize;
        max = max.max(m);
    }
    for &b in chunks.remainder() {
        count += ((b as i8) >= -64) as usize;
        max = max.max(b);
    }
    (count, max)
}

/// A new `str` from valid UTF-8 (the caller has validated it). NULL with a Python error set if
/// allocation fails.
pub unsafe fn utf8(s: &[u8]) -> *mut ffi::PyObject {
    let (count, max) = utf8_stats(s);
    if max < 0x80 {
        return ascii(s);
    }
    if max < 0xC4 {
        let op = ffi::PyUnicode_New(count as ffi::Py_ssize_t, 0xFF);
        if !op.is_null() {
            decode_ucs1(s, compact_data(op, false), count);
        }
        op
    } else if max < 0xF0 {
        let op = ffi::PyUnicode_New(count as ffi::Py_ssize_t, 0xFFFF);
        if !op.is_null() {
            decode_into(s, compact_data(op, false) as *mut u16, count);
        }
        op
    } else {
        let op = ffi::PyUnicode_New(count as ffi::Py_ssize_t, 0x10FFFF);
        if !op.is_null() {
            decode_into(s, compact_data(op, false) as *mut u32, count);
        }
        op
    }
}

/// Decodes valid UTF-8 whose code points are all below U+0100 into `count` UCS1 units.
///
/// Safety: `s` is valid UTF-8 of exactly `count` code points, all below U+0100.
#[inline]
unsafe fn decode_ucs1(s: &[u8], out: *mut u8, count: usize) {
    let p = s.as_ptr();
    let mut i = 0;
    for o in 0..count {
        let b = *p.add(i);
        if b < 0x80 {
            *out.add(o) = b;
            i += 1;
        } else {
            *out.add(o) = ((b & 0x1F) << 6) | (*p.add(i + 1) & 0x3F);
            i += 2;
        }
    }
}

trait Unit: Copy {
    fn from_u32(c: u32) -> Self;
}
impl Unit for u16 {
    #[inline(always)]
    fn from_u32(c: u32) -> Self {
        c as u16
    }
}
impl Unit for u32 {
    #[inline(always)]
    fn from_u32(c: u32) -> Self {
        c
    }
}

/// Decodes valid UTF-8 into `count` UCS2 or UCS4 units.
///
/// Safety: `s` is valid UTF-8 of exactly `count` code points, each fitting `U`; `out` has room
/// for `count` units. Validity guarantees every lead byte is followed by its continuation bytes.
#[inline]
unsafe fn decode_into<U: Unit>(s: &[u8], out: *mut U, count: usize) {
    let p = s.as_ptr();
    let at = |i: usize| (*p.add(i) & 0x3F) as u32;
    let mut i = 0;
    for o in 0..count {
        let b = *p.add(i);
        let c = if b < 0x80 {
            i += 1;
            b as u32
        } else if b < 0xE0 {
            let c = ((b as u32 & 0x1F) << 6) | at(i + 1);
            i += 2;
            c
        } else if b < 0xF0 {
            let c = ((b as u32 & 0x0F) << 12) | (at(i + 1) << 6) | at(i + 2);
            i += 3;
            c
        } else {
            let c = ((b as u32 & 0x07) << 18) | (at(i + 1) << 12) | (at(i + 2) << 6) | at(i + 3);
            i += 4;
            c
        };
        *out.add(o) = U::from_u32(c);
    }
}

/// Keys of at most this many bytes go through the cache.
pub const KEY_CACHE_MAX_LEN: usize = 64;
const KEY_CACHE_SLOTS: usize = 2048;

/// A direct-mapped cache of object keys (ASCII without escapes, up to 64 bytes), each a `str`
/// whose hash is already computed, so repeated keys cost a lookup and an incref. A hit is
/// confirmed by comparing the bytes, so hash collisions only cost a miss.
///
/// The module runs without the GIL on free-threaded builds, and even with the GIL a finalizer run
/// by the garbage collector mid-parse can re-enter `loads` or let another thread run: a parse
/// takes the cache with a try-lock and simply goes without it when the cache is busy.
pub struct KeyCache {
    busy: AtomicBool,
    slots: UnsafeCell<[*mut ffi::PyObject; KEY_CACHE_SLOTS]>,
}

// SAFETY: the slots are only touched through a `KeyCacheLease`, which exists for at most one
// thread at a time (acquired by a compare-exchange on `busy`); the strings in it are immortal
// for as long as the cache holds its reference and are shared like any other Python object.
unsafe impl Sync for KeyCache {}

pub static KEY_CACHE: KeyCache = KeyCache {
    busy: AtomicBool::new(false),
    slots: UnsafeCell::new([ptr::null_mut(); KEY_CACHE_SLOTS]),
};

/// Exclusive use of the key cache for the length of one parse.
pub struct KeyCacheLease {
    slots: *mut [*mut ffi::PyObject; KEY_CACHE_SLOTS],
}

impl KeyCache {
    #[inline]
    pub fn try_lease(&'static self) -> Option<KeyCacheLease> {
        if self.busy.compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed).is_ok() {
            Some(KeyCacheLease { slots: self.slots.get() })
        } else {
            None
        }
    }
}

impl Drop for KeyCacheLease {
    #[inline]
    fn drop(&mut self) {
        KEY_CACHE.busy.store(false, Ordering::Release);
    }
}

/// `key == data[..key.len()]` for short keys, without a call to `memcmp`.
///
/// Safety: `data` points to at least `key.len()` readable bytes.
#[inline(always)]
unsafe fn short_eq(data: *const u8, key: &[u8]) -> bool {
    let n = key.len();
    let k = key.as_ptr();
    let mut i = 0;
    while i + 8 <= n {
        if (data.add(i) as *const u64).read_unaligned() != (k.add(i) as *const u64).read_unaligned() {
            return false;
        }
        i += 8;
    }
    while i < n {
        if *data.add(i) != *k.add(i) {
            return false;
        }
        i += 1;
    }
    true
}

/// A fast 64-bit hash of a key; its top bits are well mixed (the cache indexes by them).
/// Short tails are read as overlapping words rather than copied into a buffer, which would stall
/// on store forwarding.
#[inline(always)]
pub fn key_hash(s: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let n = s.len();
    let p = s.as_ptr();
    // SAFETY: every read below lies within `s` (guarded by `n`).
    unsafe {
        let r64 = |i: usize| (p.add(i) as *const u64).read_unaligned();
        let r32 = |i: usize| (p.add(i) as *const u32).read_unaligned() as u64;
        let mut h = (n as u64).wrapping_mul(K);
        if n >= 8 {
            let mut i = 0;
            while i + 8 < n {
                h = (h ^ r64(i)).wrapping_mul(K);
                h ^= h >> 32;
                i += 8;
            }
            h = (h ^ r64(n - 8)).wrapping_mul(K);
        } else if n >= 4 {
            h = (h ^ ((r32(0) << 32) | r32(n - 4))).wrapping_mul(K);
        } else if n > 0 {
            let w = ((*p as u64) << 16) | ((*p.add(n / 2) as u64) << 8) | *p.add(n - 1) as u64;
            h = (h ^ w).wrapping_mul(K);
        }
        h
    }
}

#[inline(always)]
fn slot_index(key: &[u8]) -> usize {
    (key_hash(key) >> (64 - KEY_CACHE_SLOTS.trailing_zeros())) as usize
}

impl KeyCacheLease {
    /// A new reference to the `str` for an ASCII key (at most `KEY_CACHE_MAX_LEN` bytes).
    /// NULL with a Python error set if allocation fails.
    #[inline(always)]
    pub unsafe fn get(&mut self, key: &[u8]) -> *mut ffi::PyObject {
        let slot = &mut (*self.slots)[slot_index(key)];
        let cached = *slot;
        if !cached.is_null()
            && ffi::PyUnicode_GET_LENGTH(cached) as usize == key.len()
            && short_eq(compact_data(cached, true), key)
        {
            ffi::Py_INCREF(cached);
            return cached;
        }
        let op = ascii(key);
        if op.is_null() {
            return op;
        }
        // Computing the hash now stores it in the object: every dict insert of a cached key
        // then skips hashing.
        ffi::PyObject_Hash(op);
        ffi::Py_INCREF(op);
        let old = std::mem::replace(slot, op);
        if !old.is_null() {
            ffi::Py_DECREF(old);
        }
        op
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats() {
        assert_eq!(utf8_stats(b"abc"), (3, b'c'));
        assert_eq!(utf8_stats("é".as_bytes()), (1, 0xC3));
        assert_eq!(utf8_stats("ā".as_bytes()), (1, 0xC4));
        assert_eq!(utf8_stats("日本".as_bytes()), (2, 0xE6));
        assert_eq!(utf8_stats("😀".as_bytes()), (1, 0xF0));
        let long = "aé日😀".repeat(40);
        assert_eq!(utf8_stats(long.as_bytes()), (160, 0xF0));
    }

    #[test]
    fn decoding_matches_std() {
        for text in ["héllo wörld ÿ", "日本語 text ー", "mixed é 日 😀 \u{10FFFF}", "\u{80}\u{7FF}\u{800}\u{FFFF}"] {
            let s = text.as_bytes();
            let (count, _) = utf8_stats(s);
            let want: Vec<u32> = text.chars().map(|c| c as u32).collect();
            assert_eq!(count, want.len());
            let mut out32 = vec![0u32; count];
            unsafe { decode_into(s, out32.as_mut_ptr(), count) };
            assert_eq!(out32, want);
            if want.iter().all(|&c| c <= 0xFFFF) {
                let mut out16 = vec![0u16; count];
                unsafe { decode_into(s, out16.as_mut_ptr(), count) };
                assert_eq!(out16.iter().map(|&c| c as u32).collect::<Vec<_>>(), want);
            }
            if want.iter().all(|&c| c <= 0xFF) {
                let mut out8 = vec![0u8; count];
                unsafe { decode_ucs1(s, out8.as_mut_ptr(), count) };
                assert_eq!(out8.iter().map(|&c| c as u32).collect::<Vec<_>>(), want);
            }
        }
    }

    #[test]
    fn key_hash_spreads() {
        let mut seen = std::collections::HashSet::new();
        for i in 0..10_000 {
            let k = format!("key{i}");
            seen.insert(slot_index(k.as_bytes()));
        }
        assert!(seen.len() > KEY_CACHE_SLOTS * 9 / 10, "{}", seen.len());
        let mut seen = std::collections::HashSet::new();
        for i in 0..10_000u32 {
            seen.insert(slot_index(&i.to_le_bytes()[..3]));
            seen.insert(slot_index(format!("{i:09}").as_bytes()));
        }
        assert!(seen.len() > KEY_CACHE_SLOTS * 9 / 10, "{}", seen.len());
        assert_ne!(key_hash(b"a"), key_hash(b"a\0"));
        assert_ne!(key_hash(b""), key_hash(b"\0"));
    }
}
