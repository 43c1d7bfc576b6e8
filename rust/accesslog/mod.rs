//! Access log lines: a batch of request records formatted as JSON lines in one call, for the
//! access log's writer thread (`webaccel/accesslog.py`). Pure formatting in `format_record`;
//! the binding reads the record tuples.

use std::borrow::Cow;
use std::fmt::Write;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString, PyTuple};

use crate::errors::guard;

/// One request, as the writer thread has it.
pub struct Record<'a> {
    pub start: f64,
    pub method: &'a str,
    pub route: &'a str,
    pub path: &'a str,
    pub status: i64,
    pub duration: f64,
    pub client_ip: Option<&'a str>,
    pub request_id: &'a str,
    pub user_agent: Option<&'a str>,
    pub bytes: i64,
}

/// A JSON string: `"`, `\` and control characters escaped; everything else as UTF-8.
fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let esc: Option<&str> = match b {
            b'"' => Some("\\\""),
            b'\\' => Some("\\\\"),
            b'\n' => Some("\\n"),
            b'\r' => Some("\\r"),
            b'\t' => Some("\\t"),
            0x08 => Some("\\b"),
            0x0c => Some("\\f"),
            0..=0x1f => None,
            _ => continue,
        };
        out.push_str(&s[start..i]);
        match esc {
            Some(e) => out.push_str(e),
            None => {
                let _ = write!(out, "\\u{b:04x}");
            }
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

fn push_opt(out: &mut String, s: Option<&str>) {
    match s {
        Some(s) => push_json_str(out, s),
        None => out.push_str("null"),
    }
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar (Howard
/// Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `t` (seconds since the epoch, UTC) as RFC 3339 with milliseconds, truncated: `...T..:..:..mmmZ`.
pub fn push_rfc3339(out: &mut String, t: f64) {
    let t = if t.is_finite() && t > 0.0 { t } else { 0.0 };
    let secs = t.floor() as i64;
    let millis = (((t - secs as f64) * 1000.0) as u32).min(999);
    let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    let _ = write!(out, "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z", rem / 3600, rem % 3600 / 60, rem % 60);
}

/// Milliseconds with microsecond precision (`12.5`, `1000.0`): the duration rounded to whole
/// microseconds (ties to even, as Python's `round`), written as that number / 1000.
fn push_duration_ms(out: &mut String, seconds: f64) {
    let micros = (seconds.max(0.0) * 1e6).round_ties_even();
    if micros < 9.0e15 {
        let m = micros as u64;
        let frac = m % 1000;
        let _ = write!(out, "{}.", m / 1000);
        if frac == 0 {
            out.push('0');
        } else {
            let digits = format!("{frac:03}");
            out.push_str(digits.trim_end_matches('0'));
        }
    } else {
        crate::metrics::format::push_float(out, micros / 1000.0);
    }
}

pub fn format_record(out: &mut String, r: &Record<'_>) {
    out.push_str("{\"time\":\"");
    push_rfc3339(out, r.start);
    out.push_str("\",\"method\":");
    push_json_str(out, r.method);
    out.push_str(",\"route\":");
    push_json_str(out, r.route);
    out.push_str(",\"path\":");
    push_json_str(out, r.path);
    let _ = write!(out, ",\"status\":{},\"duration_ms\":", r.status);
    push_duration_ms(out, r.duration);
    out.push_str(",\"client_ip\":");
    push_opt(out, r.client_ip);
    out.push_str(",\"request_id\":");
    push_json_str(out, r.request_id);
    out.push_str(",\"user_agent\":");
    push_opt(out, r.user_agent);
    let _ = writeln!(out, ",\"bytes\":{}}}", r.bytes);
}

fn text<'a>(obj: &'a Bound<'_, PyAny>) -> PyResult<Cow<'a, str>> {
    let s = obj.cast::<PyString>()?;
    Ok(match s.to_str() {
        Ok(t) => Cow::Borrowed(t),
        Err(_) => s.to_string_lossy(),
    })
}

fn opt_text<'a>(obj: &'a Bound<'_, PyAny>) -> PyResult<Option<Cow<'a, str>>> {
    if obj.is_none() {
        Ok(None)
    } else {
        text(obj).map(Some)
    }
}

/// JSON lines (each ending in `\n`) for a list of record tuples
/// `(start, method, route, path, status, duration, client_ip, request_id, user_agent, bytes)`.
#[pyfunction]
#[pyo3(signature = (records, /))]
pub fn accesslog_format_lines<'py>(py: Python<'py>, records: &Bound<'py, PyList>) -> PyResult<Bound<'py, PyBytes>> {
    guard(py, || {
        let mut out = String::with_capacity(records.len() * 256);
        for item in records.iter() {
            let t = item.cast::<PyTuple>()?;
            if t.len() != 10 {
                return Err(pyo3::exceptions::PyValueError::new_err("an access log record is a 10-tuple"));
            }
            let f = |i: usize| t.get_item(i);
            let (method, route, path) = (f(1)?, f(2)?, f(3)?);
            let (client_ip, request_id, user_agent) = (f(6)?, f(7)?, f(8)?);
            let (method, route, path) = (text(&method)?, text(&route)?, text(&path)?);
            let (client_ip, request_id, user_agent) = (opt_text(&client_ip)?, text(&request_id)?, opt_text(&user_agent)?);
            let record = Record {
                start: f(0)?.extract()?,
                method: &method,
                route: &route,
                path: &path,
                status: f(4)?.extract()?,
                duration: f(5)?.extract()?,
                client_ip: client_ip.as_deref(),
                request_id: &request_id,
                user_agent: user_agent.as_deref(),
                bytes: f(9)?.extract()?,
            };
            format_record(&mut out, &record);
        }
        Ok(PyBytes::new(py, out.as_bytes()))
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(accesslog_format_lines, m)?)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rfc(t: f64) -> String {
        let mut s = String::new();
        push_rfc3339(&mut s, t);
        s
    }

    #[test]
    fn rfc3339_dates() {
        assert_eq!(rfc(0.0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc(1_767_225_600.25), "2026-01-01T00:00:00.250Z");
        assert_eq!(rfc(951_782_400.999_9), "2000-02-29T00:00:00.999Z");
        assert_eq!(rfc(4_102_444_799.5), "2099-12-31T23:59:59.500Z");
    }

    #[test]
    fn durations() {
        for (s, want) in [(0.0125, "12.5"), (1.0, "1000.0"), (0.0, "0.0"), (0.000_001_5, "0.002"), (0.000_000_4, "0.0"), (0.123_456_7, "123.457")] {
            let mut out = String::new();
            push_duration_ms(&mut out, s);
            assert_eq!(out, want, "{s}");
        }
    }

    #[test]
    fn escaping() {
        let mut out = String::new();
        push_json_str(&mut out, "a\"b\\c\nd\u{1}é\u{2028}");
        assert_eq!(out, "\"a\\\"b\\\\c\\nd\\u0001é\u{2028}\"");
    }
}
