//! The serializer: dispatch on exact type pointers for JSON's own types (str, int, bool, None,
//! float, list, dict, tuple), then subclasses and the extra types, then `default`.
//!
//! Objects are read through the C API with borrowed pointers. Wherever Python code can run
//! (`default`, `utcoffset`, `Enum.value`, dataclass attributes, a dict subclass's `items()`)
//! the object concerned is held by a strong reference, and so is every container being
//! walked, so that code mutating the input cannot free what is still being read.
//!
//! `PRETTY` selects stdlib's `indent` layout at compile time, keeping the compact path lean.

use std::cmp::Ordering;
use std::ptr;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::ffi;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};

use super::escape;
use super::number::{self, NUMBER_CAPACITY};
use super::types;
use super::writer::Writer;
use crate::errors::JSON_ENCODE_ERROR;

/// Containers, `default` calls, Enum values and dataclasses nested deeper than this are refused
/// (a circular reference always ends here too); it keeps the native stack bounded.
pub const MAX_DEPTH: usize = 1024;

/// Each level takes a few hundred bytes of native stack (more in a debug build), and a Python
/// thread's stack may be small (`threading.stack_size`): every `STACK_CHECK_EVERY` levels the
/// serializer makes sure this much stack is left (room for a `default` call into Python too)
/// and refuses to go deeper otherwise, rather than crash the process.
const STACK_RESERVE: usize = 128 * 1024;
const STACK_CHECK_EVERY: usize = 8;

/// A failure inside the serializer. The error is boxed so that `Result<(), Fail>` is one
/// pointer, returned in a register through the whole recursion (a `PyErr` is several words
/// and would go through memory at every level).
pub struct Fail(pub Box<PyErr>);

impl From<PyErr> for Fail {
    #[cold]
    fn from(e: PyErr) -> Self {
        Fail(Box::new(e))
    }
}

pub type R = Result<(), Fail>;

/// The hot paths pass the output cursor along (see `Writer::room`): they take the position to
/// write at and return the position after what they wrote.
pub type P = Result<*mut u8, Fail>;

pub struct Ser<'py> {
    pub py: Python<'py>,
    pub w: Writer<'py>,
    /// `default=` (null when not given).
    pub default: *mut ffi::PyObject,
    /// `passthrough=`: a tuple of types whose instances go to `default` instead of being
    /// written natively (null when not given or empty).
    pub passthrough: *mut ffi::PyObject,
    /// One level of indentation (`PRETTY` only).
    pub indent: Vec<u8>,
    pub level: usize,
    pub depth: usize,
    pub sort_keys: bool,
    pub nan_as_null: bool,
    pub ensure_ascii: bool,
    /// `dumps_str`: lone surrogates can be carried to the `str` result.
    pub str_output: bool,
    /// Non-ASCII bytes were written (lets `dumps_str` skip UTF-8 decoding).
    pub nonascii: bool,
    /// The depth limit was hit: frames record the objects they hold while unwinding, so the
    /// error can tell a circular reference from plain deep nesting.
    pub overflow: bool,
    /// The overflow came from the thread's stack running low, not from `MAX_DEPTH`.
    pub stack_low: bool,
    pub chain: Vec<usize>,
}

#[inline(always)]
fn encode_err(py: Python<'_>, msg: String) -> PyErr {
    JSON_ENCODE_ERROR.err(py, (msg,))
}

#[inline(always)]
unsafe fn ty(o: *mut ffi::PyObject) -> *mut ffi::PyTypeObject {
    ffi::Py_TYPE(o)
}

macro_rules! exact {
    ($t:ident) => {
        &raw mut ffi::$t
    };
}

/// A type's `__name__`, for error messages.
fn type_name(py: Python<'_>, o: *mut ffi::PyObject) -> String {
    unsafe { Bound::from_borrowed_ptr(py, o) }
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".to_owned())
}

/// A type's `tp_name` (what stdlib's C encoder puts in its key error message).
fn tp_name(o: *mut ffi::PyObject) -> String {
    unsafe {
        let name = (*ffi::Py_TYPE(o)).tp_name;
        if name.is_null() {
            return "?".to_owned();
        }
        std::ffi::CStr::from_ptr(name).to_string_lossy().into_owned()
    }
}

/// The code points of a str, for sorting keys.
struct StrData {
    kind: u32,
    data: *const u8,
    len: usize,
}

