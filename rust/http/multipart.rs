//! `multipart/form-data` (RFC 7578 over RFC 2046) as a streaming state machine, free of Python.
//! Bytes go in through `Parser::feed`; parts come out through a `Sink` (head, data, end). Every
//! byte is scanned a bounded number of times (memmem for the delimiter), and the parser never
//! holds more than one delimiter's length of body data, or one header block, between feeds.

use memchr::memmem;

/// Limits; `None` means unlimited. Every one is checked as soon as the byte crossing it arrives.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_parts: Option<usize>,
    pub max_files: Option<usize>,
    pub max_field_size: Option<usize>,
    pub max_file_size: Option<usize>,
    pub max_header_size: usize,
    pub max_headers: usize,
    pub max_preamble: usize,
    pub max_epilogue: usize,
    pub max_body_size: Option<usize>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_parts: Some(1000),
            max_files: Some(100),
            max_field_size: Some(1 << 20),
            max_file_size: Some(100 << 20),
            max_header_size: 8 << 10,
            max_headers: 32,
            max_preamble: 1 << 10,
            max_epilogue: 1 << 10,
            max_body_size: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MultipartError {
    NotMultipart,
    NoBoundary,
    BadBoundary(&'static str),
    BodyTooLarge { max: usize },
    TooManyParts { max: usize },
    TooManyFiles { max: usize },
    FieldTooLarge { name: String, max: usize },
    FileTooLarge { name: String, max: usize },
    HeaderTooLarge { max: usize },
    TooManyHeaders { max: usize },
    PreambleTooLarge { max: usize },
    EpilogueTooLarge { max: usize },
    MalformedHeader,
    UnterminatedQuote,
    NoContentDisposition,
    NotFormData,
    NoName,
    Truncated,
    Finished,
}

impl std::fmt::Display for MultipartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use MultipartError::*;
        match self {
            NotMultipart => write!(f, "content type is not multipart/form-data"),
            NoBoundary => write!(f, "multipart content type has no boundary parameter"),
            BadBoundary(why) => write!(f, "invalid multipart boundary: {why}"),
            BodyTooLarge { max } => write!(f, "multipart body exceeds max_body_size={max}"),
            TooManyParts { max } => write!(f, "multipart body has more than max_parts={max} parts"),
            TooManyFiles { max } => write!(f, "multipart body has more than max_files={max} files"),
            FieldTooLarge { name, max } => write!(f, "field {name:?} exceeds max_field_size={max}"),
            FileTooLarge { name, max } => write!(f, "file part {name:?} exceeds max_file_size={max}"),
            HeaderTooLarge { max } => write!(f, "part header block exceeds max_header_size={max}"),
            TooManyHeaders { max } => write!(f, "part has more than max_headers={max} headers"),
            PreambleTooLarge { max } => write!(f, "data before the first boundary exceeds max_preamble={max}"),
            EpilogueTooLarge { max } => write!(f, "data after the closing boundary exceeds max_epilogue={max}"),
            MalformedHeader => write!(f, "malformed part header line"),
            UnterminatedQuote => write!(f, "unterminated quoted string in a part header"),
            NoContentDisposition => write!(f, "part has no Content-Disposition header"),
            NotFormData => write!(f, "part's Content-Disposition is not form-data"),
            NoName => write!(f, "part's Content-Disposition has no name parameter"),
            Truncated => write!(f, "multipart body ended before the closing boundary"),
            Finished => write!(f, "multipart parser already closed or failed"),
        }
    }
}

impl MultipartError {
    /// The name of the limit exceeded, if that is the refusal (`MultipartError.limit` in Python).
    pub fn limit(&self) -> Option<&'static str> {
        use MultipartError::*;
        match self {
            BodyTooLarge { .. } => Some("max_body_size"),
            TooManyParts { .. } => Some("max_parts"),
            TooManyFiles { .. } => Some("max_files"),
            FieldTooLarge { .. } => Some("max_field_size"),
            FileTooLarge { .. } => Some("max_file_size"),
            HeaderTooLarge { .. } => Some("max_header_size"),
            TooManyHeaders { .. } => Some("max_headers"),
            PreambleTooLarge { .. } => Some("max_preamble"),
            EpilogueTooLarge { .. } => Some("max_epilogue"),
            _ => None,
        }
    }
}

