//! The Python edge of JWT: `JWTKey`, `JWKSet`, `JWTVerifier` and the one-shot functions behind
//! `webaccel.auth`. Header and claims JSON go through the crate's own JSON engine (depth-capped)
//! straight to Python objects; claims are checked on the resulting dict.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDateTime, PyDict, PyFloat, PyInt, PyList, PyString};

use super::alg::{AlgSet, Algorithm};
use super::error::{decode, JwtError};
use super::key::{JwkFields, Key};
use super::token::{self, DEFAULT_MAX_DEPTH};
use crate::errors::{
    guard, DECODE_ERROR, EXPIRED_SIGNATURE_ERROR, IMMATURE_SIGNATURE_ERROR, INVALID_ALGORITHM_ERROR, INVALID_AUDIENCE_ERROR,
    INVALID_ISSUED_AT_ERROR, INVALID_ISSUER_ERROR, INVALID_JTI_ERROR, INVALID_KEY_ERROR, INVALID_SIGNATURE_ERROR,
    INVALID_SUBJECT_ERROR, INVALID_TYPE_ERROR, MISSING_REQUIRED_CLAIM_ERROR, UNKNOWN_KEY_ERROR,
};

fn to_py(py: Python<'_>, e: JwtError) -> PyErr {
    let msg = e.to_string();
    let ty = match e {
        JwtError::Decode(_) => &DECODE_ERROR,
        JwtError::Signature => &INVALID_SIGNATURE_ERROR,
        JwtError::Algorithm(_) => &INVALID_ALGORITHM_ERROR,
        JwtError::Key(_) => &INVALID_KEY_ERROR,
        JwtError::Expired => &EXPIRED_SIGNATURE_ERROR,
        JwtError::Immature(_) => &IMMATURE_SIGNATURE_ERROR,
        JwtError::Audience(_) => &INVALID_AUDIENCE_ERROR,
        JwtError::Issuer(_) => &INVALID_ISSUER_ERROR,
        JwtError::IssuedAt(_) => &INVALID_ISSUED_AT_ERROR,
        JwtError::MissingClaim(claim) => return MISSING_REQUIRED_CLAIM_ERROR.err(py, (claim,)),
        JwtError::Subject(_) => &INVALID_SUBJECT_ERROR,
        JwtError::Jti(_) => &INVALID_JTI_ERROR,
        JwtError::Type(_) => &INVALID_TYPE_ERROR,
        JwtError::UnknownKey(_) => &UNKNOWN_KEY_ERROR,
    };
    ty.err(py, (msg,))
}

trait OrPy<T> {
    fn py_err(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> OrPy<T> for Result<T, JwtError> {
    #[inline]
    fn py_err(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_py(py, e))
    }
}

// ---------------------------------------------------------------------------------------------
// Keys

/// A parsed key: an HMAC secret, or an RSA, EC (P-256/P-384) or Ed25519 public or private key.
#[pyclass(frozen, module = "webaccel._core", name = "JWTKey")]
pub struct PyKey {
    pub key: Arc<Key>,
}

fn bytes_of<'a>(obj: &'a Bound<'_, PyAny>, what: &str) -> PyResult<&'a [u8]> {
    if let Ok(s) = obj.cast::<PyString>() {
        Ok(s.to_str()?.as_bytes())
    } else if let Ok(b) = obj.cast::<PyBytes>() {
        Ok(b.as_bytes())
    } else {
        Err(PyTypeError::new_err(format!("{what} must be str or bytes, not {}", obj.get_type().name()?)))
    }
}

fn looks_like_public_key_text(b: &[u8]) -> bool {
    let t = b.trim_ascii_start();
    t.starts_with(b"-----BEGIN") || [&b"ssh-"[..], b"ecdsa-sha2-", b"sk-ssh-", b"sk-ecdsa-"].iter().any(|p| t.starts_with(p))
}

fn secret_key(data: &[u8], allow_short: bool) -> Result<Key, JwtError> {
    if looks_like_public_key_text(data) {
        return Err(super::error::key(
            "The specified key is an asymmetric key or x509 certificate and should not be used as an HMAC secret.",
        ));
    }
    if data.is_empty() {
        return Err(super::error::key("empty HMAC key"));
    }
    Ok(Key::hmac(data, allow_short))
}

/// str/bytes: a PEM document when it is one, an OpenSSH key is refused, anything else is an
/// HMAC secret.
fn key_from_text(data: &[u8], allow_short: bool) -> Result<Key, JwtError> {
    let t = data.trim_ascii_start();
    if t.starts_with(b"-----BEGIN") {
        Key::from_pem(data)
    } else if looks_like_public_key_text(t) {
        Err(super::error::key("OpenSSH keys are not supported: convert the key to PEM"))
    } else {
        secret_key(data, allow_short)
    }
}

fn opt_str(d: &Bound<'_, PyDict>, name: &str) -> PyResult<Option<String>> {
    match d.get_item(name)? {
        None => Ok(None),
        Some(v) if v.is_none() => Ok(None),
        Some(v) => match v.cast::<PyString>() {
            Ok(s) => Ok(Some(s.to_str()?.to_owned())),
            Err(_) => Err(to_py(d.py(), super::error::key(format!("JWK member \"{name}\" must be a string")))),
        },
    }
}

fn jwk_fields(d: &Bound<'_, PyDict>) -> PyResult<JwkFields> {
    let key_ops = match d.get_item("key_ops")? {
        None => None,
        Some(v) => Some(
            v.cast::<PyList>()
                .map_err(|_| to_py(d.py(), super::error::key("JWK \"key_ops\" must be a list")))?
                .iter()
                .map(|o| o.extract::<String>())
                .collect::<PyResult<Vec<_>>>()?,
        ),
    };
    Ok(JwkFields {
        kty: opt_str(d, "kty")?,
        alg: opt_str(d, "alg")?,
        kid: opt_str(d, "kid")?,
        use_: opt_str(d, "use")?,
        key_ops,
        crv: opt_str(d, "crv")?,
        k: opt_str(d, "k")?,
        n: opt_str(d, "n")?,
        e: opt_str(d, "e")?,
        d: opt_str(d, "d")?,
        p: opt_str(d, "p")?,
        q: opt_str(d, "q")?,
        dp: opt_str(d, "dp")?,
        dq: opt_str(d, "dq")?,
        qi: opt_str(d, "qi")?,
        x: opt_str(d, "x")?,
        y: opt_str(d, "y")?,
        oth: d.contains("oth")?,
    })
}

fn json_object<'py>(py: Python<'py>, data: &[u8], what: &str) -> PyResult<Bound<'py, PyDict>> {
    let obj = crate::json::loads::loads_slice(py, data, DEFAULT_MAX_DEPTH).map_err(|e| match e {
        Ok(msg) => to_py(py, super::error::key(format!("{what} is not valid JSON: {msg}"))),
        Err(e) => e,
    })?;
    obj.cast_into::<PyDict>().map_err(|_| to_py(py, super::error::key(format!("{what} must be a JSON object"))))
}

