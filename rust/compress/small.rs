//! One-shot deflate for small bodies (up to `SMALL_MAX` bytes, a typical API response): a port
//! of zlib's lazy encoder (`deflate_slow` and `trees.c`, zlib 1.2.13, levels 4-9) that writes
//! the same deflate stream zlib writes at the same level, so its output is exactly as large as
//! Python's `gzip.compress` (tests/test_compress.py compares the streams byte for byte).
//!
//! Why not libdeflate here: every libdeflate call first fills its 192 KiB hash tables (zlib's
//! `deflateInit` zeroes 64 KiB and allocates 256 KiB), about 5 µs on this hardware, and on
//! 1-4 KB JSON libdeflate's output came out 0.2-0.9% larger than zlib's at every level below
//! its near-optimal ones. This encoder keeps its tables per thread and tags hash entries with
//! the call that wrote them, so nothing is cleared between calls.
//!
//! Derived from zlib's deflate.c and trees.c, (C) 1995-2022 Jean-loup Gailly and Mark Adler,
//! under the zlib license; altered: rewritten in Rust for one block of a buffer held in full.
//! This notice may not be removed or altered from any source distribution.

use std::cell::RefCell;

use super::Encoding;

/// Inputs up to this size take this path. It must stay under 16383 (zlib starts a second block
/// after 16383 symbols; this encoder writes one) and zlib's 32 KiB window. Above 8 KiB,
/// libdeflate is faster (and its output smaller than zlib's on the bench corpora, though not on
/// every input: docs/compress.md).
pub const SMALL_MAX: usize = 8 * 1024;

const MIN_MATCH: usize = 3;
const MAX_MATCH: usize = 258;
const TOO_FAR: usize = 4096;
const HASH_BITS: u32 = 15; // zlib's at memLevel 8
const HASH_SIZE: usize = 1 << HASH_BITS;
const HASH_MASK: usize = HASH_SIZE - 1;
/// zlib zeroes `MAX_MATCH` bytes after the data and compares into them; 8 more for wide loads.
const PAD: usize = MAX_MATCH + 8;

const L_CODES: usize = 286;
const D_CODES: usize = 30;
const BL_CODES: usize = 19;
const HEAP_SIZE: usize = 2 * L_CODES + 1;
const END_BLOCK: usize = 256;
const MAX_BITS: usize = 15;
const MAX_BL_BITS: usize = 7;
const REP_3_6: usize = 16;
const REPZ_3_10: usize = 17;
const REPZ_11_138: usize = 18;

const EXTRA_LBITS: [u8; 29] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const BASE_LENGTH: [u16; 29] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 255];
const EXTRA_DBITS: [u8; 30] = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
const BASE_DIST: [u16; 30] = [
    0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096, 6144, 8192,
    12288, 16384, 24576,
];
const EXTRA_BLBITS: [u8; BL_CODES] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 3, 7];
const BL_ORDER: [usize; BL_CODES] = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/// zlib's `configuration_table` for the lazy levels: (good_length, max_lazy, nice_length, max_chain).
const CONFIG: [(usize, usize, usize, usize); 6] = [(4, 4, 16, 16), (8, 16, 32, 32), (8, 16, 128, 128), (8, 32, 128, 256), (32, 128, 258, 1024), (32, 258, 258, 4096)];

/// Whether `compress` takes this path for a body of `len` bytes at zlib level `level`.
pub fn handles(len: usize, level: i32) -> bool {
    len <= SMALL_MAX && (4..=9).contains(&level)
}

/// (length - 3) -> length code (0..=28): zlib's `_length_code`, where 258 has its own code.
const LENGTH_CODE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut code = 0;
    while code < 28 {
        let base = BASE_LENGTH[code] as usize;
        let mut i = 0;
        while i < 1 << EXTRA_LBITS[code] {
            t[base + i] = code as u8;
            i += 1;
        }
        code += 1;
    }
    t[255] = 28;
    t
};

#[inline]
fn length_code(lc: usize) -> usize {
    usize::from(LENGTH_CODE[lc & 0xff])
}

/// (distance - 1) -> distance code, as zlib's `d_code`.
fn dist_code(d: usize) -> usize {
    if d < 4 {
        return d;
    }
    let bits = usize::BITS as usize - 1 - d.leading_zeros() as usize;
    2 * bits + ((d >> (bits - 1)) & 1)
}