/// A part's header block, decoded. Text is UTF-8 when valid, else Latin-1 (each byte one char).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartHead {
    pub name: String,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub headers: Vec<(String, String)>,
}

impl PartHead {
    pub fn is_file(&self) -> bool {
        self.filename.is_some()
    }
}

/// Where parts go. `data` may be called many times per part, with any split.
pub trait Sink {
    type Error: From<MultipartError>;
    fn start(&mut self, head: PartHead) -> Result<(), Self::Error>;
    fn data(&mut self, bytes: &[u8]) -> Result<(), Self::Error>;
    fn end(&mut self) -> Result<(), Self::Error>;

    /// Finds the first delimiter in `hay` (the open part's content, then maybe the delimiter).
    /// A sink may copy the bytes it scans while it scans them, reading a large part once instead
    /// of twice; those bytes then come back through `data()`, which must not store them again.
    fn find(&mut self, finder: &memmem::Finder<'static>, hay: &[u8]) -> Result<Option<usize>, Self::Error> {
        Ok(finder.find(hay))
    }
}

/// A sink for a body held whole in memory: each part's content is recorded as ranges of that body
/// (copied once, later, by the caller), or owned bytes for the rare piece that is not in it.
pub struct SliceSink<'a> {
    base: &'a [u8],
    pub parts: Vec<(PartHead, Vec<Piece>)>,
    open: Option<(PartHead, Vec<Piece>)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Span(usize, usize),
    Owned(Vec<u8>),
}

impl<'a> SliceSink<'a> {
    pub fn new(base: &'a [u8]) -> Self {
        SliceSink { base, parts: Vec::new(), open: None }
    }
}

impl Sink for SliceSink<'_> {
    type Error = MultipartError;
    fn start(&mut self, head: PartHead) -> Result<(), MultipartError> {
        self.open = Some((head, Vec::new()));
        Ok(())
    }
    fn data(&mut self, bytes: &[u8]) -> Result<(), MultipartError> {
        let Some((_, pieces)) = &mut self.open else { return Ok(()) };
        let start = (bytes.as_ptr() as usize).wrapping_sub(self.base.as_ptr() as usize);
        if start <= self.base.len() && bytes.len() <= self.base.len() - start {
            if let Some(Piece::Span(_, b)) = pieces.last_mut() {
                if *b == start {
                    *b += bytes.len();
                    return Ok(());
                }
            }
            pieces.push(Piece::Span(start, start + bytes.len()));
        } else {
            pieces.push(Piece::Owned(bytes.to_vec()));
        }
        Ok(())
    }
    fn end(&mut self) -> Result<(), MultipartError> {
        if let Some(p) = self.open.take() {
            self.parts.push(p);
        }
        Ok(())
    }
}

/// Parses a whole body (one feed, then close) into parts whose pieces index `body`.
pub fn parse_all(body: &[u8], boundary: &[u8], limits: Limits) -> Result<Vec<(PartHead, Vec<Piece>)>, MultipartError> {
    let mut parser = Parser::new(boundary, limits)?;
    let mut sink = SliceSink::new(body);
    parser.feed(body, &mut sink)?;
    parser.close()?;
    Ok(sink.parts)
}

// ---------------------------------------------------------------------------------------------
// Header values: `type; a=b; c="q\"s"` in one pass (no regex, nothing to backtrack: CVE-2024-24762)

/// `(name, value)` parameters of a header value, names lower-cased.
pub type Params = Vec<(Vec<u8>, Vec<u8>)>;

