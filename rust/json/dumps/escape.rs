//! String escaping exactly as stdlib `json` does it: `\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`,
//! other controls as `\u00XX` (lowercase hex); with `ensure_ascii` also DEL and every non-ASCII
//! code point as `\uXXXX` (surrogate pairs beyond the BMP).
//!
//! Every function writes through a raw pointer into space the caller reserved: see the capacity
//! each one states. They over-store up to 16 bytes past what they finally report as written.
//!
//! `ensure_ascii` on non-ASCII text (PEP 393 kinds 1, 2 and 4) scans 16 code units per step
//! (SSE2, the x86_64 baseline): the units are narrowed to bytes and stored in one go, and only
//! the units that need an escape are handled one by one. Other targets use the scalar loops.

use std::ptr;

const HEX: &[u8; 16] = b"0123456789abcdef";

/// For each byte its escape sequence, with the sequence's length in the last byte (0: written
/// as is). DEL and 0x80..=0xff (latin-1 code points) are only used with `ensure_ascii`.
static ESCAPES: [[u8; 8]; 256] = build_escapes();

const fn build_escapes() -> [[u8; 8]; 256] {
    let mut t = [[0u8; 8]; 256];
    let mut c = 0;
    while c < 256 {
        if c < 0x20 || c >= 0x7f {
            t[c] = [b'\\', b'u', b'0', b'0', HEX[c >> 4], HEX[c & 15], 0, 6];
        }
        c += 1;
    }
    t[0x08] = [b'\\', b'b', 0, 0, 0, 0, 0, 2];
    t[0x09] = [b'\\', b't', 0, 0, 0, 0, 0, 2];
    t[0x0a] = [b'\\', b'n', 0, 0, 0, 0, 0, 2];
    t[0x0c] = [b'\\', b'f', 0, 0, 0, 0, 0, 2];
    t[0x0d] = [b'\\', b'r', 0, 0, 0, 0, 0, 2];
    t[b'"' as usize] = [b'\\', b'"', 0, 0, 0, 0, 0, 2];
    t[b'\\' as usize] = [b'\\', b'\\', 0, 0, 0, 0, 0, 2];
    t
}

/// `ASCII` (ensure_ascii): DEL and every byte >= 0x80 (latin-1 code points) too.
#[inline(always)]
fn needs_escape<const ASCII: bool>(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\' || (ASCII && b >= 0x7f)
}

/// Writes the escape for byte `b` (which needs one); capacity 8.
#[inline(always)]
unsafe fn put_escape(d: *mut u8, b: u8) -> *mut u8 {
    let e = ESCAPES.get_unchecked(b as usize);
    ptr::copy_nonoverlapping(e.as_ptr(), d, 8);
    d.add(e[7] as usize)
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Bit `i` set when byte `i` of `v` needs escaping. SSE2 is part of the x86_64 baseline: no
/// runtime detection needed.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn special_mask<const ASCII: bool>(v: std::arch::x86_64::__m128i) -> u32 {
    use std::arch::x86_64::*;
    let q = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
    let bs = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
    let other = if ASCII {
        // signed v < 0x20: the controls and every byte >= 0x80; and DEL
        _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)), _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f)))
    } else {
        // unsigned v <= 0x1f
        _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v)
    };
    _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(q, bs), other)) as u32
}

/// Whether any byte of `x` needs escaping (exact as a yes/no answer; the usual SWAR tests).
/// (x86_64 uses them in the tests only.)
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
#[inline(always)]
fn word_special<const ASCII: bool>(x: u64) -> bool {
    let lt = x.wrapping_sub(LO * 0x20) & !x;
    let q = x ^ (LO * b'"' as u64);
    let bs = x ^ (LO * b'\\' as u64);
    let mut r = lt | (q.wrapping_sub(LO) & !q) | (bs.wrapping_sub(LO) & !bs);
    if ASCII {
        let del = x ^ (LO * 0x7f);
        r |= (del.wrapping_sub(LO) & !del) | x;
    }
    r & HI != 0
}