/// A Huffman tree in zlib's layout: leaves first, then internal nodes.
struct Tree {
    freq: Vec<u32>,
    dad: Vec<u16>,
    len: Vec<u16>,
    code: Vec<u16>,
    max_code: isize,
}

impl Tree {
    fn new(nodes: usize) -> Self {
        Tree { freq: vec![0; nodes], dad: vec![0; nodes], len: vec![0; nodes], code: vec![0; nodes], max_code: -1 }
    }

    /// Only the frequencies need clearing: `build` writes every length and code it reads.
    fn reset(&mut self) {
        self.freq.fill(0);
        self.max_code = -1;
    }
}

/// The state zlib keeps per stream for building trees.
struct Trees {
    /// zlib's heap of nodes, each entry `(frequency << 8 | depth) << 16 | node`: zlib's
    /// `smaller(n, m)` is then `entry(n) >> 16 <= entry(m) >> 16`, with no indirection. Sized
    /// and indexed `& SLOTS_MASK` so the hot comparisons carry no bounds checks.
    heap: [u64; SLOTS],
    heap_len: usize,
    heap_max: usize,
    bl_count: [u16; MAX_BITS + 1],
    opt_len: u64,
    static_len: u64,
}

const SLOTS: usize = 1024;
const SLOTS_MASK: usize = SLOTS - 1;

fn entry(freq: u32, depth: u8, node: usize) -> u64 {
    (((u64::from(freq) << 8) | u64::from(depth)) << 16) | node as u64
}

#[inline(always)]
fn node_of(e: u64) -> usize {
    (e & 0xffff) as usize
}

#[inline(always)]
fn depth_of(e: u64) -> u8 {
    (e >> 16) as u8
}

/// What differs between the three trees zlib builds.
struct Desc {
    elems: usize,
    max_length: usize,
    extra: &'static [u8],
    extra_base: usize,
    /// The static tree's code lengths (none for the bit-length tree).
    static_len: Option<fn(usize) -> u16>,
}

fn static_llen(n: usize) -> u16 {
    match n {
        0..=143 => 8,
        144..=255 => 9,
        256..=279 => 7,
        _ => 8,
    }
}

fn static_dlen(_: usize) -> u16 {
    5
}

const L_DESC: Desc = Desc { elems: L_CODES, max_length: MAX_BITS, extra: &EXTRA_LBITS, extra_base: 257, static_len: Some(static_llen) };
const D_DESC: Desc = Desc { elems: D_CODES, max_length: MAX_BITS, extra: &EXTRA_DBITS, extra_base: 0, static_len: Some(static_dlen) };
const BL_DESC: Desc = Desc { elems: BL_CODES, max_length: MAX_BL_BITS, extra: &EXTRA_BLBITS, extra_base: 0, static_len: None };

impl Trees {
    /// zlib's `pqdownheap`.
    #[inline(always)]
    fn pqdownheap(&mut self, mut k: usize) {
        let heap = &mut self.heap;
        let v = heap[k & SLOTS_MASK];
        let mut j = k << 1;
        while j <= self.heap_len {
            let mut hj = heap[j & SLOTS_MASK];
            if j < self.heap_len {
                let right = heap[(j + 1) & SLOTS_MASK];
                if right >> 16 <= hj >> 16 {
                    j += 1;
                    hj = right;
                }
            }
            if v >> 16 <= hj >> 16 {
                break;
            }
            heap[k & SLOTS_MASK] = hj;
            k = j;
            j <<= 1;
        }
        heap[k & SLOTS_MASK] = v;
    }

