//! The one-pass parser: builds Python objects straight from the bytes. Iterative (an explicit
//! stack of open containers), so nesting costs heap, never native stack. Values waiting for
//! their container sit on one shared stack of owned references; when a container closes, its
//! items are moved into a list allocated at its exact length, or inserted into a new dict.

use std::ptr;

use pyo3::ffi;
use pyo3::prelude::*;

use super::number::{self, Number};
use super::pystr::{self, KeyCacheLease, KEY_CACHE, KEY_CACHE_MAX_LEN};
use super::scan::{skip_ws, string_run};

/// Why a parse failed: a syntax error (message and byte offset) or a Python exception.
pub enum ErrorKind {
    Syntax(String, usize),
    Python(PyErr),
}

/// Boxed so that `Result<*mut PyObject, Error>` stays two words on the hot path.
pub struct Error(pub Box<ErrorKind>);

type Result<T> = std::result::Result<T, Error>;

#[cold]
#[inline(never)]
fn syntax(msg: &str, pos: usize) -> Error {
    Error(Box::new(ErrorKind::Syntax(msg.to_owned(), pos)))
}

#[cold]
#[inline(never)]
fn py_error(py: Python<'_>) -> Error {
    Error(Box::new(ErrorKind::Python(PyErr::fetch(py))))
}

#[derive(Clone, Copy)]
struct Frame {
    /// Where this container's items start on the value stack.
    start: usize,
    is_dict: bool,
}

struct Parser<'a, 'py> {
    py: Python<'py>,
    data: &'a [u8],
    pos: usize,
    /// Owned references; released on drop if the parse fails.
    values: Vec<*mut ffi::PyObject>,
    frames: Vec<Frame>,
    max_depth: usize,
    scratch: Vec<u8>,
    keys: Option<KeyCacheLease>,
}

impl Drop for Parser<'_, '_> {
    fn drop(&mut self) {
        for &op in &self.values {
            // SAFETY: every pointer on the stack is an owned, non-null reference.
            unsafe { ffi::Py_DECREF(op) };
        }
    }
}

/// Parses one JSON document (the whole of `data`) into a Python object.
pub fn parse<'py>(py: Python<'py>, data: &[u8], max_depth: usize) -> std::result::Result<Bound<'py, PyAny>, Error> {
    let mut p = Parser {
        py,
        data,
        pos: 0,
        values: Vec::with_capacity(32),
        frames: Vec::with_capacity(8),
        max_depth,
        scratch: Vec::new(),
        keys: KEY_CACHE.try_lease(),
    };
    p.run()?;
    p.pos = skip_ws(data, p.pos);
    if p.pos != data.len() {
        return Err(syntax("Extra data", p.pos));
    }
    match p.values.pop() {
        // SAFETY: an owned reference, handed over to the `Bound`.
        Some(op) => Ok(unsafe { Bound::from_owned_ptr(py, op) }),
        None => Err(syntax("Expecting value", 0)),
    }
}

impl<'a, 'py> Parser<'a, 'py> {
    #[inline(always)]
    fn peek(&self) -> u8 {
        // 0 never starts a valid token, so it doubles as "end of input" here.
        self.data.get(self.pos).copied().unwrap_or(0)
    }

    #[inline(always)]
    fn push(&mut self, op: *mut ffi::PyObject) -> Result<()> {
        if op.is_null() {
            return Err(py_error(self.py));
        }
        self.values.push(op);
        Ok(())
    }

    /// At a `[` or `{`: would it nest deeper than allowed (empty containers count too)?
    #[inline(always)]
    fn check_depth(&self) -> Result<()> {
        if self.frames.len() >= self.max_depth {
            return Err(syntax("maximum nesting depth exceeded", self.pos));
        }
        Ok(())
    }

    #[inline(always)]
    fn open(&mut self, is_dict: bool) {
        self.frames.push(Frame { start: self.values.len(), is_dict });
    }

