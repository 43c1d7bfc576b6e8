//! The codecs: one-shot compression (libdeflate for gzip/deflate, brotli, libzstd), streaming
//! encoders, and streaming decoders that never hold more than `max_size + 1` bytes of output.
//! One-shot decompression is the streaming decoder fed once, so both share every check.

use std::cell::RefCell;

use brotli_decompressor::{BrotliDecompressStream, BrotliResult, BrotliState, StandardAlloc};
use brotlic::encode::BrotliOperation;
use brotlic::{BrotliEncoder, BrotliEncoderOptions, Quality, WindowSize};
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};
use zstd::zstd_safe::{self, CCtx, CParameter, DCtx, DParameter, InBuffer, OutBuffer, ResetDirective};
use zstd::zstd_safe::zstd_sys::ZSTD_EndDirective;

use super::{small, CompressError, Encoding};

/// `ZSTD_minCLevel()`: the fastest negative level.
pub const ZSTD_MIN_LEVEL: i32 = -(1 << 17);
/// RFC 9659 §3: a zstd content coding uses a window of at most 8 MB, so decoders can bound memory.
const ZSTD_WINDOW_LOG_MAX: u32 = 23;
/// brotli's default window (Python's `brotli` package uses the same).
const BROTLI_LGWIN: u8 = 22;
/// Output grows in steps of at least this much.
const STEP: usize = 32 << 10;
const FLATE_WINDOW_BITS: u8 = 15;

fn corrupt(encoding: Encoding, detail: impl Into<String>) -> CompressError {
    CompressError::Corrupt { encoding, detail: detail.into() }
}

fn encoder_error(encoding: Encoding, detail: impl Into<String>) -> CompressError {
    CompressError::Encoder { encoding, detail: detail.into() }
}

thread_local! {
    // libdeflate compressors (one per level) and a zstd context, reused across calls on a
    // thread: allocating them costs more than compressing a small body.
    static DEFLATERS: RefCell<Vec<Option<libdeflater::Compressor>>> = const { RefCell::new(Vec::new()) };
    static ZSTD_CCTX: RefCell<Option<CCtx<'static>>> = const { RefCell::new(None) };
    static ZSTD_DCTX: RefCell<Option<DCtx<'static>>> = const { RefCell::new(None) };
}

/// Compresses `data` in one go (`level` already checked by `Encoding::level`).
pub fn compress(data: &[u8], encoding: Encoding, level: i32) -> Result<Vec<u8>, CompressError> {
    match encoding {
        Encoding::Gzip | Encoding::Deflate if small::handles(data.len(), level) => Ok(small::compress(data, encoding, level)),
        Encoding::Gzip | Encoding::Deflate if level >= 1 => deflate_oneshot(data, encoding, level),
        Encoding::Zstd => zstd_oneshot(data, level),
        _ => {
            // gzip/deflate level 0 (stored blocks; libdeflate starts at 1) and brotli: the encoder.
            let mut enc = Encoder::new(encoding, level, Some(data.len()))?;
            let mut out = Vec::new();
            enc.write(data, Mode::Finish, &mut out)?;
            Ok(out)
        }
    }
}

/// zlib's levels (the API's scale) to libdeflate's: for each, the fastest libdeflate level whose
/// output is no larger than zlib's at that level on every bench corpus (twitter, citm, github,
/// canada; whole and first 100 KB). libdeflate's own 6 is ~1-3% larger than zlib's 6 on JSON.
const LIBDEFLATE_LEVEL: [i32; 10] = [0, 1, 3, 4, 4, 6, 7, 8, 11, 11];

fn deflate_oneshot(data: &[u8], encoding: Encoding, level: i32) -> Result<Vec<u8>, CompressError> {
    let level = LIBDEFLATE_LEVEL.get(level as usize).copied().unwrap_or(level);
    let lvl = libdeflater::CompressionLvl::new(level).map_err(|_| encoder_error(encoding, "bad level"))?;
    let slot = level as usize;
    DEFLATERS.with(|cell| {
        let mut cache = cell.borrow_mut();
        if cache.len() <= slot {
            cache.resize_with(slot + 1, || None);
        }
        let c = cache[slot].get_or_insert_with(|| libdeflater::Compressor::new(lvl));
        let gzip = encoding == Encoding::Gzip;
        let bound = if gzip { c.gzip_compress_bound(data.len()) } else { c.zlib_compress_bound(data.len()) };
        let mut out = vec![0u8; bound];
        let n = if gzip { c.gzip_compress(data, &mut out) } else { c.zlib_compress(data, &mut out) }
            .map_err(|e| encoder_error(encoding, format!("{e:?}")))?;
        out.truncate(n);
        Ok(out)
    })
}

