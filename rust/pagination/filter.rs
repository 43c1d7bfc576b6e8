//! Filtering and sorting lists of dicts with Python's own comparison results. Values of the
//! common exact types (None, bool, int within i64, float, str) compare natively; anything else
//! (dates, Decimals, big ints, subclasses, mixed kinds) goes through Python's rich comparison, so
//! the answer, or the TypeError, is always the one Python gives.
//!
//! Defined semantics (the Python reference in tests/test_pagination_filter.py is the spec):
//! a missing key is None; None never matches a comparison, except `ne` (it matches) and `isnull`;
//! string operators only match str values; sorting is stable, multi-key, and puts None (and NaN)
//! last in ascending and descending order alike.

use std::cmp::Ordering;

use pyo3::basic::CompareOp;
use pyo3::exceptions::PyKeyError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyDate, PyDateAccess, PyDateTime, PyDelta, PyDeltaAccess, PyDict, PyFloat, PyInt, PyList, PyString,
    PyTimeAccess, PyTzInfo, PyTzInfoAccess,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Lte,
    Gt,
    Gte,
    In,
    Contains,
    IContains,
    StartsWith,
    EndsWith,
    IsNull,
}

impl Op {
    pub fn parse(name: &str) -> Option<Op> {
        Some(match name {
            "eq" => Op::Eq,
            "ne" => Op::Ne,
            "lt" => Op::Lt,
            "lte" => Op::Lte,
            "gt" => Op::Gt,
            "gte" => Op::Gte,
            "in" => Op::In,
            "contains" => Op::Contains,
            "icontains" => Op::IContains,
            "startswith" => Op::StartsWith,
            "endswith" => Op::EndsWith,
            "isnull" => Op::IsNull,
            _ => return None,
        })
    }
}

/// A value as the engine sees it. `Other` means "ask Python". Dates and datetimes are counted
/// in days / microseconds; naive and aware datetimes are different kinds (Python refuses to
/// order one against the other, and they are never equal).
#[derive(Debug, Clone, Copy)]
pub enum Native<'a> {
    Null,
    Int(i64),
    Float(f64),
    Str(&'a str),
    Date(i64),
    Naive(i64),
    Aware(i64),
    Other,
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn micros(dt: &Bound<'_, PyDateTime>) -> i64 {
    let days = days_from_civil(i64::from(dt.get_year()), i64::from(dt.get_month()), i64::from(dt.get_day()));
    let secs = days * 86_400
        + i64::from(dt.get_hour()) * 3600
        + i64::from(dt.get_minute()) * 60
        + i64::from(dt.get_second());
    secs * 1_000_000 + i64::from(dt.get_microsecond())
}

/// A datetime's key: naive, or aware with a fixed offset (`timezone.utc` or another
/// `datetime.timezone`), where comparing instants is what Python does. Other tzinfos (zoneinfo:
/// same-zone comparisons use wall time) are left to Python.
fn datetime_key<'a>(dt: &Bound<'_, PyDateTime>) -> Native<'a> {
    let local = micros(dt);
    let Some(tz) = dt.get_tzinfo() else { return Native::Naive(local) };
    let py = dt.py();
    let Ok(utc) = PyTzInfo::utc(py) else { return Native::Other };
    if tz.is(&*utc) {
        return Native::Aware(local);
    }
    // Exactly datetime.timezone (UTC's own class): a fixed offset.
    if !tz.get_type().is(utc.get_type()) {
        return Native::Other;
    }
    match tz.call_method1(intern!(py, "utcoffset"), (py.None(),)).and_then(|o| Ok(o.cast_into::<PyDelta>()?)) {
        Ok(off) => {
            let off = (i64::from(off.get_days()) * 86_400 + i64::from(off.get_seconds())) * 1_000_000
                + i64::from(off.get_microseconds());
            Native::Aware(local - off)
        }
        Err(_) => Native::Other,
    }
}