impl StrData {
    unsafe fn of(s: *mut ffi::PyObject) -> Option<Self> {
        // A no-op since 3.12; before, legacy strings may need their canonical form built.
        #[allow(deprecated)]
        if ffi::PyUnicode_READY(s) != 0 {
            return None;
        }
        Some(Self {
            kind: ffi::PyUnicode_KIND(s),
            data: ffi::PyUnicode_DATA(s) as *const u8,
            len: ffi::PyUnicode_GET_LENGTH(s) as usize,
        })
    }
    #[inline]
    unsafe fn at(&self, i: usize) -> u32 {
        match self.kind {
            1 => *self.data.add(i) as u32,
            2 => *(self.data as *const u16).add(i) as u32,
            _ => *(self.data as *const u32).add(i),
        }
    }
    /// Python's str ordering: by code point.
    fn cmp(&self, other: &Self) -> Ordering {
        unsafe {
            if self.kind == 1 && other.kind == 1 {
                let a = std::slice::from_raw_parts(self.data, self.len);
                let b = std::slice::from_raw_parts(other.data, other.len);
                return a.cmp(b);
            }
            let n = self.len.min(other.len);
            for i in 0..n {
                match self.at(i).cmp(&other.at(i)) {
                    Ordering::Equal => {}
                    o => return o,
                }
            }
            self.len.cmp(&other.len)
        }
    }
}

impl<'py> Ser<'py> {
    // ---------------------------------------------------------------- cursor plumbing

    /// Runs a path written against `self.w` (cold or rare paths) from a hot path's cursor.
    #[inline(always)]
    unsafe fn cold_at(&mut self, p: *mut u8, f: impl FnOnce(&mut Self) -> R) -> P {
        self.w.set_end(p);
        f(self)?;
        Ok(self.w.end())
    }

    /// Runs a cursor path from a path written against `self.w`.
    #[inline(always)]
    unsafe fn synced(&mut self, f: impl FnOnce(&mut Self, *mut u8) -> P) -> R {
        let p = self.w.end();
        let e = f(self, p)?;
        self.w.set_end(e);
        Ok(())
    }

    /// A short literal (`null`, `true`, `[]`...).
    #[inline(always)]
    unsafe fn lit(&mut self, p: *mut u8, s: &[u8]) -> P {
        let p = self.w.room(p, s.len())?;
        ptr::copy_nonoverlapping(s.as_ptr(), p, s.len());
        Ok(p.add(s.len()))
    }

    /// One byte of punctuation.
    #[inline(always)]
    unsafe fn byte(&mut self, p: *mut u8, b: u8) -> P {
        let p = self.w.room(p, 1)?;
        *p = b;
        Ok(p.add(1))
    }

    // ---------------------------------------------------------------- scalars

    #[inline(always)]
    unsafe fn write_str(&mut self, s: *mut ffi::PyObject, p: *mut u8) -> P {
        if ffi::PyUnicode_IS_COMPACT_ASCII(s) != 0 {
            let len = (*(s as *mut ffi::PyASCIIObject)).length as usize;
            let data = (s as *mut ffi::PyASCIIObject).add(1) as *const u8;
            self.write_ascii(data, len, p)
        } else {
            self.cold_at(p, |me| me.write_str_slow(s))
        }
    }

    #[inline(always)]
    unsafe fn write_ascii(&mut self, data: *const u8, len: usize, p: *mut u8) -> P {
        let d = self.w.room(p, escaped_room(len, 6, 32))?;
        *d = b'"';
        let e = if self.ensure_ascii {
            escape::escape_bytes::<true>(d.add(1), data, len)
        } else {
            escape::escape_bytes::<false>(d.add(1), data, len)
        };
        *e = b'"';
        Ok(e.add(1))
    }

    /// A str from a path written against `self.w`.
    unsafe fn write_str_synced(&mut self, s: *mut ffi::PyObject) -> R {
        self.synced(|me, p| me.write_str(s, p))
    }

    #[inline(never)]
    unsafe fn write_str_slow(&mut self, s: *mut ffi::PyObject) -> R {
        let Some(sd) = StrData::of(s) else {
            return Err(PyErr::fetch(self.py).into());
        };
        if ffi::PyUnicode_IS_ASCII(s) != 0 {
            return self.synced(|me, p| me.write_ascii(sd.data, sd.len, p));
        }
        if self.ensure_ascii {
            self.w.reserve(sd.len.saturating_mul(12).saturating_add(32))?;
            let d = self.w.end();
            *d = b'"';
            let e = escape::escape_ucs_ascii(d.add(1), sd.kind, sd.data, sd.len);
            *e = b'"';
            self.w.set_end(e.add(1));
            return Ok(());
        }
        self.nonascii = true;
        // UTF-8, cached in the str object by CPython after the first encoding (as orjson does).
        let mut n: ffi::Py_ssize_t = 0;
        let utf8 = ffi::PyUnicode_AsUTF8AndSize(s, &mut n);
        if !utf8.is_null() {
            let n = n as usize;
            self.w.reserve(n.saturating_mul(6).saturating_add(32))?;
            let d = self.w.end();
            *d = b'"';
            let e = escape::escape_bytes::<false>(d.add(1), utf8 as *const u8, n);
            *e = b'"';
            self.w.set_end(e.add(1));
            return Ok(());
        }
        // Lone surrogates: only a str result can hold them.
        let err = PyErr::fetch(self.py);
        if !self.str_output {
            let e = encode_err(self.py, "str is not valid UTF-8: surrogates not allowed".to_owned());
            e.set_cause(self.py, Some(err));
            return Err(e.into());
        }
        self.w.reserve(sd.len.saturating_mul(6).saturating_add(32))?;
        let d = self.w.end();
        *d = b'"';
        let e = escape::escape_ucs_utf8(d.add(1), sd.kind, sd.data, sd.len);
        *e = b'"';
        self.w.set_end(e.add(1));
        Ok(())
    }

