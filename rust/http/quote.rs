//! Percent-encoding as `urllib.parse.quote`/`quote_plus` do it, free of Python: bytes outside the
//! unreserved set and the caller's (ASCII) `safe` characters become `%XX` (upper-case hex).

/// `urllib.parse._ALWAYS_SAFE`.
const ALWAYS_SAFE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~";

/// Which bytes pass through unchanged; `plus` writes a space as `+` (`quote_plus`).
pub struct Quoter {
    safe: [bool; 256],
    plus: bool,
}

impl Quoter {
    /// `safe` is filtered to ASCII as stdlib does (`safe.encode("ascii", "ignore")`, or the bytes
    /// below 128 of a bytes `safe`).
    pub fn new(safe: &[u8], plus: bool) -> Self {
        let mut table = [false; 256];
        for &b in ALWAYS_SAFE.iter().chain(safe.iter().filter(|b| b.is_ascii())) {
            table[usize::from(b)] = true;
        }
        Self { safe: table, plus }
    }

    pub fn quote_into(&self, src: &[u8], out: &mut Vec<u8>) {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        out.reserve(src.len());
        for &b in src {
            if self.plus && b == b' ' {
                out.push(b'+');
            } else if self.safe[usize::from(b)] {
                out.push(b);
            } else {
                out.extend_from_slice(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &[u8], safe: &[u8], plus: bool) -> String {
        let mut out = Vec::new();
        Quoter::new(safe, plus).quote_into(s, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn quote_plus_like_stdlib() {
        assert_eq!(q(b"a b&c=d/~", b"", true), "a+b%26c%3Dd%2F~");
        assert_eq!(q(b"a b", b"", false), "a%20b");
        assert_eq!(q(b"a+b/", b"/+", true), "a+b/");
        assert_eq!(q("\u{e9}".as_bytes(), "\u{e9}".as_bytes(), true), "%C3%A9");
    }
}