fn jwk_dict<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
    if let Ok(d) = obj.cast::<PyDict>() {
        return Ok(d.clone());
    }
    json_object(obj.py(), bytes_of(obj, "jwk")?, "JWK")
}

#[pymethods]
impl PyKey {
    /// An HMAC secret. Secrets shorter than the hash output are refused at use unless
    /// `allow_short`; text that looks like a PEM or OpenSSH public key is always refused.
    #[staticmethod]
    #[pyo3(signature = (secret, /, *, allow_short = false))]
    fn from_secret(py: Python<'_>, secret: &Bound<'_, PyAny>, allow_short: bool) -> PyResult<Self> {
        guard(py, || Ok(PyKey { key: Arc::new(secret_key(bytes_of(secret, "secret")?, allow_short).py_err(py)?) }))
    }

    /// A PEM public key (SPKI, PKCS#1, X.509 certificate) or private key (PKCS#8, PKCS#1, SEC1).
    #[staticmethod]
    #[pyo3(signature = (data, /))]
    fn from_pem(py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<Self> {
        guard(py, || Ok(PyKey { key: Arc::new(Key::from_pem(bytes_of(data, "data")?).py_err(py)?) }))
    }

    /// A JWK, as a dict or as JSON text.
    #[staticmethod]
    #[pyo3(signature = (jwk, /))]
    fn from_jwk(py: Python<'_>, jwk: &Bound<'_, PyAny>) -> PyResult<Self> {
        guard(py, || {
            let d = jwk_dict(jwk)?;
            Ok(PyKey { key: Arc::new(Key::from_jwk(&jwk_fields(&d)?).py_err(py)?) })
        })
    }

    #[getter]
    fn kty(&self) -> &'static str {
        self.key.kty()
    }

    #[getter]
    fn kid(&self) -> Option<String> {
        self.key.kid.clone()
    }

    /// The JWK `alg` this key is pinned to, if any.
    #[getter]
    fn algorithm(&self) -> Option<&'static str> {
        self.key.alg.map(Algorithm::name)
    }

    #[getter]
    fn algorithms(&self) -> Vec<&'static str> {
        self.key.algorithms().names()
    }

    #[getter]
    fn is_private(&self) -> bool {
        self.key.is_private()
    }

    /// The raw signature (or MAC) of `data` with `algorithm`.
    fn sign<'py>(&self, py: Python<'py>, data: &[u8], algorithm: &str) -> PyResult<Bound<'py, PyBytes>> {
        guard(py, || {
            let alg = parse_alg(algorithm).py_err(py)?;
            let key = self.key.clone();
            let sig = py.detach(|| key.sign(alg, data)).py_err(py)?;
            Ok(PyBytes::new(py, &sig))
        })
    }

    /// Does `signature` match `data` under `algorithm`? (constant time for MACs)
    fn verify(&self, py: Python<'_>, data: &[u8], signature: &[u8], algorithm: &str) -> PyResult<bool> {
        guard(py, || {
            let alg = parse_alg(algorithm).py_err(py)?;
            self.key.check(alg).py_err(py)?;
            let key = self.key.clone();
            Ok(py.detach(|| key.verify(alg, data, signature)).is_ok())
        })
    }

    /// The public members of this key as a JWK dict (never the private parts; `{}`-like for
    /// HMAC secrets, which have no public half: raises `InvalidKeyError`).
    fn public_jwk<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        guard(py, || {
            if self.key.kty() == "oct" {
                return Err(to_py(py, super::error::key("an HMAC secret has no public JWK")));
            }
            let d = PyDict::new(py);
            for (k, v) in self.key.public_jwk() {
                d.set_item(k, v)?;
            }
            if let Some(kid) = &self.key.kid {
                d.set_item("kid", kid)?;
            }
            if let Some(a) = self.key.alg {
                d.set_item("alg", a.name())?;
            }
            d.set_item("use", "sig")?;
            Ok(d)
        })
    }

    fn __repr__(&self) -> String {
        let kind = if self.key.kty() == "oct" { "secret" } else if self.key.is_private() { "private" } else { "public" };
        format!("JWTKey(kty={:?}, {kind}, kid={:?}, algorithms={:?})", self.key.kty(), self.key.kid, self.key.algorithms().names())
    }
}

fn parse_alg(name: &str) -> Result<Algorithm, JwtError> {
    if name == "none" {
        return Err(JwtError::Algorithm("alg \"none\" is never accepted".into()));
    }
    Algorithm::from_name(name).ok_or_else(|| JwtError::Algorithm(format!("Algorithm not supported: {name:?}")))
}

/// A JWK Set: keys looked up by `kid`.
#[pyclass(frozen, module = "webaccel._core", name = "JWKSet")]
pub struct PyKeySet {
    keys: Vec<Py<PyKey>>,
    by_kid: HashMap<String, Vec<usize>>,
    /// Why each skipped JWK was not usable (`from_dict`).
    #[pyo3(get)]
    skipped: Vec<String>,
}

impl PyKeySet {
    fn build(keys: Vec<Py<PyKey>>, skipped: Vec<String>) -> Self {
        let mut by_kid: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, k) in keys.iter().enumerate() {
            if let Some(kid) = &k.get().key.kid {
                by_kid.entry(kid.clone()).or_default().push(i);
            }
        }
        PyKeySet { keys, by_kid, skipped }
    }

    /// The key for a token: by `kid`, among the keys usable with `alg` (header alg is tied to
    /// the key: CVE-2026-48523). Without a `kid`, only a set of one key answers.
    fn select(&self, kid: Option<&str>, alg: Algorithm) -> Result<Arc<Key>, JwtError> {
        let candidates: Vec<&Py<PyKey>> = match kid {
            Some(kid) => match self.by_kid.get(kid) {
                Some(ix) => ix.iter().map(|&i| &self.keys[i]).collect(),
                None => return Err(JwtError::UnknownKey(format!("no key in the key set has kid {kid:?}"))),
            },
            None if self.keys.len() == 1 => vec![&self.keys[0]],
            None => return Err(JwtError::UnknownKey(format!("the token has no kid and the key set holds {} keys", self.keys.len()))),
        };
        candidates
            .into_iter()
            .map(|k| &k.get().key)
            .find(|k| k.algorithms().contains(alg))
            .cloned()
            .ok_or_else(|| JwtError::Algorithm(format!("the key for this token cannot be used with {}", alg.name())))
    }
}

