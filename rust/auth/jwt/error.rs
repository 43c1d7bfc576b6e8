//! Why a token or a key was refused. Each kind maps to one Python class in `webaccel.errors`
//! (PyJWT's names); the messages follow PyJWT's where PyJWT has one.

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum JwtError {
    /// Malformed token: segments, base64, JSON, header fields (`DecodeError`).
    Decode(String),
    /// The signature or MAC does not match (`InvalidSignatureError`).
    Signature,
    /// `alg` not allowed, unknown, or not usable with the key (`InvalidAlgorithmError`).
    Algorithm(String),
    /// The key itself is unusable or misconfigured (`InvalidKeyError`, not a token error).
    Key(String),
    Expired,
    Immature(&'static str),
    Audience(String),
    Issuer(String),
    IssuedAt(String),
    MissingClaim(String),
    Subject(String),
    Jti(String),
    /// `typ` is not the expected one (`InvalidTypeError`).
    Type(String),
    /// No key of the key set matches the token's `kid` (`UnknownKeyError`).
    UnknownKey(String),
}

impl fmt::Display for JwtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JwtError::Decode(m)
            | JwtError::Algorithm(m)
            | JwtError::Key(m)
            | JwtError::Audience(m)
            | JwtError::Issuer(m)
            | JwtError::IssuedAt(m)
            | JwtError::Subject(m)
            | JwtError::Jti(m)
            | JwtError::Type(m)
            | JwtError::UnknownKey(m) => f.write_str(m),
            JwtError::Signature => f.write_str("Signature verification failed"),
            JwtError::Expired => f.write_str("Signature has expired"),
            JwtError::Immature(m) => f.write_str(m),
            JwtError::MissingClaim(c) => write!(f, "Token is missing the \"{c}\" claim"),
        }
    }
}

pub fn decode(msg: impl Into<String>) -> JwtError {
    JwtError::Decode(msg.into())
}

pub fn key(msg: impl Into<String>) -> JwtError {
    JwtError::Key(msg.into())
}
