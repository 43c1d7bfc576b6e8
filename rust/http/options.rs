//! `Content-Type` / `Content-Disposition` style values: a value followed by `;`-separated
//! parameters. Results are werkzeug 3.1.9's `parse_options_header` (RFC 9110 quoted strings,
//! RFC 2231/5987 charsets and continuations) in one linear pass: an unclosed quoted string ends
//! the scan (CVE-2024-24762 made the older rescanning quadratic).
//!
//! Works on (generalized) UTF-8 bytes: every delimiter is ASCII, other text passes through.

use std::collections::HashMap;

/// RFC 9110 `tchar`.
#[inline]
pub fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// `str.strip(" \t")`.
pub fn strip_sp(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// A dict with Python's ordering rules (insertion order; replacing keeps the place; deleting
/// and re-inserting moves to the end), with O(1) lookups so many parameters stay linear.
pub struct OrderedMap<V> {
    entries: Vec<Option<(Vec<u8>, V)>>,
    index: HashMap<Vec<u8>, usize>,
}

impl<V> Default for OrderedMap<V> {
    fn default() -> Self {
        Self { entries: Vec::new(), index: HashMap::new() }
    }
}

impl<V> OrderedMap<V> {
    pub fn insert(&mut self, k: Vec<u8>, v: V) {
        if let Some(&i) = self.index.get(&k) {
            if let Some(e) = self.entries.get_mut(i).and_then(Option::as_mut) {
                e.1 = v;
                return;
            }
        }
        self.index.insert(k.clone(), self.entries.len());
        self.entries.push(Some((k, v)));
    }
    pub fn remove(&mut self, k: &[u8]) -> Option<V> {
        let i = self.index.remove(k)?;
        self.entries.get_mut(i).and_then(Option::take).map(|e| e.1)
    }
    pub fn get_mut(&mut self, k: &[u8]) -> Option<&mut V> {
        let i = *self.index.get(k)?;
        self.entries.get_mut(i).and_then(Option::as_mut).map(|e| &mut e.1)
    }
    pub fn contains(&self, k: &[u8]) -> bool {
        self.index.contains_key(k)
    }
    pub fn into_vec(self) -> Vec<(Vec<u8>, V)> {
        self.entries.into_iter().flatten().collect()
    }
}

/// The parameters as `(name, value)` pairs in werkzeug's dict order.
pub type Params = Vec<(Vec<u8>, Vec<u8>)>;

fn scan_token(s: &[u8], from: usize) -> usize {
    let mut i = from;
    while i < s.len() && is_token(s[i]) {
        i += 1;
    }
    i
}

/// Split the raw `(name, value)` parts off; quoted values keep their quotes.
fn raw_parts(rest: &[u8]) -> Vec<(Vec<u8>, &[u8])> {
    let n = rest.len();
    let mut parts = Vec::new();
    let mut pos = 0;
    while pos < n {
        let k = scan_token(rest, pos);
        if k > pos && rest.get(k) == Some(&b'=') {
            let key = rest[pos..k].to_ascii_lowercase();
            pos = k + 1;
            let v = scan_token(rest, pos);
            if v > pos {
                parts.push((key, &rest[pos..v]));
            } else if rest.get(pos) == Some(&b'"') {
                let mut q = pos + 1;
                let mut closed = false;
                while q < n {
                    if rest[q] == b'\\' && matches!(rest.get(q + 1), Some(b'\\' | b'"')) {
                        q += 2;
                    } else if rest[q] == b'"' {
                        q += 1;
                        parts.push((key, &rest[pos..q]));
                        pos = q;
                        closed = true;
                        break;
                    } else {
                        q += 1;
                    }
                }
                if !closed {
                    break;
                }
            }
        }
        match rest[pos.min(n)..].iter().position(|&b| b == b';') {
            Some(i) => {
                pos += i + 1;
                while pos < n && matches!(rest[pos], b' ' | b'\t') {
                    pos += 1;
                }
            }
            None => break,
        }
    }
    parts
}

/// werkzeug's `unquote_header_value` then `.replace("%22", '"')`.
pub fn unquote_header_value(v: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len());
    if v.len() >= 2 && v[0] == b'"' && v[v.len() - 1] == b'"' {
        let inner = &v[1..v.len() - 1];
        let mut i = 0;
        while i < inner.len() {
            // `re.sub(r"\\(.)", ...)`: `.` is any character but a newline.
            if inner[i] == b'\\' && i + 1 < inner.len() && inner[i + 1] != b'\n' {
                out.push(inner[i + 1]);
                i += 2;
            } else {
                out.push(inner[i]);
                i += 1;
            }
        }
    } else {
        out.extend_from_slice(v);
    }
    replace_pct22(out)
}

fn replace_pct22(v: Vec<u8>) -> Vec<u8> {
    if !v.windows(3).any(|w| w == b"%22") {
        return v;
    }
    let mut out = Vec::with_capacity(v.len());
    let mut i = 0;
    while i < v.len() {
        if v[i..].starts_with(b"%22") {
            out.push(b'"');
            i += 3;
        } else {
            out.push(v[i]);
            i += 1;
        }
    }
    out
}

