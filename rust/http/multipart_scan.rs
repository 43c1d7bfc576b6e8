//! The one-shot parser's pass over a large part: the delimiter search and the copy of the content
//! it scans, fused in one SIMD loop (each 32- or 64-byte vector is loaded once, stored to the
//! destination and tested for the delimiter's two rarest bytes). Pure Rust; no Python here.
// Elsewhere (aarch64, ...) only the portable path is built, and the loop's helpers go unused.
#![cfg_attr(not(target_arch = "x86_64"), allow(dead_code, unused_mut))]

use std::mem::MaybeUninit;

use memchr::arch::all::packedpair::Pair;
use memchr::memmem;

/// Where a fused scan stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scanned {
    /// Where the first delimiter begins, if any.
    pub found: Option<usize>,
    /// `dst[..copied]` holds `hay[..copied]`; at least `found` (or `hay.len()`) bytes.
    pub copied: usize,
}

/// Too many candidates that are not the delimiter (a crafted body can make every other byte
/// one): past this budget the rest of the part goes through `memmem`, whose search is linear
/// whatever the input, and is copied block by block.
fn over_budget(false_hits: usize, scanned: usize) -> bool {
    false_hits > 64 + scanned / 512
}

/// The instructions the fused loop uses; a value exists only if the CPU supports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Simd {
    /// No fused loop: the portable path (memmem over blocks, each copied after its search).
    Portable,
    Avx2,
    Avx512,
}

impl Simd {
    /// The best level this CPU supports.
    pub fn detect() -> Simd {
        Simd::all().into_iter().last().unwrap_or(Simd::Portable)
    }

    /// Every level this CPU supports, from the portable one up (tests run each).
    pub fn all() -> Vec<Simd> {
        let mut out = vec![Simd::Portable];
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx2") {
                out.push(Simd::Avx2);
            }
            if std::is_x86_feature_detected!("avx512bw") {
                out.push(Simd::Avx512);
            }
        }
        out
    }
}

/// The delimiter's packed pair (memchr's choice of its two rarest bytes) and the instructions to
/// test it with.
#[derive(Debug, Clone, Copy)]
pub struct FusedPair {
    i1: usize,
    i2: usize,
    b1: u8,
    b2: u8,
    /// Private, from `Simd::all`: the CPU supports it (the fused loop's safety rests on this).
    simd: Simd,
}

impl FusedPair {
    /// For the best instructions this CPU has.
    pub fn new(needle: &[u8]) -> Option<FusedPair> {
        FusedPair::with_simd(needle, Simd::detect())
    }

    /// `None` if the CPU lacks `simd` (or the needle is shorter than 2 bytes).
    pub fn with_simd(needle: &[u8], simd: Simd) -> Option<FusedPair> {
        if !Simd::all().contains(&simd) {
            return None;
        }
        let pair = Pair::new(needle)?;
        let (i1, i2) = (usize::from(pair.index1()), usize::from(pair.index2()));
        Some(FusedPair { i1, i2, b1: *needle.get(i1)?, b2: *needle.get(i2)?, simd })
    }

    pub fn simd(&self) -> Simd {
        self.simd
    }

    /// Bytes past a vector's start that its pair loads read.
    fn reach(&self) -> usize {
        self.i1.max(self.i2)
    }
}

/// Blocks of the portable path: small enough to stay in L1 between the search of a block and
/// its copy (8 and 16 KiB measured best on a 1 MB part; 64 KiB blocks, or a search of the whole
/// part followed by its copy, were 10% slower).
const BLOCK: usize = 16 << 10;

fn copy(hay: &[u8], dst: &mut [MaybeUninit<u8>], from: usize, to: usize) {
    for (d, s) in dst[from..to].iter_mut().zip(&hay[from..to]) {
        d.write(*s);
    }
}