    /// zlib's `build_tree`: `gen_bitlen` (with its overflow repair) and `gen_codes`.
    fn build(&mut self, tree: &mut Tree, desc: &Desc) {
        let mut max_code: isize = -1;
        self.heap_len = 0;
        self.heap_max = HEAP_SIZE;
        for n in 0..desc.elems {
            if tree.freq[n] != 0 {
                self.heap_len += 1;
                self.heap[self.heap_len] = entry(tree.freq[n], 0, n);
                max_code = n as isize;
            } else {
                tree.len[n] = 0;
            }
        }
        // At least two codes of non-zero frequency (the format wants a complete code).
        while self.heap_len < 2 {
            let node = if max_code < 2 {
                max_code += 1;
                max_code as usize
            } else {
                0
            };
            self.heap_len += 1;
            self.heap[self.heap_len] = entry(1, 0, node);
            tree.freq[node] = 1;
            self.opt_len = self.opt_len.wrapping_sub(1);
            if let Some(slen) = desc.static_len {
                self.static_len = self.static_len.wrapping_sub(u64::from(slen(node)));
            }
        }
        tree.max_code = max_code;
        for n in (1..=self.heap_len / 2).rev() {
            self.pqdownheap(n);
        }
        let mut node = desc.elems;
        loop {
            let en = self.heap[1];
            self.heap[1] = self.heap[self.heap_len & SLOTS_MASK];
            self.heap_len -= 1;
            self.pqdownheap(1);
            let em = self.heap[1];
            self.heap_max -= 1;
            self.heap[self.heap_max & SLOTS_MASK] = en;
            self.heap_max -= 1;
            self.heap[self.heap_max & SLOTS_MASK] = em;
            let (n, m) = (node_of(en), node_of(em));
            tree.freq[node] = tree.freq[n] + tree.freq[m];
            let depth = depth_of(en).max(depth_of(em)) + 1;
            tree.dad[n] = node as u16;
            tree.dad[m] = node as u16;
            self.heap[1] = entry(tree.freq[node], depth, node);
            node += 1;
            self.pqdownheap(1);
            if self.heap_len < 2 {
                break;
            }
        }
        self.heap_max -= 1;
        self.heap[self.heap_max] = self.heap[1];
        self.gen_bitlen(tree, desc);
        gen_codes(tree, &self.bl_count);
    }

    fn gen_bitlen(&mut self, tree: &mut Tree, desc: &Desc) {
        let max_code = tree.max_code;
        self.bl_count = [0; MAX_BITS + 1];
        tree.len[node_of(self.heap[self.heap_max])] = 0;
        let mut overflow = 0i32;
        let mut h = self.heap_max + 1;
        while h < HEAP_SIZE {
            let n = node_of(self.heap[h]);
            let mut bits = usize::from(tree.len[usize::from(tree.dad[n])]) + 1;
            if bits > desc.max_length {
                bits = desc.max_length;
                overflow += 1;
            }
            tree.len[n] = bits as u16;
            h += 1;
            if n as isize > max_code {
                continue;
            }
            self.bl_count[bits] += 1;
            let xbits = if n >= desc.extra_base { u64::from(desc.extra[n - desc.extra_base]) } else { 0 };
            let f = u64::from(tree.freq[n]);
            self.opt_len = self.opt_len.wrapping_add(f * (bits as u64 + xbits));
            if let Some(slen) = desc.static_len {
                self.static_len = self.static_len.wrapping_add(f * (u64::from(slen(n)) + xbits));
            }
        }
        if overflow == 0 {
            return;
        }
        loop {
            let mut bits = desc.max_length - 1;
            while self.bl_count[bits] == 0 {
                bits -= 1;
            }
            self.bl_count[bits] -= 1;
            self.bl_count[bits + 1] += 2;
            self.bl_count[desc.max_length] -= 1;
            overflow -= 2;
            if overflow <= 0 {
                break;
            }
        }
        let mut h = HEAP_SIZE;
        for bits in (1..=desc.max_length).rev() {
            let mut n = self.bl_count[bits];
            while n != 0 {
                h -= 1;
                let m = node_of(self.heap[h]);
                if m as isize > max_code {
                    continue;
                }
                if usize::from(tree.len[m]) != bits {
                    self.opt_len = self.opt_len.wrapping_add((bits as u64).wrapping_sub(u64::from(tree.len[m])).wrapping_mul(u64::from(tree.freq[m])));
                    tree.len[m] = bits as u16;
                }
                n -= 1;
            }
        }
    }
}

fn reverse(code: u16, len: u16) -> u16 {
    code.reverse_bits() >> (16 - len)
}

fn gen_codes(tree: &mut Tree, bl_count: &[u16; MAX_BITS + 1]) {
    let mut next = [0u16; MAX_BITS + 1];
    let mut code = 0u16;
    for bits in 1..=MAX_BITS {
        code = (code.wrapping_add(bl_count[bits - 1])) << 1;
        next[bits] = code;
    }
    let Ok(max_code) = usize::try_from(tree.max_code) else { return };
    for n in 0..=max_code {
        let len = tree.len[n];
        if len != 0 {
            tree.code[n] = reverse(next[usize::from(len)], len);
            next[usize::from(len)] += 1;
        }
    }
}

/// LSB-first bit output, as deflate wants.
struct Bits<'a> {
    out: &'a mut Vec<u8>,
    buf: u64,
    n: u32,
}

