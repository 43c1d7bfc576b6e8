"""JWT: webaccel.auth against PyJWT (with cryptography for RS256/ES256).

Decode tables verify a token and check exp/aud/iss (the work every authenticated request does):
webaccel's one-shot ``jwt_decode`` (PyJWT's arguments), webaccel's reusable ``JWTVerifier``, and
PyJWT's ``jwt.decode``. PyJWT gets the same key object every call (a str secret, or a
``cryptography`` public key object, parsed once, which is its fastest path); webaccel's one-shot
gets a str secret or a parsed ``JWTKey``. Encode signs the same claims. Outputs are checked equal
(claims; for HS256 and RS256 the tokens themselves, byte for byte).
"""

from __future__ import annotations

import time
from typing import Any, Callable

import jwt as pyjwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from bench._harness import Case, Table, WrongOutput
from webaccel import auth

PACKAGES = ("pyjwt", "cryptography")

SECRET = "a-32-byte-or-longer-hmac-secret-for-hs256-tokens!"
AUD = "https://api.example.com"
ISS = "https://id.example.com/"


def _claims() -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": ISS,
        "sub": "user-8d1f0c2e",
        "aud": AUD,
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "scope": "read:items write:items",
        "roles": ["editor"],
    }


def _equal(expected: Any) -> Callable[[str, Any], None]:
    def check(_name: str, out: Any) -> None:
        if out != expected:
            raise WrongOutput(f"{out!r:.200} instead of {expected!r:.200}")

    return check


def _decode_cases(label: str, token: str, alg: str, wa_key: Any, py_key: Any, claims: dict[str, Any]) -> tuple[Case, Case]:
    verifier = auth.JWTVerifier(wa_key, [alg], audience=AUD, issuer=ISS)
    algs = [alg]

    def peer(t: str) -> Any:
        return pyjwt.decode(t, py_key, algs, audience=AUD, issuer=ISS)

    def one_shot(t: str) -> Any:
        return auth.jwt_decode(t, wa_key, algs, audience=AUD, issuer=ISS)

    return (
        Case(label, token, {"webaccel": one_shot, "PyJWT": peer}, _equal(claims)),
        Case(label, token, {"webaccel": verifier.decode, "PyJWT": peer}, _equal(claims)),
    )


def tables(quick: bool) -> list[Table]:
    claims = _claims()
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    pem = serialization.Encoding.PEM
    rsa_pub_pem = rsa_key.public_key().public_bytes(pem, serialization.PublicFormat.SubjectPublicKeyInfo)
    ec_pub_pem = ec_key.public_key().public_bytes(pem, serialization.PublicFormat.SubjectPublicKeyInfo)

    hs = pyjwt.encode(claims, SECRET, "HS256")
    rs = pyjwt.encode(claims, rsa_key, "RS256")
    es = pyjwt.encode(claims, ec_key, "ES256")

    pairs = [
        _decode_cases(f"HS256, exp/aud/iss ({len(hs)} B)", hs, "HS256", SECRET, SECRET, claims),
        _decode_cases(f"RS256 (2048-bit), exp/aud/iss ({len(rs)} B)", rs, "RS256", auth.JWTKey.from_pem(rsa_pub_pem), rsa_key.public_key(), claims),
        _decode_cases(f"ES256 (P-256), exp/aud/iss ({len(es)} B)", es, "ES256", auth.JWTKey.from_pem(ec_pub_pem), ec_key.public_key(), claims),
    ]

    rsa_priv = auth.JWTKey.from_pem(rsa_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    encode = [
        Case(
            f"HS256 ({len(claims)} claims)",
            claims,
            {"webaccel": lambda c: auth.jwt_encode(c, SECRET, "HS256"), "PyJWT": lambda c: pyjwt.encode(c, SECRET, "HS256")},
            _equal(hs),
        ),
        Case(
            f"RS256 (2048-bit, {len(claims)} claims)",
            claims,
            {"webaccel": lambda c: auth.jwt_encode(c, rsa_priv, "RS256"), "PyJWT": lambda c: pyjwt.encode(c, rsa_key, "RS256")},
            _equal(rs),
        ),
    ]
    return [
        Table(
            "auth.jwt_decode",
            "one-shot: PyJWT's call shape (token, key, algorithms, audience, issuer), claims dict out",
            [p[0] for p in pairs],
            peer="PyJWT",
            notes=[
                "webaccel gets the HS256 key as the same str secret as PyJWT (parsed per call), "
                "the RS256/ES256 keys as parsed `JWTKey`s; PyJWT gets `cryptography` key objects",
                "PyJWT verifies RS256/ES256 through `cryptography` (OpenSSL); webaccel through ring",
            ],
        ),
        Table(
            "auth.JWTVerifier.decode",
            "the hot path: key, algorithms, audience and issuer fixed once; against PyJWT's jwt.decode",
            [p[1] for p in pairs],
            peer="PyJWT",
        ),
        Table("auth.jwt_encode", "claims dict in, signed token out (identical tokens)", encode, peer="PyJWT"),
    ]