    /// An int (or int subclass) as its decimal value.
    #[inline(always)]
    unsafe fn write_int(&mut self, o: *mut ffi::PyObject, p: *mut u8) -> P {
        let v = match small_int(o) {
            Some(v) => v,
            None => {
                let mut overflow: std::os::raw::c_int = 0;
                let v = ffi::PyLong_AsLongLongAndOverflow(o, &mut overflow);
                if overflow != 0 || (v == -1 && !ffi::PyErr_Occurred().is_null()) {
                    return self.cold_at(p, |me| me.write_big_int(o));
                }
                v
            }
        };
        let p = self.w.room(p, NUMBER_CAPACITY)?;
        Ok(number::write_i64(p, v))
    }

    #[inline(never)]
    unsafe fn write_big_int(&mut self, o: *mut ffi::PyObject) -> R {
        if !ffi::PyErr_Occurred().is_null() {
            return Err(PyErr::fetch(self.py).into());
        }
        let text = self.int_text(o)?;
        self.w.write(text.to_str()?.as_bytes())
    }

    /// `int.__repr__(o)`, as stdlib uses (never a subclass's own `__repr__`). Raises stdlib's
    /// ValueError beyond `sys.get_int_max_str_digits()`.
    unsafe fn int_text(&self, o: *mut ffi::PyObject) -> PyResult<Bound<'py, PyString>> {
        let repr = (*exact!(PyLong_Type)).tp_repr;
        let Some(repr) = repr else {
            return Err(PyTypeError::new_err("int has no repr"));
        };
        let r = repr(o);
        if r.is_null() {
            return Err(PyErr::fetch(self.py));
        }
        Ok(Bound::from_owned_ptr(self.py, r).cast_into_unchecked())
    }

    #[inline(always)]
    unsafe fn write_float(&mut self, v: f64, p: *mut u8) -> P {
        if !v.is_finite() {
            return self.cold_at(p, |me| me.non_finite(v));
        }
        let p = self.w.room(p, NUMBER_CAPACITY)?;
        Ok(number::write_float(p, v))
    }

    #[cold]
    fn non_finite(&mut self, v: f64) -> R {
        if self.nan_as_null {
            return self.w.write(b"null");
        }
        Err(encode_err(self.py, format!("Out of range float values are not JSON compliant: {}", nonfinite_repr(v))).into())
    }

    // ---------------------------------------------------------------- dispatch

    /// Serializes any object at cursor `p`.
    #[inline(always)]
    pub unsafe fn value_at<const PRETTY: bool>(&mut self, o: *mut ffi::PyObject, p: *mut u8) -> P {
        let t = ty(o);
        if t == exact!(PyUnicode_Type) {
            self.write_str(o, p)
        } else if t == exact!(PyLong_Type) {
            self.write_int(o, p)
        } else if t == exact!(PyBool_Type) {
            self.lit(p, if o == ffi::Py_True() { b"true" } else { b"false" })
        } else if o == ffi::Py_None() {
            self.lit(p, b"null")
        } else if t == exact!(PyFloat_Type) {
            self.write_float(ffi::PyFloat_AS_DOUBLE(o), p)
        } else if t == exact!(PyList_Type) {
            self.list::<PRETTY>(o, p)
        } else if t == exact!(PyDict_Type) {
            self.dict::<PRETTY>(o, p)
        } else if t == exact!(PyTuple_Type) {
            self.tuple::<PRETTY>(o, p)
        } else {
            self.cold_at(p, |me| me.other::<PRETTY>(o))
        }
    }

    /// Serializes any object (from a path written against `self.w`).
    #[inline(never)]
    pub unsafe fn value<const PRETTY: bool>(&mut self, o: *mut ffi::PyObject) -> R {
        self.synced(|me, p| me.value_at::<PRETTY>(o, p))
    }

    #[inline(always)]
    fn enter(&mut self) -> R {
        self.depth += 1;
        if self.depth % STACK_CHECK_EVERY == 0
            && stacker::remaining_stack().is_some_and(|left| left < STACK_RESERVE)
        {
            self.stack_low = true;
        }
        if self.depth > MAX_DEPTH || self.stack_low {
            self.overflow = true;
            // Replaced by the real message at the top (see `depth_error`).
            return Err(PyValueError::new_err("").into());
        }
        Ok(())
    }

    /// Leaves a level; on error after an overflow, records `id` for the circularity check.
    #[inline(always)]
    fn leave(&mut self, r: R, id: *mut ffi::PyObject) -> R {
        self.depth -= 1;
        if r.is_err() && self.overflow {
            self.chain.push(id as usize);
        }
        r
    }

    /// `leave` for the cursor paths.
    #[inline(always)]
    fn leave_at(&mut self, r: P, id: *mut ffi::PyObject) -> P {
        self.depth -= 1;
        if r.is_err() && self.overflow {
            self.chain.push(id as usize);
        }
        r
    }

    /// The error for an overflow: stdlib's "Circular reference detected" when an object
    /// repeats on the path, else a depth message.
    pub fn depth_error(&mut self) -> PyErr {
        let mut ids = std::mem::take(&mut self.chain);
        ids.sort_unstable();
        let circular = ids.windows(2).any(|w| w[0] == w[1]);
        if circular {
            encode_err(self.py, "Circular reference detected".to_owned())
        } else if self.stack_low {
            encode_err(self.py, "Maximum nesting depth exceeded (the thread's stack is too small for more)".to_owned())
        } else {
            encode_err(self.py, format!("Maximum nesting depth exceeded ({MAX_DEPTH} levels)"))
        }
    }

    /// Newline and indentation for the current level (`PRETTY` only).
    #[inline(always)]
    fn newline(&mut self) -> R {
        let n = self.indent.len().saturating_mul(self.level).saturating_add(1);
        self.w.reserve(n)?;
        unsafe {
            self.w.push(b'\n');
            for _ in 0..self.level {
                self.w.extend(&*(self.indent.as_slice() as *const [u8]));
            }
        }
        Ok(())
    }

    // ---------------------------------------------------------------- containers

    #[inline(never)]
    unsafe fn list<const PRETTY: bool>(&mut self, o: *mut ffi::PyObject, p: *mut u8) -> P {
        self.enter()?;
        ffi::Py_INCREF(o);
        let r = self.seq_body::<PRETTY, true>(o, p);
        ffi::Py_DECREF(o);
        self.leave_at(r, o)
    }

    #[inline(never)]
    unsafe fn tuple<const PRETTY: bool>(&mut self, o: *mut ffi::PyObject, p: *mut u8) -> P {
        self.enter()?;
        ffi::Py_INCREF(o);
        let r = self.seq_body::<PRETTY, false>(o, p);
        ffi::Py_DECREF(o);
        self.leave_at(r, o)
    }

    /// A list or tuple (or subclass: their own storage, as stdlib's C encoder reads it).
    /// A list's length is re-read at every step: Python code run for an item may shrink it.
    #[inline(always)]
    unsafe fn seq_body<const PRETTY: bool, const LIST: bool>(&mut self, o: *mut ffi::PyObject, mut p: *mut u8) -> P {
        let len = |o| if LIST { ffi::PyList_GET_SIZE(o) } else { ffi::PyTuple_GET_SIZE(o) } as usize;
        if len(o) == 0 {
            return self.lit(p, b"[]");
        }
        p = self.byte(p, b'[')?;
        if PRETTY {
            self.level += 1;
        }
        let mut i = 0usize;
        while i < len(o) {
            let item = if LIST { ffi::PyList_GET_ITEM(o, i as ffi::Py_ssize_t) } else { ffi::PyTuple_GET_ITEM(o, i as ffi::Py_ssize_t) };
            if i != 0 {
                p = self.byte(p, b',')?;
            }
            if PRETTY {
                p = self.cold_at(p, |me| me.newline())?;
            }
            p = self.value_at::<PRETTY>(item, p)?;
            i += 1;
        }
        if PRETTY {
            self.level -= 1;
            if i != 0 {
                p = self.cold_at(p, |me| me.newline())?;
            }
        }
        self.byte(p, b']')
    }

    #[inline(never)]
    unsafe fn dict<const PRETTY: bool>(&mut self, o: *mut ffi::PyObject, p: *mut u8) -> P {
        self.enter()?;
        ffi::Py_INCREF(o);
        let r = if self.sort_keys {
            self.cold_at(p, |me| me.dict_sorted::<PRETTY>(o))
        } else {
            self.dict_body::<PRETTY>(o, p)
        };
        ffi::Py_DECREF(o);
        self.leave_at(r, o)
    }

    #[inline(always)]
    unsafe fn open_brace<const PRETTY: bool>(&mut self) -> R {
        self.w.reserve(1)?;
        self.w.push(b'{');
        if PRETTY {
            self.level += 1;
        }
        Ok(())
    }

    #[inline(always)]
    unsafe fn close_brace<const PRETTY: bool>(&mut self, any: bool) -> R {
        if PRETTY {
            self.level -= 1;
            if any {
                self.newline()?;
            }
        }
        self.w.write(b"}")
    }

    /// `,` (unless first), newline, key, `:` — the key being written is borrowed.
    #[inline(always)]
    unsafe fn member_key<const PRETTY: bool>(&mut self, first: bool, key: *mut ffi::PyObject, mut p: *mut u8) -> P {
        if !PRETTY && ty(key) == exact!(PyUnicode_Type) && ffi::PyUnicode_IS_COMPACT_ASCII(key) != 0 {
            // The common member: one capacity check for `,"key":`.
            let len = (*(key as *mut ffi::PyASCIIObject)).length as usize;
            let data = (key as *mut ffi::PyASCIIObject).add(1) as *const u8;
            p = self.w.room(p, escaped_room(len, 6, 32 + 2))?;
            *p = b',';
            p = p.add(usize::from(!first));
            *p = b'"';
            let e = if self.ensure_ascii {
                escape::escape_bytes::<true>(p.add(1), data, len)
            } else {
                escape::escape_bytes::<false>(p.add(1), data, len)
            };
            *e = b'"';
            *e.add(1) = b':';
            return Ok(e.add(2));
        }
        if !first {
            p = self.byte(p, b',')?;
        }
        if PRETTY {
            p = self.cold_at(p, |me| me.newline())?;
        }
        p = if ty(key) == exact!(PyUnicode_Type) {
            self.write_str(key, p)?
        } else {
            self.cold_at(p, |me| me.write_other_key(key))?
        };
        if PRETTY {
            self.lit(p, b": ")
        } else {
            self.byte(p, b':')
        }
    }

    #[inline(always)]
    unsafe fn dict_body<const PRETTY: bool>(&mut self, o: *mut ffi::PyObject, mut p: *mut u8) -> P {
        if ty(o) != exact!(PyDict_Type) {
            return self.cold_at(p, |me| me.dict_items::<PRETTY>(o));
        }
        if (*(o as *mut ffi::PyDictObject)).ma_used == 0 {
            return self.lit(p, b"{}");
        }
        p = self.byte(p, b'{')?;
        if PRETTY {
            self.level += 1;
        }
        let mut pos: ffi::Py_ssize_t = 0;
        let mut key: *mut ffi::PyObject = ptr::null_mut();
        let mut val: *mut ffi::PyObject = ptr::null_mut();
        let mut first = true;
        while dict_next(o, &mut pos, &mut key, &mut val) != 0 {
            p = self.member_key::<PRETTY>(first, key, p)?;
            first = false;
            p = self.value_at::<PRETTY>(val, p)?;
        }
        if PRETTY {
            self.level -= 1;
            if !first {
                p = self.cold_at(p, |me| me.newline())?;
            }
        }
        self.byte(p, b'}')
    }

    /// A dict subclass: its `items()`, as stdlib does (an OrderedDict's own order).
    #[inline(never)]
    unsafe fn dict_items<const PRETTY: bool>(&mut self, o: *mut ffi::PyObject) -> R {
        let items = self.items_of(o)?;
        self.open_brace::<PRETTY>()?;
        let mut first = true;
        for (k, v) in &items {
            self.synced(|me, p| me.member_key::<PRETTY>(first, k.as_ptr(), p))?;
            first = false;
            self.value::<PRETTY>(v.as_ptr())?;
        }
        self.close_brace::<PRETTY>(!first)
    }

    /// The (key, value) pairs of a dict or dict subclass, held strongly.
    unsafe fn items_of(&self, o: *mut ffi::PyObject) -> PyResult<Vec<(Bound<'py, PyAny>, Bound<'py, PyAny>)>> {
        let py = self.py;
        let mut out = Vec::new();
        if ty(o) == exact!(PyDict_Type) {
            let mut pos: ffi::Py_ssize_t = 0;
            let mut key: *mut ffi::PyObject = ptr::null_mut();
            let mut val: *mut ffi::PyObject = ptr::null_mut();
            out.reserve((*(o as *mut ffi::PyDictObject)).ma_used as usize);
            while ffi::PyDict_Next(o, &mut pos, &mut key, &mut val) != 0 {
                out.push((Bound::from_borrowed_ptr(py, key), Bound::from_borrowed_ptr(py, val)));
            }
            return Ok(out);
        }
        let items = ffi::PyMapping_Items(o);
        if items.is_null() {
            return Err(PyErr::fetch(py));
        }
        let items = Bound::from_owned_ptr(py, items).cast_into::<PyList>()?;
        for item in items.iter() {
            let pair = item.cast_into::<PyTuple>()?;
            if pair.len() != 2 {
                return Err(PyValueError::new_err("items() must return (key, value) pairs"));
            }
            out.push((pair.get_item(0)?, pair.get_item(1)?));
        }
        Ok(out)
    }

    /// `sort_keys=True`: str keys by code point (Python's order, as stdlib sorts); other keys
    /// the way stdlib sorts them when Python can compare them, else by their written text.
    #[inline(never)]
    unsafe fn dict_sorted<const PRETTY: bool>(&mut self, o: *mut ffi::PyObject) -> R {
        let mut items = self.items_of(o)?;
        if items.is_empty() {
            return self.w.write(b"{}");
        }
        let all_str = items.iter().all(|(k, _)| ffi::PyUnicode_Check(k.as_ptr()) != 0);
        if all_str {
            let mut keyed = Vec::with_capacity(items.len());
            for (i, (k, _)) in items.iter().enumerate() {
                let Some(sd) = StrData::of(k.as_ptr()) else {
                    return Err(PyErr::fetch(self.py).into());
                };
                keyed.push((sd, i));
            }
            keyed.sort_by(|a, b| a.0.cmp(&b.0));
            let order: Vec<usize> = keyed.into_iter().map(|(_, i)| i).collect();
            items = permute(items, &order);
        } else {
            let order = self.python_order(&items).or_else(|_| self.text_order(&items))?;
            items = permute(items, &order);
        }
        self.open_brace::<PRETTY>()?;
        let mut first = true;
        for (k, v) in &items {
            self.synced(|me, p| me.member_key::<PRETTY>(first, k.as_ptr(), p))?;
            first = false;
            self.value::<PRETTY>(v.as_ptr())?;
        }
        self.close_brace::<PRETTY>(!first)
    }

    /// The order `sorted()` gives the keys (what stdlib writes), if Python can compare them.
    fn python_order(&self, items: &[(Bound<'py, PyAny>, Bound<'py, PyAny>)]) -> PyResult<Vec<usize>> {
        let py = self.py;
        let list = PyList::empty(py);
        for (i, (k, _)) in items.iter().enumerate() {
            list.append((k, i))?;
        }
        list.sort()?;
        let mut order = Vec::with_capacity(items.len());
        for pair in list.iter() {
            order.push(pair.get_item(1)?.extract::<usize>()?);
        }
        Ok(order)
    }

    /// Keys Python cannot order (stdlib raises TypeError): ordered by their written text.
    fn text_order(&self, items: &[(Bound<'py, PyAny>, Bound<'py, PyAny>)]) -> PyResult<Vec<usize>> {
        let mut keyed: Vec<(Vec<u32>, usize)> = Vec::with_capacity(items.len());
        for (i, (k, _)) in items.iter().enumerate() {
            let text: Vec<u32> = if let Ok(s) = k.cast::<PyString>() {
                let sd = unsafe { StrData::of(s.as_ptr()) }.ok_or_else(|| PyErr::fetch(self.py))?;
                (0..sd.len).map(|j| unsafe { sd.at(j) }).collect()
            } else {
                unsafe { self.key_text(k.as_ptr()) }?.bytes().map(u32::from).collect()
            };
            keyed.push((text, i));
        }
        keyed.sort();
        Ok(keyed.into_iter().map(|(_, i)| i).collect())
    }

    /// The text of a non-str key (without quotes), as stdlib writes it.
    unsafe fn key_text(&self, k: *mut ffi::PyObject) -> PyResult<String> {
        if ffi::PyFloat_Check(k) != 0 {
            let v = ffi::PyFloat_AS_DOUBLE(k);
            if !v.is_finite() {
                if self.nan_as_null {
                    return Ok("null".to_owned());
                }
                return Err(encode_err(self.py, format!("Out of range float values are not JSON compliant: {}", nonfinite_repr(v))));
            }
            return Ok(number::float_repr(v));
        }
        if k == ffi::Py_True() {
            return Ok("true".to_owned());
        }
        if k == ffi::Py_False() {
            return Ok("false".to_owned());
        }
        if k == ffi::Py_None() {
            return Ok("null".to_owned());
        }
        if ffi::PyLong_Check(k) != 0 {
            return Ok(self.int_text(k)?.to_str()?.to_owned());
        }
        Err(encode_err(self.py, format!("keys must be str, int, float, bool or None, not {}", tp_name(k))))
    }

    #[inline(never)]
    unsafe fn write_other_key(&mut self, k: *mut ffi::PyObject) -> R {
        if ffi::PyUnicode_Check(k) != 0 {
            return self.write_str_synced(k);
        }
        let text = self.key_text(k)?;
        self.w.reserve(text.len() + 2)?;
        self.w.push(b'"');
        self.w.extend(text.as_bytes());
        self.w.push(b'"');
        Ok(())
    }

    // ---------------------------------------------------------------- everything else

    #[inline(never)]
    unsafe fn other<const PRETTY: bool>(&mut self, o: *mut ffi::PyObject) -> R {
        let py = self.py;
        // Held for as long as Python code may run.
        let obj = Bound::from_borrowed_ptr(py, o);
        let o = obj.as_ptr();
        if ffi::PyUnicode_Check(o) != 0 {
            return self.write_str_synced(o);
        }
        if ffi::PyLong_Check(o) != 0 {
            // bool is exact-typed and handled before; an int subclass (IntEnum...) is its value.
            return self.synced(|me, p| me.write_int(o, p));
        }
        if ffi::PyFloat_Check(o) != 0 {
            return self.synced(|me, p| me.write_float(ffi::PyFloat_AS_DOUBLE(o), p));
        }
        if ffi::PyList_Check(o) != 0 {
            return self.synced(|me, p| me.list::<PRETTY>(o, p));
        }
        if ffi::PyTuple_Check(o) != 0 {
            return self.synced(|me, p| me.tuple::<PRETTY>(o, p));
        }
        if ffi::PyDict_Check(o) != 0 {
            return self.synced(|me, p| me.dict::<PRETTY>(o, p));
        }
        if !self.passthrough.is_null() {
            match ffi::PyObject_IsInstance(o, self.passthrough) {
                0 => {}
                1 => return self.call_default::<PRETTY>(o),
                _ => return Err(PyErr::fetch(py).into()),
            }
        }
        let types = types::types(py)?;
        if ffi::PyDateTime_Check(o) != 0 {
            let text = types::datetime(py, o)?;
            return self.write_plain_str(text.as_slice());
        }
        if ffi::PyDate_Check(o) != 0 {
            return self.write_plain_str(types::date(o).as_slice());
        }
        if ffi::PyTime_Check(o) != 0 {
            let text = types::time(o).map_err(|m| encode_err(py, m.to_owned()))?;
            return self.write_plain_str(text.as_slice());
        }
        let t = ty(o);
        if ffi::PyType_IsSubtype(t, types.uuid.as_ptr() as *mut ffi::PyTypeObject) != 0 {
            let text = types::uuid(&obj)?;
            return self.write_plain_str(text.as_slice());
        }
        if ffi::PyType_IsSubtype(t, types.enum_.as_ptr() as *mut ffi::PyTypeObject) != 0 {
            let value = obj.getattr(intern!(py, "value"))?;
            self.enter()?;
            let r = self.value::<PRETTY>(value.as_ptr());
            return self.leave(r, o);
        }
        if ffi::PyType_IsSubtype(t, types.decimal.as_ptr() as *mut ffi::PyTypeObject) != 0 {
            return self.decimal(&obj);
        }
        let cls = obj.get_type();
        if cls.hasattr(intern!(py, "__dataclass_fields__"))? {
            return self.dataclass::<PRETTY>(&obj, types);
        }
        self.call_default::<PRETTY>(o)
    }

    /// Hand `o` to `default=` and write what it returns (or refuse `o` when there is none).
    unsafe fn call_default<const PRETTY: bool>(&mut self, o: *mut ffi::PyObject) -> R {
        let py = self.py;
        if self.default.is_null() {
            return Err(encode_err(py, format!("Object of type {} is not JSON serializable", type_name(py, o))).into());
        }
        self.enter()?;
        let res = ffi::PyObject_CallOneArg(self.default, o);
        let r = if res.is_null() {
            // default's own exception propagates unchanged.
            Err(PyErr::fetch(py).into())
        } else {
            let res = Bound::from_owned_ptr(py, res);
            self.value::<PRETTY>(res.as_ptr())
        };
        self.leave(r, o)
    }

    /// A str whose text needs no escaping (datetime, UUID...).
    fn write_plain_str(&mut self, text: &[u8]) -> R {
        self.w.reserve(text.len() + 2)?;
        unsafe {
            self.w.push(b'"');
            self.w.extend(text);
            self.w.push(b'"');
        }
        Ok(())
    }

    /// `str(d)` is already a JSON number (`1E+2`, `-0`, `0.10`), except for NaN and Infinity.
    fn decimal(&mut self, obj: &Bound<'py, PyAny>) -> R {
        let text = obj.str()?;
        let s = text.to_str()?;
        let body = s.strip_prefix('-').unwrap_or(s);
        if body.starts_with(|c: char| !c.is_ascii_digit()) {
            if self.nan_as_null {
                return self.w.write(b"null");
            }
            return Err(encode_err(self.py, format!("Out of range Decimal values are not JSON compliant: {s}")).into());
        }
        self.w.write(s.as_bytes())
    }

    /// A dataclass instance: an object of its fields in definition order (not ClassVar or
    /// InitVar pseudo-fields).
    unsafe fn dataclass<const PRETTY: bool>(&mut self, obj: &Bound<'py, PyAny>, types: &types::Types) -> R {
        let py = self.py;
        let fields = obj.get_type().getattr(intern!(py, "__dataclass_fields__"))?;
        let fields = fields.cast_into::<PyDict>().map_err(PyErr::from)?;
        let out = PyDict::new(py);
        let marker = types.dc_field.bind(py);
        for (name, field) in fields.iter() {
            if !field.getattr(intern!(py, "_field_type"))?.is(marker) {
                continue;
            }
            let value = obj.getattr(name.cast::<PyString>().map_err(PyErr::from)?)?;
            out.set_item(name, value)?;
        }
        self.enter()?;
        let r = self.synced(|me, p| me.dict::<PRETTY>(out.as_ptr(), p));
        self.leave(r, obj.as_ptr())
    }
}

