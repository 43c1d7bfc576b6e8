//! Text for the Prometheus exposition format 0.0.4: numbers written as prometheus_client writes
//! them (Python's `repr`, Go-style exponents from 1e6; Prometheus' Go parser reads them back
//! exactly), and label values and HELP text escaped as the format requires.

use std::fmt::Write;

/// `v` as Python's `repr(float)`: the shortest digits that round-trip, positional between 1e-4
/// and 1e16 (always with a `.`), scientific (`1e+16`, `1.5e-07`) outside; `+Inf`, `-Inf`, `NaN`.
pub fn push_float(out: &mut String, v: f64) {
    if v.is_nan() {
        out.push_str("NaN");
        return;
    }
    if v.is_infinite() {
        out.push_str(if v > 0.0 { "+Inf" } else { "-Inf" });
        return;
    }
    // zmij (also behind json.dumps) gives the shortest round-trip digits with ties broken as
    // Python's repr breaks them (std's `{:e}` rounds 8796093022208.8125 to ...813, repr ...812);
    // its layout differs from repr's in places, so only its digits and exponent are used.
    let mut buf = zmij::Buffer::new();
    let text = buf.format_finite(v);
    let (negative, text) = match text.strip_prefix('-') {
        Some(t) => (true, t),
        None => (false, text),
    };
    let (mantissa, e) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.trim_start_matches('+').parse::<i32>().unwrap_or(0)),
        None => (text, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all: String = int_part.chars().chain(frac_part.chars()).collect();
    let leading = all.len() - all.trim_start_matches('0').len();
    let mut digits = all.trim_start_matches('0').trim_end_matches('0').to_owned();
    // Scientific exponent of the first significant digit.
    let mut exp = int_part.len() as i32 - 1 + e - leading as i32;
    if digits.is_empty() {
        digits.push('0');
        exp = 0;
    }
    if negative {
        out.push('-');
    }
    if (-4..16).contains(&exp) {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                out.push_str(&digits);
                out.extend(std::iter::repeat_n('0', int_len - digits.len()));
                out.push_str(".0");
            } else {
                out.push_str(&digits[..int_len]);
                out.push('.');
                out.push_str(&digits[int_len..]);
            }
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-exp - 1) as usize));
            out.push_str(&digits);
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let _ = write!(out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.unsigned_abs());
    }
}

/// A number exactly as prometheus_client writes it (`floatToGoString`): Python's `repr`,
/// except that positive values with 7 or more integer digits switch to Go's exponent form
/// (`1e+06`, `1.2345675e+06`), as Go clients write them. Lossless either way.
pub fn push_number(out: &mut String, v: f64) {
    let s = float(v);
    match s.find('.') {
        Some(dot) if v > 0.0 && dot > 6 => {
            let mut mantissa = format!("{}.{}{}", &s[..1], &s[1..dot], &s[dot + 1..]);
            while mantissa.ends_with('0') || mantissa.ends_with('.') {
                mantissa.pop();
            }
            let _ = write!(out, "{mantissa}e+{:02}", dot - 1);
        }
        _ => out.push_str(&s),
    }
}

pub fn float(v: f64) -> String {
    let mut s = String::new();
    push_float(&mut s, v);
    s
}

/// A label value between double quotes: backslash, double quote and line feed escaped.
pub fn push_label_value(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// HELP text: backslash and line feed escaped (quotes are literal there).
pub fn push_help(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// A metric name: `[a-zA-Z_:][a-zA-Z0-9_:]*`.
pub fn valid_metric_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    match bytes.next() {
        Some(b) if b.is_ascii_alphabetic() || b == b'_' || b == b':' => {}
        _ => return false,
    }
    bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_as_python_repr() {
        for (v, want) in [
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (0.005, "0.005"),
            (0.1, "0.1"),
            (2.5, "2.5"),
            (10.0, "10.0"),
            (1234567.0, "1234567.0"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (1e16, "1e+16"),
            (1.2345e300, "1.2345e+300"),
            (123.456, "123.456"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
            (f64::NAN, "NaN"),
            (9999999999999998.0, "9999999999999998.0"),
            (8796093022208.8125, "8796093022208.812"),
            (1e-7, "1e-07"),
            (0.00012, "0.00012"),
            (123e20, "1.23e+22"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
        ] {
            assert_eq!(float(v), want, "{v:e}");
        }
    }

    #[test]
    fn numbers_as_prometheus_client() {
        for (v, want) in [(0.005, "0.005"), (10.0, "10.0"), (999999.0, "999999.0"), (1e6, "1e+06"), (1.5e7, "1.5e+07"), (1234567.5, "1.2345675e+06"), (1e10, "1e+10"), (1e16, "1e+16"), (-1e7, "-10000000.0"), (f64::INFINITY, "+Inf")] {
            let mut s = String::new();
            push_number(&mut s, v);
            assert_eq!(s, want);
        }
    }

    #[test]
    fn counts_as_prometheus_client() {
        for (n, want) in [(0u64, "0.0"), (7, "7.0"), (999_999, "999999.0"), (1_000_000, "1e+06"), (1_234_567, "1.234567e+06")] {
            let mut s = String::new();
            super::super::registry::push_count_for_tests(&mut s, n);
            assert_eq!(s, want);
        }
    }

    #[test]
    fn label_values_escaped() {
        let mut s = String::new();
        push_label_value(&mut s, "a\\b\"c\nd\té");
        assert_eq!(s, "\"a\\\\b\\\"c\\nd\té\"");
    }

    #[test]
    fn metric_names() {
        assert!(valid_metric_name("http"));
        assert!(valid_metric_name("my_app:http_2"));
        assert!(!valid_metric_name(""));
        assert!(!valid_metric_name("2http"));
        assert!(!valid_metric_name("http-requests"));
        assert!(!valid_metric_name("é"));
    }
}