/// The `charset'language'value` prefix of an RFC 2231 value: `(charset, value)`.
fn charset_split(pv: &[u8]) -> Option<(&[u8], &[u8])> {
    let plain = |b: u8| is_token(b) && b != b'\'';
    let mut i = 0;
    while i < pv.len() && plain(pv[i]) {
        i += 1;
    }
    if pv.get(i) != Some(&b'\'') {
        return None;
    }
    let mut j = i + 1;
    while j < pv.len() && plain(pv[j]) {
        j += 1;
    }
    if pv.get(j) != Some(&b'\'') {
        return None;
    }
    let k = scan_token(pv, j + 1);
    (k > j + 1).then(|| (&pv[..i], &pv[j + 1..k]))
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// `urllib.parse.unquote(v, encoding, errors="replace")` for the encodings werkzeug allows.
fn unquote_charset(v: &[u8], encoding: &[u8]) -> Vec<u8> {
    if !v.contains(&b'%') {
        return v.to_vec();
    }
    let mut out = Vec::with_capacity(v.len());
    let mut i = 0;
    while i < v.len() {
        let start = i;
        let ascii = v[i].is_ascii();
        while i < v.len() && v[i].is_ascii() == ascii {
            i += 1;
        }
        let run = &v[start..i];
        if !ascii {
            out.extend_from_slice(run);
            continue;
        }
        let mut bytes = Vec::with_capacity(run.len());
        let mut j = 0;
        while j < run.len() {
            if run[j] == b'%' {
                if let (Some(h), Some(l)) = (run.get(j + 1).and_then(|&b| hex(b)), run.get(j + 2).and_then(|&b| hex(b))) {
                    bytes.push(h * 16 + l);
                    j += 3;
                    continue;
                }
            }
            bytes.push(run[j]);
            j += 1;
        }
        match encoding {
            b"utf-8" => out.extend_from_slice(String::from_utf8_lossy(&bytes).as_bytes()),
            b"iso-8859-1" => {
                for &b in &bytes {
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(char::from(b).encode_utf8(&mut buf).as_bytes());
                }
            }
            _ => {
                for &b in &bytes {
                    if b.is_ascii() {
                        out.push(b);
                    } else {
                        out.extend_from_slice("\u{FFFD}".as_bytes());
                    }
                }
            }
        }
    }
    out
}

/// `parse_options_header(value)`: the value and its parameters.
pub fn parse(input: &[u8]) -> (&[u8], Params) {
    let (value, rest) = match input.iter().position(|&b| b == b';') {
        Some(i) => (&input[..i], &input[i + 1..]),
        None => (input, &input[input.len()..]),
    };
    let value = strip_sp(value);
    let rest = strip_sp(rest);
    if value.is_empty() || rest.is_empty() {
        return (value, Vec::new());
    }
    let mut options: OrderedMap<Vec<u8>> = OrderedMap::default();
    let mut continuations: OrderedMap<Vec<Vec<u8>>> = OrderedMap::default();
    let mut cont_encodings: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();
    for (mut pk, raw) in raw_parts(rest) {
        // Markers at the end of the name: `*N` (continuation) then `*` (charset).
        let mut end = pk.len();
        let has_charset = end > 0 && pk[end - 1] == b'*';
        if has_charset {
            end -= 1;
        }
        let mut d = end;
        while d > 0 && pk[d - 1].is_ascii_digit() {
            d -= 1;
        }
        let has_cont = d < end && d > 0 && pk[d - 1] == b'*';
        if has_cont {
            end = d - 1;
        }
        pk.truncate(end);
        let mut encoding: Option<Vec<u8>> = None;
        let pv: Vec<u8> = if has_charset {
            let mut pv = raw;
            if let Some((cs, v)) = charset_split(raw) {
                encoding = Some(cs.to_ascii_lowercase());
                pv = v;
            }
            if encoding.as_ref().is_none_or(|e| e.is_empty()) && has_cont {
                encoding = cont_encodings.get(&pk).cloned();
            }
            match encoding.as_deref() {
                Some(e @ (b"ascii" | b"us-ascii" | b"utf-8" | b"iso-8859-1")) => unquote_charset(pv, e),
                _ => pv.to_vec(),
            }
        } else {
            unquote_header_value(raw)
        };
        if has_cont {
            options.remove(&pk);
            match continuations.get_mut(&pk) {
                Some(list) => list.push(pv),
                None => continuations.insert(pk.clone(), vec![pv]),
            }
            if let Some(e) = encoding.filter(|e| !e.is_empty()) {
                cont_encodings.insert(pk, e);
            }
        } else {
            if continuations.contains(&pk) {
                continuations.remove(&pk);
                cont_encodings.remove(&pk);
            }
            options.insert(pk, pv);
        }
    }
    let mut params = options.into_vec();
    params.extend(continuations.into_vec().into_iter().map(|(k, v)| (k, v.concat())));
    (value, params)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> (String, Vec<(String, String)>) {
        let (v, params) = parse(s.as_bytes());
        let s = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (s(v), params.iter().map(|(k, v)| (s(k), s(v))).collect())
    }

    #[test]
    fn basics() {
        assert_eq!(p("text/html; charset=UTF-8").1, vec![("charset".into(), "UTF-8".into())]);
        assert_eq!(p("a; filename*=UTF-8''%E2%82%AC.txt").1, vec![("filename".into(), "€.txt".into())]);
        assert_eq!(p("a; n*0*=UTF-8''a%20; n*1=b").1, vec![("n".into(), "a b".into())]);
        assert_eq!(p("a; x=\"a\\\"b\"").1, vec![("x".into(), "a\"b".into())]);
        assert_eq!(p("a; x=\"unclosed\\").1, vec![]);
        assert_eq!(p("").0, "");
    }

    #[test]
    fn hostile_unclosed_quote_is_linear() {
        let mut s = b"form-data; name=\"".to_vec();
        s.extend(std::iter::repeat_n(b'\\', 1 << 20));
        let (_, params) = parse(&s);
        assert!(params.is_empty());
    }
}