/// Room for `len` code units escaped to at most `per` bytes each, plus `extra`. No str can be
/// this long (it would not fit in memory), but the bound keeps the product from overflowing
/// without saturating arithmetic on the hot path (`usize::MAX` makes the reserve fail).
#[inline(always)]
fn escaped_room(len: usize, per: usize, extra: usize) -> usize {
    const MAX_UNITS: usize = usize::MAX / 16; // per <= 12, extra small
    if len > MAX_UNITS {
        usize::MAX
    } else {
        len * per + extra
    }
}

/// The value of an int of at most two 30-bit digits, read from the object (CPython's layout);
/// `None` for anything larger (or where the layout is not known).
#[inline(always)]
unsafe fn small_int(o: *mut ffi::PyObject) -> Option<i64> {
    #[cfg(all(not(Py_3_12), not(any(PyPy, GraalPy, Py_LIMITED_API))))]
    {
        #[repr(C)]
        struct Long {
            ob_base: ffi::PyVarObject,
            digits: [u32; 2],
        }
        let l = o as *const Long;
        let size = (*l).ob_base.ob_size;
        let d = (&raw const (*l).digits) as *const u32;
        return match size {
            0 => Some(0),
            1 => Some(*d as i64),
            -1 => Some(-(*d as i64)),
            2 | -2 => {
                let v = (*d as i64) | ((*d.add(1) as i64) << 30);
                Some(if size < 0 { -v } else { v })
            }
            _ => None,
        };
    }
    #[cfg(all(Py_3_12, not(any(PyPy, GraalPy, Py_LIMITED_API))))]
    {
        #[repr(C)]
        struct Long {
            ob_base: ffi::PyObject,
            lv_tag: usize,
            digits: [u32; 2],
        }
        let l = o as *const Long;
        let tag = (*l).lv_tag;
        let d = (&raw const (*l).digits) as *const u32;
        // tag: digit count << 3 | sign (0 positive, 1 zero, 2 negative)
        let ndigits = tag >> 3;
        if ndigits > 2 {
            return None;
        }
        let mut v = *d as i64;
        if ndigits == 2 {
            v |= (*d.add(1) as i64) << 30;
        }
        return Some(v * (1 - (tag & 3) as i64));
    }
    #[allow(unreachable_code)]
    None
}

