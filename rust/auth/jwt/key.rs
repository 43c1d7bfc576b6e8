//! Keys and the signature primitives over them. A key's type fixes its algorithm family: an
//! HMAC secret signs only HS*, an RSA key only RS*/PS*, a P-256 key only ES256, and so on, so a
//! public key can never be used as an HMAC secret (algorithm confusion: CVE-2017-11424,
//! CVE-2022-29217, CVE-2024-33663). A JWK's `alg` pins the key further to one algorithm.

use std::sync::OnceLock;

use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
use ring::hmac;

use super::alg::{AlgSet, Algorithm, Family};
use super::der;
use super::error::{key as key_err, JwtError};

static RNG: OnceLock<SystemRandom> = OnceLock::new();

fn rng() -> &'static SystemRandom {
    RNG.get_or_init(SystemRandom::new)
}

pub enum Material {
    Hmac {
        secret: Vec<u8>,
        /// ring's keys (the padded inner/outer blocks), built on first use per hash.
        keys: Box<[OnceLock<hmac::Key>; 3]>,
    },
    RsaPublic {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    RsaPrivate {
        n: Vec<u8>,
        e: Vec<u8>,
        pair: Box<RsaKeyPair>,
    },
    EcPublic {
        family: Family,
        point: Vec<u8>,
    },
    EcPrivate {
        family: Family,
        point: Vec<u8>,
        pair: Box<EcdsaKeyPair>,
    },
    EdPublic {
        x: Vec<u8>,
    },
    EdPrivate {
        x: Vec<u8>,
        pair: Box<Ed25519KeyPair>,
    },
}

pub struct Key {
    pub material: Material,
    /// JWK `kid`.
    pub kid: Option<String>,
    /// JWK `alg`: when set, the only algorithm this key is used with.
    pub alg: Option<Algorithm>,
    /// HMAC keys shorter than the hash output are refused unless this is set.
    pub allow_short: bool,
}

/// The JWK members webaccel reads (RFC 7517/7518/8037), all as the JSON strings they are.
#[derive(Default)]
pub struct JwkFields {
    pub kty: Option<String>,
    pub alg: Option<String>,
    pub kid: Option<String>,
    pub use_: Option<String>,
    pub key_ops: Option<Vec<String>>,
    pub crv: Option<String>,
    pub k: Option<String>,
    pub n: Option<String>,
    pub e: Option<String>,
    pub d: Option<String>,
    pub p: Option<String>,
    pub q: Option<String>,
    pub dp: Option<String>,
    pub dq: Option<String>,
    pub qi: Option<String>,
    pub x: Option<String>,
    pub y: Option<String>,
    pub oth: bool,
}

pub fn b64url(s: &str, what: &str) -> Result<Vec<u8>, JwtError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s.as_bytes())
        .map_err(|_| key_err(format!("JWK member \"{what}\" is not base64url")))
}

pub fn b64url_encode(b: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    &b[start..]
}

fn curve_family(oid: &[u8]) -> Result<Family, JwtError> {
    match oid {
        der::OID_P256 => Ok(Family::EcP256),
        der::OID_P384 => Ok(Family::EcP384),
        der::OID_P521 => Err(key_err("P-521 (ES512) keys are not supported")),
        _ => Err(key_err("unsupported elliptic curve")),
    }
}

fn point_len(f: Family) -> usize {
    if f == Family::EcP256 { 65 } else { 97 }
}

fn ec_verify_alg(f: Family) -> &'static signature::EcdsaVerificationAlgorithm {
    if f == Family::EcP256 { &signature::ECDSA_P256_SHA256_FIXED } else { &signature::ECDSA_P384_SHA384_FIXED }
}

fn ec_signing_alg(f: Family) -> &'static signature::EcdsaSigningAlgorithm {
    if f == Family::EcP256 { &signature::ECDSA_P256_SHA256_FIXED_SIGNING } else { &signature::ECDSA_P384_SHA384_FIXED_SIGNING }
}

fn check_point(f: Family, point: &[u8]) -> Result<(), JwtError> {
    if point.len() != point_len(f) || point[0] != 0x04 {
        return Err(key_err("elliptic curve public keys must be uncompressed points on the key's curve"));
    }
    // ring validates the point on the curve when verifying; a bad point fails every signature.
    Ok(())
}