impl Bits<'_> {
    #[inline]
    fn put(&mut self, value: u32, bits: u32) {
        self.buf |= u64::from(value) << self.n;
        self.n += bits;
        if self.n >= 32 {
            self.out.extend_from_slice(&(self.buf as u32).to_le_bytes());
            self.buf >>= 32;
            self.n -= 32;
        }
    }

    fn finish(mut self) {
        while self.n > 0 {
            self.out.push(self.buf as u8);
            self.buf >>= 8;
            self.n = self.n.saturating_sub(8);
        }
    }
}

/// zlib's `scan_tree`: counts the code-length symbols that will describe `tree`.
fn scan_tree(len: &[u16], max_code: isize, bl: &mut Tree) {
    let at = |n: usize| if n as isize > max_code { 0xffff } else { len[n] };
    let mut prevlen: i32 = -1;
    let mut nextlen = at(0);
    let (mut max_count, mut min_count) = if nextlen == 0 { (138, 3) } else { (7, 4) };
    let mut count = 0;
    let Ok(last) = usize::try_from(max_code) else { return };
    for n in 0..=last {
        let curlen = nextlen;
        nextlen = at(n + 1);
        count += 1;
        if count < max_count && curlen == nextlen {
            continue;
        } else if count < min_count {
            bl.freq[usize::from(curlen)] += count;
        } else if curlen != 0 {
            if i32::from(curlen) != prevlen {
                bl.freq[usize::from(curlen)] += 1;
            }
            bl.freq[REP_3_6] += 1;
        } else if count <= 10 {
            bl.freq[REPZ_3_10] += 1;
        } else {
            bl.freq[REPZ_11_138] += 1;
        }
        count = 0;
        prevlen = i32::from(curlen);
        (max_count, min_count) = if nextlen == 0 {
            (138, 3)
        } else if curlen == nextlen {
            (6, 3)
        } else {
            (7, 4)
        };
    }
}

/// zlib's `send_tree`: the same walk as `scan_tree`, writing the code-length symbols.
fn send_tree(len: &[u16], max_code: isize, bl: &Tree, w: &mut Bits<'_>) {
    let at = |n: usize| if n as isize > max_code { 0xffff } else { len[n] };
    let send = |w: &mut Bits<'_>, c: usize| w.put(u32::from(bl.code[c]), u32::from(bl.len[c]));
    let mut prevlen: i32 = -1;
    let mut nextlen = at(0);
    let (mut max_count, mut min_count) = if nextlen == 0 { (138, 3) } else { (7, 4) };
    let mut count: u32 = 0;
    let Ok(last) = usize::try_from(max_code) else { return };
    for n in 0..=last {
        let curlen = nextlen;
        nextlen = at(n + 1);
        count += 1;
        if count < max_count && curlen == nextlen {
            continue;
        } else if count < min_count {
            for _ in 0..count {
                send(w, usize::from(curlen));
            }
        } else if curlen != 0 {
            if i32::from(curlen) != prevlen {
                send(w, usize::from(curlen));
                count -= 1;
            }
            send(w, REP_3_6);
            w.put(count - 3, 2);
        } else if count <= 10 {
            send(w, REPZ_3_10);
            w.put(count - 3, 3);
        } else {
            send(w, REPZ_11_138);
            w.put(count - 11, 7);
        }
        count = 0;
        prevlen = i32::from(curlen);
        (max_count, min_count) = if nextlen == 0 {
            (138, 3)
        } else if curlen == nextlen {
            (6, 3)
        } else {
            (7, 4)
        };
    }
}

/// A match (distance >= 1, length - 3) or a literal (distance 0, the byte).
#[derive(Clone, Copy)]
struct Sym {
    dist: u16,
    lc: u8,
}

struct Scratch {
    /// zlib's `head` (the newest position per hash), each entry tagged with the call that set
    /// it (`generation << 16 | position`): entries of earlier calls read as NIL, so a call
    /// neither clears 64 KiB first (zlib's `deflateReset`) nor after (a call that panicked
    /// midway leaves nothing behind either).
    head: Box<[u32; HASH_SIZE]>,
    generation: u32,
    prev: Vec<u16>,
    window: Vec<u8>,
    syms: Vec<Sym>,
    /// The output, reused: at most a stored block of `SMALL_MAX` bytes plus headers.
    out: Vec<u8>,
    ltree: Tree,
    dtree: Tree,
    bltree: Tree,
    trees: Box<Trees>,
}