fn zstd_params(cctx: &mut CCtx<'static>, level: i32) -> Result<(), CompressError> {
    let err = |code| encoder_error(Encoding::Zstd, zstd_safe::get_error_name(code));
    cctx.set_parameter(CParameter::CompressionLevel(level)).map_err(err)?;
    if level > 19 {
        // Levels 20..22 use windows up to 128 MB, which RFC 9659 decoders (ours too) refuse.
        cctx.set_parameter(CParameter::WindowLog(ZSTD_WINDOW_LOG_MAX)).map_err(err)?;
    }
    Ok(())
}

fn zstd_oneshot(data: &[u8], level: i32) -> Result<Vec<u8>, CompressError> {
    ZSTD_CCTX.with(|cell| {
        let mut slot = cell.borrow_mut();
        let cctx = slot.get_or_insert_with(CCtx::create);
        let err = |code| encoder_error(Encoding::Zstd, zstd_safe::get_error_name(code));
        cctx.reset(ResetDirective::SessionAndParameters).map_err(err)?;
        zstd_params(cctx, level)?;
        let mut out = Vec::with_capacity(zstd_safe::compress_bound(data.len()));
        cctx.compress2(&mut out, data).map_err(err)?;
        Ok(out)
    })
}

/// What an encoder call does after taking its input.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    /// Keep what the coding buffers (best ratio).
    Process,
    /// Emit everything so far, decodable by the peer (a sync flush), and go on.
    Flush,
    /// End the stream.
    Finish,
}

type BrotliDecoder = BrotliState<StandardAlloc, StandardAlloc, StandardAlloc>;

/// A streaming compressor.
pub enum Encoder {
    Flate(Encoding, Box<Compress>),
    Br(Box<BrotliEncoder>),
    Zstd(CCtx<'static>),
}

/// Makes sure `out` has at least `STEP` bytes of spare capacity.
fn room(out: &mut Vec<u8>) {
    if out.capacity() - out.len() < STEP {
        out.reserve(STEP.max(out.len() / 2));
    }
}

impl Encoder {
    /// `size_hint`: the whole input's size when known (one-shot), which brotli tunes itself to.
    pub fn new(encoding: Encoding, level: i32, size_hint: Option<usize>) -> Result<Self, CompressError> {
        Ok(match encoding {
            Encoding::Gzip | Encoding::Deflate => {
                let level = Compression::new(level as u32);
                let c = if encoding == Encoding::Gzip {
                    Compress::new_gzip(level, FLATE_WINDOW_BITS)
                } else {
                    Compress::new(level, true)
                };
                Encoder::Flate(encoding, Box::new(c))
            }
            Encoding::Br => {
                let bad = |_| encoder_error(Encoding::Br, "bad parameter");
                let mut options = BrotliEncoderOptions::new();
                options.quality(Quality::new(level as u8).map_err(bad)?);
                options.window_size(WindowSize::new(BROTLI_LGWIN).map_err(bad)?);
                if let Some(n) = size_hint {
                    options.size_hint(n.min(1 << 30) as u32);
                }
                Encoder::Br(Box::new(options.build().map_err(bad)?))
            }
            Encoding::Zstd => {
                let mut c = CCtx::create();
                zstd_params(&mut c, level)?;
                Encoder::Zstd(c)
            }
        })
    }

    pub fn encoding(&self) -> Encoding {
        match self {
            Encoder::Flate(e, _) => *e,
            Encoder::Br(_) => Encoding::Br,
            Encoder::Zstd(_) => Encoding::Zstd,
        }
    }