#[pymethods]
impl PyKeySet {
    #[new]
    #[pyo3(signature = (keys, /))]
    fn new(keys: Vec<Py<PyKey>>) -> Self {
        PyKeySet::build(keys, Vec::new())
    }

    /// A JWKS document (`{"keys": [...]}`) as a dict or JSON text. JWKs that are not usable
    /// signature keys (encryption keys, unsupported types or curves) are skipped and listed in
    /// `skipped`; a set with no usable key raises `InvalidKeyError`.
    #[staticmethod]
    #[pyo3(signature = (jwks, /))]
    fn from_dict(py: Python<'_>, jwks: &Bound<'_, PyAny>) -> PyResult<Self> {
        guard(py, || {
            let d = jwk_dict(jwks)?;
            let list = match d.get_item("keys")? {
                Some(l) => l.cast_into::<PyList>().map_err(|_| to_py(py, super::error::key("JWKS \"keys\" must be a list")))?,
                None => return Err(to_py(py, super::error::key("JWKS has no \"keys\" member"))),
            };
            let mut keys = Vec::new();
            let mut skipped = Vec::new();
            for item in list.iter() {
                let parsed = match item.cast::<PyDict>() {
                    Ok(jd) => jwk_fields(jd).and_then(|f| Key::from_jwk(&f).py_err(py)),
                    Err(_) => Err(to_py(py, super::error::key("a JWKS entry is not an object"))),
                };
                match parsed {
                    Ok(k) => keys.push(Py::new(py, PyKey { key: Arc::new(k) })?),
                    Err(e) => skipped.push(e.value(py).to_string()),
                }
            }
            if keys.is_empty() {
                return Err(to_py(py, super::error::key("The JWK Set did not contain any usable keys")));
            }
            Ok(PyKeySet::build(keys, skipped))
        })
    }

    #[getter]
    fn keys(&self, py: Python<'_>) -> Vec<Py<PyKey>> {
        self.keys.iter().map(|k| k.clone_ref(py)).collect()
    }

    #[getter]
    fn kids(&self) -> Vec<String> {
        self.keys.iter().filter_map(|k| k.get().key.kid.clone()).collect()
    }

    #[pyo3(signature = (kid, /))]
    fn get(&self, py: Python<'_>, kid: &str) -> Option<Py<PyKey>> {
        self.by_kid.get(kid).and_then(|ix| ix.first()).map(|&i| self.keys[i].clone_ref(py))
    }

    fn __getitem__(&self, py: Python<'_>, kid: &str) -> PyResult<Py<PyKey>> {
        self.get(py, kid).ok_or_else(|| pyo3::exceptions::PyKeyError::new_err(kid.to_owned()))
    }

    fn __contains__(&self, kid: &str) -> bool {
        self.by_kid.contains_key(kid)
    }

    fn __len__(&self) -> usize {
        self.keys.len()
    }
}

/// What verifies a token: one key, or a key set searched by `kid`.
#[derive(Clone)]
enum Keys {
    One(Arc<Key>),
    Set(Arc<Py<PyKeySet>>),
}

impl Keys {
    fn select(&self, kid: Option<&str>, alg: Algorithm) -> Result<Arc<Key>, JwtError> {
        match self {
            Keys::One(k) => {
                if k.algorithms().contains(alg) {
                    Ok(k.clone())
                } else {
                    Err(JwtError::Algorithm(format!("the key cannot be used with {}", alg.name())))
                }
            }
            Keys::Set(s) => s.get().select(kid, alg),
        }
    }
}

fn coerce_keys(obj: &Bound<'_, PyAny>, allow_short: bool) -> PyResult<Keys> {
    let py = obj.py();
    if let Ok(k) = obj.cast::<PyKey>() {
        return Ok(Keys::One(k.get().key.clone()));
    }
    if let Ok(s) = obj.cast::<PyKeySet>() {
        return Ok(Keys::Set(Arc::new(s.clone().unbind())));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        if d.contains("keys")? {
            let set = PyKeySet::from_dict(py, obj)?;
            return Ok(Keys::Set(Arc::new(Py::new(py, set)?)));
        }
        return Ok(Keys::One(Arc::new(Key::from_jwk(&jwk_fields(d)?).py_err(py)?)));
    }
    if obj.is_instance_of::<PyString>() || obj.is_instance_of::<PyBytes>() {
        return Ok(Keys::One(Arc::new(key_from_text(bytes_of(obj, "key")?, allow_short).py_err(py)?)));
    }
    Err(PyTypeError::new_err(format!(
        "key must be a JWTKey, a JWKSet, a JWK dict, a PEM key or an HMAC secret (str or bytes), not {}",
        obj.get_type().name()?
    )))
}

fn coerce_signing_key(obj: &Bound<'_, PyAny>) -> PyResult<Arc<Key>> {
    match coerce_keys(obj, false)? {
        Keys::One(k) => Ok(k),
        Keys::Set(_) => Err(PyTypeError::new_err("a JWK Set cannot sign: pass one of its keys")),
    }
}

// ---------------------------------------------------------------------------------------------
// Decoding

/// Everything fixed about how tokens are checked (PyJWT's `options` plus webaccel's caps).
struct Policy {
    allowed: AlgSet,
    verify_signature: bool,
    verify_exp: bool,
    verify_nbf: bool,
    verify_iat: bool,
    verify_aud: bool,
    verify_iss: bool,
    verify_sub: bool,
    verify_jti: bool,
    strict_aud: bool,
    require: Vec<Py<PyString>>,
    audience: Option<Vec<String>>,
    audience_is_str: bool,
    issuer: Option<Vec<String>>,
    subject: Option<String>,
    leeway: f64,
    typ: Option<String>,
    max_size: usize,
    max_depth: usize,
    allow_short: bool,
}

fn str_list(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<String>> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(vec![s.to_str()?.to_owned()]);
    }
    let mut out = Vec::new();
    for item in obj.try_iter().map_err(|_| PyTypeError::new_err(format!("{what} must be a str or an iterable of str")))? {
        let item = item?;
        let s = item.cast::<PyString>().map_err(|_| PyTypeError::new_err(format!("{what} must be a str or an iterable of str")))?;
        out.push(s.to_str()?.to_owned());
    }
    Ok(out)
}