thread_local! {
    // About 190 KB resident per thread that compresses a small body, kept for the thread's life.
    static SCRATCH: RefCell<Option<Box<Scratch>>> = const { RefCell::new(None) };
}

impl Scratch {
    fn new() -> Box<Self> {
        Box::new(Scratch {
            head: vec![0u32; HASH_SIZE].into_boxed_slice().try_into().unwrap_or_else(|_| unreachable!()),
            generation: 0,
            prev: vec![0; SMALL_MAX],
            window: vec![0; SMALL_MAX + PAD],
            syms: Vec::with_capacity(SMALL_MAX),
            out: Vec::with_capacity(SMALL_MAX + 64),
            ltree: Tree::new(HEAP_SIZE),
            dtree: Tree::new(2 * D_CODES + 1),
            bltree: Tree::new(2 * BL_CODES + 1),
            trees: Box::new(Trees { heap: [0; SLOTS], heap_len: 0, heap_max: 0, bl_count: [0; MAX_BITS + 1], opt_len: 0, static_len: 0 }),
        })
    }
}

/// Bytes equal from `a` and `b` on, at most `max`.
///
/// # Safety
/// `a + max + 8` and `b + max + 8` are within `w` (the window is padded by `PAD`).
#[inline(always)]
unsafe fn common(w: *const u8, a: usize, b: usize, max: usize) -> usize {
    let mut n = 0;
    while n < max {
        let x = std::ptr::read_unaligned(w.add(a + n).cast::<u64>());
        let y = std::ptr::read_unaligned(w.add(b + n).cast::<u64>());
        let diff = x ^ y;
        if diff != 0 {
            return (n + (u64::from_le(diff).trailing_zeros() / 8) as usize).min(max);
        }
        n += 8;
    }
    max
}

struct Parser<'a> {
    w: &'a [u8],
    head: &'a mut [u32; HASH_SIZE],
    generation: u32,
    prev: &'a mut [u16],
    good: usize,
    nice: usize,
    max_chain: usize,
    match_start: usize,
    /// zlib's rolling `ins_h`: every position 0..=n-3 is inserted once, in order, so each
    /// hash is the previous one shifted with one new byte (zlib's `UPDATE_HASH`).
    ins_h: usize,
    #[cfg(debug_assertions)]
    next_insert: usize,
}

impl Parser<'_> {
    /// zlib's `INSERT_STRING`: the previous position with the same hash (0: none).
    #[inline(always)]
    fn insert(&mut self, p: usize) -> usize {
        // SAFETY: p <= n - MIN_MATCH, and `parse` checked that the window holds n + PAD bytes
        // and `prev` n entries; h <= HASH_MASK.
        #[cfg(debug_assertions)]
        {
            assert_eq!(p, self.next_insert, "positions are inserted in order");
            self.next_insert += 1;
        }
        let (h, slot) = unsafe {
            let h = ((self.ins_h << 5) ^ usize::from(*self.w.get_unchecked(p + 2))) & HASH_MASK;
            (h, self.prev.get_unchecked_mut(p))
        };
        self.ins_h = h;
        let entry = self.head[h];
        let head = if entry >> 16 == self.generation { entry as u16 } else { 0 };
        *slot = head;
        self.head[h] = (self.generation << 16) | p as u32;
        usize::from(head)
    }

    /// zlib's `longest_match` (no window limit: the input fits the window).
    fn longest_match(&mut self, strstart: usize, mut cur: usize, prev_length: usize, lookahead: usize) -> usize {
        let w = self.w;
        let mut chain = self.max_chain;
        let mut best_len = prev_length;
        let nice = self.nice.min(lookahead);
        if prev_length >= self.good {
            chain >>= 2;
        }
        // Bounds: strstart < n and best_len <= MAX_MATCH, so every read below (at most
        // strstart + MAX_MATCH + 8) is inside the window (n + PAD bytes); cur < strstart.
        assert!(strstart + MAX_MATCH + 8 < w.len() && best_len <= MAX_MATCH && self.prev.len() >= strstart);
        let base = w.as_ptr();
        // SAFETY (every unsafe read in this loop): see the bounds above.
        let read16 = |i: usize| unsafe { std::ptr::read_unaligned(base.add(i).cast::<u16>()) };
        let scan_start = read16(strstart);
        let mut scan_end = read16(strstart + best_len - 1);
        loop {
            debug_assert!(cur < strstart);
            // zlib's byte checks at best_len - 1, best_len, 0 and 1, two bytes at a time.
            if read16(cur + best_len - 1) == scan_end && read16(cur) == scan_start {
                // The third byte is equal too: same hash, same first two bytes.
                let len = 3 + unsafe { common(base, strstart + 3, cur + 3, MAX_MATCH - 3) };
                if len > best_len {
                    self.match_start = cur;
                    best_len = len;
                    if len >= nice {
                        break;
                    }
                    scan_end = read16(strstart + best_len - 1);
                }
            }
            // SAFETY: cur < strstart <= prev.len().
            cur = usize::from(unsafe { *self.prev.get_unchecked(cur) });
            chain -= 1;
            if cur == 0 || chain == 0 {
                break;
            }
        }
        best_len.min(lookahead)
    }
}