    /// Compresses `input`, appending what the coding emits to `out`.
    pub fn write(&mut self, input: &[u8], mode: Mode, out: &mut Vec<u8>) -> Result<(), CompressError> {
        match self {
            Encoder::Flate(encoding, c) => flate_write(c, *encoding, input, mode, out),
            Encoder::Br(s) => brotli_write(s, input, mode, out),
            Encoder::Zstd(c) => zstd_write(c, input, mode, out),
        }
    }
}

fn flate_write(c: &mut Compress, encoding: Encoding, input: &[u8], mode: Mode, out: &mut Vec<u8>) -> Result<(), CompressError> {
    let flush = match mode {
        Mode::Process => FlushCompress::None,
        Mode::Flush => FlushCompress::Sync,
        Mode::Finish => FlushCompress::Finish,
    };
    let mut pos = 0;
    loop {
        room(out);
        let before = c.total_in();
        let status = c.compress_vec(&input[pos..], out, flush).map_err(|e| encoder_error(encoding, e.to_string()))?;
        pos += (c.total_in() - before) as usize;
        let full = out.len() == out.capacity();
        match status {
            Status::StreamEnd => return Ok(()),
            // BufError: nothing left to do (a repeated flush, or no input).
            Status::BufError if !full => return Ok(()),
            _ if pos == input.len() && !full && mode != Mode::Finish => return Ok(()),
            _ => {}
        }
    }
}

fn brotli_write(e: &mut BrotliEncoder, input: &[u8], mode: Mode, out: &mut Vec<u8>) -> Result<(), CompressError> {
    let op = match mode {
        Mode::Process => BrotliOperation::Process,
        Mode::Flush => BrotliOperation::Flush,
        Mode::Finish => BrotliOperation::Finish,
    };
    if e.is_finished() {
        return if input.is_empty() { Ok(()) } else { Err(CompressError::Finished) };
    }
    let mut pos = 0;
    loop {
        let start = out.len();
        out.resize(start + STEP, 0);
        let step = e.compress(&input[pos..], &mut out[start..], op);
        let written = step.map_or(0, |r| r.bytes_written);
        out.truncate(start + written);
        let r = step.map_err(|_| encoder_error(Encoding::Br, "the encoder refused its input"))?;
        pos += r.bytes_read;
        if pos < input.len() || e.has_output() {
            continue;
        }
        match mode {
            Mode::Finish if !e.is_finished() => continue,
            _ => return Ok(()),
        }
    }
}

fn zstd_write(c: &mut CCtx<'static>, input: &[u8], mode: Mode, out: &mut Vec<u8>) -> Result<(), CompressError> {
    let directive = match mode {
        Mode::Process => ZSTD_EndDirective::ZSTD_e_continue,
        Mode::Flush => ZSTD_EndDirective::ZSTD_e_flush,
        Mode::Finish => ZSTD_EndDirective::ZSTD_e_end,
    };
    let mut inb = InBuffer::around(input);
    loop {
        room(out);
        let pos = out.len();
        let mut outb = OutBuffer::around_pos(out, pos);
        let remaining = c
            .compress_stream2(&mut outb, &mut inb, directive)
            .map_err(|code| encoder_error(Encoding::Zstd, zstd_safe::get_error_name(code)))?;
        let full = out.len() == out.capacity();
        let done = match mode {
            Mode::Process => inb.pos() == input.len() && !full,
            _ => inb.pos() == input.len() && remaining == 0,
        };
        if done {
            return Ok(());
        }
    }
}

enum FlateMode {
    /// `deflate` before its first two bytes arrived: zlib or raw is decided from them.
    Sniffing(Vec<u8>),
    Gzip,
    Zlib,
    Raw,
}

enum Codec {
    Flate { d: Box<Decompress>, mode: FlateMode, ended: bool, members: usize },
    Br(Box<BrotliDecoder>),
    Zstd { d: DCtx<'static>, frame_done: bool, frames: usize },
}

/// The output budget of a decoder.
struct Limit {
    encoding: Encoding,
    max_size: usize,
    produced: usize,
}

impl Limit {
    fn too_large(&self) -> CompressError {
        CompressError::TooLarge { encoding: self.encoding, max: self.max_size }
    }

    /// Bytes the decoder may still write, plus one to detect going over; `Err` at the limit.
    fn allowed(&self) -> Result<usize, CompressError> {
        match (self.max_size + 1).saturating_sub(self.produced) {
            0 => Err(self.too_large()),
            n => Ok(n),
        }
    }