fn parse_algorithms(obj: Option<&Bound<'_, PyAny>>) -> PyResult<AlgSet> {
    let mut set = AlgSet::default();
    let Some(obj) = obj.filter(|o| !o.is_none()) else { return Ok(set) };
    if obj.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err("algorithms must be a list of algorithm names, not a str"));
    }
    for name in str_list(obj, "algorithms")? {
        set.insert(parse_alg(&name).py_err(obj.py())?);
    }
    Ok(set)
}

fn seconds(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<f64> {
    if obj.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err(format!("{what} must be a number of seconds or a timedelta")));
    }
    let v: f64 = match obj.extract() {
        Ok(v) => v,
        Err(_) => obj
            .call_method0(intern!(obj.py(), "total_seconds"))
            .and_then(|s| s.extract())
            .map_err(|_| PyTypeError::new_err(format!("{what} must be a number of seconds or a timedelta")))?,
    };
    if !v.is_finite() {
        return Err(PyValueError::new_err(format!("{what} must be finite")));
    }
    Ok(v)
}

#[allow(clippy::too_many_arguments)]
fn build_policy(
    py: Python<'_>,
    algorithms: Option<&Bound<'_, PyAny>>,
    options: Option<&Bound<'_, PyDict>>,
    audience: Option<&Bound<'_, PyAny>>,
    issuer: Option<&Bound<'_, PyAny>>,
    subject: Option<String>,
    leeway: Option<&Bound<'_, PyAny>>,
    typ: Option<String>,
    max_size: usize,
    max_depth: usize,
) -> PyResult<Policy> {
    let mut p = Policy {
        allowed: parse_algorithms(algorithms)?,
        verify_signature: true,
        verify_exp: true,
        verify_nbf: true,
        verify_iat: true,
        verify_aud: true,
        verify_iss: true,
        verify_sub: true,
        verify_jti: true,
        strict_aud: false,
        require: Vec::new(),
        audience: None,
        audience_is_str: false,
        issuer: None,
        subject,
        leeway: match leeway {
            Some(l) if !l.is_none() => seconds(l, "leeway")?,
            _ => 0.0,
        },
        typ: typ.map(|t| token::normalize_typ(&t)),
        max_size,
        max_depth,
        allow_short: false,
    };
    if let Some(opts) = options {
        let flag = |name: &str| -> PyResult<Option<bool>> {
            match opts.get_item(name)? {
                None => Ok(None),
                Some(v) => Ok(Some(v.is_truthy()?)),
            }
        };
        for (k, _) in opts.iter() {
            let k: String = k.extract()?;
            if !matches!(
                k.as_str(),
                "verify_signature" | "verify_exp" | "verify_nbf" | "verify_iat" | "verify_aud" | "verify_iss" | "verify_sub"
                    | "verify_jti" | "require" | "strict_aud" | "enforce_minimum_key_length"
            ) {
                return Err(PyTypeError::new_err(format!("unknown decode option {k:?}")));
            }
        }
        p.verify_signature = flag("verify_signature")?.unwrap_or(true);
        let default = p.verify_signature;
        p.verify_exp = flag("verify_exp")?.unwrap_or(default);
        p.verify_nbf = flag("verify_nbf")?.unwrap_or(default);
        p.verify_iat = flag("verify_iat")?.unwrap_or(default);
        p.verify_aud = flag("verify_aud")?.unwrap_or(default);
        p.verify_iss = flag("verify_iss")?.unwrap_or(default);
        p.verify_sub = flag("verify_sub")?.unwrap_or(default);
        p.verify_jti = flag("verify_jti")?.unwrap_or(default);
        p.strict_aud = flag("strict_aud")?.unwrap_or(false);
        p.allow_short = !flag("enforce_minimum_key_length")?.unwrap_or(true);
        if let Some(req) = opts.get_item("require")? {
            for name in str_list(&req, "options[\"require\"]")? {
                p.require.push(PyString::new(py, &name).unbind());
            }
        }
    }
    if p.verify_signature && p.allowed.is_empty() {
        return Err(to_py(py, decode("It is required that you pass in a value for the \"algorithms\" argument when calling decode().")));
    }
    if let Some(a) = audience.filter(|a| !a.is_none()) {
        p.audience_is_str = a.is_instance_of::<PyString>();
        p.audience = Some(str_list(a, "audience")?);
    }
    if let Some(i) = issuer.filter(|i| !i.is_none()) {
        p.issuer = Some(str_list(i, "issuer")?);
    }
    Ok(p)
}

fn now_seconds() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

/// A claim that must be a JSON number, read as seconds truncated like PyJWT's `int()`.
fn time_claim(v: &Bound<'_, PyAny>) -> Option<f64> {
    if let Ok(f) = v.cast_exact::<PyFloat>() {
        let x = f.value();
        return x.is_finite().then(|| x.trunc());
    }
    if v.is_exact_instance_of::<PyInt>() {
        return Some(match v.extract::<i64>() {
            Ok(i) => i as f64,
            Err(_) => {
                if v.gt(0).unwrap_or(false) {
                    f64::INFINITY
                } else {
                    f64::NEG_INFINITY
                }
            }
        });
    }
    None
}