/// zlib's `deflate_slow` over the whole input: the symbols of one block.
fn parse(s: &mut Scratch, n: usize, level: i32) {
    let (good, max_lazy, nice, max_chain) = CONFIG[(level - 4) as usize];
    let Scratch { head, generation, prev, window, syms, .. } = s;
    *generation += 1;
    if *generation > u32::from(u16::MAX) {
        // Once every 65535 calls: no entry may carry the generation about to be reused.
        head.fill(0);
        *generation = 1;
    }
    let generation = *generation;
    assert!(window.len() >= n + PAD && prev.len() >= n && n <= SMALL_MAX);
    syms.clear();
    // zlib's fill_window primes ins_h with the first two bytes (the window is zero-padded).
    let ins_h = ((usize::from(window[0]) << 5) ^ usize::from(window[1])) & HASH_MASK;
    let mut p = Parser {
        w: window,
        head,
        generation,
        prev,
        good,
        nice,
        max_chain,
        match_start: 0,
        ins_h,
        #[cfg(debug_assertions)]
        next_insert: 0,
    };
    let mut strstart = 0usize;
    let mut lookahead = n;
    let mut match_length = MIN_MATCH - 1;
    let mut match_available = false;
    while lookahead > 0 {
        let mut hash_head = 0;
        if lookahead >= MIN_MATCH {
            hash_head = p.insert(strstart);
        }
        let prev_length = match_length;
        let prev_match = p.match_start;
        match_length = MIN_MATCH - 1;
        if hash_head != 0 && prev_length < max_lazy {
            match_length = p.longest_match(strstart, hash_head, prev_length, lookahead);
            if match_length == MIN_MATCH && strstart - p.match_start > TOO_FAR {
                match_length = MIN_MATCH - 1;
            }
        }
        if prev_length >= MIN_MATCH && match_length <= prev_length {
            let max_insert = strstart + lookahead - MIN_MATCH;
            syms.push(Sym { dist: (strstart - 1 - prev_match) as u16, lc: (prev_length - MIN_MATCH) as u8 });
            lookahead -= prev_length - 1;
            for _ in 0..prev_length - 2 {
                strstart += 1;
                if strstart <= max_insert {
                    p.insert(strstart);
                }
            }
            match_available = false;
            match_length = MIN_MATCH - 1;
            strstart += 1;
        } else {
            if match_available {
                syms.push(Sym { dist: 0, lc: p.w[strstart - 1] });
            }
            match_available = true;
            strstart += 1;
            lookahead -= 1;
        }
    }
    if match_available {
        syms.push(Sym { dist: 0, lc: p.w[strstart - 1] });
    }
}