#[cfg(all(not(Py_3_13), not(any(PyPy, GraalPy, Py_LIMITED_API))))]
extern "C" {
    // Exported by CPython before 3.13 (PyDict_Next is a wrapper around it); pyo3-ffi omits it.
    fn _PyDict_Next(
        d: *mut ffi::PyObject,
        pos: *mut ffi::Py_ssize_t,
        key: *mut *mut ffi::PyObject,
        value: *mut *mut ffi::PyObject,
        hash: *mut ffi::Py_hash_t,
    ) -> std::os::raw::c_int;
}

/// `PyDict_Next` without its wrapper call where CPython exports the function behind it.
#[inline(always)]
unsafe fn dict_next(
    d: *mut ffi::PyObject,
    pos: &mut ffi::Py_ssize_t,
    key: &mut *mut ffi::PyObject,
    value: &mut *mut ffi::PyObject,
) -> std::os::raw::c_int {
    #[cfg(all(not(Py_3_13), not(any(PyPy, GraalPy, Py_LIMITED_API))))]
    {
        _PyDict_Next(d, pos, key, value, ptr::null_mut())
    }
    #[cfg(not(all(not(Py_3_13), not(any(PyPy, GraalPy, Py_LIMITED_API)))))]
    {
        ffi::PyDict_Next(d, pos, key, value)
    }
}

fn nonfinite_repr(v: f64) -> &'static str {
    if v.is_nan() {
        "nan"
    } else if v > 0.0 {
        "inf"
    } else {
        "-inf"
    }
}

fn permute<T>(items: Vec<T>, order: &[usize]) -> Vec<T> {
    let mut slots: Vec<Option<T>> = items.into_iter().map(Some).collect();
    order.iter().filter_map(|&i| slots.get_mut(i).and_then(Option::take)).collect()
}
