//! The little DER and PEM reading that JOSE keys need: SubjectPublicKeyInfo, PKCS#1, PKCS#8,
//! SEC1 and the SubjectPublicKeyInfo inside an X.509 certificate. Strict definite lengths only;
//! nothing here allocates more than the input it was given.

use base64::Engine;

pub const TAG_INTEGER: u8 = 0x02;
pub const TAG_BIT_STRING: u8 = 0x03;
pub const TAG_OCTET_STRING: u8 = 0x04;
pub const TAG_NULL: u8 = 0x05;
pub const TAG_OID: u8 = 0x06;
pub const TAG_SEQUENCE: u8 = 0x30;

/// DER-encoded OID contents (without tag and length).
pub const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
pub const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
pub const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
pub const OID_P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
pub const OID_P521: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x23];
pub const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];

#[derive(Debug, PartialEq, Eq)]
pub struct DerError;

type R<T> = Result<T, DerError>;

/// (algorithm OID, curve OID if any, key bytes).
pub type KeyParts<'a> = (&'a [u8], Option<&'a [u8]>, &'a [u8]);

/// A cursor over DER bytes.
#[derive(Clone, Copy)]
pub struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Self { data }
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    pub fn peek_tag(&self) -> Option<u8> {
        self.data.first().copied()
    }

    /// The next element: (tag, contents).
    pub fn any(&mut self) -> R<(u8, &'a [u8])> {
        let (&tag, rest) = self.data.split_first().ok_or(DerError)?;
        let (&first, mut rest) = rest.split_first().ok_or(DerError)?;
        let len = if first < 0x80 {
            first as usize
        } else {
            let n = (first & 0x7f) as usize;
            if n == 0 || n > 4 || rest.len() < n {
                return Err(DerError);
            }
            let mut len = 0usize;
            for &b in &rest[..n] {
                len = (len << 8) | b as usize;
            }
            rest = &rest[n..];
            // DER: the shortest length form.
            if len < 0x80 || (n > 1 && rest.is_empty()) {
                return Err(DerError);
            }
            len
        };
        if rest.len() < len {
            return Err(DerError);
        }
        let (contents, after) = rest.split_at(len);
        self.data = after;
        Ok((tag, contents))
    }

    pub fn expect(&mut self, tag: u8) -> R<&'a [u8]> {
        match self.any()? {
            (t, c) if t == tag => Ok(c),
            _ => Err(DerError),
        }
    }

    pub fn sequence(&mut self) -> R<Reader<'a>> {
        Ok(Reader::new(self.expect(TAG_SEQUENCE)?))
    }

    /// A non-negative INTEGER as big-endian bytes without leading zeros.
    pub fn unsigned(&mut self) -> R<&'a [u8]> {
        let c = self.expect(TAG_INTEGER)?;
        if c.is_empty() || c[0] & 0x80 != 0 {
            return Err(DerError);
        }
        let start = c.iter().position(|&b| b != 0).unwrap_or(c.len());
        Ok(&c[start..])
    }

    /// A BIT STRING with no unused bits.
    pub fn bit_string(&mut self) -> R<&'a [u8]> {
        match self.expect(TAG_BIT_STRING)?.split_first() {
            Some((0, bits)) => Ok(bits),
            _ => Err(DerError),
        }
    }

    /// A context-specific explicit tag `[n]` if it comes next.
    pub fn optional_context(&mut self, n: u8) -> R<Option<Reader<'a>>> {
        if self.peek_tag() == Some(0xa0 | n) {
            Ok(Some(Reader::new(self.any()?.1)))
        } else {
            Ok(None)
        }
    }

    pub fn finish(&self) -> R<()> {
        if self.data.is_empty() {
            Ok(())
        } else {
            Err(DerError)
        }
    }
}

/// The algorithm of a SubjectPublicKeyInfo or PKCS#8 AlgorithmIdentifier: (OID, curve OID).
pub fn algorithm_identifier<'a>(r: &mut Reader<'a>) -> R<(&'a [u8], Option<&'a [u8]>)> {
    let mut alg = r.sequence()?;
    let oid = alg.expect(TAG_OID)?;
    let param = match alg.peek_tag() {
        Some(TAG_OID) => Some(alg.expect(TAG_OID)?),
        Some(TAG_NULL) => {
            alg.expect(TAG_NULL)?;
            None
        }
        None => None,
        _ => return Err(DerError),
    };
    alg.finish()?;
    Ok((oid, param))
}

/// SubjectPublicKeyInfo: (algorithm OID, curve OID, key bits).
pub fn spki(der: &[u8]) -> R<KeyParts<'_>> {
    let mut outer = Reader::new(der);
    let mut seq = outer.sequence()?;
    outer.finish()?;
    let (oid, param) = algorithm_identifier(&mut seq)?;
    let key = seq.bit_string()?;
    seq.finish()?;
    Ok((oid, param, key))
}

