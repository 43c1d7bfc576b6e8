//! `Accept-Encoding` negotiation, RFC 9110 §12.5.3: the server's coding with the highest q-value
//! (ties: the server's order), `*` covering codings not listed, `q=0` meaning "not acceptable",
//! and `identity` preferred when the client weighs it above every coding. Elements that do not
//! follow the grammar (`codings [ OWS ";" OWS "q=" qvalue ]`) are ignored, as if not sent.
//!
//! Its own parser rather than `http::accept` (werkzeug's rules): RFC 9110's qvalue has at most
//! three decimals and no sign, and the coding grammar takes no parameters besides `q`.

use crate::http::options::is_token;

/// A q-value in thousandths (0..=1000).
type Q = u16;

/// RFC 9110 §12.4.2: `( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`.
fn qvalue(s: &[u8]) -> Option<Q> {
    let (int, frac) = match s.iter().position(|&b| b == b'.') {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let frac = frac.unwrap_or(b"");
    if frac.len() > 3 || !frac.iter().all(u8::is_ascii_digit) {
        return None;
    }
    match int {
        b"0" => {
            let mut q: Q = 0;
            for i in 0..3 {
                q = q * 10 + frac.get(i).map_or(0, |d| Q::from(d - b'0'));
            }
            Some(q)
        }
        b"1" if frac.iter().all(|&d| d == b'0') => Some(1000),
        _ => None,
    }
}

fn trim_ows(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&b| b != b' ' && b != b'\t').unwrap_or(s.len());
    let end = s.iter().rposition(|&b| b != b' ' && b != b'\t').map_or(start, |i| i + 1);
    &s[start..end]
}

/// One list element: `(coding, q)`, `None` when it does not follow the grammar.
fn element(item: &[u8]) -> Option<(&[u8], Q)> {
    let (name, weight) = match item.iter().position(|&b| b == b';') {
        Some(i) => (trim_ows(&item[..i]), Some(trim_ows(&item[i + 1..]))),
        None => (item, None),
    };
    if name.is_empty() || !name.iter().all(|&b| is_token(b)) {
        return None;
    }
    let q = match weight {
        None => 1000,
        Some(w) => {
            let v = w.strip_prefix(b"q=").or_else(|| w.strip_prefix(b"Q="))?;
            qvalue(v)?
        }
    };
    Some((name, q))
}

/// The index in `available` (the server's codings, most preferred first) of the coding to
/// apply, or `None` for no coding (identity). `accept_encoding` is `None` when the request has
/// no `Accept-Encoding` field: RFC 9110 lets the server pick any coding then, and webaccel,
/// like common servers, sends the content unencoded.
pub fn negotiate(accept_encoding: Option<&[u8]>, available: &[&str]) -> Option<usize> {
    let header = accept_encoding?;
    // q of each available coding when listed (duplicates: the highest), of `*`, of `identity`.
    let mut listed: Vec<Option<Q>> = vec![None; available.len()];
    let mut star: Option<Q> = None;
    let mut identity: Option<Q> = None;
    let keep = |slot: &mut Option<Q>, q: Q| *slot = Some(slot.map_or(q, |old| old.max(q)));
    for item in header.split(|&b| b == b',') {
        let item = trim_ows(item);
        let Some((name, q)) = element(item) else { continue };
        if name == b"*" {
            keep(&mut star, q);
        } else if name.eq_ignore_ascii_case(b"identity") {
            keep(&mut identity, q);
        } else {
            for (i, coding) in available.iter().enumerate() {
                if coding.as_bytes().eq_ignore_ascii_case(name) {
                    keep(&mut listed[i], q);
                }
            }
        }
    }
    let mut best: Option<(usize, Q)> = None;
    for (i, coding) in available.iter().enumerate() {
        if coding.eq_ignore_ascii_case("identity") {
            continue;
        }
        let q = listed[i].or(star).unwrap_or(0);
        if q > 0 && best.is_none_or(|(_, b)| q > b) {
            best = Some((i, q));
        }
    }
    let (index, q) = best?;
    // identity keeps its default acceptability unless weighted, by itself or by `*`.
    match identity.or(star) {
        Some(iq) if iq > q => None,
        _ => Some(index),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVER: &[&str] = &["zstd", "br", "gzip"];

    fn pick(h: &str) -> Option<&'static str> {
        negotiate(Some(h.as_bytes()), SERVER).map(|i| SERVER[i])
    }

    #[test]
    fn examples() {
        assert_eq!(pick("gzip, deflate, br, zstd"), Some("zstd"));
        assert_eq!(pick("gzip, deflate, br"), Some("br"));
        assert_eq!(pick("GZIP"), Some("gzip"));
        assert_eq!(pick("gzip;q=1.0, br;q=0.5"), Some("gzip"));
        assert_eq!(pick("gzip; q=0.5, br; Q=0.5"), Some("br"));
        assert_eq!(pick("*"), Some("zstd"));
        assert_eq!(pick("*;q=0.5, zstd;q=0"), Some("br"));
        assert_eq!(pick("gzip;q=0"), None);
        assert_eq!(pick(""), None);
        assert_eq!(pick("identity"), None);
        assert_eq!(pick("gzip;q=0.5, identity"), None);
        assert_eq!(pick("gzip, identity;q=0"), Some("gzip"));
        assert_eq!(pick("gzip;q=0.5, *;q=0.8"), Some("zstd"));
        assert_eq!(pick("gzip;q=0.5, identity;q=0.5"), Some("gzip"));
        assert_eq!(pick("gzip;q=1.5"), None);
        assert_eq!(pick("gzip;q=0.0001"), None);
        assert_eq!(pick("gzip;level=1"), None);
        assert_eq!(pick("gz ip, br"), Some("br"));
        assert_eq!(pick(",,, ,gzip,,"), Some("gzip"));
        assert_eq!(negotiate(None, SERVER), None);
    }

    #[test]
    fn qvalues() {
        assert_eq!(qvalue(b"0"), Some(0));
        assert_eq!(qvalue(b"0."), Some(0));
        assert_eq!(qvalue(b"0.5"), Some(500));
        assert_eq!(qvalue(b"0.123"), Some(123));
        assert_eq!(qvalue(b"1.000"), Some(1000));
        assert_eq!(qvalue(b"1.001"), None);
        assert_eq!(qvalue(b"0.1234"), None);
        assert_eq!(qvalue(b"-0"), None);
        assert_eq!(qvalue(b".5"), None);
        assert_eq!(qvalue(b""), None);
    }
}
