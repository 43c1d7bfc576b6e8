//! String escaping exactly as stdlib `json` does it: `\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`,
//! other controls as `\u00XX` (lowercase hex); with `ensure_ascii` also DEL and every non-ASCII
//! code point as `\uXXXX` (surrogate pairs beyond the BMP).
//!
//! Every function writes through a raw pointer into space the caller reserved: see the capacity
//! each one states. They over-store up to 16 bytes past what they finally report as written.

use std::ptr;

const HEX: &[u8; 16] = b"0123456789abcdef";

/// For each ASCII byte its escape sequence, with the sequence's length in the last byte
/// (0: written as is). DEL is in the table but only used with `ensure_ascii`.
static ESCAPES: [[u8; 8]; 128] = build_escapes();

const fn build_escapes() -> [[u8; 8]; 128] {
    let mut t = [[0u8; 8]; 128];
    let mut c = 0;
    while c < 128 {
        if c < 0x20 || c == 0x7f {
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

#[inline(always)]
fn needs_escape<const DEL: bool>(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\' || (DEL && b == 0x7f)
}

/// Writes the escape for ASCII byte `b` (which needs one); capacity 8.
#[inline(always)]
unsafe fn put_escape(d: *mut u8, b: u8) -> *mut u8 {
    let e = ESCAPES.get_unchecked(b as usize);
    ptr::copy_nonoverlapping(e.as_ptr(), d, 8);
    d.add(e[7] as usize)
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Whether any byte of `x` needs escaping (exact as a yes/no answer; the usual SWAR tests).
#[inline(always)]
fn word_special<const DEL: bool>(x: u64) -> bool {
    let lt = x.wrapping_sub(LO * 0x20) & !x;
    let q = x ^ (LO * b'"' as u64);
    let bs = x ^ (LO * b'\\' as u64);
    let mut r = lt | (q.wrapping_sub(LO) & !q) | (bs.wrapping_sub(LO) & !bs);
    if DEL {
        let del = x ^ (LO * 0x7f);
        r |= del.wrapping_sub(LO) & !del;
    }
    r & HI != 0
}

#[inline(always)]
fn word_special32<const DEL: bool>(x: u32) -> bool {
    const L: u32 = 0x0101_0101;
    const H: u32 = 0x8080_8080;
    let lt = x.wrapping_sub(L * 0x20) & !x;
    let q = x ^ (L * b'"' as u32);
    let bs = x ^ (L * b'\\' as u32);
    let mut r = lt | (q.wrapping_sub(L) & !q) | (bs.wrapping_sub(L) & !bs);
    if DEL {
        let del = x ^ (L * 0x7f);
        r |= del.wrapping_sub(L) & !del;
    }
    r & H != 0
}

/// Copies `len` bytes of ASCII or UTF-8 text, escaping `"`, `\`, controls (and DEL when `DEL`).
/// Bytes >= 0x80 are copied as they are. Capacity: `6 * len + 16`.
#[inline(always)]
pub unsafe fn escape_bytes<const DEL: bool>(mut d: *mut u8, src: *const u8, len: usize) -> *mut u8 {
    let mut s = src;
    let end = src.add(len);
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::*;
        // SSE2 is part of the x86_64 baseline: no runtime detection needed.
        let quote = _mm_set1_epi8(b'"' as i8);
        let backslash = _mm_set1_epi8(b'\\' as i8);
        let ctl = _mm_set1_epi8(0x1f);
        let del = _mm_set1_epi8(0x7f);
        while end.offset_from(s) >= 16 {
            let v = _mm_loadu_si128(s as *const __m128i);
            _mm_storeu_si128(d as *mut __m128i, v);
            let mut m = _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash));
            // unsigned v <= 0x1f
            m = _mm_or_si128(m, _mm_cmpeq_epi8(_mm_min_epu8(v, ctl), v));
            if DEL {
                m = _mm_or_si128(m, _mm_cmpeq_epi8(v, del));
            }
            let mask = _mm_movemask_epi8(m) as u32;
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
            if word_special::<DEL>(w) {
                for _ in 0..8 {
                    let b = *s;
                    d = if needs_escape::<DEL>(b) { put_escape(d, b) } else { *d = b; d.add(1) };
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
    if rem >= 8 {
        let a = ptr::read_unaligned(s as *const u64);
        let b = ptr::read_unaligned(end.sub(8) as *const u64);
        if !word_special::<DEL>(a) && !word_special::<DEL>(b) {
            ptr::write_unaligned(d as *mut u64, a);
            ptr::write_unaligned(d.add(rem - 8) as *mut u64, b);
            return d.add(rem);
        }
    } else if rem >= 4 {
        let a = ptr::read_unaligned(s as *const u32);
        let b = ptr::read_unaligned(end.sub(4) as *const u32);
        if !word_special32::<DEL>(a) && !word_special32::<DEL>(b) {
            ptr::write_unaligned(d as *mut u32, a);
            ptr::write_unaligned(d.add(rem - 4) as *mut u32, b);
            return d.add(rem);
        }
    }
    while s < end {
        let b = *s;
        d = if needs_escape::<DEL>(b) {
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

/// `ensure_ascii=True` for a non-ASCII PEP 393 buffer. Capacity: `12 * len + 16`.
pub unsafe fn escape_ucs_ascii(mut d: *mut u8, kind: u32, data: *const u8, len: usize) -> *mut u8 {
    for i in 0..len {
        let c = read_cp(kind, data, i);
        if c < 0x80 {
            let b = c as u8;
            d = if needs_escape::<true>(b) { put_escape(d, b) } else { *d = b; d.add(1) };
        } else if c < 0x10000 {
            d = put_u_escape(d, c);
        } else {
            let v = c - 0x10000;
            d = put_u_escape(d, 0xd800 | (v >> 10));
            d = put_u_escape(d, 0xdc00 | (v & 0x3ff));
        }
    }
    d
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
            assert_eq!(word_special::<true>(w), needs_escape::<true>(b), "{b}");
            let w32 = u32::from_le_bytes([0xc3, b, 0xa9, b'a']);
            assert_eq!(word_special32::<false>(w32), needs_escape::<false>(b), "{b}");
        }
    }
}