/// PKCS#1 RSAPublicKey: (n, e).
pub fn rsa_public_key(der: &[u8]) -> R<(&[u8], &[u8])> {
    let mut outer = Reader::new(der);
    let mut seq = outer.sequence()?;
    outer.finish()?;
    let n = seq.unsigned()?;
    let e = seq.unsigned()?;
    seq.finish()?;
    Ok((n, e))
}

/// PKCS#1 RSAPrivateKey: (n, e), the rest is left to ring.
pub fn rsa_private_key_public_part(der: &[u8]) -> R<(&[u8], &[u8])> {
    let mut outer = Reader::new(der);
    let mut seq = outer.sequence()?;
    seq.unsigned()?; // version
    let n = seq.unsigned()?;
    let e = seq.unsigned()?;
    Ok((n, e))
}

/// PKCS#8 PrivateKeyInfo / OneAsymmetricKey: (algorithm OID, curve OID, privateKey contents).
pub fn pkcs8(der: &[u8]) -> R<KeyParts<'_>> {
    let mut outer = Reader::new(der);
    let mut seq = outer.sequence()?;
    outer.finish()?;
    seq.unsigned()?; // version 0 or 1
    let (oid, param) = algorithm_identifier(&mut seq)?;
    let key = seq.expect(TAG_OCTET_STRING)?;
    Ok((oid, param, key))
}

/// SEC1 ECPrivateKey: the private scalar, the curve OID and public point when present.
pub struct EcPrivateKey<'a> {
    pub d: &'a [u8],
    pub curve: Option<&'a [u8]>,
    pub public: Option<&'a [u8]>,
}

pub fn ec_private_key(der: &[u8]) -> R<EcPrivateKey<'_>> {
    let mut outer = Reader::new(der);
    let mut seq = outer.sequence()?;
    outer.finish()?;
    if seq.unsigned()? != [1] {
        return Err(DerError);
    }
    let d = seq.expect(TAG_OCTET_STRING)?;
    let curve = match seq.optional_context(0)? {
        Some(mut p) => Some(p.expect(TAG_OID)?),
        None => None,
    };
    let public = match seq.optional_context(1)? {
        Some(mut p) => Some(p.bit_string()?),
        None => None,
    };
    Ok(EcPrivateKey { d, curve, public })
}

/// The SubjectPublicKeyInfo (whole element, with tag) of an X.509 certificate.
pub fn certificate_spki(der: &[u8]) -> R<&[u8]> {
    let mut outer = Reader::new(der);
    let mut cert = outer.sequence()?;
    let mut tbs = cert.sequence()?;
    tbs.optional_context(0)?; // version
    tbs.expect(TAG_INTEGER)?; // serial
    tbs.sequence()?; // signature algorithm
    tbs.sequence()?; // issuer
    tbs.sequence()?; // validity
    tbs.sequence()?; // subject
    let before = tbs.data;
    tbs.sequence()?;
    Ok(&before[..before.len() - tbs.data.len()])
}

/// One PEM block: (label, DER). Text around the block is ignored, as OpenSSL does.
pub fn pem(text: &[u8]) -> Option<(String, Vec<u8>)> {
    let text = std::str::from_utf8(text).ok()?;
    let start = text.find("-----BEGIN ")?;
    let rest = &text[start + 11..];
    let label_end = rest.find("-----")?;
    let label = &rest[..label_end];
    let body_start = label_end + 5;
    let end_marker = format!("-----END {label}-----");
    let body_end = rest[body_start..].find(&end_marker)? + body_start;
    let body: String = rest[body_start..body_end].chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if body.contains(':') {
        return None; // RFC 1421 headers: an encrypted legacy key.
    }
    let der = base64::engine::general_purpose::STANDARD.decode(body.as_bytes()).ok()?;
    Some((label.to_owned(), der))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_strict() {
        assert!(Reader::new(&[0x30, 0x81, 0x05, 0, 0, 0, 0, 0]).any().is_err()); // long form for 5
        assert!(Reader::new(&[0x30, 0x05, 0]).any().is_err()); // truncated
        assert!(Reader::new(&[0x30]).any().is_err());
        assert_eq!(Reader::new(&[0x02, 0x01, 0x05]).unsigned(), Ok(&[5u8][..]));
        assert!(Reader::new(&[0x02, 0x01, 0x85]).unsigned().is_err()); // negative
        assert_eq!(Reader::new(&[0x02, 0x02, 0x00, 0x85]).unsigned(), Ok(&[0x85u8][..]));
    }

    #[test]
    fn pem_blocks() {
        let (label, der) = pem(b"junk\n-----BEGIN PUBLIC KEY-----\nMAMCAQU=\n-----END PUBLIC KEY-----\n").unwrap();
        assert_eq!(label, "PUBLIC KEY");
        assert_eq!(der, vec![0x30, 0x03, 0x02, 0x01, 0x05]);
        assert!(pem(b"-----BEGIN PUBLIC KEY-----\nMAMCAQU=\n-----END PRIVATE KEY-----").is_none());
        assert!(pem(b"-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nMAMCAQU=\n-----END RSA PRIVATE KEY-----").is_none());
    }
}