fn check_claims(py: Python<'_>, payload: &Bound<'_, PyDict>, p: &Policy, now: f64) -> PyResult<Result<(), JwtError>> {
    for claim in &p.require {
        match payload.get_item(claim.bind(py))? {
            Some(v) if !v.is_none() => {}
            _ => return Ok(Err(JwtError::MissingClaim(claim.bind(py).to_str()?.to_owned()))),
        }
    }
    if p.verify_iat {
        if let Some(v) = payload.get_item(intern!(py, "iat"))? {
            match time_claim(&v) {
                None => return Ok(Err(JwtError::IssuedAt("Issued At claim (iat) must be an integer.".into()))),
                Some(iat) if token::immature(iat, now, p.leeway) => return Ok(Err(JwtError::Immature("The token is not yet valid (iat)"))),
                _ => {}
            }
        }
    }
    if p.verify_nbf {
        if let Some(v) = payload.get_item(intern!(py, "nbf"))? {
            match time_claim(&v) {
                None => return Ok(Err(decode("Not Before claim (nbf) must be an integer."))),
                Some(nbf) if token::immature(nbf, now, p.leeway) => return Ok(Err(JwtError::Immature("The token is not yet valid (nbf)"))),
                _ => {}
            }
        }
    }
    if p.verify_exp {
        if let Some(v) = payload.get_item(intern!(py, "exp"))? {
            match time_claim(&v) {
                None => return Ok(Err(decode("Expiration Time claim (exp) must be an integer."))),
                Some(exp) if token::expired(exp, now, p.leeway) => return Ok(Err(JwtError::Expired)),
                _ => {}
            }
        }
    }
    if p.verify_iss {
        if let Some(issuers) = &p.issuer {
            match payload.get_item(intern!(py, "iss"))? {
                None => return Ok(Err(JwtError::MissingClaim("iss".into()))),
                Some(v) => match v.cast::<PyString>() {
                    Err(_) => return Ok(Err(JwtError::Issuer("Payload Issuer (iss) must be a string".into()))),
                    // Exact comparison, never a substring test (CVE-2024-53861).
                    Ok(s) => {
                        let s = s.to_str()?;
                        if !issuers.iter().any(|i| i == s) {
                            return Ok(Err(JwtError::Issuer("Invalid issuer".into())));
                        }
                    }
                },
            }
        }
    }
    if p.verify_aud {
        let aud = payload.get_item(intern!(py, "aud"))?;
        let present = match &aud {
            None => false,
            Some(a) => a.is_truthy()?,
        };
        match (&p.audience, aud.filter(|_| present)) {
            (None, None) => {}
            (None, Some(_)) => return Ok(Err(JwtError::Audience("Invalid audience".into()))),
            (Some(_), None) => return Ok(Err(JwtError::MissingClaim("aud".into()))),
            (Some(expected), Some(aud)) => {
                if p.strict_aud {
                    if !p.audience_is_str {
                        return Ok(Err(JwtError::Audience("Invalid audience (strict)".into())));
                    }
                    let Ok(s) = aud.cast::<PyString>() else {
                        return Ok(Err(JwtError::Audience("Invalid claim format in token (strict)".into())));
                    };
                    if s.to_str()? != expected[0] {
                        return Ok(Err(JwtError::Audience("Audience doesn't match (strict)".into())));
                    }
                } else {
                    let mut claims: Vec<String> = Vec::new();
                    if let Ok(s) = aud.cast::<PyString>() {
                        claims.push(s.to_str()?.to_owned());
                    } else if let Ok(l) = aud.cast::<PyList>() {
                        for c in l.iter() {
                            match c.cast::<PyString>() {
                                Ok(s) => claims.push(s.to_str()?.to_owned()),
                                Err(_) => return Ok(Err(JwtError::Audience("Invalid claim format in token".into()))),
                            }
                        }
                    } else {
                        return Ok(Err(JwtError::Audience("Invalid claim format in token".into())));
                    }
                    if !expected.iter().any(|e| claims.iter().any(|c| c == e)) {
                        return Ok(Err(JwtError::Audience("Audience doesn't match".into())));
                    }
                }
            }
        }
    }
    if p.verify_sub {
        if let Some(v) = payload.get_item(intern!(py, "sub"))? {
            match v.cast::<PyString>() {
                Err(_) => return Ok(Err(JwtError::Subject("Subject must be a string".into()))),
                Ok(s) => {
                    if let Some(expected) = &p.subject {
                        if s.to_str()? != expected {
                            return Ok(Err(JwtError::Subject("Invalid subject".into())));
                        }
                    }
                }
            }
        }
    }
    if p.verify_jti {
        if let Some(v) = payload.get_item(intern!(py, "jti"))? {
            if !v.is_instance_of::<PyString>() {
                return Ok(Err(JwtError::Jti("JWT ID must be a string".into())));
            }
        }
    }
    Ok(Ok(()))
}

fn token_bytes<'a>(token: &'a Bound<'_, PyAny>) -> PyResult<&'a [u8]> {
    if let Ok(s) = token.cast::<PyString>() {
        match s.to_str() {
            Ok(t) => Ok(t.as_bytes()),
            Err(_) => Err(to_py(token.py(), decode("Invalid token: not encodable as UTF-8"))),
        }
    } else if let Ok(b) = token.cast::<PyBytes>() {
        Ok(b.as_bytes())
    } else {
        Err(to_py(token.py(), decode(format!("Invalid token type: must be str or bytes, not {}", token.get_type().name()?))))
    }
}

fn parse_json<'py>(py: Python<'py>, data: &[u8], max_depth: usize, what: &str) -> PyResult<Bound<'py, PyAny>> {
    crate::json::loads::loads_slice(py, data, max_depth).map_err(|e| match e {
        Ok(msg) => to_py(py, decode(format!("Invalid {what} string: {msg}"))),
        Err(e) => e,
    })
}

/// The protected header as a dict, with the checks that need no key.
fn read_header<'py>(py: Python<'py>, seg: &[u8], p: &Policy) -> PyResult<Bound<'py, PyDict>> {
    let raw = token::b64decode(seg, "header").py_err(py)?;
    let header = parse_json(py, &raw, p.max_depth, "header")?
        .cast_into::<PyDict>()
        .map_err(|_| to_py(py, decode("Invalid header string: must be a json object")))?;
    // RFC 7515 4.1.11: a recipient must refuse critical extensions it does not understand, and
    // webaccel understands none (CVE-2026-32597, CVE-2025-59420).
    if header.contains(intern!(py, "crit"))? {
        return Err(to_py(py, decode("Unsupported critical header parameter (\"crit\" is never accepted)")));
    }
    // RFC 7797 unencoded payloads are not supported (CVE-2026-48525).
    if let Some(b64) = header.get_item(intern!(py, "b64"))? {
        if !b64.is_exact_instance_of::<PyBool>() || !b64.is_truthy()? {
            return Err(to_py(py, decode("The \"b64\" header parameter (RFC 7797) is not supported")));
        }
    }
    if let Some(kid) = header.get_item(intern!(py, "kid"))? {
        if !kid.is_instance_of::<PyString>() {
            return Err(to_py(py, decode("Key ID header parameter must be a string")));
        }
    }
    if let Some(expected) = &p.typ {
        let ok = match header.get_item(intern!(py, "typ"))? {
            Some(t) => match t.cast::<PyString>() {
                Ok(s) => token::normalize_typ(s.to_str()?) == *expected,
                Err(_) => false,
            },
            None => false,
        };
        if !ok {
            return Err(to_py(py, JwtError::Type(format!("Invalid token type: expected typ {expected:?}"))));
        }
    }
    Ok(header)
}

/// What a successful decode returns.
enum Output {
    Claims,
    Payload,
    Complete,
    CompleteJws,
}

fn decode_token<'py>(
    py: Python<'py>,
    token_obj: &Bound<'py, PyAny>,
    keys: Option<&Keys>,
    p: &Policy,
    now: Option<f64>,
    out: Output,
) -> PyResult<Bound<'py, PyAny>> {
    decode_token_bytes(py, token_bytes(token_obj)?, keys, p, now, out)
}

