//! Byte searches eight bytes at a time (SWAR), for the separators the parsers look for. No
//! dependency: a `memchr` in miniature, enough for headers and query strings.

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

#[inline]
fn word(chunk: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(chunk);
    u64::from_le_bytes(a)
}

/// Flags (high bit) the bytes of `w` equal to the byte repeated in `pat`. Borrows can flag bytes
/// above a true match, never below, so the lowest flag is exact.
#[inline]
fn eq_mask(w: u64, pat: u64) -> u64 {
    let x = w ^ pat;
    x.wrapping_sub(LO) & !x & HI
}

/// First index of `a` in `hay`.
#[inline]
pub fn find_byte(hay: &[u8], a: u8) -> Option<usize> {
    let pa = LO * u64::from(a);
    let mut chunks = hay.chunks_exact(8);
    let mut base = 0;
    for c in &mut chunks {
        let m = eq_mask(word(c), pa);
        if m != 0 {
            return Some(base + (m.trailing_zeros() / 8) as usize);
        }
        base += 8;
    }
    chunks.remainder().iter().position(|&b| b == a).map(|p| base + p)
}

/// First index of `a` or `b` in `hay`.
#[inline]
pub fn find_either(hay: &[u8], a: u8, b: u8) -> Option<usize> {
    let (pa, pb) = (LO * u64::from(a), LO * u64::from(b));
    let mut chunks = hay.chunks_exact(8);
    let mut base = 0;
    for c in &mut chunks {
        let w = word(c);
        let m = eq_mask(w, pa) | eq_mask(w, pb);
        if m != 0 {
            // Each mask's lowest flag is exact, so the lowest of the union is too.
            return Some(base + (m.trailing_zeros() / 8) as usize);
        }
        base += 8;
    }
    chunks.remainder().iter().position(|&x| x == a || x == b).map(|p| base + p)
}

/// Splits on one byte, like `slice.split(|x| x == sep)`.
pub fn split_byte(hay: &[u8], sep: u8) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(hay);
    std::iter::from_fn(move || {
        let r = rest?;
        match find_byte(r, sep) {
            Some(i) => {
                rest = Some(&r[i + 1..]);
                Some(&r[..i])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_naive_search() {
        let hay: Vec<u8> = (0..300u32).map(|i| (i * 37 % 251) as u8).collect();
        for start in 0..40 {
            for needle in [0u8, 1, 0x80, 0xFF, b';', 37, 74] {
                let h = &hay[start..];
                assert_eq!(find_byte(h, needle), h.iter().position(|&b| b == needle));
                assert_eq!(find_either(h, needle, b'='), h.iter().position(|&b| b == needle || b == b'='));
            }
        }
        // Borrow propagation after a match must not hide or move the first match.
        assert_eq!(find_byte(&[1, 0, 1, 1, 0, 0, 0, 0, 0], 0), Some(1));
        assert_eq!(find_byte(&[0x3c, 0x3b, 0x3b, 0, 0, 0, 0, 0], 0x3b), Some(1));
        let v: Vec<&[u8]> = split_byte(b";a;;bb;", b';').collect();
        assert_eq!(v, vec![&b""[..], b"a", b"", b"bb", b""]);
    }
}