/// Splits a header value into its lower-cased first token and its parameters (names lower-cased,
/// quoted values unescaped). A parameter without `=` is skipped.
pub fn parse_params(v: &[u8]) -> Result<(Vec<u8>, Params), MultipartError> {
    let ows = |b: u8| b == b' ' || b == b'\t';
    let mut i = memchr::memchr(b';', v).unwrap_or(v.len());
    let kind = trim(&v[..i], ows).to_ascii_lowercase();
    let mut params = Vec::new();
    while i < v.len() {
        i += 1; // past ';'
        while i < v.len() && ows(v[i]) {
            i += 1;
        }
        let name_start = i;
        while i < v.len() && v[i] != b'=' && v[i] != b';' {
            i += 1;
        }
        if i >= v.len() || v[i] == b';' {
            continue;
        }
        let name = trim(&v[name_start..i], ows).to_ascii_lowercase();
        i += 1; // past '='
        while i < v.len() && ows(v[i]) {
            i += 1;
        }
        let mut value = Vec::new();
        if i < v.len() && v[i] == b'"' {
            i += 1;
            let mut closed = false;
            while i < v.len() {
                match v[i] {
                    // Only `\"` and `\\` are escapes: browsers send backslashes unescaped (a
                    // Windows path stays intact), as python-multipart and Werkzeug read them.
                    b'\\' if i + 1 < v.len() && (v[i + 1] == b'"' || v[i + 1] == b'\\') => {
                        value.push(v[i + 1]);
                        i += 2;
                    }
                    b'"' => {
                        closed = true;
                        i += 1;
                        break;
                    }
                    b => {
                        value.push(b);
                        i += 1;
                    }
                }
            }
            if !closed {
                return Err(MultipartError::UnterminatedQuote);
            }
            i = memchr::memchr(b';', &v[i..]).map_or(v.len(), |j| i + j);
        } else {
            let end = memchr::memchr(b';', &v[i..]).map_or(v.len(), |j| i + j);
            value.extend_from_slice(trim(&v[i..end], ows));
            i = end;
        }
        params.push((name, value));
    }
    Ok((kind, params))
}

fn trim(mut s: &[u8], ws: impl Fn(u8) -> bool) -> &[u8] {
    while let [first, rest @ ..] = s {
        if !ws(*first) {
            break;
        }
        s = rest;
    }
    while let [rest @ .., last] = s {
        if !ws(*last) {
            break;
        }
        s = rest;
    }
    s
}

fn param<'a>(params: &'a [(Vec<u8>, Vec<u8>)], name: &[u8]) -> Option<&'a [u8]> {
    params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_slice())
}

/// UTF-8 when valid, else Latin-1.
pub fn decode_text(b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        Ok(s) => s.to_owned(),
        Err(_) => b.iter().map(|&c| char::from(c)).collect(),
    }
}

/// RFC 5987 `charset'lang'pct-encoded` (UTF-8 or ISO-8859-1); `None` when it does not decode.
pub fn decode_ext_value(v: &[u8]) -> Option<String> {
    let q1 = memchr::memchr(b'\'', v)?;
    let q2 = q1 + 1 + memchr::memchr(b'\'', &v[q1 + 1..])?;
    let charset = v[..q1].to_ascii_lowercase();
    let mut raw = Vec::with_capacity(v.len());
    let enc = &v[q2 + 1..];
    let mut i = 0;
    while i < enc.len() {
        if enc[i] == b'%' {
            let hex = enc.get(i + 1..i + 3)?;
            let s = std::str::from_utf8(hex).ok()?;
            raw.push(u8::from_str_radix(s, 16).ok()?);
            i += 3;
        } else {
            raw.push(enc[i]);
            i += 1;
        }
    }
    match charset.as_slice() {
        b"utf-8" => String::from_utf8(raw).ok(),
        b"iso-8859-1" | b"latin-1" | b"latin1" => Some(raw.iter().map(|&c| char::from(c)).collect()),
        _ => None,
    }
}

/// The boundary of a `multipart/form-data` Content-Type, validated against RFC 2046's bchars.
pub fn boundary_from_content_type(ct: &[u8]) -> Result<Vec<u8>, MultipartError> {
    let (kind, params) = parse_params(ct)?;
    if kind != b"multipart/form-data" {
        return Err(MultipartError::NotMultipart);
    }
    let b = param(&params, b"boundary").ok_or(MultipartError::NoBoundary)?;
    validate_boundary(b)?;
    Ok(b.to_vec())
}

pub fn validate_boundary(b: &[u8]) -> Result<(), MultipartError> {
    if b.is_empty() || b.len() > 70 {
        return Err(MultipartError::BadBoundary("length must be 1 to 70 characters"));
    }
    let bchar = |c: u8| c.is_ascii_alphanumeric() || b"'()+_,-./:=? ".contains(&c);
    if !b.iter().all(|&c| bchar(c)) {
        return Err(MultipartError::BadBoundary("character outside RFC 2046 bchars"));
    }
    if b.last() == Some(&b' ') {
        return Err(MultipartError::BadBoundary("ends with a space"));
    }
    Ok(())
}