/// Exact comparison of an i64 with an f64, as Python compares int with float (no rounding of
/// the int). `None` when `f` is NaN.
pub fn cmp_int_float(i: i64, f: f64) -> Option<Ordering> {
    if f.is_nan() {
        return None;
    }
    // 2^63 is exactly representable; every i64 is below it and at or above -2^63.
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if f >= TWO_63 {
        return Some(Ordering::Less);
    }
    if f < -TWO_63 {
        return Some(Ordering::Greater);
    }
    let t = f.trunc();
    let ti = t as i64; // exact: |t| < 2^63 and t is integral
    match i.cmp(&ti) {
        Ordering::Equal => 0.0f64.partial_cmp(&(f - t)),
        other => Some(other),
    }
}

/// Native comparison: `Ok(None)` is "unordered" (NaN), `Err(())` is "not natively comparable".
fn cmp_native(a: Native<'_>, b: Native<'_>) -> Result<Option<Ordering>, ()> {
    Ok(match (a, b) {
        (Native::Int(x), Native::Int(y)) => Some(x.cmp(&y)),
        (Native::Float(x), Native::Float(y)) => x.partial_cmp(&y),
        (Native::Int(x), Native::Float(y)) => cmp_int_float(x, y),
        (Native::Float(x), Native::Int(y)) => cmp_int_float(y, x).map(Ordering::reverse),
        (Native::Str(x), Native::Str(y)) => Some(x.cmp(y)), // UTF-8 order is code point order
        (Native::Date(x), Native::Date(y)) | (Native::Naive(x), Native::Naive(y)) | (Native::Aware(x), Native::Aware(y)) => {
            Some(x.cmp(&y))
        }
        _ => return Err(()),
    })
}

/// The engine's view of a Python value (exact types only: subclasses may redefine comparison).
pub fn classify<'a>(v: &'a Bound<'_, PyAny>) -> Native<'a> {
    if v.is_none() {
        Native::Null
    } else if let Ok(s) = v.cast_exact::<PyString>() {
        match s.to_str() {
            Ok(s) => Native::Str(s),
            Err(_) => Native::Other, // lone surrogates: Python compares them
        }
    } else if let Ok(i) = v.cast_exact::<PyInt>() {
        i.extract::<i64>().map_or(Native::Other, Native::Int)
    } else if let Ok(f) = v.cast_exact::<PyFloat>() {
        Native::Float(f.value())
    } else if let Ok(b) = v.cast_exact::<PyBool>() {
        Native::Int(i64::from(b.is_true()))
    } else if let Ok(dt) = v.cast_exact::<PyDateTime>() {
        datetime_key(dt)
    } else if let Ok(d) = v.cast_exact::<PyDate>() {
        Native::Date(days_from_civil(i64::from(d.get_year()), i64::from(d.get_month()), i64::from(d.get_day())))
    } else {
        Native::Other
    }
}

/// A filter value, converted once.
pub struct Lit {
    obj: Py<PyAny>,
    kind: LitKind,
}

enum LitKind {
    Null,
    Int(i64),
    Float(f64),
    Str(String),
    Date(i64),
    Naive(i64),
    Aware(i64),
    Other,
}

impl Lit {
    pub fn new(v: &Bound<'_, PyAny>) -> Lit {
        let kind = match classify(v) {
            Native::Null => LitKind::Null,
            Native::Int(i) => LitKind::Int(i),
            Native::Float(f) => LitKind::Float(f),
            Native::Str(s) => LitKind::Str(s.to_owned()),
            Native::Date(d) => LitKind::Date(d),
            Native::Naive(t) => LitKind::Naive(t),
            Native::Aware(t) => LitKind::Aware(t),
            Native::Other => LitKind::Other,
        };
        Lit { obj: v.clone().unbind(), kind }
    }

    fn native(&self) -> Native<'_> {
        match &self.kind {
            LitKind::Null => Native::Null,
            LitKind::Int(i) => Native::Int(*i),
            LitKind::Float(f) => Native::Float(*f),
            LitKind::Str(s) => Native::Str(s),
            LitKind::Date(d) => Native::Date(*d),
            LitKind::Naive(t) => Native::Naive(*t),
            LitKind::Aware(t) => Native::Aware(*t),
            LitKind::Other => Native::Other,
        }
    }
}

