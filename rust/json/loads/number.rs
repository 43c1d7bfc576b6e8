//! JSON number syntax (RFC 8259 section 6) and its value: small ints exactly as i64, floats
//! correctly rounded from the digits gathered while scanning (Clinger's exact fast path, then
//! Eisel-Lemire; more than 19 significant digits go to the standard library's parser), big ints
//! left to Python's own int parser. Pure Rust, no Python.

use super::pow5::{LARGEST_POWER_OF_FIVE, POWER_OF_FIVE_128, SMALLEST_POWER_OF_FIVE};

/// What a number literal denotes.
#[derive(Debug, PartialEq)]
pub enum Number {
    Int(i64),
    /// An integer that does not fit i64: its text (sign and digits) is `data[start..end]`.
    BigInt,
    Float(f64),
}

/// A syntax error in a number: the message and the byte offset it points at.
pub type NumberError = (&'static str, usize);

/// Exactly representable powers of ten (up to 1e22, the largest below 2^53 * 2^22).
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
    1e20, 1e21, 1e22,
];

#[inline(always)]
fn digit(data: &[u8], i: usize) -> Option<u8> {
    match data.get(i) {
        Some(&c) if c.is_ascii_digit() => Some(c - b'0'),
        _ => None,
    }
}

/// Eight bytes at `i` as a little-endian word, if they are all in `data`.
#[inline(always)]
fn word_at(data: &[u8], i: usize) -> Option<u64> {
    let bytes: [u8; 8] = data.get(i..i + 8)?.try_into().ok()?;
    Some(u64::from_le_bytes(bytes))
}