/// The portable path: `memmem` over 16 KiB blocks, each copied after its search.
pub fn search_and_copy_blocks(finder: &memmem::Finder<'_>, hay: &[u8], start: usize, dst: &mut [MaybeUninit<u8>]) -> Scanned {
    let overlap = finder.needle().len() - 1;
    let mut done = start;
    loop {
        let end = (done + BLOCK + overlap).min(hay.len());
        match finder.find(&hay[done..end]) {
            Some(j) => {
                copy(hay, dst, done, done + j);
                return Scanned { found: Some(done + j), copied: done + j };
            }
            None if end == hay.len() => {
                copy(hay, dst, done, end);
                return Scanned { found: None, copied: end };
            }
            None => {
                let safe = end - overlap; // a delimiter cut by `end` begins at `safe` or later
                copy(hay, dst, done, safe);
                done = safe;
            }
        }
    }
}

/// Searches `hay` for `finder`'s needle, no earlier than `start` (the caller knows no delimiter
/// begins before it), copying into `dst` (at least `hay.len()` long) the bytes it scans:
/// `hay[..start]` first, then each scanned vector.
pub fn search_and_copy(finder: &memmem::Finder<'_>, pair: Option<&FusedPair>, hay: &[u8], start: usize, dst: &mut [MaybeUninit<u8>]) -> Scanned {
    assert!(dst.len() >= hay.len() && start <= hay.len());
    copy(hay, dst, 0, start);
    let needle = finder.needle();
    let mut at = start;
    if let Some(p) = pair {
        match fused(needle, p, hay, start, dst) {
            Fused::Found(i, copied) => return Scanned { found: Some(i), copied },
            Fused::Stopped(i) => at = i,
        }
    }
    search_and_copy_blocks(finder, hay, at, dst)
}

enum Fused {
    /// The delimiter begins at `.0`; `.1` bytes were copied.
    Found(usize, usize),
    /// No delimiter begins before `.0`, and `hay[..0]` was copied: the rest is left to `memmem`
    /// (the tail too short for a vector and its pair loads, or a crafted input over budget).
    Stopped(usize),
}

fn fused(needle: &[u8], p: &FusedPair, hay: &[u8], start: usize, dst: &mut [MaybeUninit<u8>]) -> Fused {
    #[cfg(target_arch = "x86_64")]
    {
        if p.simd != Simd::Portable {
            // Stores that straddle cache lines cost more than loads that do: the loop aligns its
            // stores, and the bytes before the first aligned one are searched by memmem.
            let i = start + (dst[start..].as_ptr() as usize).wrapping_neg() % 64;
            if i + x86::ROUND + p.reach() > hay.len() {
                return Fused::Stopped(start);
            }
            if let Some(j) = memmem::find(&hay[start..(i + needle.len() - 1).min(hay.len())], needle) {
                copy(hay, dst, start, start + j);
                return Fused::Found(start + j, start + j);
            }
            copy(hay, dst, start, i);
            return x86::fused(needle, p, hay, i, dst);
        }
    }
    let _ = (needle, p, hay, dst);
    Fused::Stopped(start)
}