/// The deflate stream (one final block) of `window[..n]`, as zlib writes it at `level`.
fn deflate_block(s: &mut Scratch, n: usize, out: &mut Vec<u8>) {
    let Scratch { window, syms, ltree, dtree, bltree, trees, .. } = s;
    ltree.reset();
    dtree.reset();
    bltree.reset();
    trees.opt_len = 0;
    trees.static_len = 0;
    ltree.freq[END_BLOCK] = 1;
    for sym in syms.iter() {
        if sym.dist == 0 {
            ltree.freq[usize::from(sym.lc)] += 1;
        } else {
            ltree.freq[length_code(usize::from(sym.lc)) + 257] += 1;
            dtree.freq[dist_code(usize::from(sym.dist) - 1)] += 1;
        }
    }
    trees.build(ltree, &L_DESC);
    trees.build(dtree, &D_DESC);
    // build_bl_tree
    scan_tree(&ltree.len, ltree.max_code, bltree);
    scan_tree(&dtree.len, dtree.max_code, bltree);
    trees.build(bltree, &BL_DESC);
    let mut max_blindex = BL_CODES - 1;
    while max_blindex >= 3 && bltree.len[BL_ORDER[max_blindex]] == 0 {
        max_blindex -= 1;
    }
    trees.opt_len = trees.opt_len.wrapping_add(3 * (max_blindex as u64 + 1) + 5 + 5 + 4);

    let mut opt_lenb = (trees.opt_len + 3 + 7) >> 3;
    let static_lenb = (trees.static_len + 3 + 7) >> 3;
    if static_lenb <= opt_lenb {
        opt_lenb = static_lenb;
    }
    if n as u64 + 4 <= opt_lenb {
        // A stored block: 3 header bits, padded to a byte, LEN, NLEN, the data.
        out.push(1);
        out.extend_from_slice(&(n as u16).to_le_bytes());
        out.extend_from_slice(&(!(n as u16)).to_le_bytes());
        out.extend_from_slice(&window[..n]);
        return;
    }
    let mut w = Bits { out, buf: 0, n: 0 };
    if static_lenb == opt_lenb {
        w.put(0b011, 3); // BFINAL, BTYPE 01
        let lcode = |c: usize| (reverse(static_code(c), static_llen(c)), static_llen(c));
        let dcode = |c: usize| (reverse(c as u16, 5), 5u16);
        compress_block(&mut w, syms, lcode, dcode);
    } else {
        w.put(0b101, 3); // BFINAL, BTYPE 10
        let lcodes = ltree.max_code as usize + 1;
        let dcodes = dtree.max_code as usize + 1;
        w.put(lcodes as u32 - 257, 5);
        w.put(dcodes as u32 - 1, 5);
        w.put(max_blindex as u32 + 1 - 4, 4);
        for &r in &BL_ORDER[..=max_blindex] {
            w.put(u32::from(bltree.len[r]), 3);
        }
        send_tree(&ltree.len, lcodes as isize - 1, bltree, &mut w);
        send_tree(&dtree.len, dcodes as isize - 1, bltree, &mut w);
        let (lt, dt) = (&*ltree, &*dtree);
        compress_block(&mut w, syms, |c| (lt.code[c], lt.len[c]), |c| (dt.code[c], dt.len[c]));
    }
    w.finish();
}

/// The canonical code of literal/length symbol `c` in the fixed tree (RFC 1951 §3.2.6).
fn static_code(c: usize) -> u16 {
    match c {
        0..=143 => 0x30 + c as u16,
        144..=255 => 0x190 + (c as u16 - 144),
        256..=279 => c as u16 - 256,
        _ => 0xc0 + (c as u16 - 280),
    }
}

fn compress_block(w: &mut Bits<'_>, syms: &[Sym], lcode: impl Fn(usize) -> (u16, u16), dcode: impl Fn(usize) -> (u16, u16)) {
    for sym in syms {
        if sym.dist == 0 {
            let (c, l) = lcode(usize::from(sym.lc));
            w.put(u32::from(c), u32::from(l));
        } else {
            let lc = usize::from(sym.lc);
            let code = length_code(lc);
            let (c, l) = lcode(code + 257);
            w.put(u32::from(c), u32::from(l));
            let extra = u32::from(EXTRA_LBITS[code]);
            if extra != 0 {
                w.put((lc - usize::from(BASE_LENGTH[code])) as u32, extra);
            }
            let dist = usize::from(sym.dist) - 1;
            let code = dist_code(dist);
            let (c, l) = dcode(code);
            w.put(u32::from(c), u32::from(l));
            let extra = u32::from(EXTRA_DBITS[code]);
            if extra != 0 {
                w.put((dist - usize::from(BASE_DIST[code])) as u32, extra);
            }
        }
    }
    let (c, l) = lcode(END_BLOCK);
    w.put(u32::from(c), u32::from(l));
}

/// gzip (RFC 1952, mtime 0, OS 255 as libdeflate and Python write it) or zlib (RFC 1950) around
/// zlib's deflate stream of `data` at `level`. `data.len() <= SMALL_MAX`, `level` in 4..=9.
pub fn compress(data: &[u8], encoding: Encoding, level: i32) -> Vec<u8> {
    compress_with(data, encoding, level, <[u8]>::to_vec)
}

