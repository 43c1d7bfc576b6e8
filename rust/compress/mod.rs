//! HTTP content codings: gzip, deflate (zlib-wrapped; raw deflate accepted when decoding, as
//! browsers do), br and zstd. One-shot and streaming, every decoder capped by `max_size` (bombs
//! stop after at most `max_size + 1` bytes of output), and `Accept-Encoding` negotiation
//! (RFC 9110 §12.5.3). Pure logic in `codec` and `negotiate`; the Python edge in `bind`.

use std::fmt;
use std::ops::RangeInclusive;

use pyo3::prelude::*;

pub mod bind;
pub mod codec;
pub mod negotiate;
pub mod small;

/// A content coding webaccel can apply and remove.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Encoding {
    Gzip,
    /// HTTP's "deflate": a zlib stream (RFC 1950). Raw deflate (RFC 1951) is accepted on decode.
    Deflate,
    Br,
    Zstd,
}

impl Encoding {
    pub const ALL: [Encoding; 4] = [Encoding::Gzip, Encoding::Deflate, Encoding::Br, Encoding::Zstd];

    /// The coding named `name` (ASCII case-insensitive; `x-gzip` is gzip, as RFC 9110 §8.4.1.3
    /// asks of recipients).
    pub fn parse(name: &str) -> Result<Self, CompressError> {
        // No allocation: this runs on every one-shot call.
        let trimmed = name.trim();
        let is = |token: &str| trimmed.eq_ignore_ascii_case(token);
        if is("gzip") || is("x-gzip") {
            Ok(Encoding::Gzip)
        } else if is("deflate") {
            Ok(Encoding::Deflate)
        } else if is("br") {
            Ok(Encoding::Br)
        } else if is("zstd") {
            Ok(Encoding::Zstd)
        } else {
            Err(CompressError::UnknownEncoding(name.to_owned()))
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Encoding::Gzip => "gzip",
            Encoding::Deflate => "deflate",
            Encoding::Br => "br",
            Encoding::Zstd => "zstd",
        }
    }

    /// Defaults for dynamic responses: zlib's 6; brotli 4 (its own default, 11, is ~50x slower
    /// and meant for static assets); zstd's own default 3.
    pub fn default_level(self) -> i32 {
        match self {
            Encoding::Gzip | Encoding::Deflate => 6,
            Encoding::Br => 4,
            Encoding::Zstd => 3,
        }
    }

    /// The levels accepted: zlib's 0..=9, brotli's 0..=11, zstd's negative (fast) levels to 22.
    pub fn levels(self) -> RangeInclusive<i32> {
        match self {
            Encoding::Gzip | Encoding::Deflate => 0..=9,
            Encoding::Br => 0..=11,
            Encoding::Zstd => codec::ZSTD_MIN_LEVEL..=22,
        }
    }

    /// `level`, or the default, checked against `levels()`.
    pub fn level(self, level: Option<i32>) -> Result<i32, CompressError> {
        let level = level.unwrap_or_else(|| self.default_level());
        let range = self.levels();
        if range.contains(&level) {
            Ok(level)
        } else {
            Err(CompressError::BadLevel { encoding: self, level, min: *range.start(), max: *range.end() })
        }
    }
}

/// Everything that can go wrong while compressing or decompressing.
#[derive(Debug, PartialEq, Eq)]
pub enum CompressError {
    UnknownEncoding(String),
    BadLevel { encoding: Encoding, level: i32, min: i32, max: i32 },
    /// The decoded output would exceed `max_size` (a decompression bomb, or just too large).
    TooLarge { encoding: Encoding, max: usize },
    /// The input is not a valid stream of this coding.
    Corrupt { encoding: Encoding, detail: String },
    /// The input ended before the end of the stream.
    Truncated { encoding: Encoding },
    /// Bytes after the end of the stream (gzip members and zstd frames may follow each other).
    TrailingData { encoding: Encoding },
    /// A streaming object used after `finish()`.
    Finished,
    /// The encoder itself failed (out of memory, a library bug).
    Encoder { encoding: Encoding, detail: String },
}

impl CompressError {
    /// Whether this is a decoding failure (`DecompressionError` in Python) rather than misuse.
    pub fn is_decode(&self) -> bool {
        matches!(
            self,
            CompressError::TooLarge { .. }
                | CompressError::Corrupt { .. }
                | CompressError::Truncated { .. }
                | CompressError::TrailingData { .. }
        )
    }
}

impl fmt::Display for CompressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompressError::UnknownEncoding(name) => {
                write!(f, "unknown content coding {name:?} (expected one of gzip, deflate, br, zstd)")
            }
            CompressError::BadLevel { encoding, level, min, max } => {
                write!(f, "{} level must be in {min}..={max}, not {level}", encoding.name())
            }
            CompressError::TooLarge { encoding, max } => {
                write!(f, "{} data decompresses to more than max_size={max} bytes", encoding.name())
            }
            CompressError::Corrupt { encoding, detail } => write!(f, "invalid {} data: {detail}", encoding.name()),
            CompressError::Truncated { encoding } => write!(f, "truncated {} data: the stream is incomplete", encoding.name()),
            CompressError::TrailingData { encoding } => write!(f, "invalid {} data: bytes after the end of the stream", encoding.name()),
            CompressError::Finished => f.write_str("the stream was already finished"),
            CompressError::Encoder { encoding, detail } => write!(f, "{} compression failed: {detail}", encoding.name()),
        }
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(bind::compress_compress, m)?)?;
    m.add_function(wrap_pyfunction!(bind::compress_decompress, m)?)?;
    m.add_function(wrap_pyfunction!(bind::compress_negotiate, m)?)?;
    m.add_class::<bind::Compressor>()?;
    m.add_class::<bind::Decompressor>()?;
    Ok(())
}