/// Parses one header block (lines joined by CRLF, without the blank line).
fn parse_head(block: &[u8], max_headers: usize) -> Result<PartHead, MultipartError> {
    let mut headers = Vec::new();
    let mut disposition = None;
    let mut content_type = None;
    for line in memmem::find_iter(block, b"\r\n")
        .chain(std::iter::once(block.len()))
        .scan(0usize, |start, end| {
            let line = &block[*start..end];
            *start = end + 2;
            Some(line)
        })
    {
        if headers.len() == max_headers {
            return Err(MultipartError::TooManyHeaders { max: max_headers });
        }
        let colon = memchr::memchr(b':', line).ok_or(MultipartError::MalformedHeader)?;
        let name = &line[..colon];
        if name.is_empty() || name.iter().any(|&c| c <= b' ' || c == 0x7f) {
            return Err(MultipartError::MalformedHeader);
        }
        let value = trim(&line[colon + 1..], |b| b == b' ' || b == b'\t');
        if name.eq_ignore_ascii_case(b"content-disposition") && disposition.is_none() {
            disposition = Some(value);
        } else if name.eq_ignore_ascii_case(b"content-type") && content_type.is_none() {
            content_type = Some(decode_text(value));
        }
        headers.push((decode_text(name), decode_text(value)));
    }
    let disposition = disposition.ok_or(MultipartError::NoContentDisposition)?;
    let (kind, params) = parse_params(disposition)?;
    if kind != b"form-data" {
        return Err(MultipartError::NotFormData);
    }
    let name = decode_text(param(&params, b"name").ok_or(MultipartError::NoName)?);
    let ext = param(&params, b"filename*").and_then(decode_ext_value);
    let filename = ext.or_else(|| param(&params, b"filename").map(decode_text));
    Ok(PartHead { name, filename, content_type, headers })
}

// ---------------------------------------------------------------------------------------------
// The state machine

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Nothing read yet: the body may open with `--boundary` (no CRLF before it).
    Start,
    Preamble,
    /// Just past a delimiter: `--` closes, optional LWSP then CRLF opens a part, else it was data.
    AfterDelimiter,
    Headers,
    /// Just past a part's header block: a delimiter without its leading CRLF (`--boundary`)
    /// here ends an empty part, as Werkzeug writes (its test client) and reads them.
    BodyStart,
    Body,
    Epilogue,
    Done,
}

pub struct Parser {
    limits: Limits,
    /// `\r\n--boundary`
    delim: Vec<u8>,
    /// Boxed: the finder holds 32-byte-aligned SIMD vectors, and Python allocates objects (a
    /// `#[pyclass]` embedding the parser) with 16-byte alignment only.
    finder: Box<memmem::Finder<'static>>,
    state: State,
    /// Unconsumed input carried to the next feed (bounded, see the module comment).
    buf: Vec<u8>,
    header_scanned: usize,
    /// The delimiter being checked in `AfterDelimiter` came without its leading CRLF.
    short_delim: bool,
    in_part: bool,
    part_is_file: bool,
    part_name: String,
    part_size: usize,
    parts: usize,
    files: usize,
    preamble: usize,
    epilogue: usize,
    total: usize,
}

impl Parser {
    pub fn new(boundary: &[u8], limits: Limits) -> Result<Self, MultipartError> {
        validate_boundary(boundary)?;
        let mut delim = b"\r\n--".to_vec();
        delim.extend_from_slice(boundary);
        let finder = Box::new(memmem::Finder::new(&delim).into_owned());
        Ok(Parser {
            limits,
            delim,
            finder,
            state: State::Start,
            buf: Vec::new(),
            header_scanned: 0,
            short_delim: false,
            in_part: false,
            part_is_file: false,
            part_name: String::new(),
            part_size: 0,
            parts: 0,
            files: 0,
            preamble: 0,
            epilogue: 0,
            total: 0,
        })
    }

    /// Bytes held between feeds (for tests showing bounded memory).
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    pub fn feed<S: Sink>(&mut self, chunk: &[u8], sink: &mut S) -> Result<(), S::Error> {
        let r = self.feed_inner(chunk, sink);
        if r.is_err() {
            self.fail();
        }
        r
    }

