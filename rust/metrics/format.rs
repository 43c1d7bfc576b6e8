//! Text for the Prometheus exposition format 0.0.4: floats written as Python's `repr` writes
//! them (what prometheus_client prints, and what Prometheus' Go parser reads back exactly), and
//! label values and HELP text escaped as the format requires.

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
    // `{:e}` gives the shortest round-trip digits: "1.2345e8", "5e-3", "-0e0".
    let sci = format!("{v:e}");
    let (mantissa, exp) = match sci.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (sci.as_str(), 0),
    };
    let (negative, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
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
        ] {
            assert_eq!(float(v), want, "{v:e}");
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