fn decode_token_bytes<'py>(
    py: Python<'py>,
    tok: &[u8],
    keys: Option<&Keys>,
    p: &Policy,
    now: Option<f64>,
    out: Output,
) -> PyResult<Bound<'py, PyAny>> {
    let seg = token::split(tok, p.max_size).py_err(py)?;
    let header = read_header(py, seg.header, p)?;
    let sig = token::b64decode(seg.signature, "crypto").py_err(py)?;
    if p.verify_signature {
        let alg_obj = header.get_item(intern!(py, "alg"))?;
        let alg = match alg_obj.as_ref().and_then(|a| a.cast::<PyString>().ok()) {
            None => return Err(to_py(py, JwtError::Algorithm("Algorithm not specified".into()))),
            Some(s) => match Algorithm::from_name(s.to_str()?) {
                Some(a) if p.allowed.contains(a) => a,
                _ => return Err(to_py(py, JwtError::Algorithm("The specified alg value is not allowed".into()))),
            },
        };
        let kid_obj = header.get_item(intern!(py, "kid"))?;
        let kid = match &kid_obj {
            Some(k) => Some(k.cast::<PyString>().map_err(PyErr::from)?.to_str()?),
            None => None,
        };
        let keys = keys.ok_or_else(|| PyTypeError::new_err("a key is required to verify the signature"))?;
        // Keys come only from the verifier's configuration, never from the token's own
        // jwk/jku/x5u/x5c headers (CVE-2026-27962).
        let key = keys.select(kid, alg).py_err(py)?;
        key.check(alg).py_err(py)?;
        let input = seg.signing_input;
        if alg.family() == super::alg::Family::Hmac {
            key.verify(alg, input, &sig).py_err(py)?;
        } else {
            py.detach(|| key.verify(alg, input, &sig)).py_err(py)?;
        }
    }
    let raw = token::b64decode(seg.payload, "payload").py_err(py)?;
    match out {
        Output::Payload => return Ok(PyBytes::new(py, &raw).into_any()),
        Output::CompleteJws => {
            let d = PyDict::new(py);
            d.set_item("header", header)?;
            d.set_item("payload", PyBytes::new(py, &raw))?;
            d.set_item("signature", PyBytes::new(py, &sig))?;
            return Ok(d.into_any());
        }
        _ => {}
    }
    let payload = parse_json(py, &raw, p.max_depth, "payload")?
        .cast_into::<PyDict>()
        .map_err(|_| to_py(py, decode("Invalid payload string: must be a json object")))?;
    check_claims(py, &payload, p, now.unwrap_or_else(now_seconds))?.py_err(py)?;
    match out {
        Output::Complete => {
            let d = PyDict::new(py);
            d.set_item("header", header)?;
            d.set_item("payload", payload)?;
            d.set_item("signature", PyBytes::new(py, &sig))?;
            Ok(d.into_any())
        }
        _ => Ok(payload.into_any()),
    }
}

/// One-shot decode with PyJWT's arguments (`webaccel.auth.jwt_decode` and friends).
#[pyfunction]
#[pyo3(signature = (token, key, algorithms, *, options = None, audience = None, issuer = None, subject = None, leeway = None, typ = None, max_size = 16384, max_depth = 32, now = None, mode = 0))]
#[allow(clippy::too_many_arguments)]
pub fn auth_jwt_decode<'py>(
    py: Python<'py>,
    token: &Bound<'py, PyAny>,
    key: Option<&Bound<'py, PyAny>>,
    algorithms: Option<&Bound<'py, PyAny>>,
    options: Option<&Bound<'py, PyDict>>,
    audience: Option<&Bound<'py, PyAny>>,
    issuer: Option<&Bound<'py, PyAny>>,
    subject: Option<String>,
    leeway: Option<&Bound<'py, PyAny>>,
    typ: Option<String>,
    max_size: usize,
    max_depth: usize,
    now: Option<f64>,
    mode: u8,
) -> PyResult<Bound<'py, PyAny>> {
    guard(py, || {
        let p = build_policy(py, algorithms, options, audience, issuer, subject, leeway, typ, max_size, max_depth.max(1))?;
        let keys = match key {
            Some(k) if p.verify_signature && !k.is_none() => Some(coerce_keys(k, p.allow_short)?),
            _ => None,
        };
        if p.verify_signature {
            if let Some(Keys::One(k)) = &keys {
                check_key_for(py, k, p.allowed)?;
            }
        }
        let out = match mode {
            0 => Output::Claims,
            1 => Output::Complete,
            2 => Output::Payload,
            _ => Output::CompleteJws,
        };
        decode_token(py, token, keys.as_ref(), &p, now, out)
    })
}

/// The allowed algorithms a single key can serve; none is a configuration error, as is an
/// HMAC key too short for one of them.
fn check_key_for(py: Python<'_>, k: &Key, allowed: AlgSet) -> PyResult<AlgSet> {
    let usable = AlgSet(allowed.0 & k.algorithms().0);
    if usable.is_empty() {
        let msg = if k.kty() != "oct" && allowed.iter().any(|a| a.family() == super::alg::Family::Hmac) && k.algorithms().iter().all(|a| !allowed.contains(a)) {
            "The specified key is an asymmetric key or x509 certificate and should not be used as an HMAC secret.".to_owned()
        } else {
            format!("a key of type \"{}\" cannot be used with any of {:?}", k.kty(), allowed.names())
        };
        return Err(to_py(py, super::error::key(msg)));
    }
    for a in usable.iter() {
        k.check(a).py_err(py)?;
    }
    Ok(usable)
}

/// The header of a token, parsed but not verified (size- and depth-capped).
#[pyfunction]
#[pyo3(signature = (token, /, *, max_size = 16384, max_depth = 32))]
pub fn auth_jwt_unverified_header<'py>(py: Python<'py>, token: &Bound<'py, PyAny>, max_size: usize, max_depth: usize) -> PyResult<Bound<'py, PyDict>> {
    guard(py, || {
        let tok = token_bytes(token)?;
        let seg = token::split(tok, max_size).py_err(py)?;
        let raw = token::b64decode(seg.header, "header").py_err(py)?;
        parse_json(py, &raw, max_depth.max(1), "header")?
            .cast_into::<PyDict>()
            .map_err(|_| to_py(py, decode("Invalid header string: must be a json object")))
    })
}

/// The hot path: key, algorithms and claim checks fixed once; `decode` is one call.
#[pyclass(frozen, module = "webaccel._core", name = "JWTVerifier")]
pub struct PyVerifier {
    keys: RwLock<Keys>,
    policy: Policy,
}