    fn fail(&mut self) {
        self.state = State::Done;
        self.buf = Vec::new();
    }

    fn feed_inner<S: Sink>(&mut self, chunk: &[u8], sink: &mut S) -> Result<(), S::Error> {
        if self.state == State::Done {
            return Err(MultipartError::Finished.into());
        }
        self.total = self.total.saturating_add(chunk.len());
        if let Some(max) = self.limits.max_body_size {
            if self.total > max {
                return Err(MultipartError::BodyTooLarge { max }.into());
            }
        }
        if self.buf.is_empty() {
            let used = self.run(chunk, sink)?;
            self.buf.extend_from_slice(&chunk[used..]);
        } else {
            let mut data = std::mem::take(&mut self.buf);
            data.extend_from_slice(chunk);
            let used = self.run(&data, sink)?;
            data.drain(..used);
            self.buf = data;
        }
        Ok(())
    }

    /// Ends the input: an error unless the closing boundary was seen.
    pub fn close(&mut self) -> Result<(), MultipartError> {
        let ok = self.state == State::Epilogue;
        self.fail();
        if ok {
            Ok(())
        } else {
            Err(MultipartError::Truncated)
        }
    }

    /// Trailing bytes of `data` that could begin a delimiter. The delimiter's only CR is its
    /// first byte (bchars exclude CR), so only the last CR can start one.
    fn tail_to_keep(&self, data: &[u8]) -> usize {
        let window = data.len().saturating_sub(self.delim.len() - 1);
        match memchr::memrchr(b'\r', &data[window..]) {
            Some(j) if self.delim.starts_with(&data[window + j..]) => data.len() - window - j,
            _ => 0,
        }
    }

    fn emit<S: Sink>(&mut self, bytes: &[u8], sink: &mut S) -> Result<(), S::Error> {
        if bytes.is_empty() {
            return Ok(());
        }
        self.part_size = self.part_size.saturating_add(bytes.len());
        let limit = if self.part_is_file { self.limits.max_file_size } else { self.limits.max_field_size };
        if let Some(max) = limit {
            if self.part_size > max {
                let name = std::mem::take(&mut self.part_name);
                return Err(if self.part_is_file {
                    MultipartError::FileTooLarge { name, max }
                } else {
                    MultipartError::FieldTooLarge { name, max }
                }
                .into());
            }
        }
        sink.data(bytes)
    }

    fn add_preamble(&mut self, n: usize) -> Result<(), MultipartError> {
        self.preamble = self.preamble.saturating_add(n);
        if self.preamble > self.limits.max_preamble {
            return Err(MultipartError::PreambleTooLarge { max: self.limits.max_preamble });
        }
        Ok(())
    }