/// Whether all eight bytes of `v` are ASCII digits.
#[inline(always)]
fn all_digits(v: u64) -> bool {
    // Digits are 0x30..=0x39: high nibble 3, and adding 6 must not carry into the high nibble.
    let high = v & 0xF0F0_F0F0_F0F0_F0F0;
    let carried = v.wrapping_add(0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0;
    (high | (carried >> 4)) == 0x3333_3333_3333_3333
}

/// The value of eight ASCII digits (first digit in the lowest byte), by pairwise combining.
#[inline(always)]
fn eight_digits(v: u64) -> u64 {
    let v = v - 0x3030_3030_3030_3030;
    // Pairs: each 16-bit lane becomes 10 * first + second.
    let v = (v.wrapping_mul(10) + (v >> 8)) & 0x00FF_00FF_00FF_00FF;
    // Quads: each 32-bit lane becomes 100 * first pair + second pair.
    let v = (v.wrapping_mul(100) + (v >> 16)) & 0x0000_FFFF_0000_FFFF;
    // The two quads.
    (v.wrapping_mul(10_000) + (v >> 32)) & 0xFFFF_FFFF
}

/// Accumulates a run of digits from `i` into `mant` (wrapping: callers count digits).
#[inline(always)]
fn digits(data: &[u8], mut i: usize, mant: &mut u64) -> usize {
    while let Some(w) = word_at(data, i) {
        if !all_digits(w) {
            break;
        }
        *mant = mant.wrapping_mul(100_000_000).wrapping_add(eight_digits(w));
        i += 8;
    }
    while let Some(d) = digit(data, i) {
        *mant = mant.wrapping_mul(10).wrapping_add(d as u64);
        i += 1;
    }
    i
}

/// Parses the number starting at `start` (a `-` or a digit). Returns its value and the offset
/// just past it.
#[inline(always)]
pub fn parse(data: &[u8], start: usize) -> Result<(Number, usize), NumberError> {
    let mut i = start;
    let neg = data.get(i) == Some(&b'-');
    if neg {
        i += 1;
    }
    let int_start = i;
    let mut mant: u64 = 0;
    match digit(data, i) {
        Some(0) => {
            i += 1;
            if digit(data, i).is_some() {
                return Err(("Leading zeros are not allowed", int_start));
            }
        }
        Some(d) => {
            mant = d as u64;
            i = digits(data, i + 1, &mut mant);
        }
        None => {
            let msg = if data[i..].starts_with(b"Infinity") {
                "-Infinity is not valid JSON"
            } else {
                "Expecting value"
            };
            return Err((msg, start));
        }
    }
    let int_digits = i - int_start;
    let mut frac_digits = 0usize;
    let mut is_float = false;
    if data.get(i) == Some(&b'.') {
        i += 1;
        let frac_start = i;
        i = digits(data, i, &mut mant);
        frac_digits = i - frac_start;
        if frac_digits == 0 {
            return Err(("Expecting digit after the decimal point", i));
        }
        is_float = true;
    }
    let mut exp: i64 = 0;
    if let Some(b'e' | b'E') = data.get(i) {
        i += 1;
        let exp_neg = match data.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let exp_start = i;
        while let Some(d) = digit(data, i) {
            // Saturate: anything this large is 0 or infinity anyway.
            if exp < 1_000_000 {
                exp = exp * 10 + d as i64;
            }
            i += 1;
        }
        if i == exp_start {
            return Err(("Expecting digit in the exponent", i));
        }
        if exp_neg {
            exp = -exp;
        }
        is_float = true;
    }
    if !is_float {
        if int_digits <= 18 {
            let v = mant as i64;
            return Ok((Number::Int(if neg { -v } else { v }), i));
        }
        if int_digits == 19 {
            // 19 digits always fit a u64 exactly.
            if !neg && mant <= i64::MAX as u64 {
                return Ok((Number::Int(mant as i64), i));
            }
            if neg && mant <= 1u64 << 63 {
                return Ok((Number::Int((mant as i64).wrapping_neg()), i));
            }
        }
        return Ok((Number::BigInt, i));
    }
    let digits = int_digits + frac_digits;
    let e10 = exp - frac_digits as i64;
    // Clinger's fast path: both operands exact, so one IEEE operation rounds correctly.
    if digits <= 19 && mant <= (1u64 << 53) && (-22..=22).contains(&e10) {
        let m = mant as f64;
        let v = if e10 >= 0 { m * POW10[e10 as usize] } else { m / POW10[(-e10) as usize] };
        return Ok((Number::Float(if neg { -v } else { v }), i));
    }
    if digits <= 19 {
        let v = eisel_lemire(mant, e10);
        return Ok((Number::Float(if neg { -v } else { v }), i));
    }
    // More than 19 significant digits (rare): the standard library handles the truncation.
    let text = std::str::from_utf8(&data[start..i]).unwrap_or("");
    match text.parse::<f64>() {
        Ok(v) => Ok((Number::Float(v), i)),
        Err(_) => Err(("Invalid number", start)),
    }
}

/// The f64 nearest to `w * 10^q` (ties to even), for any u64 `w`: Eisel-Lemire, multiplying
/// by a 128-bit approximation of 5^q. With a 128-bit product the result is always exact (Mushtak
/// and Lemire, "Fast Number Parsing Without Fallback", 2023).
pub fn eisel_lemire(w: u64, q: i64) -> f64 {
    const MANTISSA_BITS: i32 = 52;
    const MIN_EXPONENT: i32 = -1023;
    if w == 0 || q < SMALLEST_POWER_OF_FIVE {
        return 0.0;
    }
    if q > LARGEST_POWER_OF_FIVE {
        return f64::INFINITY;
    }
    let lz = w.leading_zeros() as i32;
    let w = w << lz;
    let (hi5, lo5) = POWER_OF_FIVE_128[(q - SMALLEST_POWER_OF_FIVE) as usize];
    // Product of w and the 128-bit power, high 128 bits; the low half of the power is only
    // needed when the bits below the mantissa's precision could carry.
    let first = (w as u128) * (hi5 as u128);
    let (mut lo, mut hi) = (first as u64, (first >> 64) as u64);
    let precision_mask = u64::MAX >> (MANTISSA_BITS + 3);
    if hi & precision_mask == precision_mask {
        let second_hi = (((w as u128) * (lo5 as u128)) >> 64) as u64;
        lo = lo.wrapping_add(second_hi);
        if second_hi > lo {
            hi += 1;
        }
    }
    let upper_bit = (hi >> 63) as i32;
    let shift = upper_bit + 64 - MANTISSA_BITS - 3;
    let mut mantissa = hi >> shift;
    // floor(log2(10^q)) + 63, then account for the normalization shift.
    let mut power2 = (((152_170 + 65_536) * q) >> 16) as i32 + 63 + upper_bit - lz - MIN_EXPONENT;
    if power2 <= 0 {
        // Subnormal (or zero).
        if -power2 + 1 >= 64 {
            return 0.0;
        }
        mantissa >>= -power2 + 1;
        mantissa += mantissa & 1;
        mantissa >>= 1;
        let power2 = if mantissa >= (1u64 << MANTISSA_BITS) { 1u64 } else { 0 };
        return f64::from_bits((mantissa & ((1u64 << MANTISSA_BITS) - 1)) | (power2 << MANTISSA_BITS));
    }
    // Exactly halfway between two floats: round to even instead of up. Only possible for
    // small |q|, where the product is exact.
    if lo <= 1 && (-4..=23).contains(&q) && mantissa & 3 == 1 && (mantissa << shift) == hi {
        mantissa &= !1;
    }
    mantissa += mantissa & 1;
    mantissa >>= 1;
    if mantissa >= (2u64 << MANTISSA_BITS) {
        mantissa = 1u64 << MANTISSA_BITS;
        power2 += 1;
    }
    mantissa &= !(1u64 << MANTISSA_BITS);
    if power2 >= 0x7FF {
        return f64::INFINITY;
    }
    f64::from_bits(mantissa | ((power2 as u64) << MANTISSA_BITS))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> Number {
        let (n, end) = parse(s.as_bytes(), 0).unwrap();
        assert_eq!(end, s.len(), "{s}");
        n
    }

    #[test]
    fn ints() {
        assert_eq!(ok("0"), Number::Int(0));
        assert_eq!(ok("-0"), Number::Int(0));
        assert_eq!(ok("123"), Number::Int(123));
        assert_eq!(ok("9223372036854775807"), Number::Int(i64::MAX));
        assert_eq!(ok("-9223372036854775808"), Number::Int(i64::MIN));
        assert_eq!(ok("9223372036854775808"), Number::BigInt);
        assert_eq!(ok("-9223372036854775809"), Number::BigInt);
        assert_eq!(ok("99999999999999999999"), Number::BigInt);
    }

    #[test]
    fn floats_match_std() {
        for s in [
            "0.0", "-0.0", "1.5", "1e400", "-1e400", "1e-400", "2.2250738585072011e-308", "-65.613616999999977",
            "0.1", "123456789012345678901234567890e-10", "1E+2", "1e-2", "9007199254740993.0", "4.9e-324",
            "0.00000000000000000000000000000000001", "17976931348623157e292",
        ] {
            let Number::Float(v) = ok(s) else { panic!("{s}") };
            assert_eq!(v.to_bits(), s.parse::<f64>().unwrap().to_bits(), "{s}");
        }
    }

    /// Eisel-Lemire against the standard library on many random and edge-case inputs.
    #[test]
    fn eisel_lemire_matches_std() {
        let mut state = 0x1234_5678_9abc_def0u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut check = |w: u64, q: i64| {
            let want: f64 = format!("{w}e{q}").parse().unwrap();
            assert_eq!(eisel_lemire(w, q).to_bits(), want.to_bits(), "{w}e{q}");
        };
        for _ in 0..300_000 {
            let r = next();
            let w = match r % 4 {
                0 => next(),
                1 => next() % 100_000_000_000_000_000,
                2 => next() % 10_000_000,
                _ => (next() >> (r >> 58)).max(1),
            };
            let q = (next() % 700) as i64 - 360;
            check(w, q);
        }
        for q in -400..=320 {
            for w in [1, 2, 5, 9, 10, 4503599627370497, 9007199254740993, u64::MAX, 17976931348623157, 22250738585072011, 49] {
                check(w, q);
            }
        }
        // Halfway cases between consecutive doubles (round to even).
        for w in [9007199254740993u64, 9007199254740995, 18014398509481986, 18014398509481990] {
            for q in -3..=3 {
                check(w, q);
            }
        }
    }

    #[test]
    fn swar_digits() {
        for s in ["12345678", "00000000", "99999999", "01234567"] {
            let w = u64::from_le_bytes(s.as_bytes().try_into().unwrap());
            assert!(all_digits(w));
            assert_eq!(eight_digits(w), s.parse::<u64>().unwrap());
        }
        for s in ["1234567/", "1234567:", "a2345678", "1234 678", "\x001234567"] {
            let b = s.as_bytes();
            if b.len() == 8 {
                assert!(!all_digits(u64::from_le_bytes(b.try_into().unwrap())), "{s}");
            }
        }
        for b in 0u8..=255 {
            let w = u64::from_le_bytes([b'1', b'2', b'3', b, b'5', b'6', b'7', b'8']);
            assert_eq!(all_digits(w), b.is_ascii_digit(), "{b}");
        }
        for s in ["123456781234567812345", "1.2345678901234567", "-0.000000001234567891", "98765432109876543.5e-3"] {
            let want: f64 = s.parse().unwrap();
            match ok(s) {
                Number::Float(v) => assert_eq!(v.to_bits(), want.to_bits(), "{s}"),
                Number::BigInt => assert!(s.len() > 19),
                Number::Int(v) => assert_eq!(v as f64, want),
            }
        }
    }

    #[test]
    fn rejects() {
        for (s, pos) in [("01", 0), ("-01", 1), ("1.", 2), ("1.e5", 2), ("1e", 2), ("1e+", 3), ("-", 0), ("-a", 0)] {
            assert_eq!(parse(s.as_bytes(), 0).unwrap_err().1, pos, "{s}");
        }
        assert_eq!(parse(b"-Infinity", 0).unwrap_err().0, "-Infinity is not valid JSON");
        // Trailing characters are the caller's business.
        assert_eq!(parse(b"12abc", 0).unwrap(), (Number::Int(12), 2));
    }
}
