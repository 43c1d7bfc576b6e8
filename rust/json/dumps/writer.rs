//! The output buffer of `dumps`: a `bytes` object written in place and shrunk once at the end,
//! so the result is handed to Python without a final copy (orjson's approach).

use std::os::raw::c_int;
use std::ptr;

use pyo3::ffi;
use pyo3::prelude::*;

use super::ser::{Fail, R};

extern "C" {
    // Exported by every CPython build (PyAPI_FUNC); pyo3-ffi declares it crate-private.
    fn _PyBytes_Resize(bytes: *mut *mut ffi::PyObject, newsize: ffi::Py_ssize_t) -> c_int;
}

/// Small enough that the object (33 bytes of header) comes from CPython's small-object
/// allocator: small results never touch malloc, whose free lists a 1 KiB start fragments
/// (glibc then consolidates on every call, doubling the cost of a small `dumps`).
const INITIAL_CAPACITY: usize = 512 - 40;

/// Up to this capacity the buffer grows fourfold: a 20 KiB page then grows three times
/// instead of six, and the copies of what was already written (7% of the instructions of such a
/// page with doubling, measured with callgrind) mostly go away. Beyond it, doubling.
const FAST_GROWTH_LIMIT: usize = 1 << 20;

/// An owned, not yet shared `bytes` object of `cap` bytes, of which `len` are written.
pub struct Writer<'py> {
    py: Python<'py>,
    obj: *mut ffi::PyObject,
    data: *mut u8,
    len: usize,
    cap: usize,
    /// `data + cap`: what `room` compares the cursor with.
    limit: *mut u8,
}

#[inline(always)]
unsafe fn bytes_data(obj: *mut ffi::PyObject) -> *mut u8 {
    ffi::PyBytes_AS_STRING(obj) as *mut u8
}

impl<'py> Writer<'py> {
    pub fn new(py: Python<'py>) -> PyResult<Self> {
        let obj = unsafe { ffi::PyBytes_FromStringAndSize(ptr::null(), INITIAL_CAPACITY as ffi::Py_ssize_t) };
        if obj.is_null() {
            return Err(PyErr::fetch(py));
        }
        let data = unsafe { bytes_data(obj) };
        Ok(Self { py, obj, data, len: 0, cap: INITIAL_CAPACITY, limit: unsafe { data.add(INITIAL_CAPACITY) } })
    }

    /// Makes room for `n` bytes at cursor `p` (a position in this buffer, at or after everything
    /// written) and returns the cursor, moved with the buffer if it had to grow. The hot paths
    /// of the serializer carry their cursor in a register this way instead of storing and
    /// reloading `len` around every value (a store-forwarding round trip per write).
    #[inline(always)]
    pub fn room(&mut self, p: *mut u8, n: usize) -> Result<*mut u8, Fail> {
        if n <= self.limit as usize - p as usize {
            Ok(p)
        } else {
            self.grow_at(p, n)
        }
    }

    #[cold]
    #[inline(never)]
    fn grow_at(&mut self, p: *mut u8, n: usize) -> Result<*mut u8, Fail> {
        self.len = p as usize - self.data as usize;
        self.grow(n)?;
        Ok(self.end())
    }

    /// Makes room for `n` more bytes; every unchecked write is preceded by a `reserve`.
    #[inline(always)]
    pub fn reserve(&mut self, n: usize) -> R {
        if n <= self.cap - self.len {
            Ok(())
        } else {
            Ok(self.grow(n)?)
        }
    }

    #[cold]
    #[inline(never)]
    fn grow(&mut self, n: usize) -> PyResult<()> {
        let need = self.len.checked_add(n).filter(|&v| v <= isize::MAX as usize / 2);
        let Some(need) = need else {
            return Err(pyo3::exceptions::PyMemoryError::new_err("JSON output too large"));
        };
        // The result is shrunk to its size at the end.
        let factor = if self.cap < FAST_GROWTH_LIMIT { 4 } else { 2 };
        let new_cap = need.max(self.cap.saturating_mul(factor));
        // On failure CPython frees the object, sets the pointer to NULL and raises MemoryError.
        if unsafe { _PyBytes_Resize(&mut self.obj, new_cap as ffi::Py_ssize_t) } != 0 {
            self.obj = ptr::null_mut();
            self.data = ptr::null_mut();
            self.limit = ptr::null_mut();
            self.cap = 0;
            self.len = 0;
            return Err(PyErr::fetch(self.py));
        }
        self.data = unsafe { bytes_data(self.obj) };
        self.cap = new_cap;
        self.limit = unsafe { self.data.add(new_cap) };
        Ok(())
    }

    /// The first unwritten byte (valid for as many bytes as were reserved).
    #[inline(always)]
    pub fn end(&mut self) -> *mut u8 {
        unsafe { self.data.add(self.len) }
    }

    /// Marks everything up to `end` (a pointer obtained from `end()` plus what was written) as written.
    #[inline(always)]
    pub unsafe fn set_end(&mut self, end: *mut u8) {
        self.len = end.offset_from(self.data) as usize;
        debug_assert!(self.len <= self.cap);
    }

    #[inline(always)]
    pub unsafe fn push(&mut self, b: u8) {
        *self.data.add(self.len) = b;
        self.len += 1;
    }

    #[inline(always)]
    pub unsafe fn extend(&mut self, s: &[u8]) {
        ptr::copy_nonoverlapping(s.as_ptr(), self.data.add(self.len), s.len());
        self.len += s.len();
    }

    /// Reserves and writes.
    #[inline(always)]
    pub fn write(&mut self, s: &[u8]) -> R {
        self.reserve(s.len())?;
        unsafe { self.extend(s) };
        Ok(())
    }

    pub fn as_slice(&self) -> &[u8] {
        unsafe { std::slice::from_raw_parts(self.data, self.len) }
    }

    /// Shrinks the object to what was written and hands it over.
    pub fn finish(mut self) -> PyResult<Bound<'py, pyo3::types::PyBytes>> {
        if self.len != self.cap && unsafe { _PyBytes_Resize(&mut self.obj, self.len as ffi::Py_ssize_t) } != 0 {
            self.obj = ptr::null_mut();
            return Err(PyErr::fetch(self.py));
        }
        let obj = std::mem::replace(&mut self.obj, ptr::null_mut());
        Ok(unsafe { Bound::from_owned_ptr(self.py, obj).cast_into_unchecked() })
    }
}

impl Drop for Writer<'_> {
    fn drop(&mut self) {
        if !self.obj.is_null() {
            unsafe { ffi::Py_DECREF(self.obj) };
        }
    }
}