fn check_rsa(n: &[u8]) -> Result<(), JwtError> {
    let bits = match n.first() {
        Some(b) => n.len() * 8 - b.leading_zeros() as usize,
        None => 0,
    };
    if !(2048..=8192).contains(&bits) {
        return Err(key_err(format!("RSA keys must have 2048 to 8192 bits, not {bits}")));
    }
    Ok(())
}

fn rejected(what: &str) -> impl Fn(ring::error::KeyRejected) -> JwtError + '_ {
    move |e| key_err(format!("invalid {what}: {e}"))
}

impl Key {
    fn new(material: Material) -> Key {
        Key { material, kid: None, alg: None, allow_short: false }
    }

    pub fn hmac(secret: &[u8], allow_short: bool) -> Key {
        let mut k = Key::new(Material::Hmac { secret: secret.to_vec(), keys: Default::default() });
        k.allow_short = allow_short;
        k
    }

    /// A PEM document: public (SPKI, PKCS#1, X.509 certificate) or private (PKCS#8, PKCS#1, SEC1).
    pub fn from_pem(text: &[u8]) -> Result<Key, JwtError> {
        let (label, der) = der::pem(text).ok_or_else(|| key_err("could not read the PEM block (encrypted PEM keys are not supported)"))?;
        match label.as_str() {
            "PUBLIC KEY" => Key::from_spki(&der),
            "RSA PUBLIC KEY" => Key::rsa_public_pkcs1(&der),
            "CERTIFICATE" => Key::from_spki(der::certificate_spki(&der).map_err(|_| key_err("malformed X.509 certificate"))?),
            "PRIVATE KEY" => Key::from_pkcs8(&der),
            "RSA PRIVATE KEY" => Key::rsa_private_pkcs1(&der),
            "EC PRIVATE KEY" => Key::ec_private_sec1(&der, None),
            "ENCRYPTED PRIVATE KEY" => Err(key_err("encrypted private keys are not supported: decrypt the key first")),
            other => Err(key_err(format!("unsupported PEM block \"{other}\""))),
        }
    }

    pub fn from_spki(der_bytes: &[u8]) -> Result<Key, JwtError> {
        let malformed = |_| key_err("malformed SubjectPublicKeyInfo");
        let (oid, param, bits) = der::spki(der_bytes).map_err(malformed)?;
        match oid {
            der::OID_RSA => Key::rsa_public_pkcs1(bits),
            der::OID_EC_PUBLIC_KEY => {
                let f = curve_family(param.ok_or_else(|| key_err("EC key without a named curve"))?)?;
                check_point(f, bits)?;
                Ok(Key::new(Material::EcPublic { family: f, point: bits.to_vec() }))
            }
            der::OID_ED25519 => {
                if bits.len() != 32 {
                    return Err(key_err("Ed25519 public keys are 32 bytes"));
                }
                Ok(Key::new(Material::EdPublic { x: bits.to_vec() }))
            }
            _ => Err(key_err("unsupported public key algorithm")),
        }
    }

    fn rsa_public_pkcs1(der_bytes: &[u8]) -> Result<Key, JwtError> {
        let (n, e) = der::rsa_public_key(der_bytes).map_err(|_| key_err("malformed RSA public key"))?;
        Key::rsa_public(n, e)
    }

    fn rsa_public(n: &[u8], e: &[u8]) -> Result<Key, JwtError> {
        let (n, e) = (strip_zeros(n), strip_zeros(e));
        check_rsa(n)?;
        if e.is_empty() || e.len() > 4 {
            return Err(key_err("unsupported RSA public exponent"));
        }
        Ok(Key::new(Material::RsaPublic { n: n.to_vec(), e: e.to_vec() }))
    }

    fn rsa_private_pkcs1(der_bytes: &[u8]) -> Result<Key, JwtError> {
        let (n, e) = der::rsa_private_key_public_part(der_bytes).map_err(|_| key_err("malformed RSA private key"))?;
        check_rsa(n)?;
        let pair = RsaKeyPair::from_der(der_bytes).map_err(rejected("RSA private key"))?;
        Ok(Key::new(Material::RsaPrivate { n: n.to_vec(), e: e.to_vec(), pair: Box::new(pair) }))
    }

