//! Numbers as Python prints them: floats in `float.__repr__`'s layout (shortest round-trip
//! digits from zmij), ints in decimal (written in place, four digits per step).

use std::ptr;

/// Capacity any `write_float`/`write_i64` needs.
pub const NUMBER_CAPACITY: usize = 32;

/// Writes finite `v` exactly as `repr(v)`; capacity `NUMBER_CAPACITY`.
///
/// zmij already uses repr's layout (`1e+16`, `0.0001`, `1.0`, `-0.0`) with two exceptions
/// rewritten here: it keeps fixed notation one decade lower (repr switches to exponent
/// notation below 1e-4, zmij below 1e-5), and it does not pad one-digit exponents (`1e-6`,
/// repr `1e-06`; only negative exponents can have one digit).
#[inline(always)]
pub unsafe fn write_float(d: *mut u8, v: f64) -> *mut u8 {
    // zmij formats straight into the output (as orjson does): copying out of a stack buffer
    // stalls on store-to-load forwarding, which costs a third of the time on float arrays.
    const _: () = assert!(std::mem::size_of::<zmij::Buffer>() <= NUMBER_CAPACITY);
    const _: () = assert!(std::mem::align_of::<zmij::Buffer>() == 1);
    let buf = &mut *d.cast::<zmij::Buffer>();
    let s = buf.format_finite(v).as_bytes();
    let n = s.len();
    if s.as_ptr() != d as *const u8 {
        ptr::copy(s.as_ptr(), d, n);
    }
    // Only magnitudes below 1e-4 (the double nearest it) can need either fix: deciding that
    // from the value avoids reading back bytes zmij just stored (a store-forwarding stall).
    if v.abs() < 1e-4 && v != 0.0 {
        return fix_small(d, n, v);
    }
    d.add(n)
}

#[cold]
#[inline(never)]
unsafe fn fix_small(d: *mut u8, n: usize, v: f64) -> *mut u8 {
    let s = std::slice::from_raw_parts(d as *const u8, n);
    if n >= 4 && s[n - 3] == b'e' {
        // "d.dde-6" -> "d.dde-06"
        *d.add(n) = s[n - 1];
        *d.add(n - 1) = b'0';
        return d.add(n + 1);
    }
    let neg = usize::from(v.is_sign_negative());
    if n > neg + 6 && &s[neg..neg + 6] == b"0.0000" {
        let mut tmp = [0u8; NUMBER_CAPACITY];
        tmp[..n].copy_from_slice(s);
        return write_e05(d, &tmp[..n], neg);
    }
    d.add(n)
}

#[cold]
unsafe fn write_e05(mut d: *mut u8, s: &[u8], neg: usize) -> *mut u8 {
    // "-0.0000ddd" -> "-d.dde-05"
    if neg == 1 {
        *d = b'-';
        d = d.add(1);
    }
    let digits = &s[neg + 6..];
    *d = digits[0];
    d = d.add(1);
    if digits.len() > 1 {
        *d = b'.';
        d = d.add(1);
        ptr::copy_nonoverlapping(digits[1..].as_ptr(), d, digits.len() - 1);
        d = d.add(digits.len() - 1);
    }
    ptr::copy_nonoverlapping(b"e-05".as_ptr(), d, 4);
    d.add(4)
}

static DIGIT_PAIRS: [u8; 200] = {
    let mut t = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        t[2 * i] = b'0' + (i / 10) as u8;
        t[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    t
};

static POW10: [u64; 20] = {
    let mut t = [1u64; 20];
    let mut i = 1;
    while i < 20 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

#[inline(always)]
fn digit_count(v: u64) -> usize {
    // floor(log10) from the bit length, corrected by one comparison.
    let bits = 64 - (v | 1).leading_zeros() as usize;
    let guess = (bits * 1233) >> 12;
    guess + usize::from((v | 1) >= POW10[guess])
}

#[inline(always)]
unsafe fn put_pair(p: *mut u8, v: u32) {
    ptr::copy_nonoverlapping(DIGIT_PAIRS.as_ptr().add(2 * v as usize), p, 2);
}

/// Digits of `v` < 10000 ending at `p`.
#[inline(always)]
unsafe fn put_tail(mut p: *mut u8, mut v: u32) {
    if v >= 100 {
        p = p.sub(2);
        put_pair(p, v % 100);
        v /= 100;
    }
    if v >= 10 {
        put_pair(p.sub(2), v);
    } else {
        *p.sub(1) = b'0' + v as u8;
    }
}

/// Decimal digits written in place, right to left, four at a time (no intermediate buffer:
/// copying out of one stalls on store forwarding). Capacity `NUMBER_CAPACITY`.
#[inline(always)]
pub unsafe fn write_u64(d: *mut u8, mut v: u64) -> *mut u8 {
    let n = digit_count(v);
    let mut p = d.add(n);
    while v > u32::MAX as u64 {
        let r = (v % 10000) as u32;
        v /= 10000;
        p = p.sub(4);
        put_pair(p, r / 100);
        put_pair(p.add(2), r % 100);
    }
    // 32-bit divisions are cheaper.
    let mut v = v as u32;
    while v >= 10000 {
        let r = v % 10000;
        v /= 10000;
        p = p.sub(4);
        put_pair(p, r / 100);
        put_pair(p.add(2), r % 100);
    }
    put_tail(p, v);
    d.add(n)
}

/// Capacity `NUMBER_CAPACITY`.
#[inline(always)]
pub unsafe fn write_i64(d: *mut u8, v: i64) -> *mut u8 {
    if v < 0 {
        *d = b'-';
        write_u64(d.add(1), v.unsigned_abs())
    } else {
        write_u64(d, v as u64)
    }
}

/// `repr(v)` as a `String` (used for dict keys and tests).
pub fn float_repr(v: f64) -> String {
    let mut out = [0u8; NUMBER_CAPACITY];
    let n = unsafe { write_float(out.as_mut_ptr(), v).offset_from(out.as_ptr()) } as usize;
    String::from_utf8_lossy(&out[..n]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::float_repr;

    #[test]
    fn ints() {
        let mut out = [0u8; super::NUMBER_CAPACITY];
        let mut vals = vec![0i64, 1, -1, 9, 10, 99, 100, 101, i64::MAX, i64::MIN];
        for p in 0..19 {
            let x = 10i64.pow(p);
            vals.extend([x - 1, x, x + 1, -x, -x + 1, -x - 1]);
        }
        for v in vals {
            let n = unsafe { super::write_i64(out.as_mut_ptr(), v).offset_from(out.as_ptr()) } as usize;
            assert_eq!(std::str::from_utf8(&out[..n]).unwrap(), v.to_string());
        }
    }

    #[test]
    fn repr_layout() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (0.1, "0.1"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (123456789012345.0, "123456789012345.0"),
            (1e-4, "0.0001"),
            (1e-5, "1e-05"),
            (-1.5e-5, "-1.5e-05"),
            (1.2345e-5, "1.2345e-05"),
            (9.999999999999999e-05, "9.999999999999999e-05"),
            (1e-6, "1e-06"),
            (1e100, "1e+100"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (5e-324, "5e-324"),
            (2.2250738585072014e-308, "2.2250738585072014e-308"),
            (1.5e300, "1.5e+300"),
            (12345678.9, "12345678.9"),
            (1e22, "1e+22"),
            (-123.456, "-123.456"),
        ];
        for &(v, want) in cases {
            assert_eq!(float_repr(v), want, "{v:e}");
        }
    }
}