#[pymethods]
impl PyVerifier {
    #[new]
    #[pyo3(signature = (key, algorithms, *, audience = None, issuer = None, subject = None, leeway = None, options = None, typ = None, max_size = 16384, max_depth = 32))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        key: &Bound<'_, PyAny>,
        algorithms: &Bound<'_, PyAny>,
        audience: Option<&Bound<'_, PyAny>>,
        issuer: Option<&Bound<'_, PyAny>>,
        subject: Option<String>,
        leeway: Option<&Bound<'_, PyAny>>,
        options: Option<&Bound<'_, PyDict>>,
        typ: Option<String>,
        max_size: usize,
        max_depth: usize,
    ) -> PyResult<Self> {
        guard(py, || {
            let mut p = build_policy(py, Some(algorithms), options, audience, issuer, subject, leeway, typ, max_size, max_depth.max(1))?;
            if !p.verify_signature {
                return Err(PyValueError::new_err("a JWTVerifier always verifies signatures (use jwt_decode with verify_signature=False to read claims unverified)"));
            }
            let keys = coerce_keys(key, p.allow_short)?;
            if let Keys::One(k) = &keys {
                p.allowed = check_key_for(py, k, p.allowed)?;
            }
            Ok(PyVerifier { keys: RwLock::new(keys), policy: p })
        })
    }

    /// Verify `token` and return its claims.
    #[pyo3(signature = (token, /, *, now = None))]
    fn decode<'py>(&self, py: Python<'py>, token: &Bound<'py, PyAny>, now: Option<f64>) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || decode_token(py, token, Some(&self.current_keys()), &self.policy, now, Output::Claims))
    }

    /// `decode` of the token in the first `authorization` header of ASGI `headers` (an iterable
    /// of `(name, value)` byte pairs), read as `webaccel.auth.bearer_token` reads the header;
    /// None when there is no such header or it holds no `Bearer <token>` credentials.
    #[pyo3(signature = (headers, /, *, now = None))]
    fn decode_bearer<'py>(&self, py: Python<'py>, headers: &Bound<'py, PyAny>, now: Option<f64>) -> PyResult<Option<Bound<'py, PyAny>>> {
        guard(py, || {
            let Some(value) = authorization_value(headers)? else {
                return Ok(None);
            };
            let Some(tok) = bearer_credentials(&value) else {
                return Ok(None);
            };
            let keys = self.current_keys();
            if tok.is_ascii() {
                decode_token_bytes(py, tok, Some(&keys), &self.policy, now, Output::Claims).map(Some)
            } else {
                // The header is Latin-1; the str path sees these characters as UTF-8.
                let utf8: String = tok.iter().map(|&b| char::from(b)).collect();
                decode_token_bytes(py, utf8.as_bytes(), Some(&keys), &self.policy, now, Output::Claims).map(Some)
            }
        })
    }

    /// Verify `token` and return `{"header": ..., "payload": ..., "signature": ...}`.
    #[pyo3(signature = (token, /, *, now = None))]
    fn decode_complete<'py>(&self, py: Python<'py>, token: &Bound<'py, PyAny>, now: Option<f64>) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || decode_token(py, token, Some(&self.current_keys()), &self.policy, now, Output::Complete))
    }

    /// Replace the keys (a refreshed JWK Set), atomically for concurrent decodes.
    #[pyo3(signature = (key, /))]
    fn set_keys(&self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<()> {
        guard(py, || {
            let keys = coerce_keys(key, self.policy.allow_short)?;
            if let Keys::One(k) = &keys {
                check_key_for(py, k, self.policy.allowed)?;
            }
            match self.keys.write() {
                Ok(mut g) => *g = keys,
                Err(poisoned) => *poisoned.into_inner() = keys,
            }
            Ok(())
        })
    }

    #[getter]
    fn algorithms(&self) -> Vec<&'static str> {
        self.policy.allowed.names()
    }
}

/// The value of the first `authorization` header of ASGI `headers`, as bytes (as
/// `for name, value in headers: if name == b"authorization"` finds it).
fn authorization_value(headers: &Bound<'_, PyAny>) -> PyResult<Option<Vec<u8>>> {
    let py = headers.py();
    let check = |item: Bound<'_, PyAny>| -> PyResult<Option<Vec<u8>>> {
        let (name, value) = match item.cast::<pyo3::types::PyTuple>() {
            Ok(t) if t.len() == 2 => (t.get_item(0)?, t.get_item(1)?),
            _ => item.extract::<(Bound<'_, PyAny>, Bound<'_, PyAny>)>()?,
        };
        let matches = match name.cast::<PyBytes>() {
            Ok(b) => b.as_bytes() == b"authorization",
            Err(_) => name.eq(PyBytes::new(py, b"authorization"))?,
        };
        if !matches {
            return Ok(None);
        }
        Ok(Some(match value.cast::<PyBytes>() {
            Ok(b) => b.as_bytes().to_vec(),
            // What `value.decode("latin-1")` reads from anything else that has it.
            Err(_) => value.call_method1("decode", ("latin-1",))?.call_method1("encode", ("latin-1",))?.extract::<Vec<u8>>()?,
        }))
    };
    if let Ok(list) = headers.cast::<PyList>() {
        for item in list.iter() {
            if let Some(v) = check(item)? {
                return Ok(Some(v));
            }
        }
        return Ok(None);
    }
    for item in headers.try_iter()? {
        if let Some(v) = check(item?)? {
            return Ok(Some(v));
        }
    }
    Ok(None)
}

/// Python's `str.isspace` over Latin-1 code points.
fn latin1_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | 0x1c..=0x1f | b' ' | 0x85 | 0xa0)
}

/// `webaccel.auth.bearer_token` on a Latin-1 header value: the token of `Bearer <token>`
/// (scheme case-insensitive, the token stripped of whitespace and holding no space).
fn bearer_credentials(value: &[u8]) -> Option<&[u8]> {
    let space = value.iter().position(|&b| b == b' ')?;
    let (scheme, rest) = (&value[..space], &value[space + 1..]);
    let start = rest.iter().position(|&b| !latin1_space(b))?;
    let end = rest.iter().rposition(|&b| !latin1_space(b))? + 1;
    let token = &rest[start..end];
    if !scheme.eq_ignore_ascii_case(b"bearer") || token.contains(&b' ') {
        return None;
    }
    Some(token)
}

