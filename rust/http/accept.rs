//! `Accept`, `Accept-Encoding`, `Accept-Language`: werkzeug 3.1.9's `parse_accept_header`
//! (items with an invalid `q` skipped, sorted by specificity then quality, stable) and the
//! `best_match` of its `MIMEAccept`, `LanguageAccept` and plain `Accept` classes.

use super::options::{self, is_token};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Mime,
    Language,
    Plain,
}

/// werkzeug's `parse_list_header`: comma-separated items, quotes respected, an unclosed quoted
/// string makes the whole list empty.
fn list_items(value: &[u8]) -> Vec<Vec<u8>> {
    let mut items: Vec<&[u8]> = Vec::new();
    let (mut escape, mut quote) = (false, false);
    let mut start = 0;
    for (i, &c) in value.iter().enumerate() {
        if escape {
            escape = false;
        } else if quote {
            if c == b'\\' {
                escape = true;
            } else if c == b'"' {
                quote = false;
            }
        } else if c == b',' {
            items.push(&value[start..i]);
            start = i + 1;
        } else if c == b'"' {
            quote = true;
        }
    }
    if quote {
        return Vec::new();
    }
    items.push(&value[start..]);
    items
        .into_iter()
        .map(options::strip_sp)
        .filter(|i| !i.is_empty())
        .map(|i| {
            if i.len() >= 2 && i[0] == b'"' && i[i.len() - 1] == b'"' {
                unslash(&i[1..i.len() - 1])
            } else {
                i.to_vec()
            }
        })
        .collect()
}

/// `re.sub(r"\\(.)", r"\1", s)`.
fn unslash(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'\\' && i + 1 < s.len() && s[i + 1] != b'\n' {
            i += 1;
        }
        out.push(s[i]);
        i += 1;
    }
    out
}

fn py_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// A `q` value as werkzeug accepts it: `-?\d+(\.\d+)?` after `str.strip()`, within 0..=1.
fn quality(raw: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(raw).ok()?.trim_matches(py_space);
    let digits = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let all_digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(int) || frac.is_some_and(|f| !all_digits(f)) {
        return None;
    }
    let q: f64 = s.parse().ok()?;
    (0.0..=1.0).contains(&q).then_some(q)
}

/// werkzeug's `quote_header_value`.
fn quote_value(v: &[u8], out: &mut Vec<u8>) {
    if !v.is_empty() && v.iter().all(|&b| is_token(b)) {
        out.extend_from_slice(v);
        return;
    }
    out.push(b'"');
    for &b in v {
        if b == b'\\' || b == b'"' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b'"');
}

/// `re.split(r"/|(?:[ \t]*;[ \t]*)", s)`.
fn split_mime(s: &[u8]) -> Vec<&[u8]> {
    let mut parts = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i < s.len() {
        if s[i] == b'/' {
            parts.push(&s[start..i]);
            i += 1;
            start = i;
            continue;
        }
        let mut j = i;
        while j < s.len() && matches!(s[j], b' ' | b'\t') {
            j += 1;
        }
        if s.get(j) == Some(&b';') {
            j += 1;
            while j < s.len() && matches!(s[j], b' ' | b'\t') {
                j += 1;
            }
            parts.push(&s[start..i]);
            i = j;
            start = j;
            continue;
        }
        i += 1;
    }
    parts.push(&s[start..]);
    parts
}

fn specificity(kind: Kind, v: &[u8]) -> Vec<bool> {
    match kind {
        Kind::Mime => split_mime(v).into_iter().map(|p| p != b"*").collect(),
        _ => vec![v != b"*"],
    }
}

/// `(value, q)` pairs.
pub type Accepted = Vec<(Vec<u8>, f64)>;

/// `(value, q)` pairs in werkzeug's order.
pub fn parse(value: &[u8], kind: Kind) -> Accepted {
    let mut result = Vec::new();
    for item in list_items(value) {
        let (v, mut params) = options::parse(&item);
        let mut q = 1.0;
        if let Some(i) = params.iter().position(|(k, _)| k == b"q") {
            let (_, raw) = params.remove(i);
            match quality(&raw) {
                Some(x) => q = x,
                None => continue,
            }
        }
        let mut out = v.to_vec();
        for (k, pv) in &params {
            out.extend_from_slice(b"; ");
            out.extend_from_slice(k);
            out.push(b'=');
            if k.last() == Some(&b'*') {
                out.extend_from_slice(pv);
            } else {
                quote_value(pv, &mut out);
            }
        }
        result.push((out, q));
    }
    sort(&mut result, kind);
    result
}