    /// Spare capacity in `out` for the next step, within what the limit still allows.
    fn make_room(&self, out: &mut Vec<u8>) -> Result<(), CompressError> {
        if out.capacity() > out.len() {
            return Ok(());
        }
        let allowed = self.allowed()?;
        out.reserve_exact(allowed.min(STEP.max(out.len())));
        Ok(())
    }

    /// Zero-filled room for decoders that write into initialized slices (brotli).
    fn zeroed_room(&self, out: &mut Vec<u8>) -> Result<usize, CompressError> {
        let step = self.allowed()?.min(STEP.max(out.len() / 2));
        out.resize(out.len() + step, 0);
        Ok(step)
    }

    fn count(&mut self, n: usize) -> Result<(), CompressError> {
        self.produced += n;
        if self.produced > self.max_size {
            Err(self.too_large())
        } else {
            Ok(())
        }
    }
}

/// A streaming decompressor whose total output never exceeds `max_size`.
pub struct Decoder {
    codec: Codec,
    limit: Limit,
    seen_input: bool,
}

/// RFC 1950 §2.2: a zlib header (CM = 8, CINFO <= 7, FCHECK) rather than raw deflate data.
fn is_zlib_header(b0: u8, b1: u8) -> bool {
    b0 & 0x0f == 8 && b0 >> 4 <= 7 && ((u16::from(b0) << 8) | u16::from(b1)) % 31 == 0
}

fn brotli_step(state: &mut BrotliDecoder, limit: &mut Limit, input: &[u8], avail_in: &mut usize, in_off: &mut usize, out: &mut Vec<u8>) -> Result<BrotliResult, CompressError> {
    let start = out.len();
    let step = limit.zeroed_room(out)?;
    let mut avail_out = step;
    let mut out_off = start;
    let mut total = 0usize;
    let result = BrotliDecompressStream(avail_in, in_off, input, &mut avail_out, &mut out_off, out, &mut total, state);
    out.truncate(out_off);
    limit.count(out_off - start)?;
    if let BrotliResult::ResultFailure = result {
        let code = format!("{:?}", state.error_code);
        let detail = code.trim_start_matches("BROTLI_DECODER_ERROR_").trim_start_matches("BROTLI_DECODER_").to_lowercase();
        return Err(corrupt(Encoding::Br, detail));
    }
    Ok(result)
}

impl Decoder {
    pub fn new(encoding: Encoding, max_size: usize) -> Result<Self, CompressError> {
        let codec = match encoding {
            Encoding::Gzip => Codec::Flate {
                d: Box::new(Decompress::new_gzip(FLATE_WINDOW_BITS)),
                mode: FlateMode::Gzip,
                ended: false,
                members: 0,
            },
            Encoding::Deflate => Codec::Flate {
                d: Box::new(Decompress::new(true)),
                mode: FlateMode::Sniffing(Vec::new()),
                ended: false,
                members: 0,
            },
            // new_strict: no large-window brotli (windows up to 1 GiB, so 1 GiB ring buffers).
            Encoding::Br => Codec::Br(Box::new(BrotliDecoder::new_strict(
                StandardAlloc::default(),
                StandardAlloc::default(),
                StandardAlloc::default(),
            ))),
            Encoding::Zstd => {
                let mut d = DCtx::create();
                d.set_parameter(DParameter::WindowLogMax(ZSTD_WINDOW_LOG_MAX))
                    .map_err(|code| encoder_error(Encoding::Zstd, zstd_safe::get_error_name(code)))?;
                Codec::Zstd { d, frame_done: false, frames: 0 }
            }
        };
        Ok(Decoder { codec, limit: Limit { encoding, max_size, produced: 0 }, seen_input: false })
    }

    pub fn encoding(&self) -> Encoding {
        self.limit.encoding
    }

    /// Bytes of output produced so far.
    pub fn produced(&self) -> usize {
        self.limit.produced
    }

    /// Decodes `input`, appending the output to `out`.
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), CompressError> {
        if input.is_empty() {
            return Ok(());
        }
        self.seen_input = true;
        let limit = &mut self.limit;
        match &mut self.codec {
            Codec::Flate { d, mode, ended, members } => feed_flate(d, mode, ended, members, limit, input, out),
            Codec::Br(state) => {
                let mut avail_in = input.len();
                let mut in_off = 0;
                loop {
                    match brotli_step(state, limit, input, &mut avail_in, &mut in_off, out)? {
                        BrotliResult::ResultSuccess if in_off < input.len() => {
                            return Err(CompressError::TrailingData { encoding: Encoding::Br })
                        }
                        BrotliResult::NeedsMoreOutput => {}
                        _ => return Ok(()),
                    }
                }
            }
            Codec::Zstd { d, frame_done, frames } => feed_zstd(d, frame_done, frames, limit, input, out),
        }
    }

