//! Byte scanning that the parser's hot loops rely on: the end of a string run (a quote, a
//! backslash or a control character) and JSON whitespace. Pure Rust, no Python.

/// The index of the first byte at or after `i` that is `"`, `\` or below 0x20 (or `data.len()`),
/// and whether any byte in between is non-ASCII.
#[inline(always)]
pub fn string_run(data: &[u8], i: usize) -> (usize, bool) {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: SSE2 is part of the x86_64 baseline; loads stay inside `data`.
        unsafe { string_run_sse2(data, i) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        string_run_swar(data, i)
    }
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn string_run_sse2(data: &[u8], mut i: usize) -> (usize, bool) {
    use std::arch::x86_64::*;
    let len = data.len();
    let ptr = data.as_ptr();
    let quote = _mm_set1_epi8(b'"' as i8);
    let backslash = _mm_set1_epi8(b'\\' as i8);
    let ctl = _mm_set1_epi8(0x1F);
    let mut high: u32 = 0;
    while i + 16 <= len {
        let v = _mm_loadu_si128(ptr.add(i) as *const __m128i);
        // A byte is a control character exactly when max(byte, 0x1F) == 0x1F (unsigned).
        let special = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
            _mm_cmpeq_epi8(_mm_max_epu8(v, ctl), ctl),
        );
        let mask = _mm_movemask_epi8(special) as u32;
        let hi = _mm_movemask_epi8(v) as u32;
        if mask != 0 {
            let t = mask.trailing_zeros();
            high |= hi & ((1u32 << t) - 1);
            return (i + t as usize, high != 0);
        }
        high |= hi;
        i += 16;
    }
    let (end, tail_high) = string_run_scalar(data, i);
    (end, high != 0 || tail_high)
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn string_run_swar(data: &[u8], mut i: usize) -> (usize, bool) {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let mut high = 0u64;
    while i + 8 <= data.len() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&data[i..i + 8]);
        let x = u64::from_le_bytes(w);
        let q = x ^ (LO * b'"' as u64);
        let b = x ^ (LO * b'\\' as u64);
        // Exact for the lowest matching byte, which is the only one used.
        let found = ((q.wrapping_sub(LO) & !q) | (b.wrapping_sub(LO) & !b) | (x.wrapping_sub(LO * 0x20) & !x)) & HI;
        if found != 0 {
            let t = (found.trailing_zeros() / 8) as usize;
            let before = if t == 0 { 0 } else { x & (u64::MAX >> (64 - 8 * t)) };
            high |= before & HI;
            return (i + t, high != 0);
        }
        high |= x & HI;
        i += 8;
    }
    let (end, tail_high) = string_run_scalar(data, i);
    (end, high != 0 || tail_high)
}

#[inline(always)]
fn string_run_scalar(data: &[u8], mut i: usize) -> (usize, bool) {
    let mut high = false;
    while let Some(&b) = data.get(i) {
        if b == b'"' || b == b'\\' || b < 0x20 {
            break;
        }
        high |= b >= 0x80;
        i += 1;
    }
    (i, high)
}

const WS_MASK: u64 = (1 << b' ') | (1 << b'\t') | (1 << b'\n') | (1 << b'\r');

#[inline(always)]
fn is_ws(b: u8) -> bool {
    b <= b' ' && (WS_MASK >> b) & 1 != 0
}

/// Skips JSON whitespace (space, tab, line feed, carriage return) from `i`.
#[inline(always)]
pub fn skip_ws(data: &[u8], i: usize) -> usize {
    // Compact JSON: usually no whitespace at all.
    match data.get(i) {
        Some(&b) if is_ws(b) => skip_ws_run(data, i + 1),
        _ => i,
    }
}

/// Pretty-printed JSON has long runs of indentation: 16 bytes at a time.
#[inline(never)]
fn skip_ws_run(data: &[u8], mut i: usize) -> usize {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: SSE2 is part of the x86_64 baseline; loads stay inside `data`.
    unsafe {
        use std::arch::x86_64::*;
        let ptr = data.as_ptr();
        let space = _mm_set1_epi8(b' ' as i8);
        let nl = _mm_set1_epi8(b'\n' as i8);
        let tab = _mm_set1_epi8(b'\t' as i8);
        let cr = _mm_set1_epi8(b'\r' as i8);
        while i + 16 <= data.len() {
            let v = _mm_loadu_si128(ptr.add(i) as *const __m128i);
            let ws = _mm_or_si128(
                _mm_or_si128(_mm_cmpeq_epi8(v, space), _mm_cmpeq_epi8(v, nl)),
                _mm_or_si128(_mm_cmpeq_epi8(v, tab), _mm_cmpeq_epi8(v, cr)),
            );
            let other = !(_mm_movemask_epi8(ws) as u32) & 0xFFFF;
            if other != 0 {
                return i + other.trailing_zeros() as usize;
            }
            i += 16;
        }
    }
    while let Some(&b) = data.get(i) {
        if !is_ws(b) {
            break;
        }
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_finds_first_special_and_high_bytes() {
        for pad in 0..40 {
            let mut s = vec![b'a'; pad];
            s.extend_from_slice("é\"x".as_bytes());
            s.extend_from_slice(&[b'z'; 20]);
            assert_eq!(string_run(&s, 0), (pad + 2, true));
            let mut t = vec![b'a'; pad];
            t.push(b'\\');
            t.extend_from_slice("é".as_bytes());
            t.extend_from_slice(&[b'z'; 20]);
            assert_eq!(string_run(&t, 0), (pad, false));
            let mut u = vec![b'a'; pad];
            u.push(0x1F);
            assert_eq!(string_run(&u, 0), (pad, false));
            let v = vec![b'a'; pad];
            assert_eq!(string_run(&v, 0), (pad, false));
        }
        assert_eq!(string_run(b"\x7f\x20\"", 0), (2, false));
        assert_eq!(string_run(b"\xff\"", 0), (1, true));
    }

    #[test]
    fn whitespace() {
        assert_eq!(skip_ws(b" \t\r\n x", 0), 5);
        assert_eq!(skip_ws(b"\x0b", 0), 0);
        assert_eq!(skip_ws(b"\x0c", 0), 0);
        assert_eq!(skip_ws(b"", 0), 0);
        for n in 0..70 {
            let mut s = vec![b' '; n];
            s[n / 2..].iter_mut().step_by(3).for_each(|b| *b = b'\n');
            s.push(b'x');
            s.extend_from_slice(b"   ");
            assert_eq!(skip_ws(&s, 0), n);
            assert_eq!(skip_ws(&s[..n], 0), n);
        }
    }
}