/// Checks the candidates of one round (bit `j` of `masks[k]`: the pair matched at
/// `base + 64 * k + j`). `Ok(Some(i))`: the delimiter begins at `i`; `Err(())`: over the
/// false-candidate budget. Out of line: keeps the hot loop's registers free.
#[cold]
#[inline(never)]
fn candidates(needle: &[u8], hay: &[u8], base: usize, masks: [u64; 2], false_hits: &mut usize, start: usize) -> Result<Option<usize>, ()> {
    for (k, mut mask) in masks.into_iter().enumerate() {
        while mask != 0 {
            let i = base + 64 * k + mask.trailing_zeros() as usize;
            if hay.get(i..i + needle.len()) == Some(needle) {
                return Ok(Some(i));
            }
            *false_hits += 1;
            if over_budget(*false_hits, i - start) {
                return Err(());
            }
            mask &= mask - 1;
        }
    }
    Ok(None)
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{candidates, Fused, FusedPair, Simd};
    use std::arch::x86_64::*;
    use std::mem::MaybeUninit;

    /// Bytes per round of either loop: two 64-byte vectors (AVX-512), or four 32-byte ones (AVX2).
    pub(super) const ROUND: usize = 128;

    /// How far ahead each round asks for the source and destination lines it will need. Both
    /// together brought the AVX-512 loop from 1.2x to the speed of a plain `memcpy` on a 1 MB
    /// part (either alone did nothing measurable; 2 to 4 KiB ahead were best, 1 and 8 KiB worse).
    const AHEAD: usize = 2048;

    /// Prefetches a round's two lines, `AHEAD` bytes past `s` and `d`.
    ///
    /// # Safety
    /// None needed in practice (a prefetch never faults, and the addresses are computed with
    /// wrapping arithmetic, so past the buffers is fine); `unsafe` only for the intrinsic.
    #[inline(always)]
    unsafe fn prefetch(s: *const u8, d: *const u8) {
        for p in [s.wrapping_add(AHEAD), s.wrapping_add(AHEAD + 64), d.wrapping_add(AHEAD), d.wrapping_add(AHEAD + 64)] {
            // SAFETY: see above.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(p as *const i8) };
        }
    }

    /// Where a run of rounds stopped: at a round holding candidates (masks, not both zero), or
    /// where no full round is left (masks zero).
    type Run = (usize, [u64; 2]);

    /// Copies and tests rounds of 128 bytes from `i`.
    ///
    /// # Safety
    /// The CPU must support AVX-512BW; `last + ROUND + max(i1, i2)` bytes are readable at `src`,
    /// and `last + ROUND` bytes writable at `out`, not overlapping them.
    #[target_feature(enable = "avx512bw")]
    unsafe fn run_avx512(src: *const u8, out: *mut u8, i: usize, last: usize, p: &FusedPair) -> Run {
        let (i1, i2) = (p.i1, p.i2);
        let v1 = _mm512_set1_epi8(p.b1 as i8);
        let v2 = _mm512_set1_epi8(p.b2 as i8);
        // Pointers rather than an index: LLVM kept the index on the stack, a store-forwarding
        // round trip per round that cost a quarter of the loop's speed.
        // SAFETY (every load and store below): `s <= end` keeps the loads within
        // `last + ROUND + max(i1, i2)` of `src`, the stores within `last + ROUND` of `out`.
        unsafe {
            let mut s = src.add(i);
            let mut d = out.add(i);
            let end = src.add(last);
            while s <= end {
                prefetch(s, d);
                let a = _mm512_loadu_si512(s as *const __m512i);
                let b = _mm512_loadu_si512(s.add(64) as *const __m512i);
                _mm512_storeu_si512(d as *mut __m512i, a);
                _mm512_storeu_si512(d.add(64) as *mut __m512i, b);
                let a1 = _mm512_cmpeq_epi8_mask(_mm512_loadu_si512(s.add(i1) as *const __m512i), v1);
                let ka = _mm512_mask_cmpeq_epi8_mask(a1, _mm512_loadu_si512(s.add(i2) as *const __m512i), v2);
                let b1 = _mm512_cmpeq_epi8_mask(_mm512_loadu_si512(s.add(64 + i1) as *const __m512i), v1);
                let kb = _mm512_mask_cmpeq_epi8_mask(b1, _mm512_loadu_si512(s.add(64 + i2) as *const __m512i), v2);
                if ka | kb != 0 {
                    return (s.offset_from(src) as usize, [ka, kb]);
                }
                s = s.add(ROUND);
                d = d.add(ROUND);
            }
            (s.offset_from(src) as usize, [0, 0])
        }
    }

    /// Copies and tests rounds of 128 bytes from `i`, as four 32-byte vectors.
    ///
    /// # Safety
    /// As `run_avx512`, with AVX2 instead of AVX-512BW.
    #[target_feature(enable = "avx2")]
    unsafe fn run_avx2(src: *const u8, out: *mut u8, i: usize, last: usize, p: &FusedPair) -> Run {
        let (i1, i2) = (p.i1, p.i2);
        let v1 = _mm256_set1_epi8(p.b1 as i8);
        let v2 = _mm256_set1_epi8(p.b2 as i8);
        // SAFETY (every load and store below): as in `run_avx512`.
        // (Macros, not closures: a closure would not be compiled with AVX2 enabled.)
        macro_rules! test {
            ($s:expr) => {{
                let a1 = _mm256_loadu_si256($s.add(i1) as *const __m256i);
                let a2 = _mm256_loadu_si256($s.add(i2) as *const __m256i);
                _mm256_and_si256(_mm256_cmpeq_epi8(a1, v1), _mm256_cmpeq_epi8(a2, v2))
            }};
        }
        macro_rules! bits {
            ($m:expr) => {
                _mm256_movemask_epi8($m) as u32 as u64
            };
        }
        unsafe {
            let mut s = src.add(i);
            let mut d = out.add(i);
            let end = src.add(last);
            while s <= end {
                prefetch(s, d);
                for k in 0..4 {
                    let v = _mm256_loadu_si256(s.add(32 * k) as *const __m256i);
                    _mm256_storeu_si256(d.add(32 * k) as *mut __m256i, v);
                }
                let (m0, m1, m2, m3) = (test!(s), test!(s.add(32)), test!(s.add(64)), test!(s.add(96)));
                let any = _mm256_or_si256(_mm256_or_si256(m0, m1), _mm256_or_si256(m2, m3));
                if _mm256_testz_si256(any, any) == 0 {
                    return (s.offset_from(src) as usize, [bits!(m0) | bits!(m1) << 32, bits!(m2) | bits!(m3) << 32]);
                }
                s = s.add(ROUND);
                d = d.add(ROUND);
            }
            (s.offset_from(src) as usize, [0, 0])
        }
    }

    /// The fused loop from `start` (where `dst` is 64-byte aligned) with `p`'s instructions.
    pub(super) fn fused(needle: &[u8], p: &FusedPair, hay: &[u8], start: usize, dst: &mut [MaybeUninit<u8>]) -> Fused {
        let Some(last) = hay.len().checked_sub(ROUND + p.reach()) else { return Fused::Stopped(start) };
        assert!(dst.len() >= hay.len());
        let (src, out) = (hay.as_ptr(), dst.as_mut_ptr() as *mut u8);
        let mut false_hits = 0;
        let mut i = start;
        loop {
            // SAFETY: `last + ROUND + reach == hay.len()`, `dst.len() >= hay.len()` (asserted),
            // `dst` is a distinct `&mut` so it cannot overlap `hay`, and a `FusedPair` only
            // holds a level its CPU supports (`FusedPair::with_simd`).
            let (at, masks) = unsafe {
                match p.simd {
                    Simd::Avx512 => run_avx512(src, out, i, last, p),
                    Simd::Avx2 => run_avx2(src, out, i, last, p),
                    Simd::Portable => return Fused::Stopped(i),
                }
            };
            if masks == [0, 0] {
                return Fused::Stopped(at);
            }
            match candidates(needle, hay, at, masks, &mut false_hits, start) {
                Ok(Some(found)) => return Fused::Found(found, at + ROUND),
                Ok(None) => i = at + ROUND,
                Err(()) => return Fused::Stopped(at),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NEEDLE: &[u8] = b"\r\n------WebKitFormBoundary7MA4YWxkTrZu0gW";

    /// Runs every level on `hay` from `start`, with the destination at each alignment in `aligns`,
    /// and checks the result against memmem and the copy against the source.
    fn check(needle: &[u8], hay: &[u8], start: usize, aligns: &[usize]) {
        let finder = memmem::Finder::new(needle);
        let expected = finder.find(&hay[start..]).map(|i| start + i);
        for simd in Simd::all() {
            let pair = FusedPair::with_simd(needle, simd);
            assert_eq!(pair.is_some(), needle.len() >= 2);
            for &align in aligns {
                let mut buf = vec![MaybeUninit::new(0xAAu8); hay.len() + align + 64];
                let dst = &mut buf[align..align + hay.len()];
                let got = search_and_copy(&finder, pair.as_ref(), hay, start, dst);
                let ctx = format!("{simd:?} len={} start={start} align={align}", hay.len());
                assert_eq!(got.found, expected, "{ctx}");
                assert!(got.copied <= hay.len(), "{ctx}");
                assert!(got.copied >= got.found.unwrap_or(hay.len()), "{ctx}");
                // SAFETY: the buffer was initialised (0xAA) before the scan wrote into it.
                let copied: Vec<u8> = dst[..got.copied].iter().map(|b| unsafe { b.assume_init() }).collect();
                assert_eq!(copied, &hay[..got.copied], "{ctx}");
                // Nothing written past the destination's end.
                // SAFETY: as above.
                assert!(buf[align + hay.len()..].iter().all(|b| unsafe { b.assume_init() } == 0xAA), "{ctx}");
            }
        }
    }

    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
        fn bytes(&mut self, n: usize) -> Vec<u8> {
            (0..n).map(|_| self.next() as u8).collect()
        }
    }

    /// Lengths around the loops' rounds (128 bytes plus the pair's reach) and alignment heads.
    fn lengths() -> Vec<usize> {
        let mut v: Vec<usize> = (0..=300).collect();
        v.extend([511, 512, 513, 1000, 4095, 4096, 4097, 16 << 10, (16 << 10) + 41]);
        v
    }

    #[test]
    fn the_pair_is_memchrs() {
        let p = FusedPair::with_simd(NEEDLE, Simd::Portable).unwrap();
        let q = Pair::new(NEEDLE).unwrap();
        assert_eq!((p.i1, p.i2), (usize::from(q.index1()), usize::from(q.index2())));
        assert_eq!((p.b1, p.b2), (NEEDLE[p.i1], NEEDLE[p.i2]));
        assert!(FusedPair::with_simd(b"x", Simd::Portable).is_none());
        assert_eq!(*Simd::all().first().unwrap(), Simd::Portable);
        assert_eq!(Simd::detect(), *Simd::all().last().unwrap());
    }

    #[test]
    fn delimiter_at_every_offset() {
        let mut rng = Rng(1);
        let base = rng.bytes(1200);
        for pos in 0..1200 - NEEDLE.len() {
            let mut hay = base.clone();
            hay[pos..pos + NEEDLE.len()].copy_from_slice(NEEDLE);
            check(NEEDLE, &hay, 0, &[0, 16, 33]);
        }
    }

    #[test]
    fn delimiter_at_every_offset_of_every_length_and_alignment() {
        let mut rng = Rng(2);
        for len in lengths() {
            let base = rng.bytes(len);
            check(NEEDLE, &base, 0, &[0, 1, 32, 63]);
            for pos in (0..len.saturating_sub(NEEDLE.len() - 1)).step_by(if len > 600 { 37 } else { 1 }) {
                let mut hay = base.clone();
                hay[pos..pos + NEEDLE.len()].copy_from_slice(NEEDLE);
                check(NEEDLE, &hay, 0, &[0, 7, 48]);
                if pos > 0 {
                    check(NEEDLE, &hay, pos.min(9), &[5]);
                }
            }
        }
    }

    #[test]
    fn two_delimiters_the_first_wins() {
        let mut rng = Rng(3);
        for _ in 0..300 {
            let len = 100 + rng.below(2000);
            let mut hay = rng.bytes(len);
            let a = rng.below(len - NEEDLE.len());
            let b = rng.below(len - NEEDLE.len());
            hay[a..a + NEEDLE.len()].copy_from_slice(NEEDLE);
            hay[b..b + NEEDLE.len()].copy_from_slice(NEEDLE);
            check(NEEDLE, &hay, 0, &[0, 3]);
        }
    }

    #[test]
    fn near_misses_and_a_delimiter_cut_by_the_end() {
        let p = FusedPair::with_simd(NEEDLE, Simd::Portable).unwrap();
        let mut rng = Rng(4);
        for len in [200, 333, 1024, 5000] {
            let base = rng.bytes(len);
            for pos in 0..len - NEEDLE.len() {
                let mut hay = base.clone();
                hay[pos..pos + NEEDLE.len()].copy_from_slice(NEEDLE);
                // Each byte but the pair's changed in turn: the pair matches, the needle does not.
                let k = [1, NEEDLE.len() - 1, NEEDLE.len() / 2, 0][pos % 4];
                if k != p.i1 && k != p.i2 {
                    hay[pos + k] ^= 0x20;
                }
                check(NEEDLE, &hay, 0, &[0, 17]);
            }
            for cut in 1..NEEDLE.len() {
                let mut hay = base.clone();
                hay[len - cut..].copy_from_slice(&NEEDLE[..cut]);
                check(NEEDLE, &hay, 0, &[0, 9]);
            }
        }
    }

    #[test]
    fn short_needles_and_empty_or_short_haystacks() {
        for needle in [&b"\r\n--a"[..], b"\r\n--ab", b"\r\n--0123456789012345678901234567890123456789012345678901234567890123456789"] {
            for len in [0, 1, needle.len() - 1, needle.len(), needle.len() + 1, 129, 200, 260] {
                let mut rng = Rng(5 + len as u64);
                let base = rng.bytes(len);
                check(needle, &base, 0, &[0, 1]);
                if len >= needle.len() {
                    let mut hay = base.clone();
                    hay[len - needle.len()..].copy_from_slice(needle);
                    check(needle, &hay, 0, &[0, 1]);
                    check(needle, &hay, len - needle.len(), &[0]);
                    check(needle, &hay, len, &[0]);
                }
            }
        }
    }

    #[test]
    fn crafted_candidates_everywhere_fall_back_to_memmem() {
        // The pair's bytes at the pair's distance all over: every other position is a candidate.
        let p = FusedPair::with_simd(NEEDLE, Simd::Portable).unwrap();
        let mut hay = vec![b'x'; 200_000];
        for i in (0..hay.len() - NEEDLE.len()).step_by(2) {
            hay[i + p.i1] = p.b1;
            hay[i + p.i2] = p.b2;
        }
        check(NEEDLE, &hay, 0, &[0]);
        let at = hay.len() - 5000;
        hay[at..at + NEEDLE.len()].copy_from_slice(NEEDLE);
        check(NEEDLE, &hay, 0, &[0, 8]);
        assert!(over_budget(64 + 100_000 / 512 + 1, 100_000));
        assert!(!over_budget(64 + 100_000 / 512, 100_000));
    }

    #[test]
    fn text_with_crlf_lines() {
        let line = b"col1,col2,\"a quoted, field\",42\r\n--not-the-boundary\r\n";
        let mut hay: Vec<u8> = line.iter().copied().cycle().take(70_000).collect();
        check(NEEDLE, &hay, 0, &[0, 5]);
        let at = 65_537;
        hay[at..at + NEEDLE.len()].copy_from_slice(NEEDLE);
        check(NEEDLE, &hay, 100, &[0, 5]);
    }

    #[test]
    fn differential_against_the_portable_path() {
        // Random haystacks built from the needle's own bytes, pieces of it and the delimiter:
        // candidates, near misses and matches land at every alignment.
        let mut rng = Rng(6);
        for round in 0..3000 {
            let needle: Vec<u8> = if round % 3 == 0 { NEEDLE.to_vec() } else {
                let mut n = b"\r\n--".to_vec();
                let blen = 1 + rng.below(70);
                n.extend((0..blen).map(|_| b"ab-Z09_'"[rng.below(8)]));
                n
            };
            let len = rng.below(3000);
            let mut hay = Vec::with_capacity(len + 80);
            while hay.len() < len {
                let (kind, n) = (rng.below(6), rng.below(200));
                let piece: Vec<u8> = match kind {
                    0 => needle[..n % needle.len() + 1].to_vec(),
                    1 if n % 8 == 0 => needle.clone(),
                    2 => (0..n % 40).map(|_| needle[rng.below(needle.len())]).collect(),
                    _ => rng.bytes(n),
                };
                hay.extend(piece);
            }
            let start = if hay.is_empty() { 0 } else { rng.below(hay.len().min(100)) };
            check(&needle, &hay, start, &[rng.below(64)]);
        }
    }
}