    /// Checks that the input ended where a stream may end.
    pub fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), CompressError> {
        let truncated = Err(CompressError::Truncated { encoding: self.limit.encoding });
        match &mut self.codec {
            // Fewer than two bytes of deflate data cannot be a stream.
            Codec::Flate { mode: FlateMode::Sniffing(_), .. } => truncated,
            Codec::Flate { ended, members, .. } => {
                if *ended && *members > 0 {
                    Ok(())
                } else {
                    truncated
                }
            }
            Codec::Br(state) => {
                if !self.seen_input {
                    return truncated;
                }
                // Drain output the decoder may still hold.
                loop {
                    match brotli_step(state, &mut self.limit, &[], &mut 0, &mut 0, out)? {
                        BrotliResult::ResultSuccess => return Ok(()),
                        BrotliResult::NeedsMoreOutput => {}
                        _ => return truncated,
                    }
                }
            }
            Codec::Zstd { frame_done, frames, .. } => {
                if *frame_done && *frames > 0 {
                    Ok(())
                } else {
                    truncated
                }
            }
        }
    }
}

fn feed_flate(
    d: &mut Decompress,
    mode: &mut FlateMode,
    ended: &mut bool,
    members: &mut usize,
    limit: &mut Limit,
    input: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), CompressError> {
    let encoding = limit.encoding;
    // deflate: zlib or raw, decided by the first two bytes (buffered if they come apart).
    let mut joined = Vec::new();
    if let FlateMode::Sniffing(head) = mode {
        head.extend_from_slice(input);
        if head.len() < 2 {
            return Ok(());
        }
        let zlib = is_zlib_header(head[0], head[1]);
        if !zlib {
            *d = Decompress::new(false);
        }
        joined = std::mem::take(head);
        *mode = if zlib { FlateMode::Zlib } else { FlateMode::Raw };
    }
    let input: &[u8] = if joined.is_empty() { input } else { &joined };
    let mut pos = 0;
    loop {
        if *ended {
            if !matches!(mode, FlateMode::Gzip) {
                return if pos < input.len() { Err(CompressError::TrailingData { encoding }) } else { Ok(()) };
            }
            // As Python's gzip.decompress: members may follow each other, NUL padding may trail.
            while pos < input.len() && input[pos] == 0 {
                pos += 1;
            }
            if pos == input.len() {
                return Ok(());
            }
            *d = Decompress::new_gzip(FLATE_WINDOW_BITS);
            *ended = false;
        }
        limit.make_room(out)?;
        let (in_before, out_before) = (d.total_in(), out.len());
        let status = d
            .decompress_vec(&input[pos..], out, FlushDecompress::None)
            .map_err(|e| corrupt(encoding, e.message().unwrap_or("invalid data").to_owned()))?;
        let consumed = (d.total_in() - in_before) as usize;
        pos += consumed;
        let written = out.len() - out_before;
        limit.count(written)?;
        if status == Status::StreamEnd {
            *ended = true;
            *members += 1;
            continue;
        }
        let full = out.len() == out.capacity();
        if !full && (pos == input.len() || (consumed == 0 && written == 0)) {
            // Everything taken (or no progress possible): wait for more input.
            return Ok(());
        }
    }
}

fn feed_zstd(
    d: &mut DCtx<'static>,
    frame_done: &mut bool,
    frames: &mut usize,
    limit: &mut Limit,
    input: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), CompressError> {
    let mut inb = InBuffer::around(input);
    loop {
        limit.make_room(out)?;
        let (in_before, out_before) = (inb.pos(), out.len());
        let hint = {
            let mut outb = OutBuffer::around_pos(out, out_before);
            d.decompress_stream(&mut outb, &mut inb)
                .map_err(|code| corrupt(Encoding::Zstd, zstd_safe::get_error_name(code).to_lowercase()))?
        };
        let written = out.len() - out_before;
        let consumed = inb.pos() - in_before;
        if hint == 0 {
            if !*frame_done {
                *frames += 1;
            }
            *frame_done = true;
        } else if consumed > 0 || written > 0 {
            *frame_done = false;
        }
        limit.count(written)?;
        let full = out.len() == out.capacity();
        if !full && (inb.pos() == input.len() || (consumed == 0 && written == 0)) {
            return Ok(());
        }
    }
}