impl PyVerifier {
    fn current_keys(&self) -> Keys {
        match self.keys.read() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Encoding

fn dumps<'py>(py: Python<'py>, obj: &Bound<'py, PyAny>, sort_keys: bool, default: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyBytes>> {
    // ensure_ascii like PyJWT's json.dumps, so tokens are byte for byte PyJWT's.
    crate::json::dumps::json_dumps(py, obj, default, sort_keys, None, false, true, None, false)
}

fn sign_compact<'py>(py: Python<'py>, header: &Bound<'py, PyDict>, payload: &[u8], key: &Arc<Key>, alg: Algorithm, sort_headers: bool) -> PyResult<Bound<'py, PyString>> {
    if header.contains("crit")? {
        return Err(PyValueError::new_err("the \"crit\" header is not supported (webaccel refuses it when decoding)"));
    }
    if let Some(b64) = header.get_item("b64")? {
        if !b64.is_truthy()? {
            return Err(PyValueError::new_err("b64=false (RFC 7797) is not supported"));
        }
        header.del_item("b64")?;
    }
    if let Some(kid) = header.get_item("kid")? {
        if !kid.is_instance_of::<PyString>() {
            return Err(to_py(py, decode("Key ID header parameter must be a string")));
        }
    }
    let header_json = dumps(py, header.as_any(), sort_headers, None)?;
    let mut out = String::with_capacity((header_json.as_bytes().len() + payload.len()) * 4 / 3 + 100);
    token::b64encode_into(header_json.as_bytes(), &mut out);
    out.push('.');
    token::b64encode_into(payload, &mut out);
    let sig = if alg.family() == super::alg::Family::Hmac {
        key.sign(alg, out.as_bytes())
    } else {
        let input = out.as_bytes();
        py.detach(|| key.sign(alg, input))
    }
    .py_err(py)?;
    out.push('.');
    token::b64encode_into(&sig, &mut out);
    Ok(PyString::new(py, &out))
}

fn encode_header<'py>(py: Python<'py>, key: &Key, algorithm: Option<&str>, headers: Option<&Bound<'py, PyDict>>) -> PyResult<(Bound<'py, PyDict>, Algorithm)> {
    // PyJWT: an "alg" in headers wins over the argument.
    let alg_name: Option<String> = match headers.map(|h| h.get_item("alg")).transpose()?.flatten() {
        Some(a) if a.is_truthy()? => Some(a.extract()?),
        _ => algorithm.map(str::to_owned).or_else(|| key.alg.map(|a| a.name().to_owned())),
    };
    let alg = parse_alg(alg_name.as_deref().unwrap_or("HS256")).py_err(py)?;
    let header = PyDict::new(py);
    header.set_item("typ", "JWT")?;
    header.set_item("alg", alg.name())?;
    if let Some(kid) = &key.kid {
        header.set_item("kid", kid)?;
    }
    if let Some(h) = headers {
        header.update(h.as_mapping())?;
        header.set_item("alg", alg.name())?;
    }
    if let Some(t) = header.get_item("typ")? {
        if !t.is_truthy()? {
            header.del_item("typ")?;
        }
    }
    Ok((header, alg))
}

/// `jwt_encode`: the claims dict to a signed compact token (PyJWT's `jwt.encode`).
#[pyfunction]
#[pyo3(signature = (payload, key, algorithm = None, headers = None, *, sort_headers = true, default = None))]
pub fn auth_jwt_encode<'py>(
    py: Python<'py>,
    payload: &Bound<'py, PyAny>,
    key: &Bound<'py, PyAny>,
    algorithm: Option<&str>,
    headers: Option<&Bound<'py, PyDict>>,
    sort_headers: bool,
    default: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyString>> {
    guard(py, || {
        let mut copied = false;
        let mut payload = payload
            .cast::<PyDict>()
            .map_err(|_| PyTypeError::new_err("Expecting a dict object, as JWT only supports JSON objects as payloads."))?
            .clone();
        for name in ["exp", "iat", "nbf"] {
            if let Some(v) = payload.get_item(name)? {
                if v.is_instance_of::<PyDateTime>() {
                    if !copied {
                        payload = payload.copy()?;
                        copied = true;
                    }
                    let tt = v.call_method0("utctimetuple")?;
                    let ts = py.import("calendar")?.call_method1("timegm", (tt,))?;
                    payload.set_item(name, ts)?;
                }
            }
        }
        if let Some(iss) = payload.get_item("iss")? {
            if !iss.is_instance_of::<PyString>() {
                return Err(PyTypeError::new_err("Issuer (iss) must be a string."));
            }
        }
        let key = coerce_signing_key(key)?;
        let (header, alg) = encode_header(py, &key, algorithm, headers)?;
        let body = dumps(py, payload.as_any(), false, default)?;
        sign_compact(py, &header, body.as_bytes(), &key, alg, sort_headers)
    })
}

/// `jws_encode`: any bytes payload to a signed compact JWS.
#[pyfunction]
#[pyo3(signature = (payload, key, algorithm = None, headers = None, *, sort_headers = true))]
pub fn auth_jws_encode<'py>(
    py: Python<'py>,
    payload: &[u8],
    key: &Bound<'py, PyAny>,
    algorithm: Option<&str>,
    headers: Option<&Bound<'py, PyDict>>,
    sort_headers: bool,
) -> PyResult<Bound<'py, PyString>> {
    guard(py, || {
        let key = coerce_signing_key(key)?;
        let (header, alg) = encode_header(py, &key, algorithm, headers)?;
        sign_compact(py, &header, payload, &key, alg, sort_headers)
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyKey>()?;
    m.add_class::<PyKeySet>()?;
    m.add_class::<PyVerifier>()?;
    m.add_function(wrap_pyfunction!(auth_jwt_decode, m)?)?;
    m.add_function(wrap_pyfunction!(auth_jwt_encode, m)?)?;
    m.add_function(wrap_pyfunction!(auth_jws_encode, m)?)?;
    m.add_function(wrap_pyfunction!(auth_jwt_unverified_header, m)?)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::bearer_credentials;

    #[test]
    fn bearer_credentials_reads_as_bearer_token_does() {
        assert_eq!(bearer_credentials(b"Bearer abc.def.ghi"), Some(&b"abc.def.ghi"[..]));
        assert_eq!(bearer_credentials(b"bEaReR   tok \t"), Some(&b"tok"[..]));
        assert_eq!(bearer_credentials(b"Bearer \xa0tok\x85"), Some(&b"tok"[..]));
        assert_eq!(bearer_credentials(b"Bearer"), None);
        assert_eq!(bearer_credentials(b"Bearer "), None);
        assert_eq!(bearer_credentials(b"Bearer \t \xa0"), None);
        assert_eq!(bearer_credentials(b"Bearer a b"), None);
        assert_eq!(bearer_credentials(b"Basic abc"), None);
        assert_eq!(bearer_credentials(b" Bearer abc"), None);
        assert_eq!(bearer_credentials(b""), None);
        assert_eq!(bearer_credentials(b"Bearer\tabc"), None);
    }
}