pub struct Cond {
    pub field: Py<PyString>,
    pub op: Op,
    pub lits: Vec<Lit>,
    /// `isnull`: whether None is wanted.
    pub want_null: bool,
    /// `icontains`: the needle lowered by Python's `str.lower`.
    pub lowered: Option<String>,
}

fn compare_op(op: Op) -> CompareOp {
    match op {
        Op::Ne => CompareOp::Ne,
        Op::Lt => CompareOp::Lt,
        Op::Lte => CompareOp::Le,
        Op::Gt => CompareOp::Gt,
        Op::Gte => CompareOp::Ge,
        _ => CompareOp::Eq,
    }
}

/// `v <op> lit` with Python's result.
fn compare(v: &Bound<'_, PyAny>, nv: Native<'_>, lit: &Lit, op: Op) -> PyResult<bool> {
    match cmp_native(nv, lit.native()) {
        Ok(ord) => Ok(match op {
            Op::Ne => ord != Some(Ordering::Equal),
            Op::Lt => ord == Some(Ordering::Less),
            Op::Lte => matches!(ord, Some(Ordering::Less | Ordering::Equal)),
            Op::Gt => ord == Some(Ordering::Greater),
            Op::Gte => matches!(ord, Some(Ordering::Greater | Ordering::Equal)),
            _ => ord == Some(Ordering::Equal),
        }),
        Err(()) => {
            // Number against str is never equal; ordering them raises Python's TypeError.
            let mixed = !matches!(nv, Native::Other) && !matches!(lit.kind, LitKind::Other);
            match op {
                Op::Eq | Op::In if mixed => Ok(false),
                Op::Ne if mixed => Ok(true),
                _ => v.rich_compare(lit.obj.bind(v.py()), compare_op(op))?.is_truthy(),
            }
        }
    }
}

fn lowered<'py>(v: &Bound<'py, PyAny>, s: &str, buf: &mut String) -> PyResult<()> {
    buf.clear();
    if s.is_ascii() {
        buf.extend(s.chars().map(|c| c.to_ascii_lowercase()));
    } else {
        // Python's str.lower (Unicode full case mapping of Python's own Unicode version).
        let low = v.call_method0(intern!(v.py(), "lower"))?;
        buf.push_str(low.cast::<PyString>()?.to_str()?);
    }
    Ok(())
}