/// A zstd frame that declares its content size (one-shot encoders write it) decode in one call
/// straight into an exactly sized buffer, refused before any work when the declared total is
/// over the limit. `None`: sizes not declared, or not parseable, so the streaming path decides.
fn zstd_declared(data: &[u8], max_size: usize) -> Option<Result<Vec<u8>, CompressError>> {
    // One frame filling the input (several frames, or a cut one, take the streaming path).
    if zstd_safe::find_frame_compressed_size(data).ok()? != data.len() {
        return None;
    }
    let size = zstd_safe::get_frame_content_size(data).ok()??;
    if size > max_size as u64 {
        return Some(Err(CompressError::TooLarge { encoding: Encoding::Zstd, max: max_size }));
    }
    Some(ZSTD_DCTX.with(|cell| {
        let mut slot = cell.borrow_mut();
        let dctx = slot.get_or_insert_with(DCtx::create);
        let _ = dctx.reset(ResetDirective::SessionOnly);
        let mut out = Vec::with_capacity(size as usize);
        dctx.decompress(&mut out, data)
            .map_err(|code| corrupt(Encoding::Zstd, zstd_safe::get_error_name(code).to_lowercase()))?;
        if out.len() as u64 != size {
            return Err(corrupt(Encoding::Zstd, "the frame's declared size is wrong"));
        }
        Ok(out)
    }))
}

