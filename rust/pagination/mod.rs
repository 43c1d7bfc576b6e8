//! Pagination: Django's page arithmetic (`paginator`), signed keyset cursors (`cursor`) and
//! filtering/sorting of lists of dicts with Python's comparison results (`filter`). Pure logic
//! in those three; the Python edge in `bind`. Query-parameter parsing, Link headers and the SQL
//! and Django translations live in `webaccel/pagination.py`.

use pyo3::prelude::*;

pub mod bind;
pub mod cursor;
pub mod filter;
pub mod paginator;

use crate::errors::{EMPTY_PAGE, INVALID_CURSOR, INVALID_PAGE_SIZE, PAGE_NOT_AN_INTEGER};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaginationError {
    /// Django's messages, word for word.
    PageNotAnInteger,
    PageLessThanOne,
    NoResults,
    PageSizeNotAnInteger,
    PageSizeTooSmall,
    CursorTooLong { max: usize },
    CursorMalformed,
    CursorBadSignature,
    CursorBadPayload,
    CursorExpired,
}

impl std::fmt::Display for PaginationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PaginationError::PageNotAnInteger => f.write_str("That page number is not an integer"),
            PaginationError::PageLessThanOne => f.write_str("That page number is less than 1"),
            PaginationError::NoResults => f.write_str("That page contains no results"),
            PaginationError::PageSizeNotAnInteger => f.write_str("page_size is not an integer"),
            PaginationError::PageSizeTooSmall => f.write_str("page_size is less than 1"),
            PaginationError::CursorTooLong { max } => write!(f, "cursor is longer than {max} characters"),
            PaginationError::CursorMalformed => f.write_str("cursor is malformed (not base64url, or truncated)"),
            PaginationError::CursorBadSignature => {
                f.write_str("cursor signature does not match (tampered with, or signed with another secret)")
            }
            PaginationError::CursorBadPayload => f.write_str("cursor payload is malformed"),
            PaginationError::CursorExpired => f.write_str("cursor has expired"),
        }
    }
}

impl From<PaginationError> for PyErr {
    fn from(e: PaginationError) -> PyErr {
        let msg = e.to_string();
        Python::attach(|py| match e {
            PaginationError::PageNotAnInteger => PAGE_NOT_AN_INTEGER.err(py, (msg,)),
            PaginationError::PageLessThanOne | PaginationError::NoResults => EMPTY_PAGE.err(py, (msg,)),
            PaginationError::PageSizeNotAnInteger | PaginationError::PageSizeTooSmall => INVALID_PAGE_SIZE.err(py, (msg,)),
            _ => INVALID_CURSOR.err(py, (msg,)),
        })
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<bind::Paginator>()?;
    m.add_class::<bind::CursorCodec>()?;
    m.add_class::<bind::FilterPlan>()?;
    Ok(())
}