#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
#[inline(always)]
fn word_special32<const ASCII: bool>(x: u32) -> bool {
    const L: u32 = 0x0101_0101;
    const H: u32 = 0x8080_8080;
    let lt = x.wrapping_sub(L * 0x20) & !x;
    let q = x ^ (L * b'"' as u32);
    let bs = x ^ (L * b'\\' as u32);
    let mut r = lt | (q.wrapping_sub(L) & !q) | (bs.wrapping_sub(L) & !bs);
    if ASCII {
        let del = x ^ (L * 0x7f);
        r |= (del.wrapping_sub(L) & !del) | x;
    }
    r & H != 0
}

/// Copies `len` bytes of text, escaping `"`, `\` and controls. Without `ASCII` the bytes are
/// ASCII or UTF-8 and bytes >= 0x80 are copied as they are; with `ASCII` (ensure_ascii) they are
/// ASCII or latin-1 code points (PEP 393 kind 1), and DEL and bytes >= 0x80 become `\u00XX`.
/// Capacity: `6 * len + 16`.
#[inline(always)]
pub unsafe fn escape_bytes<const ASCII: bool>(mut d: *mut u8, src: *const u8, len: usize) -> *mut u8 {
    let mut s = src;
    let end = src.add(len);
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::*;
        while end.offset_from(s) >= 16 {
            let v = _mm_loadu_si128(s as *const __m128i);
            _mm_storeu_si128(d as *mut __m128i, v);
            let mask = special_mask::<ASCII>(v);
            if mask == 0 {
                s = s.add(16);
                d = d.add(16);
            } else {
                let i = mask.trailing_zeros() as usize;
                s = s.add(i);
                d = put_escape(d.add(i), *s);
                s = s.add(1);
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        while end.offset_from(s) >= 8 {
            let w = ptr::read_unaligned(s as *const u64);
            if word_special::<ASCII>(w) {
                for _ in 0..8 {
                    let b = *s;
                    d = if needs_escape::<ASCII>(b) { put_escape(d, b) } else { *d = b; d.add(1) };
                    s = s.add(1);
                }
            } else {
                ptr::write_unaligned(d as *mut u64, w);
                s = s.add(8);
                d = d.add(8);
            }
        }
    }
    // Tail of fewer than 16 (8) bytes: test it with two overlapping words, copy it the same way.
    let rem = end.offset_from(s) as usize;
    #[cfg(target_arch = "x86_64")]
    if rem >= 4 {
        use std::arch::x86_64::*;
        // Both words in one vector: one test instead of two SWAR ones (most keys and short
        // values end here). Short words are padded with 'a', which needs no escape.
        const PAD: u64 = 0x6161_6161 << 32;
        let (a, b) = if rem >= 8 {
            (ptr::read_unaligned(s as *const u64), ptr::read_unaligned(end.sub(8) as *const u64))
        } else {
            (
                ptr::read_unaligned(s as *const u32) as u64 | PAD,
                ptr::read_unaligned(end.sub(4) as *const u32) as u64 | PAD,
            )
        };
        if special_mask::<ASCII>(_mm_set_epi64x(b as i64, a as i64)) == 0 {
            if rem >= 8 {
                ptr::write_unaligned(d as *mut u64, a);
                ptr::write_unaligned(d.add(rem - 8) as *mut u64, b);
            } else {
                ptr::write_unaligned(d as *mut u32, a as u32);
                ptr::write_unaligned(d.add(rem - 4) as *mut u32, b as u32);
            }
            return d.add(rem);
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    if rem >= 8 {
        let a = ptr::read_unaligned(s as *const u64);
        let b = ptr::read_unaligned(end.sub(8) as *const u64);
        if !word_special::<ASCII>(a) && !word_special::<ASCII>(b) {
            ptr::write_unaligned(d as *mut u64, a);
            ptr::write_unaligned(d.add(rem - 8) as *mut u64, b);
            return d.add(rem);
        }
    } else if rem >= 4 {
        let a = ptr::read_unaligned(s as *const u32);
        let b = ptr::read_unaligned(end.sub(4) as *const u32);
        if !word_special32::<ASCII>(a) && !word_special32::<ASCII>(b) {
            ptr::write_unaligned(d as *mut u32, a);
            ptr::write_unaligned(d.add(rem - 4) as *mut u32, b);
            return d.add(rem);
        }
    }
    while s < end {
        let b = *s;
        d = if needs_escape::<ASCII>(b) {
            put_escape(d, b)
        } else {
            *d = b;
            d.add(1)
        };
        s = s.add(1);
    }
    d
}

#[inline(always)]
unsafe fn put_u_escape(d: *mut u8, c: u32) -> *mut u8 {
    *d = b'\\';
    *d.add(1) = b'u';
    *d.add(2) = HEX[(c >> 12 & 15) as usize];
    *d.add(3) = HEX[(c >> 8 & 15) as usize];
    *d.add(4) = HEX[(c >> 4 & 15) as usize];
    *d.add(5) = HEX[(c & 15) as usize];
    d.add(6)
}

/// Reads code point `i` of a PEP 393 buffer of `kind` 1, 2 or 4.
#[inline(always)]
unsafe fn read_cp(kind: u32, data: *const u8, i: usize) -> u32 {
    match kind {
        1 => *data.add(i) as u32,
        2 => *(data as *const u16).add(i) as u32,
        _ => *(data as *const u32).add(i),
    }
}

/// One code point under `ensure_ascii`: as is, a short escape, `\uXXXX` or a surrogate pair
/// (lone surrogates, which kind 2 and 4 strings can hold, as their own `\udXXX`). Capacity 12.
#[inline(always)]
unsafe fn put_cp_ascii(d: *mut u8, c: u32) -> *mut u8 {
    if c < 0x80 {
        let b = c as u8;
        if needs_escape::<true>(b) {
            put_escape(d, b)
        } else {
            *d = b;
            d.add(1)
        }
    } else if c < 0x10000 {
        put_u_escape(d, c)
    } else {
        let v = c - 0x10000;
        let d = put_u_escape(d, 0xd800 | (v >> 10));
        put_u_escape(d, 0xdc00 | (v & 0x3ff))
    }
}

/// `ensure_ascii=True` for a non-ASCII PEP 393 buffer. Capacity: `12 * len + 16`.
pub unsafe fn escape_ucs_ascii(d: *mut u8, kind: u32, data: *const u8, len: usize) -> *mut u8 {
    match kind {
        1 => escape_bytes::<true>(d, data, len),
        #[cfg(target_arch = "x86_64")]
        2 => wide::escape_ucs2(d, data as *const u16, len),
        #[cfg(target_arch = "x86_64")]
        _ => wide::escape_ucs4(d, data as *const u32, len),
        #[cfg(not(target_arch = "x86_64"))]
        _ => escape_ucs_ascii_scalar(d, kind, data, len),
    }
}

/// The portable form of `escape_ucs_ascii` (one code point at a time); the SIMD forms must
/// write exactly what it writes. Capacity: `12 * len + 16`.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
unsafe fn escape_ucs_ascii_scalar(mut d: *mut u8, kind: u32, data: *const u8, len: usize) -> *mut u8 {
    for i in 0..len {
        d = put_cp_ascii(d, read_cp(kind, data, i));
    }
    d
}

/// `ensure_ascii` on UCS-2 and UCS-4 buffers with SSE2: each step narrows 16 (or, near the end,
/// 8 or 4) code units to bytes and stores them, then skips the units that needed no escape.
/// A unit needs one unless it is in `0x20..=0x7e` and is neither `"` nor `\`.
#[cfg(target_arch = "x86_64")]
mod wide {
    use super::put_cp_ascii;
    use std::arch::x86_64::*;

    /// A way to read `N` code units of type `Unit` as `N` narrowed bytes (only meaningful for
    /// the units that need no escape) and a mask with bit `i` set when unit `i` needs an escape.
    trait Chunk {
        type Unit: Copy + Into<u32>;
        const N: usize;
        /// SAFETY (callers): `p` is valid for reading `N` units.
        unsafe fn load(p: *const Self::Unit) -> (__m128i, u32);
    }

    /// All-ones lanes (16-bit) for units that need an escape.
    #[inline(always)]
    unsafe fn bad16(v: __m128i) -> __m128i {
        // Signed compares: units >= 0x8000 are negative, so below 0x20 as well.
        let out = _mm_or_si128(_mm_cmplt_epi16(v, _mm_set1_epi16(0x20)), _mm_cmpgt_epi16(v, _mm_set1_epi16(0x7e)));
        let q = _mm_cmpeq_epi16(v, _mm_set1_epi16(b'"' as i16));
        let bs = _mm_cmpeq_epi16(v, _mm_set1_epi16(b'\\' as i16));
        _mm_or_si128(out, _mm_or_si128(q, bs))
    }

    /// All-ones lanes (32-bit) for units that need an escape (code points stay below 2^31).
    #[inline(always)]
    unsafe fn bad32(v: __m128i) -> __m128i {
        let out = _mm_or_si128(_mm_cmplt_epi32(v, _mm_set1_epi32(0x20)), _mm_cmpgt_epi32(v, _mm_set1_epi32(0x7e)));
        let q = _mm_cmpeq_epi32(v, _mm_set1_epi32(b'"' as i32));
        let bs = _mm_cmpeq_epi32(v, _mm_set1_epi32(b'\\' as i32));
        _mm_or_si128(out, _mm_or_si128(q, bs))
    }

    struct U16x16;
    impl Chunk for U16x16 {
        type Unit = u16;
        const N: usize = 16;
        #[inline(always)]
        unsafe fn load(p: *const u16) -> (__m128i, u32) {
            let a = _mm_loadu_si128(p as *const __m128i);
            let b = _mm_loadu_si128(p.add(8) as *const __m128i);
            // Saturating narrowing: units that need no escape are below 0x7f and survive it.
            let bytes = _mm_packus_epi16(a, b);
            let m = _mm_movemask_epi8(_mm_packs_epi16(bad16(a), bad16(b))) as u32;
            (bytes, m)
        }
    }

    struct U16x8;
    impl Chunk for U16x8 {
        type Unit = u16;
        const N: usize = 8;
        #[inline(always)]
        unsafe fn load(p: *const u16) -> (__m128i, u32) {
            let a = _mm_loadu_si128(p as *const __m128i);
            let bytes = _mm_packus_epi16(a, a);
            let m = _mm_movemask_epi8(_mm_packs_epi16(bad16(a), a)) as u32 & 0xff;
            (bytes, m)
        }
    }

    struct U32x16;
    impl Chunk for U32x16 {
        type Unit = u32;
        const N: usize = 16;
        #[inline(always)]
        unsafe fn load(p: *const u32) -> (__m128i, u32) {
            let a = _mm_loadu_si128(p as *const __m128i);
            let b = _mm_loadu_si128(p.add(4) as *const __m128i);
            let c = _mm_loadu_si128(p.add(8) as *const __m128i);
            let d = _mm_loadu_si128(p.add(12) as *const __m128i);
            let bytes = _mm_packus_epi16(_mm_packs_epi32(a, b), _mm_packs_epi32(c, d));
            let bad = _mm_packs_epi16(
                _mm_packs_epi32(bad32(a), bad32(b)),
                _mm_packs_epi32(bad32(c), bad32(d)),
            );
            (bytes, _mm_movemask_epi8(bad) as u32)
        }
    }

    struct U32x4;
    impl Chunk for U32x4 {
        type Unit = u32;
        const N: usize = 4;
        #[inline(always)]
        unsafe fn load(p: *const u32) -> (__m128i, u32) {
            let a = _mm_loadu_si128(p as *const __m128i);
            let w = _mm_packs_epi32(a, a);
            let bytes = _mm_packus_epi16(w, w);
            let b = bad32(a);
            let bad = _mm_packs_epi16(_mm_packs_epi32(b, b), b);
            (bytes, _mm_movemask_epi8(bad) as u32 & 0xf)
        }
    }

    /// Steps of `C::N` units from unit `i` while that many are left; returns the new `(d, i)`.
    /// SAFETY (callers): `src` is valid for `len` units and `d` for the output of units `i..`
    /// plus 16 bytes (each step stores 16 bytes and advances by at most what it keeps).
    #[inline(always)]
    unsafe fn steps<C: Chunk>(mut d: *mut u8, src: *const C::Unit, mut i: usize, len: usize) -> (*mut u8, usize) {
        while len - i >= C::N {
            // SAFETY: `N` units from `i` are in bounds (loop condition); the store is within
            // the 16 bytes of slack the caller reserved past the output of units `i..`.
            unsafe {
                let (bytes, mask) = C::load(src.add(i));
                _mm_storeu_si128(d as *mut __m128i, bytes);
                if mask == 0 {
                    i += C::N;
                    d = d.add(C::N);
                    continue;
                }
                // Keep the clean prefix, then escape the run of units that need it.
                let k = mask.trailing_zeros() as usize;
                let run = (!(mask >> k)).trailing_zeros() as usize;
                i += k;
                d = d.add(k);
                for _ in 0..run {
                    d = put_cp_ascii(d, (*src.add(i)).into());
                    i += 1;
                }
            }
        }
        (d, i)
    }

    /// SAFETY (callers): `src` is valid for `len` units; `d` for `12 * len + 16` bytes.
    #[inline(never)]
    pub unsafe fn escape_ucs2(d: *mut u8, src: *const u16, len: usize) -> *mut u8 {
        // SAFETY: forwarded from the caller's contract (see `steps`).
        unsafe {
            let (d, i) = steps::<U16x16>(d, src, 0, len);
            let (mut d, mut i) = steps::<U16x8>(d, src, i, len);
            while i < len {
                d = put_cp_ascii(d, *src.add(i) as u32);
                i += 1;
            }
            d
        }
    }

    /// SAFETY (callers): `src` is valid for `len` units; `d` for `12 * len + 16` bytes.
    #[inline(never)]
    pub unsafe fn escape_ucs4(d: *mut u8, src: *const u32, len: usize) -> *mut u8 {
        // SAFETY: forwarded from the caller's contract (see `steps`).
        unsafe {
            let (d, i) = steps::<U32x16>(d, src, 0, len);
            let (mut d, mut i) = steps::<U32x4>(d, src, i, len);
            while i < len {
                d = put_cp_ascii(d, *src.add(i));
                i += 1;
            }
            d
        }
    }
}

/// UTF-8 output straight from a PEP 393 buffer. Lone surrogates are written as their 3-byte
/// (WTF-8) form, which only `dumps_str` accepts (it decodes with `surrogatepass`).
/// Capacity: `6 * len + 16`.
pub unsafe fn escape_ucs_utf8(mut d: *mut u8, kind: u32, data: *const u8, len: usize) -> *mut u8 {
    for i in 0..len {
        let c = read_cp(kind, data, i);
        if c < 0x80 {
            let b = c as u8;
            d = if needs_escape::<false>(b) { put_escape(d, b) } else { *d = b; d.add(1) };
        } else if c < 0x800 {
            *d = 0xc0 | (c >> 6) as u8;
            *d.add(1) = 0x80 | (c & 0x3f) as u8;
            d = d.add(2);
        } else if c < 0x10000 {
            *d = 0xe0 | (c >> 12) as u8;
            *d.add(1) = 0x80 | (c >> 6 & 0x3f) as u8;
            *d.add(2) = 0x80 | (c & 0x3f) as u8;
            d = d.add(3);
        } else {
            *d = 0xf0 | (c >> 18) as u8;
            *d.add(1) = 0x80 | (c >> 12 & 0x3f) as u8;
            *d.add(2) = 0x80 | (c >> 6 & 0x3f) as u8;
            *d.add(3) = 0x80 | (c & 0x3f) as u8;
            d = d.add(4);
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esc<const DEL: bool>(s: &[u8]) -> Vec<u8> {
        let mut out = vec![0u8; s.len() * 6 + 16];
        let n = unsafe { escape_bytes::<DEL>(out.as_mut_ptr(), s.as_ptr(), s.len()).offset_from(out.as_ptr()) };
        out.truncate(n as usize);
        out
    }

    #[test]
    fn escapes_like_stdlib() {
        assert_eq!(esc::<false>(b"a\"b\\c\n\x1f\x7f"), b"a\\\"b\\\\c\\n\\u001f\x7f".to_vec());
        assert_eq!(esc::<true>(b"\x7f\x08\x0c\r\t\x00"), b"\\u007f\\b\\f\\r\\t\\u0000".to_vec());
        for n in 0..70 {
            let plain: Vec<u8> = (0..n).map(|i| b'a' + (i % 26) as u8).collect();
            assert_eq!(esc::<false>(&plain), plain);
            for pos in 0..n {
                let mut s = plain.clone();
                s[pos] = b'"';
                let mut want = plain[..pos].to_vec();
                want.extend_from_slice(b"\\\"");
                want.extend_from_slice(&plain[pos + 1..]);
                assert_eq!(esc::<false>(&s), want, "n={n} pos={pos}");
            }
        }
    }

    #[test]
    fn swar_is_exact() {
        for b in 0..=255u8 {
            let w = u64::from_le_bytes([b'a', b'a', b, b'a', 0xff, 0x80, b'z', b'a']);
            assert_eq!(word_special::<false>(w), needs_escape::<false>(b), "{b}");
            let w32 = u32::from_le_bytes([0xc3, b, 0xa9, b'a']);
            assert_eq!(word_special32::<false>(w32), needs_escape::<false>(b), "{b}");
            let w = u64::from_le_bytes([b'a', b'a', b, b'a', b'~', b' ', b'z', b'a']);
            assert_eq!(word_special::<true>(w), needs_escape::<true>(b), "{b}");
            let w32 = u32::from_le_bytes([b'~', b, b' ', b'a']);
            assert_eq!(word_special32::<true>(w32), needs_escape::<true>(b), "{b}");
        }
    }

    /// The stdlib `ensure_ascii` text of code points, written independently of the code above.
    fn reference_ascii(cps: &[u32]) -> Vec<u8> {
        let mut out = String::new();
        for &c in cps {
            match c {
                0x22 => out.push_str("\\\""),
                0x5c => out.push_str("\\\\"),
                0x08 => out.push_str("\\b"),
                0x0c => out.push_str("\\f"),
                0x0a => out.push_str("\\n"),
                0x0d => out.push_str("\\r"),
                0x09 => out.push_str("\\t"),
                0x20..=0x7e => out.push(char::from(c as u8)),
                0..=0xffff => out.push_str(&format!("\\u{c:04x}")),
                _ => {
                    let v = c - 0x10000;
                    out.push_str(&format!("\\u{:04x}\\u{:04x}", 0xd800 | (v >> 10), 0xdc00 | (v & 0x3ff)));
                }
            }
        }
        out.into_bytes()
    }

    const CANARY: u8 = 0xa5;

    /// Runs `escape_ucs_ascii` on `cps` stored as `kind` units, `shift` units past an aligned
    /// start, into exactly the stated capacity followed by canary bytes that must survive.
    fn ucs_ascii(kind: u32, cps: &[u32], shift: usize, scalar: bool) -> Vec<u8> {
        let n = cps.len();
        // u32 storage keeps every kind's units aligned; the data starts `shift` units in.
        let mut store = vec![0u32; n + shift + 1];
        let base = store.as_mut_ptr() as *mut u8;
        let data = unsafe {
            let data = base.add(shift * kind as usize);
            for (i, &c) in cps.iter().enumerate() {
                match kind {
                    1 => *data.add(i) = c as u8,
                    2 => *(data as *mut u16).add(i) = c as u16,
                    _ => *(data as *mut u32).add(i) = c,
                }
            }
            data as *const u8
        };
        let cap = 12 * n + 16;
        let mut out = vec![CANARY; cap + 64];
        let end = unsafe {
            if scalar {
                escape_ucs_ascii_scalar(out.as_mut_ptr(), kind, data, n)
            } else {
                escape_ucs_ascii(out.as_mut_ptr(), kind, data, n)
            }
        };
        assert!(out[cap..].iter().all(|&b| b == CANARY), "wrote past the capacity");
        let len = unsafe { end.offset_from(out.as_ptr()) } as usize;
        assert!(len <= cap);
        out.truncate(len);
        out
    }

    /// Code points that need an escape (or sit at the edges of the range that does not), per
    /// kind: everything a kind can hold.
    fn specials(kind: u32) -> Vec<u32> {
        let mut v = vec![0x00, 0x01, 0x08, 0x0a, 0x1f, 0x20, 0x22, 0x5c, 0x7e, 0x7f, 0x80, 0xa0, 0xe9, 0xff];
        if kind >= 2 {
            v.extend([0x100, 0x7ff, 0x800, 0x7fff, 0x8000, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0xfffd, 0xffff]);
        }
        if kind == 4 {
            v.extend([0x10000, 0x1f600, 0x10fffe, 0x10ffff]);
        }
        v
    }

    #[test]
    fn ucs_ascii_every_length_alignment_and_position() {
        for kind in [1u32, 2, 4] {
            let specials = specials(kind);
            for n in 0..=80usize {
                let plain: Vec<u32> = (0..n).map(|i| 0x20 + (i as u32 * 7) % 0x5f).collect();
                let plain: Vec<u32> = plain.into_iter().map(|c| if c == 0x22 || c == 0x5c { 0x41 } else { c }).collect();
                for shift in 0..8 {
                    assert_eq!(ucs_ascii(kind, &plain, shift, false), reference_ascii(&plain), "kind={kind} n={n} shift={shift}");
                }
                for pos in 0..n {
                    for (j, &c) in specials.iter().enumerate() {
                        let mut s = plain.clone();
                        s[pos] = c;
                        let shift = (pos + j) % 8;
                        let want = reference_ascii(&s);
                        assert_eq!(ucs_ascii(kind, &s, shift, false), want, "kind={kind} n={n} pos={pos} c={c:#x}");
                        assert_eq!(ucs_ascii(kind, &s, shift, true), want, "scalar kind={kind} n={n} pos={pos} c={c:#x}");
                    }
                }
            }
        }
    }

    #[test]
    fn ucs_ascii_dense_and_paired_exceptions() {
        for kind in [1u32, 2, 4] {
            let specials = specials(kind);
            for n in 0..=80usize {
                // Every unit needs an escape (CJK or emoji text), in runs of every phase.
                let dense: Vec<u32> = (0..n).map(|i| specials[i % specials.len()]).collect();
                for shift in 0..4 {
                    assert_eq!(ucs_ascii(kind, &dense, shift, false), reference_ascii(&dense), "kind={kind} n={n}");
                }
            }
            let hi = *specials.last().unwrap_or(&0x80);
            for n in 0..=40usize {
                let plain: Vec<u32> = (0..n).map(|i| b'a' as u32 + (i as u32 % 26)).collect();
                for a in 0..n {
                    for b in a..n {
                        let mut s = plain.clone();
                        s[a] = hi;
                        s[b] = 0x22;
                        assert_eq!(ucs_ascii(kind, &s, (a + b) % 4, false), reference_ascii(&s), "kind={kind} n={n} a={a} b={b}");
                    }
                }
            }
        }
    }

    #[test]
    fn ascii_mode_escapes_every_byte_like_stdlib() {
        for b in 0..=255u8 {
            let want = reference_ascii(&[b as u32]);
            assert_eq!(esc::<true>(&[b]), want, "{b:#x}");
            let long = [[b'x'; 20].as_slice(), &[b], &[b'y'; 20]].concat();
            let mut want_long = vec![b'x'; 20];
            want_long.extend_from_slice(&want);
            want_long.extend_from_slice(&[b'y'; 20]);
            assert_eq!(esc::<true>(&long), want_long, "{b:#x}");
        }
    }
}