/// Decompresses all of `data`, refusing output over `max_size`.
pub fn decompress(data: &[u8], encoding: Encoding, max_size: usize) -> Result<Vec<u8>, CompressError> {
    if encoding == Encoding::Zstd {
        if let Some(result) = zstd_declared(data, max_size) {
            return result;
        }
    }
    let mut d = Decoder::new(encoding, max_size)?;
    // A first guess that fits typical ratios of text, within the limit.
    let mut out = Vec::with_capacity(data.len().saturating_mul(4).clamp(STEP, STEP.max(1 << 20)).min(max_size + 1));
    d.feed(data, &mut out)?;
    d.finish(&mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let mut v = Vec::new();
        for i in 0..5000u32 {
            v.extend_from_slice(format!("{{\"id\":{i},\"name\":\"item {}\",\"ok\":true}},", i * 7919 % 1000).as_bytes());
        }
        v
    }

    #[test]
    fn zstd_min_level_is_libzstd_s() {
        assert_eq!(ZSTD_MIN_LEVEL, zstd_safe::min_c_level());
    }

    #[test]
    fn round_trips_every_encoding_and_level() {
        let data = sample();
        for enc in Encoding::ALL {
            for level in [*enc.levels().start().max(&-5), enc.default_level(), *enc.levels().end().min(&19)] {
                let c = compress(&data, enc, level).unwrap();
                assert!(c.len() < data.len() || level <= 0, "{enc:?} {level}");
                assert_eq!(decompress(&c, enc, data.len()).unwrap(), data, "{enc:?} {level}");
            }
        }
    }

    #[test]
    fn streaming_encoder_matches_the_input_in_any_chunking() {
        let data = sample();
        for enc in Encoding::ALL {
            let mut e = Encoder::new(enc, enc.default_level(), None).unwrap();
            let mut out = Vec::new();
            for (i, chunk) in data.chunks(7001).enumerate() {
                e.write(chunk, if i % 3 == 0 { Mode::Flush } else { Mode::Process }, &mut out).unwrap();
            }
            e.write(b"", Mode::Finish, &mut out).unwrap();
            let mut d = Decoder::new(enc, usize::MAX - 1).unwrap();
            let mut back = Vec::new();
            for chunk in out.chunks(1) {
                d.feed(chunk, &mut back).unwrap();
            }
            d.finish(&mut back).unwrap();
            assert_eq!(back, data, "{enc:?}");
        }
    }

    #[test]
    fn flush_makes_everything_so_far_decodable() {
        for enc in Encoding::ALL {
            let mut e = Encoder::new(enc, enc.default_level(), None).unwrap();
            let mut out = Vec::new();
            e.write(b"hello, world", Mode::Flush, &mut out).unwrap();
            let mut d = Decoder::new(enc, 1000).unwrap();
            let mut back = Vec::new();
            d.feed(&out, &mut back).unwrap();
            assert_eq!(back, b"hello, world", "{enc:?}");
            assert!(d.finish(&mut back).is_err(), "{enc:?}: the stream is not finished");
        }
    }

    #[test]
    fn the_limit_is_exact() {
        let data = vec![b'a'; 100_000];
        for enc in Encoding::ALL {
            let c = compress(&data, enc, enc.default_level()).unwrap();
            assert_eq!(decompress(&c, enc, 100_000).unwrap().len(), 100_000);
            assert_eq!(decompress(&c, enc, 99_999), Err(CompressError::TooLarge { encoding: enc, max: 99_999 }));
            assert_eq!(decompress(&c, enc, 0), Err(CompressError::TooLarge { encoding: enc, max: 0 }));
        }
    }

    #[test]
    fn bombs_stop_at_the_limit() {
        // 64 MiB of zeros, fed in small pieces: the decoder stops within the limit.
        let mut e = Encoder::new(Encoding::Zstd, 1, None).unwrap();
        let zeros = vec![0u8; 1 << 20];
        let mut bomb = Vec::new();
        for _ in 0..64 {
            e.write(&zeros, Mode::Process, &mut bomb).unwrap();
        }
        e.write(b"", Mode::Finish, &mut bomb).unwrap();
        let mut d = Decoder::new(Encoding::Zstd, 1 << 20).unwrap();
        let mut out = Vec::new();
        let err = bomb.chunks(64).try_for_each(|c| d.feed(c, &mut out));
        assert!(matches!(err, Err(CompressError::TooLarge { .. })));
        assert!(out.capacity() <= (1 << 20) + 1 + STEP);
    }

    #[test]
    fn truncation_corruption_and_trailing_data_are_errors() {
        let data = sample();
        for enc in Encoding::ALL {
            let c = compress(&data, enc, enc.default_level()).unwrap();
            let cut = &c[..c.len() - 3];
            assert!(decompress(cut, enc, usize::MAX - 1).is_err(), "{enc:?} truncated");
            assert_eq!(decompress(b"", enc, 10), Err(CompressError::Truncated { encoding: enc }));
            let mut bad = c.clone();
            bad.extend_from_slice(b"garbage");
            assert!(decompress(&bad, enc, usize::MAX - 1).is_err(), "{enc:?} trailing");
            assert!(decompress(b"this is not compressed at all", enc, 1000).is_err(), "{enc:?} garbage");
        }
    }

    #[test]
    fn zstd_frames_may_follow_each_other() {
        let one = compress(b"abc", Encoding::Zstd, 3).unwrap();
        let two = [one.as_slice(), one.as_slice()].concat();
        assert_eq!(decompress(&two, Encoding::Zstd, 6).unwrap(), b"abcabc");
        assert_eq!(decompress(&two, Encoding::Zstd, 5), Err(CompressError::TooLarge { encoding: Encoding::Zstd, max: 5 }));
        let mut d = Decoder::new(Encoding::Zstd, 6).unwrap();
        let mut out = Vec::new();
        d.feed(&two, &mut out).unwrap();
        d.finish(&mut out).unwrap();
        assert_eq!(out, b"abcabc");
    }

    #[test]
    fn deflate_accepts_raw_streams_and_gzip_accepts_members() {
        let data = sample();
        let mut raw = Encoder::Flate(Encoding::Deflate, Box::new(Compress::new(Compression::new(6), false)));
        let mut out = Vec::new();
        raw.write(&data, Mode::Finish, &mut out).unwrap();
        assert_eq!(decompress(&out, Encoding::Deflate, data.len()).unwrap(), data);
        let one = compress(b"abc", Encoding::Gzip, 6).unwrap();
        let mut two = [one.as_slice(), one.as_slice(), &[0, 0]].concat();
        assert_eq!(decompress(&two, Encoding::Gzip, 100).unwrap(), b"abcabc");
        two.push(1);
        assert!(decompress(&two, Encoding::Gzip, 100).is_err());
    }
}