    /// The main loop: parse a value, then close every container that ends after it.
    fn run(&mut self) -> Result<()> {
        self.pos = skip_ws(self.data, self.pos);
        'value: loop {
            let op = match self.peek() {
                b'"' => self.string_value()?,
                b'{' => {
                    self.check_depth()?;
                    self.pos = skip_ws(self.data, self.pos + 1);
                    if self.peek() == b'}' {
                        self.pos += 1;
                        unsafe { ffi::PyDict_New() }
                    } else {
                        self.open(true);
                        self.key_and_colon()?;
                        continue 'value;
                    }
                }
                b'[' => {
                    self.check_depth()?;
                    self.pos = skip_ws(self.data, self.pos + 1);
                    if self.peek() == b']' {
                        self.pos += 1;
                        unsafe { ffi::PyList_New(0) }
                    } else {
                        self.open(false);
                        continue 'value;
                    }
                }
                b'-' | b'0'..=b'9' => self.number()?,
                b't' => self.literal(b"true", unsafe { ffi::Py_True() })?,
                b'f' => self.literal(b"false", unsafe { ffi::Py_False() })?,
                b'n' => self.literal(b"null", unsafe { ffi::Py_None() })?,
                _ => return Err(self.expecting_value()),
            };
            self.push(op)?;
            // After a value: a comma continues the innermost container, a closing bracket
            // finishes it (and the loop goes on with the container that held it).
            loop {
                let Some(&frame) = self.frames.last() else { return Ok(()) };
                self.pos = skip_ws(self.data, self.pos);
                let c = self.peek();
                if c == b',' {
                    self.pos = skip_ws(self.data, self.pos + 1);
                    if frame.is_dict {
                        if self.peek() == b'}' {
                            return Err(syntax("Trailing comma before end of object", self.pos));
                        }
                        self.key_and_colon()?;
                    } else if self.peek() == b']' {
                        return Err(syntax("Trailing comma before end of array", self.pos));
                    }
                    continue 'value;
                }
                let op = if frame.is_dict && c == b'}' {
                    self.build_dict(frame.start)?
                } else if !frame.is_dict && c == b']' {
                    self.build_list(frame.start)?
                } else {
                    return Err(syntax("Expecting ',' delimiter", self.pos));
                };
                self.pos += 1;
                self.frames.pop();
                self.values.push(op);
            }
        }
    }

    #[cold]
    fn expecting_value(&self) -> Error {
        let rest = &self.data[self.pos..];
        let msg = if rest.starts_with(b"NaN") {
            "NaN is not valid JSON"
        } else if rest.starts_with(b"Infinity") {
            "Infinity is not valid JSON"
        } else if rest.first() == Some(&b'\'') {
            "Expecting value (strings must use double quotes)"
        } else if rest.starts_with(b"//") || rest.starts_with(b"/*") {
            "Expecting value (comments are not allowed)"
        } else {
            "Expecting value"
        };
        syntax(msg, self.pos)
    }

    #[inline(always)]
    fn literal(&mut self, word: &[u8], obj: *mut ffi::PyObject) -> Result<*mut ffi::PyObject> {
        if self.data[self.pos..].starts_with(word) {
            self.pos += word.len();
            unsafe { ffi::Py_INCREF(obj) };
            Ok(obj)
        } else {
            Err(self.expecting_value())
        }
    }

    /// Moves the items above `start` on the value stack into a new list.
    #[inline(always)]
    fn build_list(&mut self, start: usize) -> Result<*mut ffi::PyObject> {
        let n = self.values.len() - start;
        let list = unsafe { ffi::PyList_New(n as ffi::Py_ssize_t) };
        if list.is_null() {
            return Err(py_error(self.py));
        }
        unsafe {
            // SAFETY: a new list of exactly n NULL slots takes ownership of the n references.
            ptr::copy_nonoverlapping(self.values.as_ptr().add(start), (*(list as *mut ffi::PyListObject)).ob_item, n);
            self.values.set_len(start);
        }
        Ok(list)
    }

    /// Inserts the key/value pairs above `start` on the value stack into a new dict, in order
    /// (so a repeated key keeps its first position and its last value, as in stdlib `json`).
    #[inline(always)]
    fn build_dict(&mut self, start: usize) -> Result<*mut ffi::PyObject> {
        // Presized: no rehashing while the items go in.
        let dict = unsafe { _PyDict_NewPresized(((self.values.len() - start) / 2) as ffi::Py_ssize_t) };
        if dict.is_null() {
            return Err(py_error(self.py));
        }
        let mut failed = false;
        unsafe {
            let items = self.values.as_ptr().add(start);
            let n = self.values.len() - start;
            let mut i = 0;
            while i + 1 < n {
                let k = *items.add(i);
                let v = *items.add(i + 1);
                if !failed && ffi::PyDict_SetItem(dict, k, v) != 0 {
                    failed = true;
                }
                ffi::Py_DECREF(k);
                ffi::Py_DECREF(v);
                i += 2;
            }
            self.values.set_len(start);
            if failed {
                ffi::Py_DECREF(dict);
                return Err(py_error(self.py));
            }
        }
        Ok(dict)
    }

    /// At a `"` that starts an object key: push the key, then consume `:` and whitespace.
    #[inline(always)]
    fn key_and_colon(&mut self) -> Result<()> {
        if self.peek() != b'"' {
            return Err(syntax("Expecting property name enclosed in double quotes", self.pos));
        }
        let open = self.pos;
        let start = open + 1;
        let (end, high) = string_run(self.data, start);
        let op = if self.data.get(end) == Some(&b'"') && !high && end - start <= KEY_CACHE_MAX_LEN {
            self.pos = end + 1;
            let key = &self.data[start..end];
            match self.keys.as_mut() {
                Some(cache) => unsafe { cache.get(key) },
                None => unsafe { pystr::ascii(key) },
            }
        } else {
            self.string_slow(open, end, high)?
        };
        self.push(op)?;
        self.pos = skip_ws(self.data, self.pos);
        if self.peek() != b':' {
            return Err(syntax("Expecting ':' delimiter", self.pos));
        }
        self.pos = skip_ws(self.data, self.pos + 1);
        Ok(())
    }

    #[inline(always)]
    fn string_value(&mut self) -> Result<*mut ffi::PyObject> {
        let open = self.pos;
        let start = open + 1;
        let (end, high) = string_run(self.data, start);
        if self.data.get(end) == Some(&b'"') && !high {
            self.pos = end + 1;
            return Ok(unsafe { pystr::ascii(&self.data[start..end]) });
        }
        self.string_slow(open, end, high)
    }

    /// A string with non-ASCII text or escapes, or an error. `end` is where the first run of
    /// plain bytes after the opening quote at `open` stopped; `high` whether it had non-ASCII.
    fn string_slow(&mut self, open: usize, mut end: usize, high: bool) -> Result<*mut ffi::PyObject> {
        let start = open + 1;
        let data = self.data;
        if high {
            validate_utf8(&data[start..end], start)?;
        }
        if data.get(end) == Some(&b'"') {
            self.pos = end + 1;
            return Ok(unsafe { pystr::utf8(&data[start..end]) });
        }
        // Escapes: unescape into the scratch buffer as UTF-8, run by run.
        let mut buf = std::mem::take(&mut self.scratch);
        buf.clear();
        buf.extend_from_slice(&data[start..end]);
        let result = loop {
            match data.get(end) {
                Some(b'"') => {
                    self.pos = end + 1;
                    break Ok(unsafe { pystr::utf8(&buf) });
                }
                Some(b'\\') => match self.escape(end, &mut buf) {
                    Ok(next) => {
                        let (run_end, high) = string_run(data, next);
                        if high {
                            if let Err(e) = validate_utf8(&data[next..run_end], next) {
                                break Err(e);
                            }
                        }
                        buf.extend_from_slice(&data[next..run_end]);
                        end = run_end;
                    }
                    Err(e) => break Err(e),
                },
                Some(_) => break Err(syntax("Invalid control character at", end)),
                None => break Err(syntax("Unterminated string starting at", open)),
            }
        };
        self.scratch = buf;
        result
    }

    /// Decodes the escape at `at` (a backslash) into `buf`; returns the offset after it.
    fn escape(&self, at: usize, buf: &mut Vec<u8>) -> Result<usize> {
        let data = self.data;
        let c = match data.get(at + 1) {
            Some(&c) => c,
            None => return Err(syntax("Unterminated string starting at", at)),
        };
        let byte = match c {
            b'"' => b'"',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 0x08,
            b'f' => 0x0C,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                let hi = hex4(data, at + 2).ok_or_else(|| syntax("Invalid \\uXXXX escape", at))?;
                let mut next = at + 6;
                let cp = if (0xD800..0xDC00).contains(&hi) {
                    let lo = if data.get(next) == Some(&b'\\') && data.get(next + 1) == Some(&b'u') {
                        hex4(data, next + 2).ok_or_else(|| syntax("Invalid \\uXXXX escape", next))?
                    } else {
                        0
                    };
                    if !(0xDC00..0xE000).contains(&lo) {
                        return Err(syntax("Invalid \\uXXXX escape: lone surrogate", at));
                    }
                    next += 6;
                    0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                } else if (0xDC00..0xE000).contains(&hi) {
                    return Err(syntax("Invalid \\uXXXX escape: lone surrogate", at));
                } else {
                    hi
                };
                let ch = char::from_u32(cp).ok_or_else(|| syntax("Invalid \\uXXXX escape", at))?;
                let mut tmp = [0u8; 4];
                buf.extend_from_slice(ch.encode_utf8(&mut tmp).as_bytes());
                return Ok(next);
            }
            _ => return Err(syntax("Invalid \\escape", at)),
        };
        buf.push(byte);
        Ok(at + 2)
    }

    fn number(&mut self) -> Result<*mut ffi::PyObject> {
        let start = self.pos;
        let (num, end) = number::parse(self.data, start).map_err(|(msg, pos)| syntax(msg, pos))?;
        self.pos = end;
        Ok(match num {
            Number::Int(v) => unsafe { ffi::PyLong_FromLongLong(v) },
            Number::Float(v) => unsafe { ffi::PyFloat_FromDouble(v) },
            Number::BigInt => self.big_int(start, end)?,
        })
    }

    /// An int too large for i64, through Python's own parser (so that the interpreter's limit on
    /// int digits, `sys.set_int_max_str_digits`, still applies).
    #[cold]
    fn big_int(&mut self, start: usize, end: usize) -> Result<*mut ffi::PyObject> {
        let mut text = Vec::with_capacity(end - start + 1);
        text.extend_from_slice(&self.data[start..end]);
        text.push(0);
        let op = unsafe { ffi::PyLong_FromString(text.as_ptr() as *const _, ptr::null_mut(), 10) };
        if op.is_null() {
            let err = PyErr::fetch(self.py);
            return Err(syntax(&err.value(self.py).to_string(), start));
        }
        Ok(op)
    }
}

