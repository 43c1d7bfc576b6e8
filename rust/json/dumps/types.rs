//! The types `dumps` supports beyond JSON's own: datetime/date/time (RFC 3339, orjson 3.13's
//! text), UUID, Decimal, Enum and dataclasses. Their classes are imported on first need and
//! cached for the life of the interpreter.

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;
use pyo3::intern;

pub struct Types {
    pub uuid: Py<PyType>,
    pub decimal: Py<PyType>,
    pub enum_: Py<PyType>,
    /// `dataclasses._FIELD`: the marker of real fields (not ClassVar / InitVar pseudo-fields).
    pub dc_field: Py<PyAny>,
}

static TYPES: PyOnceLock<Types> = PyOnceLock::new();

pub fn types(py: Python<'_>) -> PyResult<&'static Types> {
    TYPES.get_or_try_init(py, || {
        unsafe {
            ffi::PyDateTime_IMPORT();
            if ffi::PyDateTimeAPI().is_null() {
                return Err(PyErr::fetch(py));
            }
        }
        Ok(Types {
            uuid: py.import("uuid")?.getattr("UUID")?.cast_into::<PyType>()?.unbind(),
            decimal: py.import("decimal")?.getattr("Decimal")?.cast_into::<PyType>()?.unbind(),
            enum_: py.import("enum")?.getattr("Enum")?.cast_into::<PyType>()?.unbind(),
            dc_field: py.import("dataclasses")?.getattr("_FIELD")?.unbind(),
        })
    })
}

/// A fixed buffer for the short texts of this module.
pub struct Small {
    pub buf: [u8; 64],
    pub len: usize,
}

impl Small {
    pub fn new() -> Self {
        Self { buf: [0; 64], len: 0 }
    }
    fn push(&mut self, b: u8) {
        if self.len < self.buf.len() {
            self.buf[self.len] = b;
            self.len += 1;
        }
    }
    fn extend(&mut self, s: &[u8]) {
        for &b in s {
            self.push(b);
        }
    }
    fn two(&mut self, v: i32) {
        let v = v.clamp(0, 99) as u8;
        self.push(b'0' + v / 10);
        self.push(b'0' + v % 10);
    }
    fn micro(&mut self, us: i32) {
        if us != 0 {
            self.push(b'.');
            let mut d = [0u8; 6];
            let mut v = us.clamp(0, 999_999) as u32;
            for slot in d.iter_mut().rev() {
                *slot = b'0' + (v % 10) as u8;
                v /= 10;
            }
            self.extend(&d);
        }
    }
    pub fn as_slice(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

unsafe fn write_ymd(out: &mut Small, o: *mut ffi::PyObject) {
    let year = ffi::PyDateTime_GET_YEAR(o).clamp(0, 9999);
    out.two(year / 100);
    out.two(year % 100);
    out.push(b'-');
    out.two(ffi::PyDateTime_GET_MONTH(o));
    out.push(b'-');
    out.two(ffi::PyDateTime_GET_DAY(o));
}

/// `date` (also the date part of a datetime): `YYYY-MM-DD`.
pub unsafe fn date(o: *mut ffi::PyObject) -> Small {
    let mut out = Small::new();
    write_ymd(&mut out, o);
    out
}

/// `time` without tzinfo: `HH:MM:SS[.ffffff]`; with one, orjson refuses it, and so do we.
pub unsafe fn time(o: *mut ffi::PyObject) -> Result<Small, &'static str> {
    if (*(o as *mut ffi::PyDateTime_Time)).hastzinfo != 0 {
        return Err("datetime.time must not have tzinfo set");
    }
    let mut out = Small::new();
    out.two(ffi::PyDateTime_TIME_GET_HOUR(o));
    out.push(b':');
    out.two(ffi::PyDateTime_TIME_GET_MINUTE(o));
    out.push(b':');
    out.two(ffi::PyDateTime_TIME_GET_SECOND(o));
    out.micro(ffi::PyDateTime_TIME_GET_MICROSECOND(o));
    Ok(out)
}

/// `datetime`: `YYYY-MM-DDTHH:MM:SS[.ffffff][±HH:MM]`, the offset from `utcoffset()` laid out
/// like orjson (seconds rounded to the nearest minute, a zero offset as `+00:00`).
pub unsafe fn datetime(py: Python<'_>, o: *mut ffi::PyObject) -> PyResult<Small> {
    let mut out = Small::new();
    write_ymd(&mut out, o);
    out.push(b'T');
    out.two(ffi::PyDateTime_DATE_GET_HOUR(o));
    out.push(b':');
    out.two(ffi::PyDateTime_DATE_GET_MINUTE(o));
    out.push(b':');
    out.two(ffi::PyDateTime_DATE_GET_SECOND(o));
    out.micro(ffi::PyDateTime_DATE_GET_MICROSECOND(o));
    if (*(o as *mut ffi::PyDateTime_DateTime)).hastzinfo == 0 {
        return Ok(out);
    }
    let tz = ffi::PyDateTime_DATE_GET_TZINFO(o);
    if tz == ffi::PyDateTime_TimeZone_UTC() {
        out.extend(b"+00:00");
        return Ok(out);
    }
    let dt = Bound::from_borrowed_ptr(py, o);
    let off = dt.call_method0(intern!(py, "utcoffset"))?;
    if off.is_none() {
        return Ok(out);
    }
    if ffi::PyDelta_Check(off.as_ptr()) == 0 {
        return Err(pyo3::exceptions::PyTypeError::new_err("utcoffset() must return None or a timedelta"));
    }
    let days = ffi::PyDateTime_DELTA_GET_DAYS(off.as_ptr());
    let mut seconds = ffi::PyDateTime_DELTA_GET_SECONDS(off.as_ptr());
    if seconds == 0 {
        out.extend(b"+00:00");
        return Ok(out);
    }
    if days == -1 {
        out.push(b'-');
        seconds = 86400 - seconds;
    } else {
        out.push(b'+');
    }
    let minutes = seconds / 60;
    let hours = minutes / 60;
    let mut minute = minutes % 60;
    if seconds - (minute * 60 + hours * 3600) >= 30 {
        minute += 1;
    }
    out.two(hours);
    out.push(b':');
    out.two(minute);
    Ok(out)
}

/// `UUID` as its canonical lowercase text.
pub fn uuid(obj: &Bound<'_, PyAny>) -> PyResult<Small> {
    let v: u128 = obj.getattr(intern!(obj.py(), "int"))?.extract()?;
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = Small::new();
    for i in 0..32 {
        if i == 8 || i == 12 || i == 16 || i == 20 {
            out.push(b'-');
        }
        out.push(HEX[(v >> (124 - 4 * i) & 15) as usize]);
    }
    Ok(out)
}