impl Cond {
    pub fn matches(&self, v: Option<&Bound<'_, PyAny>>, buf: &mut String) -> PyResult<bool> {
        let v = match v {
            Some(v) if !v.is_none() => v,
            _ => return Ok(matches!(self.op, Op::Ne) || (self.op == Op::IsNull && self.want_null)),
        };
        let nv = classify(v);
        match self.op {
            Op::IsNull => Ok(!self.want_null),
            Op::In => {
                for lit in &self.lits {
                    if compare(v, nv, lit, Op::Eq)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Op::Contains | Op::IContains | Op::StartsWith | Op::EndsWith => {
                let hay = match nv {
                    Native::Str(s) => s,
                    _ => return Ok(false),
                };
                let needle = match self.lits.first().map(|l| &l.kind) {
                    Some(LitKind::Str(s)) => s.as_str(),
                    _ => return Ok(false),
                };
                Ok(match self.op {
                    Op::Contains => hay.contains(needle),
                    Op::StartsWith => hay.starts_with(needle),
                    Op::EndsWith => hay.ends_with(needle),
                    _ => {
                        lowered(v, hay, buf)?;
                        buf.contains(self.lowered.as_deref().unwrap_or(needle))
                    }
                })
            }
            op => match self.lits.first() {
                Some(lit) => compare(v, nv, lit, op),
                None => Ok(false),
            },
        }
    }
}

/// `item[field]`, None when missing (dicts fast; other mappings through `__getitem__`).
pub fn lookup<'py>(item: &Bound<'py, PyAny>, field: &Bound<'py, PyString>) -> PyResult<Option<Bound<'py, PyAny>>> {
    if let Ok(d) = item.cast::<PyDict>() {
        return d.get_item(field);
    }
    match item.get_item(field) {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_instance_of::<PyKeyError>(item.py()) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A sort key's column.
enum Column<'a, 'py> {
    /// Every non-null value natively comparable with the others (all numbers, or all str).
    Native(Vec<Native<'a>>),
    /// Python compares (the objects, None for missing).
    Python(Vec<Option<&'a Bound<'py, PyAny>>>),
}

fn is_null(n: Native<'_>) -> bool {
    match n {
        Native::Null => true,
        Native::Float(f) => f.is_nan(),
        _ => false,
    }
}

fn column<'a, 'py>(values: &'a [Option<Bound<'py, PyAny>>]) -> Column<'a, 'py> {
    let natives: Vec<Native<'a>> =
        values.iter().map(|v| v.as_ref().map_or(Native::Null, |v| classify(v))).collect();
    // One family per column (numbers, str, dates, naive or aware datetimes), else Python decides
    // (and raises TypeError where it would).
    let mut family = 0u8;
    for n in &natives {
        let f = match n {
            Native::Null => continue,
            Native::Int(_) | Native::Float(_) => 1,
            Native::Str(_) => 2,
            Native::Date(_) => 3,
            Native::Naive(_) => 4,
            Native::Aware(_) => 5,
            Native::Other => 0,
        };
        if f == 0 || (family != 0 && family != f) {
            return Column::Python(values.iter().map(Option::as_ref).collect());
        }
        family = f;
    }
    Column::Native(natives)
}

/// `a < b` by Python, turned into an ordering the way list.sort sees it (only `<` is asked).
fn py_order(a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<Ordering> {
    if a.lt(b)? {
        Ok(Ordering::Less)
    } else if b.lt(a)? {
        Ok(Ordering::Greater)
    } else {
        Ok(Ordering::Equal)
    }
}

/// Stable merge sort with a comparison that may fail (Python's `<` can raise, or not be a total
/// order, where std's sort is allowed to panic). Stops at the first error.
/// `less(a, b)` is "a sorts strictly before b" (one Python `<` per comparison on the last key,
/// as list.sort asks).
pub fn try_merge_sort<E>(idx: &mut [usize], less: &mut impl FnMut(usize, usize) -> Result<bool, E>) -> Result<(), E> {
    let n = idx.len();
    if n < 2 {
        return Ok(());
    }
    let mut buf = idx.to_vec();
    let mut width = 1;
    // Bottom-up, ping-ponging between idx and buf.
    let mut src_is_idx = true;
    while width < n {
        {
            let (src, dst): (&[usize], &mut [usize]) = if src_is_idx { (&*idx, &mut buf) } else { (&buf, &mut *idx) };
            let mut start = 0;
            while start < n {
                let mid = (start + width).min(n);
                let end = (start + 2 * width).min(n);
                let (mut i, mut j, mut k) = (start, mid, start);
                while i < mid && j < end {
                    // Take from the right only when strictly smaller: stability.
                    if less(src[j], src[i])? {
                        dst[k] = src[j];
                        j += 1;
                    } else {
                        dst[k] = src[i];
                        i += 1;
                    }
                    k += 1;
                }
                dst[k..k + (mid - i)].copy_from_slice(&src[i..mid]);
                k += mid - i;
                dst[k..k + (end - j)].copy_from_slice(&src[j..end]);
                start = end;
            }
        }
        src_is_idx = !src_is_idx;
        width *= 2;
    }
    if !src_is_idx {
        idx.copy_from_slice(&buf);
    }
    Ok(())
}

/// Native sort keys of one row against another's, key by key: nulls (None, missing, NaN) last
/// whatever the direction, the others compared natively and reversed for descending keys.
#[inline]
fn cmp_rows(x: &[Native<'_>], y: &[Native<'_>], desc: &[bool]) -> Ordering {
    for ((a, b), d) in x.iter().zip(y).zip(desc) {
        let ord = match (*a, *b) {
            (Native::Null, Native::Null) => continue,
            (Native::Null, _) => return Ordering::Greater,
            (_, Native::Null) => return Ordering::Less,
            (Native::Str(p), Native::Str(q)) => p.cmp(q),
            (Native::Int(p), Native::Int(q)) => p.cmp(&q),
            (Native::Float(p), Native::Float(q)) => p.partial_cmp(&q).unwrap_or(Ordering::Equal),
            (Native::Int(p), Native::Float(q)) => cmp_int_float(p, q).unwrap_or(Ordering::Equal),
            (Native::Float(p), Native::Int(q)) => cmp_int_float(q, p).map_or(Ordering::Equal, Ordering::reverse),
            (Native::Date(p), Native::Date(q)) | (Native::Naive(p), Native::Naive(q)) | (Native::Aware(p), Native::Aware(q)) => {
                p.cmp(&q)
            }
            // Not reached: such columns take the Python path.
            _ => Ordering::Equal,
        };
        if ord != Ordering::Equal {
            return if *d { ord.reverse() } else { ord };
        }
    }
    Ordering::Equal
}

/// A sort key packed for a fast comparison: ints and floats as order-preserving u64 (a column
/// holds one kind), strings as they are.
#[derive(Clone, Copy)]
enum Packed<'a> {
    Null,
    U(u64),
    S(&'a str),
}

fn pack<'a>(n: Native<'a>) -> Option<Packed<'a>> {
    Some(match n {
        Native::Null => Packed::Null,
        Native::Int(i) | Native::Date(i) | Native::Naive(i) | Native::Aware(i) => Packed::U((i as u64) ^ (1 << 63)),
        Native::Float(f) => {
            // -0.0 == 0.0 in Python: one key for both. Negative floats order reversed in bits.
            let bits = if f == 0.0 { 0.0f64.to_bits() } else { f.to_bits() };
            Packed::U(if bits >> 63 == 1 { !bits } else { bits | (1 << 63) })
        }
        Native::Str(s) => Packed::S(s),
        Native::Other => return None,
    })
}

/// The row order for `K` keys packed next to the row index, or `None` when a column mixes ints
/// and floats (their exact comparison does not fit one u64).
fn sort_packed<const K: usize>(flat: &[Native<'_>], desc: &[bool]) -> Option<Vec<usize>> {
    let n = flat.len() / K;
    // Per column: 1 int seen, 2 float seen.
    let mut kinds = [0u8; K];
    for (i, v) in flat.iter().enumerate() {
        match v {
            Native::Int(_) => kinds[i % K] |= 1,
            Native::Float(_) => kinds[i % K] |= 2,
            _ => {}
        }
    }
    if kinds.contains(&3) {
        return None;
    }
    let mut rows: Vec<([Packed<'_>; K], usize)> = Vec::with_capacity(n);
    for (i, chunk) in flat.chunks_exact(K).enumerate() {
        let mut keys = [Packed::Null; K];
        for (slot, v) in keys.iter_mut().zip(chunk) {
            *slot = pack(*v)?;
        }
        rows.push((keys, i));
    }
    rows.sort_by(|(x, _), (y, _)| {
        for j in 0..K {
            let ord = match (x[j], y[j]) {
                (Packed::Null, Packed::Null) => continue,
                (Packed::Null, _) => return Ordering::Greater,
                (_, Packed::Null) => return Ordering::Less,
                (Packed::U(a), Packed::U(b)) => a.cmp(&b),
                (Packed::S(a), Packed::S(b)) => a.cmp(b),
                _ => Ordering::Equal, // not reached: a column holds one kind
            };
            if ord != Ordering::Equal {
                return if desc[j] { ord.reverse() } else { ord };
            }
        }
        Ordering::Equal
    });
    Some(rows.into_iter().map(|(_, i)| i).collect())
}

/// Sorts `items` in place by `keys` (field, descending).
pub fn sort_items<'py>(py: Python<'py>, items: &mut Vec<Bound<'py, PyAny>>, keys: &[(Py<PyString>, bool)]) -> PyResult<()> {
    if keys.is_empty() || items.len() < 2 {
        return Ok(());
    }
    let mut raw: Vec<Vec<Option<Bound<'py, PyAny>>>> = Vec::with_capacity(keys.len());
    for (field, _) in keys {
        let field = field.bind(py);
        let mut col = Vec::with_capacity(items.len());
        for item in items.iter() {
            col.push(lookup(item, field)?.filter(|v| !v.is_none()));
        }
        raw.push(col);
    }
    let columns: Vec<(Column<'_, 'py>, bool)> =
        raw.iter().zip(keys).map(|(values, (_, desc))| (column(values), *desc)).collect();
    let n = items.len();
    let mut idx: Vec<usize> = (0..n).collect();
    if columns.iter().all(|(c, _)| matches!(c, Column::Native(_))) {
        // Every key natively comparable: a total order (NaN counts as null, each column holds
        // one kind), so std's stable sort (adaptive on presorted runs) over rows whose keys
        // sit next to each other.
        let k = columns.len();
        let desc: Vec<bool> = columns.iter().map(|(_, d)| *d).collect();
        let mut flat: Vec<Native<'_>> = Vec::with_capacity(n * k);
        for i in 0..n {
            for (col, _) in &columns {
                if let Column::Native(v) = col {
                    flat.push(if is_null(v[i]) { Native::Null } else { v[i] });
                }
            }
        }
        let packed = match k {
            1 => sort_packed::<1>(&flat, &desc),
            2 => sort_packed::<2>(&flat, &desc),
            3 => sort_packed::<3>(&flat, &desc),
            _ => None,
        };
        match packed {
            Some(order) => idx = order,
            None => idx.sort_by(|&a, &b| cmp_rows(&flat[a * k..a * k + k], &flat[b * k..b * k + k], &desc)),
        }
    } else {
        let last = columns.len() - 1;
        let mut less = |a: usize, b: usize| -> PyResult<bool> {
            for (j, (col, desc)) in columns.iter().enumerate() {
                let ord = match col {
                    Column::Native(v) => match (is_null(v[a]), is_null(v[b])) {
                        (true, true) => Ordering::Equal,
                        (true, false) => return Ok(false),
                        (false, true) => return Ok(true),
                        _ => cmp_rows(&[v[a]], &[v[b]], &[*desc]),
                    },
                    Column::Python(v) => match (v[a], v[b]) {
                        (None, None) => Ordering::Equal,
                        (None, Some(_)) => return Ok(false),
                        (Some(_), None) => return Ok(true),
                        (Some(x), Some(y)) => {
                            let (x, y) = if *desc { (y, x) } else { (x, y) };
                            if j == last {
                                return x.lt(y);
                            }
                            py_order(x, y)?
                        }
                    },
                };
                if ord != Ordering::Equal {
                    return Ok(ord == Ordering::Less);
                }
            }
            Ok(false)
        };
        try_merge_sort(&mut idx, &mut less)?;
    }
    let sorted: Vec<Bound<'py, PyAny>> = idx.iter().map(|&i| items[i].clone()).collect();
    *items = sorted;
    Ok(())
}

/// Filters then sorts `items` (any iterable of mappings) into a new list.
pub fn apply<'py>(
    py: Python<'py>,
    items: &Bound<'py, PyAny>,
    conds: &[Cond],
    keys: &[(Py<PyString>, bool)],
) -> PyResult<Bound<'py, PyList>> {
    if conds.is_empty() && keys.is_empty() {
        // Nothing to do but copy (a list's slice copies its pointers in one go).
        if let Ok(list) = items.cast::<PyList>() {
            return list.get_slice(0, list.len()).cast_into::<PyList>().map_err(PyErr::from);
        }
    }
    let fields: Vec<Bound<'py, PyString>> = conds.iter().map(|c| c.field.bind(py).clone()).collect();
    let mut out: Vec<Bound<'py, PyAny>> = Vec::new();
    let mut buf = String::new();
    let mut keep = |item: Bound<'py, PyAny>, out: &mut Vec<Bound<'py, PyAny>>| -> PyResult<()> {
        for (cond, field) in conds.iter().zip(&fields) {
            let v = lookup(&item, field)?;
            if !cond.matches(v.as_ref(), &mut buf)? {
                return Ok(());
            }
        }
        out.push(item);
        Ok(())
    };
    if let Ok(list) = items.cast::<PyList>() {
        out.reserve(if conds.is_empty() { list.len() } else { list.len() / 8 });
        for item in list.iter() {
            keep(item, &mut out)?;
        }
    } else {
        for item in items.try_iter()? {
            keep(item?, &mut out)?;
        }
    }
    sort_items(py, &mut out, keys)?;
    PyList::new(py, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_float_exact() {
        assert_eq!(cmp_int_float(1, 1.0), Some(Ordering::Equal));
        assert_eq!(cmp_int_float(1, 1.5), Some(Ordering::Less));
        assert_eq!(cmp_int_float(-1, -1.5), Some(Ordering::Greater));
        assert_eq!(cmp_int_float(-2, -1.5), Some(Ordering::Less));
        // 2^53 + 1 is not a float: Python says 2**53 + 1 > 2.0**53.
        assert_eq!(cmp_int_float((1 << 53) + 1, 9_007_199_254_740_992.0), Some(Ordering::Greater));
        assert_eq!(cmp_int_float(i64::MAX, 9.223372036854776e18), Some(Ordering::Less));
        assert_eq!(cmp_int_float(i64::MIN, -9.223372036854776e18), Some(Ordering::Equal));
        assert_eq!(cmp_int_float(0, f64::INFINITY), Some(Ordering::Less));
        assert_eq!(cmp_int_float(0, f64::NEG_INFINITY), Some(Ordering::Greater));
        assert_eq!(cmp_int_float(0, f64::NAN), None);
        assert_eq!(cmp_int_float(0, -0.0), Some(Ordering::Equal));
    }

    #[test]
    fn merge_sort_is_stable_and_stops_on_error() {
        let keys = [3, 1, 2, 1, 3, 0, 2, 1];
        for n in 0..=keys.len() {
            let mut idx: Vec<usize> = (0..n).collect();
            try_merge_sort::<()>(&mut idx, &mut |a, b| Ok(keys[a] < keys[b])).unwrap();
            let mut expected: Vec<usize> = (0..n).collect();
            expected.sort_by_key(|&i| keys[i]);
            assert_eq!(idx, expected);
        }
        let mut idx: Vec<usize> = (0..8).collect();
        assert_eq!(try_merge_sort(&mut idx, &mut |_, _| Err("boom")), Err("boom"));
    }

    #[test]
    fn packed_floats_and_ints_keep_their_order() {
        let floats = [f64::NEG_INFINITY, -1e300, -2.5, -1.0, -1e-300, -0.0, 0.0, 1e-300, 1.0, 2.5, 1e300, f64::INFINITY];
        let keys: Vec<u64> = floats.iter().map(|&f| match pack(Native::Float(f)) { Some(Packed::U(u)) => u, _ => 0 }).collect();
        for w in keys.windows(2) {
            assert!(w[0] <= w[1]);
        }
        assert_eq!(keys[5], keys[6]); // -0.0 == 0.0
        let ints = [i64::MIN, -1, 0, 1, i64::MAX];
        let keys: Vec<u64> = ints.iter().map(|&i| match pack(Native::Int(i)) { Some(Packed::U(u)) => u, _ => 0 }).collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn civil_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1, 1, 1), -719_162);
        assert_eq!(days_from_civil(9999, 12, 31), 2_932_896);
        assert_eq!(days_from_civil(2024, 2, 29) + 1, days_from_civil(2024, 3, 1));
    }

    #[test]
    fn ops_parse() {
        for name in ["eq", "ne", "lt", "lte", "gt", "gte", "in", "contains", "icontains", "startswith", "endswith", "isnull"] {
            assert!(Op::parse(name).is_some(), "{name}");
        }
        assert_eq!(Op::parse("regex"), None);
    }
}