/// Validates a run of string bytes that has non-ASCII in it. SIMD validation (simdutf8) pays for
/// itself on text-heavy documents; the error position is only computed on failure.
#[inline]
fn validate_utf8(s: &[u8], offset: usize) -> Result<()> {
    if simdutf8::basic::from_utf8(s).is_ok() {
        return Ok(());
    }
    let valid_up_to = std::str::from_utf8(s).err().map_or(0, |e| e.valid_up_to());
    Err(syntax("Invalid UTF-8", offset + valid_up_to))
}

extern "C" {
    /// A dict with room for `minused` items without resizing. Private but exported by every
    /// CPython this extension supports (3.10 to 3.14); orjson relies on it too.
    fn _PyDict_NewPresized(minused: ffi::Py_ssize_t) -> *mut ffi::PyObject;
}

#[inline]
fn hex4(data: &[u8], at: usize) -> Option<u32> {
    let h = data.get(at..at + 4)?;
    let mut v = 0u32;
    for &c in h {
        let d = (c as char).to_digit(16)?;
        v = v * 16 + d;
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repr(data: &[u8]) -> std::result::Result<String, String> {
        Python::initialize();
        Python::attach(|py| match parse(py, data, 8) {
            Ok(obj) => Ok(obj.repr().map(|r| r.to_string()).unwrap_or_default()),
            Err(e) => match *e.0 {
                ErrorKind::Syntax(msg, pos) => Err(format!("{msg}@{pos}")),
                ErrorKind::Python(err) => Err(err.to_string()),
            },
        })
    }

    #[test]
    fn builds_objects() {
        assert_eq!(repr(br#"{"a": [1, 2.5, "x\u00e9", true, null], "a": {}}"#).unwrap(), "{'a': {}}");
        assert_eq!(repr(br#"[{"k":"v"},{"k":"w"},[],[[]]]"#).unwrap(), "[{'k': 'v'}, {'k': 'w'}, [], [[]]]");
        assert_eq!(repr("\"日本\\ud83d\\ude00\"".as_bytes()).unwrap(), "'日本😀'");
        assert_eq!(repr(b"-0.0").unwrap(), "-0.0");
        assert_eq!(repr(b"123456789012345678901234567890").unwrap(), "123456789012345678901234567890");
    }

    #[test]
    fn reports_syntax_errors_with_byte_offsets() {
        assert_eq!(repr(b"[1,]").unwrap_err(), "Trailing comma before end of array@3");
        assert_eq!(repr(b"[1] x").unwrap_err(), "Extra data@4");
        assert_eq!(repr(b"").unwrap_err(), "Expecting value@0");
        assert_eq!(repr(b"\"\xff\"").unwrap_err(), "Invalid UTF-8@1");
        assert_eq!(repr(b"[[[[[[[[[]]]]]]]]]").unwrap_err(), "maximum nesting depth exceeded@8");
        assert_eq!(repr(b"[[[[[[[[]]]]]]]]").unwrap(), "[[[[[[[[]]]]]]]]");
        assert_eq!(repr(b"\"\\ud800\"").unwrap_err(), "Invalid \\uXXXX escape: lone surrogate@1");
    }
}
