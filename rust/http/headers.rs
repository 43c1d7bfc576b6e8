//! Raw HTTP/1.1 header blocks (RFC 9112 §5): split, validate and strip each field line with
//! explicit limits, refusing what request smuggling and header injection rely on (obs-fold,
//! bare CR, control characters, whitespace before the colon).

use super::options::is_token;

/// Failures of the header parsers; all become `webaccel.http.HeaderError`.
#[derive(Debug, PartialEq, Eq)]
pub enum HeaderError {
    TooLarge { size: usize, max: usize },
    TooManyHeaders { max: usize },
    LineTooLong { line: usize, max: usize },
    ObsFold { line: usize },
    BadName { line: usize },
    BadValue { line: usize },
    BareCr { line: usize },
    AfterEnd { line: usize },
    /// An ASGI header list over `max_size` bytes (names and values counted).
    ListTooLarge { max: usize },
    /// Any other refusal, with its message.
    Other(String),
}

impl std::fmt::Display for HeaderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TooLarge { size, max } => write!(f, "header block of {size} bytes exceeds max_size={max}"),
            Self::TooManyHeaders { max } => write!(f, "header block has more than max_headers={max} fields"),
            Self::LineTooLong { line, max } => write!(f, "header line {line} exceeds max_line={max} bytes"),
            Self::ObsFold { line } => write!(f, "header line {line}: obsolete line folding (obs-fold) is refused"),
            Self::BadName { line } => write!(f, "header line {line}: the field name is not an RFC 9110 token followed by ':'"),
            Self::BadValue { line } => write!(f, "header line {line}: control character in the field value"),
            Self::BareCr { line } => write!(f, "header line {line}: CR not followed by LF"),
            Self::AfterEnd { line } => write!(f, "header line {line}: data after the empty line that ends the block"),
            Self::ListTooLarge { max } => write!(f, "header list exceeds max_size={max} bytes (names and values)"),
            Self::Other(m) => f.write_str(m),
        }
    }
}

impl HeaderError {
    /// The name of the limit exceeded, if that is the refusal (`HeaderError.limit` in Python).
    pub fn limit(&self) -> Option<&'static str> {
        match self {
            Self::TooLarge { .. } | Self::ListTooLarge { .. } => Some("max_size"),
            Self::TooManyHeaders { .. } => Some("max_headers"),
            Self::LineTooLong { .. } => Some("max_line"),
            _ => None,
        }
    }
}

pub struct Limits {
    pub max_headers: usize,
    pub max_line: usize,
    pub max_size: usize,
}

/// RFC 9110 field-value octets: VCHAR, obs-text, SP, HTAB.
#[inline]
pub fn is_value_byte(b: u8) -> bool {
    b == b'\t' || (b >= 0x20 && b != 0x7f)
}

/// A field line's `(name, value)`, borrowed from the block.
pub type Field<'a> = (&'a [u8], &'a [u8]);

/// `(name, value)` slices of each field line, values stripped of SP/HTAB. Lines end with CRLF
/// or LF; the block ends at the end of `data` or at an empty line, after which nothing may follow.
pub fn parse_block<'a>(data: &'a [u8], limits: &Limits) -> Result<Vec<Field<'a>>, HeaderError> {
    if data.len() > limits.max_size {
        return Err(HeaderError::TooLarge { size: data.len(), max: limits.max_size });
    }
    let mut fields = Vec::new();
    let mut pos = 0;
    let mut line_no = 0;
    while pos < data.len() {
        line_no += 1;
        let (line, next) = match data[pos..].iter().position(|&b| b == b'\n') {
            Some(i) => {
                let mut line = &data[pos..pos + i];
                if let [rest @ .., b'\r'] = line {
                    line = rest;
                }
                (line, pos + i + 1)
            }
            None => (&data[pos..], data.len()),
        };
        pos = next;
        if line.len() > limits.max_line {
            return Err(HeaderError::LineTooLong { line: line_no, max: limits.max_line });
        }
        if line.contains(&b'\r') {
            return Err(HeaderError::BareCr { line: line_no });
        }
        if line.is_empty() {
            if pos < data.len() {
                return Err(HeaderError::AfterEnd { line: line_no + 1 });
            }
            break;
        }
        if matches!(line[0], b' ' | b'\t') {
            return Err(HeaderError::ObsFold { line: line_no });
        }
        let colon = line.iter().position(|&b| b == b':').ok_or(HeaderError::BadName { line: line_no })?;
        let name = &line[..colon];
        if name.is_empty() || !name.iter().all(|&b| is_token(b)) {
            return Err(HeaderError::BadName { line: line_no });
        }
        let value = super::options::strip_sp(&line[colon + 1..]);
        if !value.iter().all(|&b| is_value_byte(b)) {
            return Err(HeaderError::BadValue { line: line_no });
        }
        if fields.len() == limits.max_headers {
            return Err(HeaderError::TooManyHeaders { max: limits.max_headers });
        }
        fields.push((name, value));
    }
    Ok(fields)
}

/// How `headers_from_asgi` joins repeated fields: `;` for `cookie` (RFC 9113 §8.2.3 splits it),
/// a newline for `set-cookie` (its values contain commas; a field value never has a newline),
/// `, ` for every other name (RFC 9110 §5.3).
pub fn join_separator(lower_name: &[u8]) -> &'static str {
    match lower_name {
        b"cookie" => "; ",
        b"set-cookie" => "\n",
        _ => ", ",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    const L: Limits = Limits { max_headers: 100, max_line: 8190, max_size: 65536 };

    #[test]
    fn block() {
        let got = parse_block(b"Host: a\r\nX-A:  b c \r\n\r\n", &L).unwrap_or_default();
        assert_eq!(got, vec![(&b"Host"[..], &b"a"[..]), (&b"X-A"[..], &b"b c"[..])]);
        assert_eq!(parse_block(b"A: b\r\n c\r\n", &L), Err(HeaderError::ObsFold { line: 2 }));
        assert_eq!(parse_block(b"A : b\r\n", &L), Err(HeaderError::BadName { line: 1 }));
        assert_eq!(parse_block(b"A: b\rX: y\r\n", &L), Err(HeaderError::BareCr { line: 1 }));
        assert_eq!(parse_block(b"A: b\x00\r\n", &L), Err(HeaderError::BadValue { line: 1 }));
    }
}