    fn from_pkcs8(der_bytes: &[u8]) -> Result<Key, JwtError> {
        let (oid, param, inner) = der::pkcs8(der_bytes).map_err(|_| key_err("malformed PKCS#8 private key"))?;
        match oid {
            der::OID_RSA => Key::rsa_private_pkcs1(inner),
            der::OID_EC_PUBLIC_KEY => Key::ec_private_sec1(inner, param),
            der::OID_ED25519 => {
                let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der_bytes).map_err(rejected("Ed25519 private key"))?;
                let x = pair.public_key().as_ref().to_vec();
                Ok(Key::new(Material::EdPrivate { x, pair: Box::new(pair) }))
            }
            _ => Err(key_err("unsupported private key algorithm")),
        }
    }

    fn ec_private_sec1(der_bytes: &[u8], outer_curve: Option<&[u8]>) -> Result<Key, JwtError> {
        let der::EcPrivateKey { d, curve, public } = der::ec_private_key(der_bytes).map_err(|_| key_err("malformed EC private key"))?;
        let f = curve_family(curve.or(outer_curve).ok_or_else(|| key_err("EC private key without a named curve"))?)?;
        let public = public.ok_or_else(|| key_err("EC private keys must include their public key"))?;
        Key::ec_private(f, d, public)
    }

    fn ec_private(f: Family, d: &[u8], point: &[u8]) -> Result<Key, JwtError> {
        check_point(f, point)?;
        let pair = EcdsaKeyPair::from_private_key_and_public_key(ec_signing_alg(f), d, point, rng()).map_err(rejected("EC private key"))?;
        Ok(Key::new(Material::EcPrivate { family: f, point: point.to_vec(), pair: Box::new(pair) }))
    }

    /// A JWK (RFC 7517). `use` must be `sig` and `key_ops` must allow signing or verifying when
    /// present; `alg`, when present, pins the key to that algorithm.
    pub fn from_jwk(j: &JwkFields) -> Result<Key, JwtError> {
        if let Some(u) = &j.use_ {
            if u != "sig" {
                return Err(key_err(format!("JWK with \"use\": \"{u}\" is not a signature key")));
            }
        }
        if let Some(ops) = &j.key_ops {
            if !ops.iter().any(|o| o == "sign" || o == "verify") {
                return Err(key_err("JWK \"key_ops\" allows neither \"sign\" nor \"verify\""));
            }
        }
        let alg = match &j.alg {
            None => None,
            Some(a) => Some(Algorithm::from_name(a).ok_or_else(|| key_err(format!("unsupported JWK \"alg\": \"{a}\"")))?),
        };
        let need = |v: &Option<String>, name: &str| -> Result<Vec<u8>, JwtError> {
            match v {
                Some(s) => b64url(s, name),
                None => Err(key_err(format!("JWK is missing \"{name}\""))),
            }
        };
        let kty = j.kty.as_deref().ok_or_else(|| key_err("JWK is missing \"kty\""))?;
        let mut key = match kty {
            "oct" => {
                let k = need(&j.k, "k")?;
                if k.is_empty() {
                    return Err(key_err("empty HMAC key"));
                }
                Key::hmac(&k, false)
            }
            "RSA" => {
                let n = need(&j.n, "n")?;
                let e = need(&j.e, "e")?;
                if j.d.is_some() {
                    if j.oth {
                        return Err(key_err("multi-prime RSA keys (\"oth\") are not supported"));
                    }
                    let comps = ring::rsa::KeyPairComponents {
                        public_key: ring::rsa::PublicKeyComponents { n: strip_zeros(&n).to_vec(), e: strip_zeros(&e).to_vec() },
                        d: need(&j.d, "d")?,
                        p: need(&j.p, "p")?,
                        q: need(&j.q, "q")?,
                        dP: need(&j.dp, "dp")?,
                        dQ: need(&j.dq, "dq")?,
                        qInv: need(&j.qi, "qi")?,
                    };
                    check_rsa(strip_zeros(&n))?;
                    let pair = RsaKeyPair::from_components(&comps).map_err(rejected("RSA private key"))?;
                    Key::new(Material::RsaPrivate { n: strip_zeros(&n).to_vec(), e: strip_zeros(&e).to_vec(), pair: Box::new(pair) })
                } else {
                    Key::rsa_public(&n, &e)?
                }
            }
            "EC" => {
                let f = match j.crv.as_deref() {
                    Some("P-256") => Family::EcP256,
                    Some("P-384") => Family::EcP384,
                    Some("P-521") => return Err(key_err("P-521 (ES512) keys are not supported")),
                    _ => return Err(key_err("unsupported or missing JWK \"crv\" for an EC key")),
                };
                let size = if f == Family::EcP256 { 32 } else { 48 };
                let x = need(&j.x, "x")?;
                let y = need(&j.y, "y")?;
                if x.len() != size || y.len() != size {
                    return Err(key_err("JWK \"x\"/\"y\" do not have the curve's size"));
                }
                let mut point = Vec::with_capacity(1 + 2 * size);
                point.push(4);
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                match &j.d {
                    Some(_) => {
                        let d = need(&j.d, "d")?;
                        if d.len() != size {
                            return Err(key_err("JWK \"d\" does not have the curve's size"));
                        }
                        Key::ec_private(f, &d, &point)?
                    }
                    None => {
                        check_point(f, &point)?;
                        Key::new(Material::EcPublic { family: f, point })
                    }
                }
            }
            "OKP" => {
                if j.crv.as_deref() != Some("Ed25519") {
                    return Err(key_err("only the Ed25519 curve is supported for OKP keys"));
                }
                let x = need(&j.x, "x")?;
                if x.len() != 32 {
                    return Err(key_err("Ed25519 public keys are 32 bytes"));
                }
                match &j.d {
                    Some(_) => {
                        let d = need(&j.d, "d")?;
                        let pair = Ed25519KeyPair::from_seed_and_public_key(&d, &x).map_err(rejected("Ed25519 private key"))?;
                        Key::new(Material::EdPrivate { x, pair: Box::new(pair) })
                    }
                    None => Key::new(Material::EdPublic { x }),
                }
            }
            other => return Err(key_err(format!("unsupported JWK \"kty\": \"{other}\""))),
        };
        if let Some(a) = alg {
            if a.family() != key.family() {
                return Err(key_err(format!("JWK \"alg\": \"{}\" does not fit a key of type \"{kty}\"", a.name())));
            }
        }
        key.alg = alg;
        key.kid = j.kid.clone();
        Ok(key)
    }

    pub fn family(&self) -> Family {
        match &self.material {
            Material::Hmac { .. } => Family::Hmac,
            Material::RsaPublic { .. } | Material::RsaPrivate { .. } => Family::Rsa,
            Material::EcPublic { family, .. } | Material::EcPrivate { family, .. } => *family,
            Material::EdPublic { .. } | Material::EdPrivate { .. } => Family::Ed25519,
        }
    }

    pub fn kty(&self) -> &'static str {
        match self.family() {
            Family::Hmac => "oct",
            Family::Rsa => "RSA",
            Family::EcP256 | Family::EcP384 => "EC",
            Family::Ed25519 => "OKP",
        }
    }

    pub fn is_private(&self) -> bool {
        matches!(self.material, Material::Hmac { .. } | Material::RsaPrivate { .. } | Material::EcPrivate { .. } | Material::EdPrivate { .. })
    }

    /// Every algorithm this key can be used with (before any length policy).
    pub fn algorithms(&self) -> AlgSet {
        let mut s = AlgSet::default();
        for a in super::alg::ALL {
            if a.family() == self.family() && self.alg.is_none_or(|pinned| pinned == a) {
                s.insert(a);
            }
        }
        s
    }

    /// Can this key be used with `alg`? The error says why not (a configuration error).
    pub fn check(&self, alg: Algorithm) -> Result<(), JwtError> {
        if alg.family() != self.family() {
            return Err(key_err(format!("a key of type \"{}\" cannot be used with {}", self.kty(), alg.name())));
        }
        if let Some(pinned) = self.alg {
            if pinned != alg {
                return Err(key_err(format!("this key is for {} only, not {}", pinned.name(), alg.name())));
            }
        }
        if let Material::Hmac { secret, .. } = &self.material {
            if !self.allow_short && secret.len() < alg.min_hmac_key_len() {
                return Err(key_err(format!(
                    "HMAC key of {} bytes is shorter than the {} bytes {} requires (RFC 7518 section 3.2)",
                    secret.len(),
                    alg.min_hmac_key_len(),
                    alg.name()
                )));
            }
        }
        Ok(())
    }

    fn hmac_key(&self, alg: Algorithm) -> Option<&hmac::Key> {
        let Material::Hmac { secret, keys } = &self.material else { return None };
        let (i, h) = match alg {
            Algorithm::HS256 => (0, hmac::HMAC_SHA256),
            Algorithm::HS384 => (1, hmac::HMAC_SHA384),
            Algorithm::HS512 => (2, hmac::HMAC_SHA512),
            _ => return None,
        };
        Some(keys[i].get_or_init(|| hmac::Key::new(h, secret)))
    }

    pub fn sign(&self, alg: Algorithm, msg: &[u8]) -> Result<Vec<u8>, JwtError> {
        self.check(alg)?;
        let cannot = || key_err(format!("a public {} key cannot sign: give the private key", self.kty()));
        match &self.material {
            Material::Hmac { .. } => {
                let k = self.hmac_key(alg).ok_or_else(cannot)?;
                Ok(hmac::sign(k, msg).as_ref().to_vec())
            }
            Material::RsaPrivate { pair, .. } => {
                let padding: &'static dyn signature::RsaEncoding = match alg {
                    Algorithm::RS256 => &signature::RSA_PKCS1_SHA256,
                    Algorithm::RS384 => &signature::RSA_PKCS1_SHA384,
                    Algorithm::RS512 => &signature::RSA_PKCS1_SHA512,
                    Algorithm::PS256 => &signature::RSA_PSS_SHA256,
                    Algorithm::PS384 => &signature::RSA_PSS_SHA384,
                    _ => &signature::RSA_PSS_SHA512,
                };
                let mut sig = vec![0u8; pair.public().modulus_len()];
                pair.sign(padding, rng(), msg, &mut sig).map_err(|_| key_err("RSA signing failed"))?;
                Ok(sig)
            }
            Material::EcPrivate { pair, .. } => Ok(pair.sign(rng(), msg).map_err(|_| key_err("ECDSA signing failed"))?.as_ref().to_vec()),
            Material::EdPrivate { pair, .. } => Ok(pair.sign(msg).as_ref().to_vec()),
            _ => Err(cannot()),
        }
    }

    /// Verify `sig` over `msg`. The key must already have been checked for `alg`.
    pub fn verify(&self, alg: Algorithm, msg: &[u8], sig: &[u8]) -> Result<(), JwtError> {
        self.check(alg)?;
        let ok = match &self.material {
            Material::Hmac { .. } => {
                let k = self.hmac_key(alg).ok_or(JwtError::Signature)?;
                // ring's hmac::verify compares the tags in constant time.
                hmac::verify(k, msg, sig).is_ok()
            }
            Material::RsaPublic { n, e } | Material::RsaPrivate { n, e, .. } => {
                let params: &signature::RsaParameters = match alg {
                    Algorithm::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
                    Algorithm::RS384 => &signature::RSA_PKCS1_2048_8192_SHA384,
                    Algorithm::RS512 => &signature::RSA_PKCS1_2048_8192_SHA512,
                    Algorithm::PS256 => &signature::RSA_PSS_2048_8192_SHA256,
                    Algorithm::PS384 => &signature::RSA_PSS_2048_8192_SHA384,
                    _ => &signature::RSA_PSS_2048_8192_SHA512,
                };
                signature::RsaPublicKeyComponents { n: n.as_slice(), e: e.as_slice() }.verify(params, msg, sig).is_ok()
            }
            Material::EcPublic { family, point } | Material::EcPrivate { family, point, .. } => {
                signature::UnparsedPublicKey::new(ec_verify_alg(*family), point).verify(msg, sig).is_ok()
            }
            Material::EdPublic { x } | Material::EdPrivate { x, .. } => {
                signature::UnparsedPublicKey::new(&signature::ED25519, x).verify(msg, sig).is_ok()
            }
        };
        if ok { Ok(()) } else { Err(JwtError::Signature) }
    }

    /// The public JWK members of this key (no private parts), for publishing a JWKS.
    pub fn public_jwk(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![("kty", self.kty().to_owned())];
        match &self.material {
            Material::Hmac { .. } => {}
            Material::RsaPublic { n, e } | Material::RsaPrivate { n, e, .. } => {
                out.push(("n", b64url_encode(n)));
                out.push(("e", b64url_encode(e)));
            }
            Material::EcPublic { family, point } | Material::EcPrivate { family, point, .. } => {
                let size = (point.len() - 1) / 2;
                out.push(("crv", if *family == Family::EcP256 { "P-256" } else { "P-384" }.to_owned()));
                out.push(("x", b64url_encode(&point[1..1 + size])));
                out.push(("y", b64url_encode(&point[1 + size..])));
            }
            Material::EdPublic { x } | Material::EdPrivate { x, .. } => {
                out.push(("crv", "Ed25519".to_owned()));
                out.push(("x", b64url_encode(x)));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::KeyPair;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn hmac_rfc4231_tc1_and_policy() {
        let key = Key::hmac(&[0x0b; 20], true);
        let mac = key.sign(Algorithm::HS256, b"Hi There").ok().unwrap();
        assert_eq!(hex(&mac), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
        assert!(key.verify(Algorithm::HS256, b"Hi There", &mac).is_ok());
        assert_eq!(key.verify(Algorithm::HS256, b"Hi There", &mac[..31]), Err(JwtError::Signature));
        // Without allow_short, a 20-byte secret is refused for every HS algorithm.
        let strict = Key::hmac(&[0x0b; 20], false);
        assert!(matches!(strict.sign(Algorithm::HS256, b"x"), Err(JwtError::Key(_))));
        let ok = Key::hmac(&[1; 48], false);
        assert!(ok.check(Algorithm::HS384).is_ok() && ok.check(Algorithm::HS512).is_err());
        // An HMAC key never serves another family.
        assert!(matches!(ok.check(Algorithm::RS256), Err(JwtError::Key(_))));
        assert_eq!(ok.algorithms().names(), vec!["HS256", "HS384", "HS512"]);
    }

    #[test]
    fn ed25519_rfc8037() {
        let mut j = JwkFields {
            kty: Some("OKP".into()),
            crv: Some("Ed25519".into()),
            x: Some("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo".into()),
            d: Some("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A".into()),
            ..Default::default()
        };
        let private = Key::from_jwk(&j).ok().unwrap();
        let input = b"eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
        let sig = private.sign(Algorithm::EdDSA, input).ok().unwrap();
        assert_eq!(&hex(&sig)[..32], "860c98d2297f3060a33f42739672d61b");
        j.d = None;
        let public = Key::from_jwk(&j).ok().unwrap();
        assert!(!public.is_private());
        assert!(public.verify(Algorithm::EdDSA, input, &sig).is_ok());
        assert_eq!(public.verify(Algorithm::EdDSA, b"other", &sig), Err(JwtError::Signature));
        assert!(matches!(public.sign(Algorithm::EdDSA, input), Err(JwtError::Key(_))));
        assert!(matches!(public.check(Algorithm::HS256), Err(JwtError::Key(_))));
    }

    #[test]
    fn ecdsa_pkcs8_and_pinned_alg() {
        let rng = SystemRandom::new();
        let doc = EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng).ok().unwrap();
        let key = Key::from_pkcs8(doc.as_ref()).ok().unwrap();
        assert_eq!(key.family(), Family::EcP256);
        let sig = key.sign(Algorithm::ES256, b"msg").ok().unwrap();
        assert_eq!(sig.len(), 64);
        assert!(key.verify(Algorithm::ES256, b"msg", &sig).is_ok());
        assert!(matches!(key.check(Algorithm::ES384), Err(JwtError::Key(_))));
        let pair = EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, doc.as_ref(), &rng).ok().unwrap();
        let point = pair.public_key().as_ref();
        let j = JwkFields {
            kty: Some("EC".into()),
            crv: Some("P-256".into()),
            x: Some(b64url_encode(&point[1..33])),
            y: Some(b64url_encode(&point[33..])),
            alg: Some("ES256".into()),
            ..Default::default()
        };
        let public = Key::from_jwk(&j).ok().unwrap();
        assert!(public.verify(Algorithm::ES256, b"msg", &sig).is_ok());
        let wrong_alg = JwkFields { alg: Some("RS256".into()), ..j };
        assert!(Key::from_jwk(&wrong_alg).is_err());
    }

    #[test]
    fn rsa_size_policy() {
        assert!(check_rsa(&[]).is_err());
        assert!(check_rsa(&[0xff; 128]).is_err()); // 1024 bits
        assert!(check_rsa(&[0x80; 256]).is_ok()); // 2048 bits
        assert!(check_rsa(&[0x7f; 256]).is_err()); // 2047 bits
        let j = JwkFields { kty: Some("RSA".into()), n: Some(String::new()), e: Some("AQAB".into()), ..Default::default() };
        assert!(matches!(Key::from_jwk(&j), Err(JwtError::Key(_))));
    }

    #[test]
    fn jwk_use_and_key_ops() {
        let base = || JwkFields { kty: Some("oct".into()), k: Some("AAAA".into()), ..Default::default() };
        assert!(Key::from_jwk(&JwkFields { use_: Some("enc".into()), ..base() }).is_err());
        assert!(Key::from_jwk(&JwkFields { key_ops: Some(vec!["encrypt".into()]), ..base() }).is_err());
        assert!(Key::from_jwk(&JwkFields { key_ops: Some(vec!["verify".into()]), ..base() }).is_ok());
        assert!(Key::from_jwk(&JwkFields { kty: Some("EC".into()), crv: Some("P-521".into()), ..base() }).is_err());
    }
}