fn sort(items: &mut [(Vec<u8>, f64)], kind: Kind) {
    let mut keyed: Vec<(Vec<bool>, usize)> = items.iter().enumerate().map(|(i, (v, _))| (specificity(kind, v), i)).collect();
    keyed.sort_by(|(sa, ia), (sb, ib)| {
        (sb, items[*ib].1).partial_cmp(&(sa, items[*ia].1)).unwrap_or(std::cmp::Ordering::Equal)
    });
    let sorted: Vec<(Vec<u8>, f64)> = keyed.into_iter().map(|(_, i)| items[i].clone()).collect();
    items.clone_from_slice(&sorted);
}

/// A server value the application passed that cannot be a media type.
#[derive(Debug, PartialEq, Eq)]
pub struct InvalidMimetype(pub String);

fn lower(b: &[u8]) -> String {
    String::from_utf8_lossy(b).to_lowercase()
}

fn value_matches(kind: Kind, value: &str, item: &[u8]) -> Result<bool, InvalidMimetype> {
    match kind {
        Kind::Plain => Ok(item == b"*" || lower(item) == value.to_lowercase()),
        Kind::Language => {
            let norm = |s: String| s.replace('_', "-");
            Ok(item == b"*" || norm(value.to_lowercase()) == norm(lower(item)))
        }
        Kind::Mime => {
            if !item.contains(&b'/') {
                return Ok(false);
            }
            if !value.contains('/') {
                return Err(InvalidMimetype(value.to_owned()));
            }
            let vl = value.to_lowercase();
            let vparts = split_mime(vl.as_bytes());
            let (vt, vs) = (vparts[0], vparts[1]);
            let mut vparams = vparts[2..].to_vec();
            vparams.sort();
            if vt == b"*" && vs != b"*" {
                return Err(InvalidMimetype(value.to_owned()));
            }
            let il = lower(item);
            let iparts = split_mime(il.as_bytes());
            let (it, is) = (iparts[0], iparts[1]);
            let mut iparams = iparts[2..].to_vec();
            iparams.sort();
            if it == b"*" && is != b"*" {
                return Ok(false);
            }
            Ok((it == b"*" && is == b"*")
                || (vt == b"*" && vs == b"*")
                || (it == vt && (is == b"*" || vs == b"*" || (is == vs && iparams == vparams))))
        }
    }
}

/// `Accept.best_match` over `accepted` (already sorted): the index of the chosen server value.
fn best_index(kind: Kind, accepted: &[(Vec<u8>, f64)], matches: &[&str]) -> Result<Option<usize>, InvalidMimetype> {
    let mut result = None;
    let mut best_q = -1.0;
    let mut best_spec: Option<Vec<bool>> = None;
    for (idx, server) in matches.iter().enumerate() {
        let mut found = None;
        for (client, q) in accepted {
            if value_matches(kind, server, client)? {
                found = Some((client, *q));
                break;
            }
        }
        let Some((client, q)) = found else { continue };
        let spec = specificity(kind, client);
        if q <= 0.0 || q < best_q {
            continue;
        }
        if q > best_q || best_spec.as_ref().is_none_or(|b| &spec > b) {
            result = Some(idx);
            best_q = q;
            best_spec = Some(spec);
        }
    }
    Ok(result)
}

fn primary(s: &[u8]) -> &[u8] {
    match s.iter().position(|&b| b == b'-' || b == b'_') {
        Some(i) => &s[..i],
        None => s,
    }
}

/// The index in `matches` of werkzeug's `best_match` result, `None` for its default.
pub fn best_match(kind: Kind, accepted: &[(Vec<u8>, f64)], matches: &[&str]) -> Result<Option<usize>, InvalidMimetype> {
    let found = best_index(kind, accepted, matches)?;
    if kind != Kind::Language || found.is_some() {
        return Ok(found);
    }
    // LanguageAccept's fallbacks: the client's primary tags, then the server's.
    let mut primaries: Vec<(Vec<u8>, f64)> = accepted.iter().map(|(v, q)| (primary(v).to_vec(), *q)).collect();
    sort(&mut primaries, Kind::Plain);
    if let Some(i) = best_index(Kind::Plain, &primaries, matches)? {
        return Ok(Some(i));
    }
    let server_primaries: Vec<&str> = matches
        .iter()
        .map(|m| std::str::from_utf8(primary(m.as_bytes())).unwrap_or(m))
        .collect();
    if let Some(i) = best_index(Kind::Language, accepted, &server_primaries)? {
        let prefix = server_primaries[i];
        return Ok(matches.iter().position(|m| m.starts_with(prefix)));
    }
    Ok(None)
}