/// `compress`, handing the output to `take` from a buffer the thread reuses (the caller
/// copies it once, into a Python `bytes`, instead of allocating a `Vec` first).
pub fn compress_with<R>(data: &[u8], encoding: Encoding, level: i32, take: impl FnOnce(&[u8]) -> R) -> R {
    debug_assert!(handles(data.len(), level));
    let n = data.len();
    SCRATCH.with(|cell| {
        let mut slot = cell.borrow_mut();
        let s = slot.get_or_insert_with(Scratch::new);
        let mut out = std::mem::take(&mut s.out);
        out.clear();
        let gzip = encoding == Encoding::Gzip;
        if gzip {
            let xfl = if level == 9 { 2 } else { 0 };
            out.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 0xff]);
        } else {
            // zlib's deflateInit2 header: 32 KiB window, FLEVEL from the level.
            let flevel: u16 = match level {
                0..=1 => 0,
                2..=5 => 1,
                6 => 2,
                _ => 3,
            };
            let mut header: u16 = (0x78 << 8) | (flevel << 6);
            header += 31 - header % 31;
            out.extend_from_slice(&header.to_be_bytes());
        }
        s.window[..n].copy_from_slice(data);
        s.window[n..n + PAD].fill(0);
        parse(s, n, level);
        deflate_block(s, n, &mut out);
        if gzip {
            out.extend_from_slice(&libdeflater::crc32(data).to_le_bytes());
            out.extend_from_slice(&(n as u32).to_le_bytes());
        } else {
            out.extend_from_slice(&libdeflater::adler32(data).to_be_bytes());
        }
        let result = take(&out);
        s.out = out;
        result
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The byte-for-byte comparison with zlib itself is in tests/test_compress.py (Python's
    /// `zlib` module is zlib); here: round trips through webaccel's own decoder.
    fn inflate(data: &[u8], encoding: Encoding) -> Vec<u8> {
        crate::compress::codec::decompress(data, encoding, 1 << 20).unwrap()
    }

    fn samples() -> Vec<Vec<u8>> {
        let mut json = Vec::new();
        for i in 0..400u32 {
            json.extend_from_slice(format!("{{\"id\":{i},\"name\":\"item {}\",\"ok\":true}},", i * 7919 % 1000).as_bytes());
        }
        let mut noise = Vec::new();
        let mut x = 0x1234_5678u32;
        for _ in 0..SMALL_MAX {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            noise.push(x as u8);
        }
        vec![
            Vec::new(),
            b"a".to_vec(),
            b"ab".to_vec(),
            b"abc".to_vec(),
            b"abcabcabc".to_vec(),
            vec![0; SMALL_MAX],
            vec![b'x'; 1000],
            json[..SMALL_MAX.min(json.len())].to_vec(),
            noise.clone(),
            noise[..300].to_vec(),
            (0..=255u8).cycle().take(5000).collect(),
        ]
    }

    #[test]
    fn round_trips_at_every_lazy_level() {
        for data in samples() {
            for level in 4..=9 {
                for enc in [Encoding::Gzip, Encoding::Deflate] {
                    let c = compress(&data, enc, level);
                    assert_eq!(inflate(&c, enc), data, "{enc:?} level {level} len {}", data.len());
                }
            }
        }
    }

    #[test]
    fn incompressible_input_goes_in_a_stored_block() {
        let noise = samples().swap_remove(8);
        let c = compress(&noise, Encoding::Deflate, 6);
        assert_eq!(c.len(), 2 + 5 + noise.len() + 4);
    }

    #[test]
    fn entries_of_earlier_calls_are_ignored_and_generations_wrap() {
        let data = samples().swap_remove(7);
        let first = compress(&data, Encoding::Gzip, 6);
        for generation in [7, u32::from(u16::MAX) - 1, u32::from(u16::MAX)] {
            SCRATCH.with(|cell| {
                let mut slot = cell.borrow_mut();
                let s = slot.as_mut().unwrap();
                // What a call that stopped midway would leave: entries of its own generation.
                s.generation = generation;
                s.head.fill((generation << 16) | 0x1234);
            });
            assert_eq!(compress(&data, Encoding::Gzip, 6), first);
            assert_eq!(compress(&data, Encoding::Gzip, 6), first);
        }
    }

    #[test]
    fn codes_match_zlibs_tables() {
        assert_eq!(length_code(0), 0);
        assert_eq!(length_code(8), 8);
        assert_eq!(length_code(9), 8);
        assert_eq!(length_code(254), 27);
        assert_eq!(length_code(255), 28);
        assert_eq!(dist_code(0), 0);
        assert_eq!(dist_code(4), 4);
        assert_eq!(dist_code(6), 5);
        assert_eq!(dist_code(32767), 29);
        assert_eq!(dist_code(16384), 28);
    }
}