    /// Consumes what it can of `data`; returns how many bytes it used.
    fn run<S: Sink>(&mut self, data: &[u8], sink: &mut S) -> Result<usize, S::Error> {
        let mut pos = 0;
        loop {
            let rest = &data[pos..];
            match self.state {
                State::Start => {
                    let open = &self.delim[2..];
                    let n = rest.len().min(open.len());
                    if rest[..n] != open[..n] {
                        self.state = State::Preamble;
                    } else if n == open.len() {
                        pos += n;
                        self.state = State::AfterDelimiter;
                    } else {
                        return Ok(pos);
                    }
                }
                State::Preamble => {
                    // No need to look further than the limit allows.
                    let allowed = self.limits.max_preamble.saturating_sub(self.preamble);
                    let hay = &rest[..rest.len().min(allowed.saturating_add(self.delim.len()))];
                    match self.finder.find(hay) {
                        Some(i) => {
                            self.add_preamble(i)?;
                            pos += i + self.delim.len();
                            self.state = State::AfterDelimiter;
                        }
                        None => {
                            let skip = hay.len() - self.tail_to_keep(hay);
                            self.add_preamble(skip)?;
                            return Ok(pos + skip);
                        }
                    }
                }
                State::AfterDelimiter => {
                    if rest.len() < 2 {
                        return Ok(pos);
                    }
                    if rest.starts_with(b"--") {
                        self.short_delim = false;
                        if self.in_part {
                            self.in_part = false;
                            sink.end()?;
                        }
                        pos += 2;
                        self.state = State::Epilogue;
                        continue;
                    }
                    let pad = rest.iter().take(self.limits.max_header_size + 1).take_while(|&&b| b == b' ' || b == b'\t').count();
                    if pad > self.limits.max_header_size {
                        return Err(MultipartError::HeaderTooLarge { max: self.limits.max_header_size }.into());
                    }
                    if rest.len() < pad + 2 {
                        return Ok(pos);
                    }
                    let short = std::mem::take(&mut self.short_delim);
                    if &rest[pad..pad + 2] == b"\r\n" {
                        if self.in_part {
                            self.in_part = false;
                            sink.end()?;
                        }
                        pos += pad + 2;
                        self.header_scanned = 0;
                        self.state = State::Headers;
                    } else if self.in_part {
                        // `--boundary` followed by other text is content, not a delimiter.
                        let delim = std::mem::take(&mut self.delim);
                        let skip = if short { 2 } else { 0 };
                        let r = self.emit(&delim[skip..], sink);
                        self.delim = delim;
                        r?;
                        self.state = State::Body;
                    } else {
                        self.add_preamble(self.delim.len())?;
                        self.state = State::Preamble;
                    }
                }
                State::Headers => {
                    let max = self.limits.max_header_size;
                    if rest.len() < 2 {
                        return Ok(pos);
                    }
                    if rest.starts_with(b"\r\n") {
                        return Err(MultipartError::NoContentDisposition.into());
                    }
                    // A block ending past the limit is refused anyway: search no further.
                    let stop = rest.len().min(max.saturating_add(4));
                    let from = self.header_scanned.saturating_sub(3).min(stop);
                    match memmem::find(&rest[from..stop], b"\r\n\r\n") {
                        Some(j) => {
                            let end = from + j;
                            if end + 4 > max {
                                return Err(MultipartError::HeaderTooLarge { max }.into());
                            }
                            let head = parse_head(&rest[..end], self.limits.max_headers)?;
                            self.parts += 1;
                            if let Some(m) = self.limits.max_parts {
                                if self.parts > m {
                                    return Err(MultipartError::TooManyParts { max: m }.into());
                                }
                            }
                            self.part_is_file = head.is_file();
                            if self.part_is_file {
                                self.files += 1;
                                if let Some(m) = self.limits.max_files {
                                    if self.files > m {
                                        return Err(MultipartError::TooManyFiles { max: m }.into());
                                    }
                                }
                            }
                            self.part_name.clone_from(&head.name);
                            self.part_size = 0;
                            self.in_part = true;
                            sink.start(head)?;
                            pos += end + 4;
                            self.state = State::BodyStart;
                        }
                        None => {
                            if rest.len() > max {
                                return Err(MultipartError::HeaderTooLarge { max }.into());
                            }
                            self.header_scanned = rest.len();
                            return Ok(pos);
                        }
                    }
                }
                State::BodyStart => {
                    let open = &self.delim[2..];
                    let n = rest.len().min(open.len());
                    if rest[..n] != open[..n] {
                        self.state = State::Body;
                    } else if n == open.len() {
                        pos += n;
                        self.short_delim = true;
                        self.state = State::AfterDelimiter;
                    } else {
                        return Ok(pos);
                    }
                }
                State::Body => {
                    // Past the part's size limit, a delimiter would come too late: the search
                    // stops there, and emitting what it scanned raises the limit's error.
                    let limit = if self.part_is_file { self.limits.max_file_size } else { self.limits.max_field_size };
                    let window = match limit {
                        Some(max) => rest.len().min(max.saturating_sub(self.part_size).saturating_add(self.delim.len())),
                        None => rest.len(),
                    };
                    let hay = &rest[..window];
                    match sink.find(&self.finder, hay)? {
                        Some(i) => {
                            self.emit(&rest[..i], sink)?;
                            pos += i + self.delim.len();
                            self.state = State::AfterDelimiter;
                        }
                        None => {
                            let n = hay.len() - self.tail_to_keep(hay);
                            self.emit(&rest[..n], sink)?;
                            return Ok(pos + n);
                        }
                    }
                }
                State::Epilogue => {
                    self.epilogue = self.epilogue.saturating_add(rest.len());
                    if self.epilogue > self.limits.max_epilogue {
                        return Err(MultipartError::EpilogueTooLarge { max: self.limits.max_epilogue }.into());
                    }
                    return Ok(data.len());
                }
                State::Done => return Err(MultipartError::Finished.into()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Collect {
        parts: Vec<(PartHead, Vec<u8>)>,
        open: Option<(PartHead, Vec<u8>)>,
    }

    impl Sink for Collect {
        type Error = MultipartError;
        fn start(&mut self, head: PartHead) -> Result<(), MultipartError> {
            self.open = Some((head, Vec::new()));
            Ok(())
        }
        fn data(&mut self, bytes: &[u8]) -> Result<(), MultipartError> {
            if let Some((_, d)) = &mut self.open {
                d.extend_from_slice(bytes);
            }
            Ok(())
        }
        fn end(&mut self) -> Result<(), MultipartError> {
            if let Some(p) = self.open.take() {
                self.parts.push(p);
            }
            Ok(())
        }
    }

    const BODY: &[u8] = b"--xyz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nhello\r\n--xyz\r\n\
Content-Disposition: form-data; name=\"f\"; filename=\"q\\\"x.txt\"\r\nContent-Type: text/plain\r\n\r\n\
line1\r\n--xy\r\nline2\r\n--xyz--\r\n";

    fn parse(chunks: &[&[u8]]) -> Result<Vec<(PartHead, Vec<u8>)>, MultipartError> {
        let mut p = Parser::new(b"xyz", Limits::default())?;
        let mut c = Collect::default();
        for ch in chunks {
            p.feed(ch, &mut c)?;
        }
        p.close()?;
        Ok(c.parts)
    }

    #[test]
    fn parses_fields_and_files_in_any_split() {
        let whole = parse(&[BODY]).unwrap();
        assert_eq!(whole.len(), 2);
        assert_eq!(whole[0].0.name, "a");
        assert_eq!(whole[0].1, b"hello");
        assert_eq!(whole[1].0.filename.as_deref(), Some("q\"x.txt"));
        assert_eq!(whole[1].0.content_type.as_deref(), Some("text/plain"));
        assert_eq!(whole[1].1, b"line1\r\n--xy\r\nline2");
        for i in 0..BODY.len() {
            assert_eq!(parse(&[&BODY[..i], &BODY[i..]]).unwrap(), whole, "split at {i}");
        }
        let bytes: Vec<&[u8]> = BODY.chunks(1).collect();
        assert_eq!(parse(&bytes).unwrap(), whole);
    }

    #[test]
    fn empty_part_without_crlf_before_the_delimiter() {
        // Werkzeug's test client writes an empty field as `\r\n\r\n--boundary`.
        let body: &[u8] = b"--xyz\r\nContent-Disposition: form-data; name=\"e\"\r\n\r\n--xyz\r\n\
Content-Disposition: form-data; name=\"f\"\r\n\r\n--xyzzy\r\n--xyz--";
        for i in 0..body.len() {
            let parts = parse(&[&body[..i], &body[i..]]).unwrap();
            assert_eq!(parts.len(), 2, "split at {i}");
            assert_eq!(parts[0].1, b"");
            assert_eq!(parts[1].1, b"--xyzzy", "split at {i}");
        }
    }

    #[test]
    fn truncated_is_an_error() {
        assert_eq!(parse(&[&BODY[..BODY.len() - 4]]), Err(MultipartError::Truncated));
    }

    #[test]
    fn params() {
        let (k, p) = parse_params(b"Form-Data; name=\"a;b\"; filename*=UTF-8''%E2%82%AC.txt").unwrap();
        assert_eq!(k, b"form-data");
        assert_eq!(p[0], (b"name".to_vec(), b"a;b".to_vec()));
        assert_eq!(decode_ext_value(&p[1].1).as_deref(), Some("€.txt"));
        assert_eq!(parse_params(b"form-data; name=\"\\\\\\"), Err(MultipartError::UnterminatedQuote));
        let (_, p) = parse_params(br#"form-data; filename="C:\d\\x\"y""#).unwrap();
        assert_eq!(p[0].1, br#"C:\d\x"y"#);
        assert_eq!(boundary_from_content_type(b"multipart/form-data; boundary=\"a b\"").unwrap(), b"a b");
        assert!(boundary_from_content_type(b"multipart/form-data; boundary=a\x01").is_err());
        assert!(boundary_from_content_type(b"text/plain; boundary=a").is_err());
    }
}
