//! Rate strings as users write them: `"100/minute"`, `"10 per second"`, `"5/2 seconds"`,
//! `"10 per 2 hours"`, and several at once separated by `;`, `,` or `|` (`"10/second;1000/hour"`).
//! The grammar and the unit lengths are those of the `limits` package (month = 30 days,
//! year = 12 months), plus the abbreviations `s`/`sec`, `min`, `h`/`hr`, `d`.

use super::RateLimitError;

/// One limit: `amount` hits per `period_ns` nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub amount: u64,
    pub period_ns: u64,
}

const SECOND: u64 = 1_000_000_000;

fn unit_seconds(unit: &str) -> Option<u64> {
    Some(match unit.to_ascii_lowercase().as_str() {
        "s" | "sec" | "secs" | "second" | "seconds" => 1,
        "min" | "mins" | "minute" | "minutes" => 60,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3600,
        "d" | "day" | "days" => 86_400,
        "month" | "months" => 30 * 86_400,
        "year" | "years" => 12 * 30 * 86_400,
        _ => return None,
    })
}

fn parse_one(text: &str) -> Result<Rate, RateLimitError> {
    let bad = |why: &str| RateLimitError(format!("invalid rate {text:?}: {why} (expected e.g. \"100/minute\", \"10 per second\", \"5/2 seconds\")"));
    let t = text.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    if digits == 0 {
        return Err(bad("it must start with a count"));
    }
    let amount: u64 = t[..digits].parse().map_err(|_| bad("the count is too large"))?;
    let rest = t[digits..].trim_start();
    let rest = if let Some(r) = rest.strip_prefix('/') {
        r
    } else if rest.len() >= 3 && rest[..3].eq_ignore_ascii_case("per") {
        &rest[3..]
    } else {
        return Err(bad("a '/' or 'per' must follow the count"));
    };
    let rest = rest.trim_start();
    let ndigits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
    let multiple: u64 = if ndigits == 0 { 1 } else { rest[..ndigits].parse().map_err(|_| bad("the period is too large"))? };
    let unit = rest[ndigits..].trim();
    if unit.is_empty() || !unit.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(bad("unknown time unit"));
    }
    let seconds = unit_seconds(unit).ok_or_else(|| bad("unknown time unit"))?;
    if amount == 0 {
        return Err(bad("the count must be at least 1"));
    }
    if multiple == 0 {
        return Err(bad("the period must be at least 1"));
    }
    if amount > 1_000_000_000_000 {
        return Err(bad("the count must be at most 10^12"));
    }
    let period_ns = seconds
        .checked_mul(multiple)
        .filter(|s| *s <= 100 * 366 * 86_400)
        .and_then(|s| s.checked_mul(SECOND))
        .ok_or_else(|| bad("the period must be at most 100 years"))?;
    Ok(Rate { amount, period_ns })
}

/// Parses one or several limits. Empty items (a trailing `;`) are ignored; at least one is needed.
pub fn parse_rates(text: &str) -> Result<Vec<Rate>, RateLimitError> {
    if text.len() > 4096 {
        return Err(RateLimitError("rate string longer than 4096 characters".into()));
    }
    let rates = text
        .split([';', ',', '|'])
        .filter(|s| !s.trim().is_empty())
        .map(parse_one)
        .collect::<Result<Vec<_>, _>>()?;
    if rates.is_empty() {
        return Err(RateLimitError(format!("invalid rate {text:?}: no limit given")));
    }
    if rates.len() > 16 {
        return Err(RateLimitError("at most 16 limits in one rate string".into()));
    }
    Ok(rates)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(a: u64, s: u64) -> Rate {
        Rate { amount: a, period_ns: s * SECOND }
    }

    #[test]
    fn forms() {
        assert_eq!(parse_rates("100/minute").unwrap(), vec![r(100, 60)]);
        assert_eq!(parse_rates("10 per second").unwrap(), vec![r(10, 1)]);
        assert_eq!(parse_rates("5/2 seconds").unwrap(), vec![r(5, 2)]);
        assert_eq!(parse_rates("10 PER 2 Hours").unwrap(), vec![r(10, 7200)]);
        assert_eq!(parse_rates("10/second;1000/hour").unwrap(), vec![r(10, 1), r(1000, 3600)]);
        assert_eq!(parse_rates(" 1/day, 2/month | 3/year ;").unwrap(), vec![r(1, 86400), r(2, 2_592_000), r(3, 31_104_000)]);
        assert_eq!(parse_rates("7/s").unwrap(), vec![r(7, 1)]);
        assert_eq!(parse_rates("7/5min").unwrap(), vec![r(7, 300)]);
        assert_eq!(parse_rates("7/hrs").unwrap(), vec![r(7, 3600)]);
    }

    #[test]
    fn refused() {
        for bad in ["", ";", "ten/second", "10", "10/", "10/fortnight", "0/second", "10/0 seconds", "10 second", "-1/second",
                    "10/m", "10/1.5 seconds", "99999999999999999999/second", "10/999999999 years", "1/ss"] {
            assert!(parse_rates(bad).is_err(), "{bad:?} accepted");
        }
    }
}
