"""JWT (webaccel.auth): the RFC vectors, interop both ways with PyJWT on generated claims for every
algorithm, PyJWT's argument meanings and exception classes, and one test per secure default."""

from __future__ import annotations

import base64
import contextlib
import hmac
import json
import time
import unittest.mock
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator

import jwt as pyjwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st

import webaccel
from webaccel import auth
from webaccel.auth import (
    DecodeError,
    ExpiredSignatureError,
    ImmatureSignatureError,
    InvalidAlgorithmError,
    InvalidAudienceError,
    InvalidIssuedAtError,
    InvalidIssuerError,
    InvalidKeyError,
    InvalidSignatureError,
    InvalidTokenError,
    InvalidTypeError,
    JWKSet,
    JWTKey,
    JWTVerifier,
    MissingRequiredClaimError,
    UnknownKeyError,
)

from conftest import VECTORS

V = json.loads((VECTORS / "jwt.json").read_text())
SECRET = b"s" * 64
NOW = 1_800_000_000.0

PEM = serialization.Encoding.PEM
PKCS8 = serialization.PrivateFormat.PKCS8
SPKI = serialization.PublicFormat.SubjectPublicKeyInfo
NOENC = serialization.NoEncryption()


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@contextlib.contextmanager
def pyjwt_clock(now: float) -> Iterator[None]:
    """PyJWT reads datetime.now(); pin it (no sleeping, no real clock)."""
    frozen = datetime.fromtimestamp(now, tz=timezone.utc)
    with unittest.mock.patch("jwt.api_jwt.datetime") as dt:
        dt.now.return_value = frozen
        yield


def forge(header: Any, payload: Any, key: bytes = SECRET, alg: str = "HS256", raw: bool = False) -> str:
    """A token with an arbitrary header/payload, correctly MACed: only the checks under test fail."""
    h = header if raw else json.dumps(header).encode()
    p = payload if raw else json.dumps(payload).encode()
    signing_input = f"{b64(h)}.{b64(p)}".encode()
    sig = hmac.new(key, signing_input, {"HS256": "sha256", "HS384": "sha384", "HS512": "sha512"}[alg]).digest()
    return f"{signing_input.decode()}.{b64(sig)}"


# --- keys for every algorithm ---------------------------------------------------------------


class Keys:
    def __init__(self) -> None:
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.p256 = ec.generate_private_key(ec.SECP256R1())
        self.p384 = ec.generate_private_key(ec.SECP384R1())
        self.ed = ed25519.Ed25519PrivateKey.generate()

    def pair(self, alg: str) -> tuple[Any, Any]:
        """(private, public) as PEM bytes."""
        if alg.startswith("HS"):
            return SECRET, SECRET
        priv = {"R": self.rsa, "P": self.rsa, "E": self.p256 if alg == "ES256" else self.p384}[alg[0]]
        if alg == "EdDSA":
            priv = self.ed
        return priv.private_bytes(PEM, PKCS8, NOENC), priv.public_key().public_bytes(PEM, SPKI)


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys()


ALGORITHMS = ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"]
DETERMINISTIC = {"HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "EdDSA"}


# --- RFC vectors ------------------------------------------------------------------------------


def test_rfc7515_a1_hs256() -> None:
    v = V["rfc7515_A1_hs256"]
    assert auth.jwt_decode(v["token"], v["jwk"], ["HS256"], now=1300819379) == v["expected_claims"]
    assert auth.jwt_decode_complete(v["token"], v["jwk"], ["HS256"], now=1300819379)["header"] == v["expected_header"]
    key = JWTKey.from_secret(bytes.fromhex(v["key_bytes_hex"]))
    assert key.sign(v["signing_input"].encode(), "HS256").hex() == v["signature_hex"]
    assert JWTKey.from_jwk(v["jwk"]).sign(v["signing_input"].encode(), "HS256").hex() == v["signature_hex"]
    with pytest.raises(ExpiredSignatureError):  # exp is in 2011
        auth.jwt_decode(v["token"], v["jwk"], ["HS256"])
    assert auth.jwt_decode(v["token"], v["jwk"], ["HS256"], options={"verify_exp": False}) == v["expected_claims"]
    same = V["rfc7519_3_1_example_jwt"]
    assert auth.jwt_decode(same["token"], same["jwk"], ["HS256"], now=1300819379) == v["expected_claims"]


def test_rfc7515_a2_rs256() -> None:
    v = V["rfc7515_A2_rs256"]
    payload = v["payload_utf8"].encode()
    assert auth.jws_decode(v["token"], v["jwk_private"], ["RS256"]) == payload
    public = {k: v["jwk_private"][k] for k in ("kty", "n", "e")}
    assert auth.jws_decode(v["token"], public, ["RS256"]) == payload
    # PKCS#1 v1.5 is deterministic: re-signing gives the RFC's signature.
    signing_input, _, sig = v["token"].rpartition(".")
    assert b64(JWTKey.from_jwk(v["jwk_private"]).sign(signing_input.encode(), "RS256")) == sig
    tampered = v["token"][:-2] + ("A" if v["token"][-2] != "A" else "B") + v["token"][-1]
    with pytest.raises(InvalidSignatureError):
        auth.jws_decode(tampered, public, ["RS256"])


def test_rfc7515_a3_es256() -> None:
    v = V["rfc7515_A3_es256"]
    public = {k: v["jwk_private"][k] for k in ("kty", "crv", "x", "y")}
    assert auth.jws_decode(v["token"], public, ["ES256"]) == v["payload_utf8"].encode()
    assert auth.jws_decode(v["token"], v["jwk_private"], ["ES256"]) == v["payload_utf8"].encode()
    # ECDSA is randomized: our own signature with the RFC key verifies (with PyJWT too).
    token = auth.jws_encode(b"hello", v["jwk_private"], "ES256")
    assert auth.jws_decode(token, public, ["ES256"]) == b"hello"
    pem = JWTKey.from_jwk(v["jwk_private"])
    assert pem.verify(token.rpartition(".")[0].encode(), base64.urlsafe_b64decode(token.rpartition(".")[2] + "=="), "ES256")


def test_rfc7515_a4_es512_is_refused_as_unsupported() -> None:
    v = V["rfc7515_A4_es512"]
    with pytest.raises(InvalidKeyError, match="P-521"):
        JWTKey.from_jwk(v["jwk_private"])
    with pytest.raises(InvalidAlgorithmError):
        auth.jws_decode(v["token"], SECRET, ["ES512"])


def test_rfc7515_a5_unsecured_token_is_refused() -> None:
    token = V["rfc7515_A5_unsecured_none"]["token"]
    for key, algorithms in ((SECRET, ["HS256"]), (V["rfc8037_ed25519"]["jwk_public"], ["EdDSA"])):
        with pytest.raises(InvalidAlgorithmError):
            auth.jwt_decode(token, key, algorithms, options={"verify_exp": False})
    with pytest.raises(InvalidAlgorithmError):
        auth.jwt_decode(token, SECRET, ["none"])


def test_rfc7520_4_4_hs256_with_kid() -> None:
    v = V["rfc7520_4_4_hs256"]
    assert auth.jws_decode(v["token"], v["jwk"], ["HS256"]) == v["payload_utf8"].encode()
    assert auth.jws_decode(v["token"], JWKSet.from_dict({"keys": [v["jwk"]]}), ["HS256"]) == v["payload_utf8"].encode()
    assert auth.get_unverified_header(v["token"]) == json.loads(v["protected_header_utf8"])
    with pytest.raises(DecodeError, match="payload"):  # a JWS, not a JWT: the payload is not JSON
        auth.jwt_decode(v["token"], v["jwk"], ["HS256"])


def test_rfc8037_ed25519() -> None:
    v = V["rfc8037_ed25519"]
    assert auth.jws_decode(v["token"], v["jwk_public"], ["EdDSA"]) == v["payload_utf8"].encode()
    signing_input = v["token"].rpartition(".")[0].encode()
    assert JWTKey.from_jwk(v["jwk_private"]).sign(signing_input, "EdDSA").hex() == v["signature_hex"]
    assert auth.jws_encode(v["payload_utf8"].encode(), v["jwk_private"], "EdDSA", {"typ": None}) == v["token"]


@pytest.mark.parametrize("case", V["rfc4231_hmac_kats"]["cases"], ids=lambda c: c["case"])
def test_rfc4231_hmac_kats(case: dict[str, str]) -> None:
    key = JWTKey.from_secret(bytes.fromhex(case["key_hex"]), allow_short=True)
    data = bytes.fromhex(case["data_hex"])
    for alg, field in (("HS256", "hmac_sha256"), ("HS384", "hmac_sha384"), ("HS512", "hmac_sha512")):
        mac = key.sign(data, alg)
        assert mac.hex() == case[field]
        assert key.verify(data, mac, alg)


def test_rfc7518_table() -> None:
    for row in V["rfc7518_jws_algorithms"]["table"]:
        alg = row["alg"]
        if alg in ("none", "ES512"):
            with pytest.raises(InvalidAlgorithmError):
                auth.jwt_encode({}, SECRET, alg)
            continue
        assert alg in ALGORITHMS
        if "min_key_bytes" in row:
            n = row["min_key_bytes"]
            assert auth.jwt_decode(auth.jwt_encode({}, b"k" * n, alg), b"k" * n, [alg]) == {}
            with pytest.raises(InvalidKeyError):
                auth.jwt_encode({}, b"k" * (n - 1), alg)


# --- interop with PyJWT on generated claims ---------------------------------------------------

REGISTERED = {"iss", "sub", "aud", "exp", "nbf", "iat", "jti"}
json_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**63), 2**63), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20)
)
json_values = st.recursive(
    json_leaf,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12,
)
claims = st.fixed_dictionaries(
    {"sub": st.text(max_size=30), "exp": st.integers(int(NOW) + 1, int(NOW) + 10**6), "iat": st.integers(0, int(NOW))},
    optional={"scope": st.text(max_size=40), "data": json_values, "n": st.integers(), "aud": st.just("api")},
).flatmap(lambda d: st.dictionaries(st.text(max_size=10).filter(lambda k: k not in d and k not in REGISTERED), json_values, max_size=3).map(lambda extra: {**extra, **d}))


@pytest.mark.parametrize("alg", ALGORITHMS)
@settings(max_examples=25)
@given(payload=claims)
def test_interop_both_ways(keys: Keys, alg: str, payload: dict[str, Any]) -> None:
    priv, pub = keys.pair(alg)
    aud = "api" if "aud" in payload else None

    ours = auth.jwt_encode(payload, priv, alg)
    theirs = pyjwt.encode(payload, priv, alg)
    if alg in DETERMINISTIC:
        assert ours == theirs
    with pyjwt_clock(NOW):
        assert pyjwt.decode(ours, pub, [alg], audience=aud) == payload
    assert auth.jwt_decode(theirs, pub, [alg], audience=aud, now=NOW) == payload
    assert JWTVerifier(pub, [alg], audience=aud).decode(theirs, now=NOW) == payload


@pytest.mark.parametrize("alg", ["RS256", "PS256", "ES256", "ES384", "EdDSA"])
def test_cryptography_key_objects_are_accepted(keys: Keys, alg: str) -> None:
    priv = {"R": keys.rsa, "P": keys.rsa, "E": keys.p256 if alg == "ES256" else keys.p384}[alg[0]]
    if alg == "EdDSA":
        priv = keys.ed
    token = auth.jwt_encode({"a": 1}, priv, alg)
    assert auth.jwt_decode(token, priv.public_key(), [alg]) == {"a": 1}
    assert pyjwt.decode(token, priv.public_key(), [alg]) == {"a": 1}


def test_encode_matches_pyjwt_details() -> None:
    when = datetime(2030, 1, 1, tzinfo=timezone.utc)
    payload = {"exp": when, "iat": when, "nbf": when, "name": "Zoë ✓", "n": 1.5}
    headers = {"kid": "k1", "x": [1, 2]}
    assert auth.jwt_encode(payload, SECRET, "HS512", headers) == pyjwt.encode(payload, SECRET, "HS512", headers)
    assert auth.jwt_encode(payload, SECRET, "HS256", {"alg": "HS384"}) == pyjwt.encode(payload, SECRET, "HS256", {"alg": "HS384"})
    assert auth.jwt_encode({}, SECRET, headers={"typ": None}) == pyjwt.encode({}, SECRET, headers={"typ": None})
    assert auth.jwt_encode({}, SECRET, sort_headers=False, headers={"z": 1}) == pyjwt.encode(
        {}, SECRET, sort_headers=False, headers={"z": 1}
    )

    class Enc(json.JSONEncoder):
        def default(self, o: Any) -> Any:
            return sorted(o) if isinstance(o, set) else super().default(o)

    assert auth.jwt_encode({"s": {2, 1}}, SECRET, json_encoder=Enc) == pyjwt.encode({"s": {2, 1}}, SECRET, json_encoder=Enc)
    with pytest.raises(TypeError):
        auth.jwt_encode([1], SECRET)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        auth.jwt_encode({"iss": 1}, SECRET)


# --- PyJWT's meanings and exception classes ---------------------------------------------------


def claims_token(**claims: Any) -> str:
    return pyjwt.encode(claims, SECRET, "HS256")


CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("expired", claims_token(exp=int(NOW) - 1), {}),
    ("expired at now", claims_token(exp=int(NOW)), {}),
    ("leeway saves exp", claims_token(exp=int(NOW) - 5), {"leeway": 10}),
    ("leeway as timedelta", claims_token(exp=int(NOW) - 5), {"leeway": timedelta(seconds=10)}),
    ("nbf future", claims_token(nbf=int(NOW) + 10), {}),
    ("iat future", claims_token(iat=int(NOW) + 10), {}),
    ("iat not a number", claims_token(iat="x"), {}),
    ("exp not a number", claims_token(exp="x"), {}),
    ("nbf not a number", claims_token(nbf=[1]), {}),
    ("aud without audience", claims_token(aud="a"), {}),
    ("audience without aud", claims_token(), {"audience": "a"}),
    ("aud mismatch", claims_token(aud="a"), {"audience": "b"}),
    ("aud list match", claims_token(aud=["x", "a"]), {"audience": "a"}),
    ("audience list match", claims_token(aud="a"), {"audience": ["b", "a"]}),
    ("aud bad format", claims_token(aud=5), {"audience": "a"}),
    ("aud list bad item", claims_token(aud=["a", 5]), {"audience": "a"}),
    ("strict aud ok", claims_token(aud="a"), {"audience": "a", "options": {"strict_aud": True}}),
    ("strict aud list", claims_token(aud=["a"]), {"audience": "a", "options": {"strict_aud": True}}),
    ("iss missing", claims_token(), {"issuer": "i"}),
    ("iss mismatch", claims_token(iss="j"), {"issuer": "i"}),
    ("iss in list", claims_token(iss="j"), {"issuer": ["i", "j"]}),
    ("iss not str", forge({"alg": "HS256"}, {"iss": 1}), {"issuer": "i"}),
    ("require missing", claims_token(a=1), {"options": {"require": ["exp"]}}),
    ("require present", claims_token(exp=int(NOW) + 10), {"options": {"require": ["exp"]}}),
    ("sub not str", forge({"alg": "HS256"}, {"sub": 1}), {}),
    ("sub mismatch", claims_token(sub="a"), {"subject": "b"}),
    ("jti not str", forge({"alg": "HS256"}, {"jti": 1}), {}),
    ("verify_exp off", claims_token(exp=int(NOW) - 1), {"options": {"verify_exp": False}}),
    ("bad signature", claims_token()[:-3] + "AAA", {}),
    ("wrong alg", pyjwt.encode({}, SECRET, "HS512"), {}),
    ("not enough segments", "abc.def", {}),
    ("bad header padding", "!!!.e30.AAAA", {}),
    ("header not an object", forge([1], {}), {}),
    ("payload not an object", forge({"alg": "HS256"}, [1]), {}),
    ("header not json", forge(b"{", b"{}", raw=True), {}),
    ("no alg", forge({"typ": "JWT"}, {}), {}),
]


@pytest.mark.parametrize("name,token,kwargs", CASES, ids=[c[0] for c in CASES])
def test_same_outcome_as_pyjwt(name: str, token: str, kwargs: dict[str, Any]) -> None:
    def outcome(fn: Any) -> Any:
        try:
            return fn()
        except pyjwt.PyJWTError as e:
            return type(e).__name__
        except webaccel.WebAccelError as e:
            assert isinstance(e, InvalidTokenError)
            return type(e).__name__

    ours = outcome(lambda: auth.jwt_decode(token, SECRET, ["HS256"], now=NOW, **kwargs))
    with pyjwt_clock(NOW):
        theirs = outcome(lambda: pyjwt.decode(token, SECRET, ["HS256"], **kwargs))
    assert ours == theirs


def test_exception_hierarchy_mirrors_pyjwt() -> None:
    for name in (
        "DecodeError", "InvalidSignatureError", "ExpiredSignatureError", "ImmatureSignatureError",
        "InvalidAudienceError", "InvalidIssuerError", "InvalidIssuedAtError", "InvalidAlgorithmError",
        "MissingRequiredClaimError", "InvalidSubjectError", "InvalidJTIError",
    ):
        ours = getattr(auth, name)
        theirs = getattr(pyjwt.exceptions, name)
        assert issubclass(ours, InvalidTokenError) and issubclass(ours, webaccel.WebAccelError)
        for base in theirs.__mro__:
            if base.__module__.startswith("jwt") and base.__name__ not in ("PyJWTError",):
                assert issubclass(ours, getattr(auth, base.__name__)), (name, base)
    assert issubclass(InvalidKeyError, webaccel.WebAccelError) and not issubclass(InvalidKeyError, InvalidTokenError)
    err = MissingRequiredClaimError("exp")
    assert err.claim == "exp" and str(err) == str(pyjwt.MissingRequiredClaimError("exp"))


def test_verify_signature_off_reads_claims_without_key() -> None:
    token = claims_token(exp=1, a=1)
    assert auth.jwt_decode(token, None, None, options={"verify_signature": False}) == {"exp": 1, "a": 1}
    with pytest.raises(ExpiredSignatureError):
        auth.jwt_decode(token, None, None, options={"verify_signature": False, "verify_exp": True})


def test_unknown_option_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="verify_expiry"):
        auth.jwt_decode(claims_token(), SECRET, ["HS256"], options={"verify_expiry": False})


def test_verifier_matches_one_shot_and_complete() -> None:
    token = claims_token(aud="a", iss="i", exp=int(NOW) + 60, kid=1)
    v = JWTVerifier(SECRET, ["HS256"], audience="a", issuer="i", leeway=1)
    assert v.decode(token, now=NOW) == auth.jwt_decode(token, SECRET, ["HS256"], audience="a", issuer="i", now=NOW)
    complete = v.decode_complete(token.encode(), now=NOW)
    assert complete["header"] == {"alg": "HS256", "typ": "JWT"} and complete["payload"]["aud"] == "a"
    assert complete == {**pyjwt.decode_complete(token, SECRET, ["HS256"], audience="a", issuer="i"), "payload": complete["payload"]}
    assert v.algorithms == ["HS256"]
    with pytest.raises(ExpiredSignatureError):
        v.decode(token, now=NOW + 62)
    assert v.decode(token, now=NOW + 60.5) == complete["payload"]  # leeway 1


# --- keys ------------------------------------------------------------------------------------


def test_pem_formats(keys: Keys) -> None:
    token = auth.jwt_encode({"a": 1}, keys.rsa.private_bytes(PEM, serialization.PrivateFormat.TraditionalOpenSSL, NOENC), "RS256")
    pkcs1_pub = keys.rsa.public_key().public_bytes(PEM, serialization.PublicFormat.PKCS1)
    assert b"BEGIN RSA PUBLIC KEY" in pkcs1_pub
    assert auth.jwt_decode(token, pkcs1_pub, ["RS256"]) == {"a": 1}
    sec1 = keys.p256.private_bytes(PEM, serialization.PrivateFormat.TraditionalOpenSSL, NOENC)
    assert b"BEGIN EC PRIVATE KEY" in sec1
    es = auth.jwt_encode({"a": 1}, sec1.decode(), "ES256")
    assert pyjwt.decode(es, keys.p256.public_key(), ["ES256"]) == {"a": 1}
    # An X.509 certificate's public key.
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "t")])
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(keys.rsa.public_key())
        .serial_number(1).not_valid_before(datetime(2020, 1, 1)).not_valid_after(datetime(2040, 1, 1))
        .sign(keys.rsa, hashes.SHA256())
    )
    assert auth.jwt_decode(token, cert.public_bytes(PEM), ["RS256"]) == {"a": 1}
    with pytest.raises(InvalidKeyError, match="encrypted"):
        JWTKey.from_pem(keys.rsa.private_bytes(PEM, PKCS8, serialization.BestAvailableEncryption(b"pw")))
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(InvalidKeyError, match="2048"):
        JWTKey.from_pem(small.public_key().public_bytes(PEM, SPKI))
    with pytest.raises(InvalidKeyError):
        JWTKey.from_pem(b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")


def test_jwk_round_trip_and_key_properties(keys: Keys) -> None:
    for alg in ("RS256", "ES256", "ES384", "EdDSA"):
        priv, pub = keys.pair(alg)
        k = JWTKey.from_pem(priv)
        assert k.is_private and alg in k.algorithms
        jwk = k.public_jwk()
        assert "d" not in jwk and jwk["use"] == "sig"
        public = JWTKey.from_jwk(jwk)
        assert not public.is_private
        token = auth.jwt_encode({"a": alg}, k, alg)
        assert auth.jwt_decode(token, jwk, [alg]) == {"a": alg}
        assert pyjwt.decode(token, pyjwt.PyJWK(jwk, alg).key, [alg]) == {"a": alg}
        with pytest.raises(InvalidKeyError, match="private"):
            auth.jwt_encode({}, public, alg)
    assert JWTKey.from_secret(SECRET).kty == "oct"
    assert "secret" in repr(JWTKey.from_secret(SECRET)) and "s" * 10 not in repr(JWTKey.from_secret(SECRET))
    with pytest.raises(InvalidKeyError):
        JWTKey.from_jwk({"kty": "RSA", "n": "!!", "e": "AQAB"})
    with pytest.raises(InvalidKeyError, match="use"):
        JWTKey.from_jwk({"kty": "oct", "k": b64(SECRET), "use": "enc"})


def test_jwk_set_lookup_and_skipping(keys: Keys) -> None:
    rsa_jwk = {**JWTKey.from_pem(keys.pair("RS256")[1]).public_jwk(), "kid": "r1"}
    ec_jwk = {**JWTKey.from_pem(keys.pair("ES256")[1]).public_jwk(), "kid": "e1"}
    enc = {"kty": "oct", "k": b64(SECRET), "use": "enc", "kid": "x"}
    ks = JWKSet.from_dict({"keys": [rsa_jwk, ec_jwk, enc, {"kty": "EC", "crv": "P-521", "x": "", "y": ""}]})
    assert len(ks) == 2 and ks.kids == ["r1", "e1"] and len(ks.skipped) == 2
    assert "r1" in ks and ks["e1"].kty == "EC" and ks.get("nope") is None
    t_rsa = auth.jwt_encode({"k": 1}, keys.pair("RS256")[0], "RS256", {"kid": "r1"})
    t_ec = auth.jwt_encode({"k": 2}, keys.pair("ES256")[0], "ES256", {"kid": "e1"})
    v = JWTVerifier(ks, ["RS256", "ES256"])
    assert v.decode(t_rsa) == {"k": 1} and v.decode(t_ec) == {"k": 2}
    with pytest.raises(UnknownKeyError):
        v.decode(auth.jwt_encode({}, keys.pair("ES256")[0], "ES256", {"kid": "zz"}))
    with pytest.raises(UnknownKeyError):  # no kid, two keys: no guessing
        v.decode(auth.jwt_encode({}, keys.pair("ES256")[0], "ES256"))
    with pytest.raises(InvalidKeyError, match="usable"):
        JWKSet.from_dict({"keys": [enc]})


# --- secure by default: one test each ---------------------------------------------------------


def test_an_explicit_algorithms_list_is_required() -> None:
    token = claims_token()
    for missing in (None, []):
        with pytest.raises(DecodeError, match="algorithms"):
            auth.jwt_decode(token, SECRET, missing)
    with pytest.raises(TypeError):
        auth.jwt_decode(token, SECRET, "HS256")  # a str is not a list (PyJWT would substring-match it)
    with pytest.raises(DecodeError):
        JWTVerifier(SECRET, [])


def test_alg_none_is_never_accepted() -> None:
    for header in ({"alg": "none"}, {"alg": "None"}, {"alg": "NONE"}, {"alg": ""}):
        token = f"{b64(json.dumps(header).encode())}.{b64(b'{}')}."
        with pytest.raises(InvalidAlgorithmError):
            auth.jwt_decode(token, SECRET, ["HS256"])
    with pytest.raises(InvalidAlgorithmError):
        JWTVerifier(SECRET, ["none"])
    with pytest.raises(InvalidAlgorithmError):
        auth.jwt_encode({}, SECRET, "none")


def test_a_public_key_is_never_an_hmac_secret(keys: Keys) -> None:
    """Algorithm confusion (CVE-2017-11424, CVE-2022-29217, CVE-2024-33663): the attacker MACs a
    token with the server's public key as the HMAC secret."""
    for alg in ("RS256", "ES256", "EdDSA"):
        _, pub = keys.pair(alg)
        forged = forge({"alg": "HS256", "typ": "JWT"}, {"admin": True}, key=pub)
        for accepted in (["HS256", alg], [alg, "HS256"]):
            with pytest.raises(InvalidAlgorithmError):
                auth.jwt_decode(forged, pub, accepted)
            with pytest.raises(InvalidAlgorithmError):
                JWTVerifier(pub, accepted).decode(forged)
        with pytest.raises(InvalidKeyError):
            auth.jwt_decode(forged, pub, ["HS256"])
        with pytest.raises(InvalidKeyError):
            auth.jwt_decode(forged, pub.decode(), ["HS256"])
        jwk = JWTKey.from_pem(pub).public_jwk()
        with pytest.raises(InvalidKeyError):
            auth.jwt_decode(forged, jwk, ["HS256"])
        with pytest.raises(InvalidKeyError):
            JWTKey.from_secret(pub)
    ssh = b"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 user@host"
    with pytest.raises(InvalidKeyError):
        auth.jwt_decode(forge({"alg": "HS256"}, {}, key=ssh), ssh, ["HS256"])


def test_header_alg_is_tied_to_the_key(keys: Keys) -> None:
    """CVE-2026-48523: a token cannot pick which of the allowed algorithms its key is used with."""
    priv, pub = keys.pair("RS256")
    pinned = {**JWTKey.from_pem(pub).public_jwk(), "alg": "RS256", "kid": "r"}
    ps = auth.jwt_encode({}, priv, "PS256", {"kid": "r"})
    with pytest.raises(InvalidAlgorithmError):
        auth.jwt_decode(ps, pinned, ["RS256", "PS256"])
    # In a key set, a kid that names an RSA key cannot be used with HS256 (whose other key is an
    # HMAC secret of the set).
    ks = JWKSet.from_dict({"keys": [pinned, {"kty": "oct", "k": b64(SECRET), "kid": "h"}]})
    forged = forge({"alg": "HS256", "kid": "r"}, {}, key=SECRET)
    with pytest.raises(InvalidAlgorithmError):
        JWTVerifier(ks, ["RS256", "HS256"]).decode(forged)
    assert JWTVerifier(ks, ["RS256", "HS256"]).decode(forge({"alg": "HS256", "kid": "h"}, {"ok": 1})) == {"ok": 1}
    with pytest.raises(InvalidKeyError):
        JWTKey.from_jwk({**pinned, "alg": "ES256"})


def test_short_hmac_keys_are_refused_unless_allowed() -> None:
    short = b"k" * 31
    token = forge({"alg": "HS256", "typ": "JWT"}, {"a": 1}, key=short)
    with pytest.raises(InvalidKeyError, match="31 bytes"):
        auth.jwt_decode(token, short, ["HS256"])
    with pytest.raises(InvalidKeyError):
        JWTVerifier(short, ["HS256"])
    with pytest.raises(InvalidKeyError):
        auth.jwt_encode({}, short)
    with pytest.raises(InvalidKeyError):  # 32 bytes is enough for HS256, not for HS512
        JWTVerifier(b"k" * 32, ["HS256", "HS512"])
    assert auth.jwt_decode(token, short, ["HS256"], options={"enforce_minimum_key_length": False}) == {"a": 1}
    assert JWTVerifier(JWTKey.from_secret(short, allow_short=True), ["HS256"]).decode(token) == {"a": 1}


def test_mac_comparison_refuses_every_near_miss() -> None:
    """MACs are compared with ring's constant-time comparison (hmac::verify); timing is not
    asserted (noisy), but every altered, truncated or extended tag is refused the same way."""
    token = claims_token(a=1)
    head, _, sig = token.rpartition(".")
    raw = base64.urlsafe_b64decode(sig + "=")
    variants = [raw[:-1], raw + b"\0", b"", bytes([raw[0] ^ 1]) + raw[1:], raw[:-1] + bytes([raw[-1] ^ 0x80]), bytes(32)]
    for bad in variants:
        with pytest.raises(InvalidSignatureError):
            auth.jwt_decode(f"{head}.{b64(bad)}", SECRET, ["HS256"])


def test_crit_headers_are_refused() -> None:
    """CVE-2026-32597, CVE-2025-59420: a critical extension the verifier does not implement must
    fail the token; webaccel implements none."""
    for crit in (["exp"], [], ["b64"], "x"):
        with pytest.raises(DecodeError, match="crit"):
            auth.jwt_decode(forge({"alg": "HS256", "crit": crit, "exp": 1}, {}), SECRET, ["HS256"])
    with pytest.raises(ValueError):
        auth.jwt_encode({}, SECRET, headers={"crit": ["x"]})


def test_b64_false_is_not_supported() -> None:
    """CVE-2026-48525 (RFC 7797 unencoded payloads)."""
    for b64val in (False, "false", 0, None):
        with pytest.raises(DecodeError, match="b64"):
            auth.jwt_decode(forge({"alg": "HS256", "b64": b64val}, {}), SECRET, ["HS256"])
    assert auth.jwt_decode(forge({"alg": "HS256", "b64": True}, {"a": 1}), SECRET, ["HS256"]) == {"a": 1}
    with pytest.raises(ValueError):
        auth.jws_encode(b"x", SECRET, headers={"b64": False})


def test_time_claims_must_be_json_numbers() -> None:
    for claim, error in (("exp", DecodeError), ("nbf", DecodeError), ("iat", InvalidIssuedAtError)):
        for value in ("9999999999", True, None, [1], {"a": 1}):
            with pytest.raises(error):
                auth.jwt_decode(forge({"alg": "HS256"}, {claim: value}), SECRET, ["HS256"])
        # NaN/Infinity literals (which Python's json module writes) are not JSON: refused.
        token = forge(b'{"alg":"HS256"}', b'{"%s": NaN}' % claim.encode(), raw=True)
        with pytest.raises(DecodeError):
            auth.jwt_decode(token, SECRET, ["HS256"])
    big = forge({"alg": "HS256"}, {"exp": 10**30})
    assert auth.jwt_decode(big, SECRET, ["HS256"]) == {"exp": 10**30}
    with pytest.raises(ExpiredSignatureError):
        auth.jwt_decode(forge({"alg": "HS256"}, {"exp": -(10**30)}), SECRET, ["HS256"])
    assert auth.jwt_decode(forge({"alg": "HS256"}, {"exp": NOW + 0.5}), SECRET, ["HS256"], now=NOW - 1) == {"exp": NOW + 0.5}


def test_issuer_is_compared_exactly() -> None:
    """CVE-2024-53861: PyJWT 2.10.0 tested `iss in issuer` on a str issuer (substring)."""
    for iss in ("https://id.example.com/", "example", "https://id.example.com", "https://id.example.com/x", ""):
        token = claims_token(iss=iss)
        if iss == "https://id.example.com/":
            assert auth.jwt_decode(token, SECRET, ["HS256"], issuer="https://id.example.com/")["iss"] == iss
        else:
            with pytest.raises(InvalidIssuerError):
                auth.jwt_decode(token, SECRET, ["HS256"], issuer="https://id.example.com/")
    with pytest.raises(InvalidIssuerError):
        auth.jwt_decode(claims_token(iss="a"), SECRET, ["HS256"], issuer=["ab", "b"])


def test_audience_as_string_or_list() -> None:
    for aud, audience, ok in (
        ("api", "api", True), (["web", "api"], "api", True), ("api", ["x", "api"], True), (["a", "b"], ["c", "b"], True),
        ("api", "ap", False), (["apix"], "api", False), ({"api": 1}, "api", False), (["api", None], "api", False),
    ):
        token = claims_token(aud=aud)
        if ok:
            assert auth.jwt_decode(token, SECRET, ["HS256"], audience=audience)["aud"] == aud
        else:
            with pytest.raises(InvalidAudienceError):
                auth.jwt_decode(token, SECRET, ["HS256"], audience=audience)
    with pytest.raises(MissingRequiredClaimError):
        auth.jwt_decode(claims_token(), SECRET, ["HS256"], audience="api")
    with pytest.raises(InvalidAudienceError):  # a token for some audience is not for everyone
        auth.jwt_decode(claims_token(aud="api"), SECRET, ["HS256"])


def test_keys_never_come_from_the_token_headers(keys: Keys) -> None:
    """CVE-2026-27962: a token carrying its own key (jwk), or a URL to one (jku, x5u), or a
    certificate (x5c) is verified with the configured key only."""
    attacker = ec.generate_private_key(ec.SECP256R1())
    attacker_pem = attacker.private_bytes(PEM, PKCS8, NOENC)
    attacker_jwk = {**JWTKey.from_pem(attacker_pem).public_jwk(), "kid": "evil"}
    headers = {"jwk": attacker_jwk, "jku": "http://127.0.0.1:9/jwks", "x5u": "http://127.0.0.1:9/c", "x5c": ["AAAA"], "kid": "evil"}
    token = auth.jwt_encode({"admin": True}, attacker_pem, "ES256", headers)
    _, server_pub = keys.pair("ES256")
    with pytest.raises(InvalidSignatureError):
        auth.jwt_decode(token, server_pub, ["ES256"])
    server_set = JWKSet([JWTKey.from_jwk({**JWTKey.from_pem(server_pub).public_jwk(), "kid": "server"})])
    with pytest.raises(UnknownKeyError):
        JWTVerifier(server_set, ["ES256"]).decode(token)


def test_token_size_and_json_depth_are_capped() -> None:
    """CVE-2025-61920: huge headers; deep nesting."""
    huge = forge({"alg": "HS256", "pad": "x" * 20000}, {})
    with pytest.raises(DecodeError, match="larger"):
        auth.jwt_decode(huge, SECRET, ["HS256"])
    with pytest.raises(DecodeError, match="larger"):
        auth.get_unverified_header(huge)
    assert auth.jwt_decode(huge, SECRET, ["HS256"], max_size=40000) == {}
    with pytest.raises(DecodeError, match="larger"):
        JWTVerifier(SECRET, ["HS256"], max_size=100).decode(forge({"alg": "HS256"}, {"a": "x" * 100}))
    deep_header = b'{"alg":"HS256","x":' + b"[" * 40 + b"]" * 40 + b"}"
    with pytest.raises(DecodeError, match="depth"):
        auth.jwt_decode(forge(deep_header, b"{}", raw=True), SECRET, ["HS256"])
    deep_payload = b'{"x":' + b"[" * 40 + b"]" * 40 + b"}"
    with pytest.raises(DecodeError, match="depth"):
        auth.jwt_decode(forge(b'{"alg":"HS256"}', deep_payload, raw=True), SECRET, ["HS256"])
    nested = auth.jwt_decode(forge(b'{"alg":"HS256"}', deep_payload, raw=True), SECRET, ["HS256"], max_depth=64)["x"]
    for _ in range(39):
        assert isinstance(nested, list) and len(nested) == 1
        nested = nested[0]
    assert nested == []


def test_an_expected_typ_can_be_required() -> None:
    v = JWTVerifier(SECRET, ["HS256"], typ="at+jwt")
    assert v.decode(forge({"alg": "HS256", "typ": "at+jwt"}, {"a": 1})) == {"a": 1}
    assert v.decode(forge({"alg": "HS256", "typ": "application/AT+JWT"}, {"a": 1})) == {"a": 1}
    for header in ({"alg": "HS256", "typ": "JWT"}, {"alg": "HS256"}, {"alg": "HS256", "typ": 1}):
        with pytest.raises(InvalidTypeError):
            v.decode(forge(header, {}))
    assert auth.jwt_decode(forge({"alg": "HS256"}, {}), SECRET, ["HS256"]) == {}  # not required by default


@settings(max_examples=300)
@given(st.one_of(st.binary(max_size=300), st.text(max_size=300), st.lists(st.text(alphabet="abcAB-_=.{}\"", max_size=40), max_size=5).map(".".join)))
def test_garbage_raises_only_token_errors(data: Any) -> None:
    for fn in (
        lambda: auth.jwt_decode(data, SECRET, ["HS256", "HS512"]),
        lambda: auth.get_unverified_header(data),
        lambda: auth.jwt_decode(data, None, None, options={"verify_signature": False}),
    ):
        try:
            fn()
        except InvalidTokenError:
            pass


def test_now_default_is_the_real_clock() -> None:
    token = claims_token(exp=int(time.time()) + 100, nbf=int(time.time()) - 100)
    assert auth.jwt_decode(token, SECRET, ["HS256"])["exp"] > time.time()
    with pytest.raises(ImmatureSignatureError):
        auth.jwt_decode(token, SECRET, ["HS256"], now=time.time() - 200)


jwk_member = st.one_of(st.text(alphabet="ABCDEFabcdef0123456789-_", max_size=90), st.sampled_from(["", "AQAB", "P-256", "P-384", "Ed25519", "sig", "enc"]), st.integers(), st.none())


@settings(max_examples=300)
@given(
    st.fixed_dictionaries(
        {"kty": st.sampled_from(["oct", "RSA", "EC", "OKP", "x", ""])},
        optional={k: jwk_member for k in ("k", "n", "e", "d", "p", "q", "dp", "dq", "qi", "x", "y", "crv", "alg", "use", "kid")},
    )
)
def test_hostile_jwks_raise_only_invalid_key_error(jwk: dict[str, Any]) -> None:
    try:
        key = JWTKey.from_jwk(jwk)
    except InvalidKeyError:
        return
    assert key.kty == jwk["kty"]


@settings(max_examples=200)
@given(st.binary(max_size=400).map(lambda b: b"-----BEGIN PUBLIC KEY-----\n" + base64.encodebytes(b) + b"-----END PUBLIC KEY-----\n"))
def test_hostile_pem_raises_only_invalid_key_error(pem: bytes) -> None:
    with pytest.raises(InvalidKeyError):
        JWTKey.from_pem(pem)


# --- JWTVerifier.decode_bearer: the Authorization header read in Rust -------------------------

_BEARER_VERIFIER = JWTVerifier(SECRET, ["HS256"], audience="api")
_BEARER_TOKENS = [
    auth.jwt_encode({"sub": "u1", "aud": "api", "exp": NOW + 600}, SECRET, "HS256"),
    auth.jwt_encode({"sub": "u1", "aud": "api", "exp": NOW - 600}, SECRET, "HS256"),  # expired
    auth.jwt_encode({"sub": "u1", "aud": "other", "exp": NOW + 600}, SECRET, "HS256"),
    auth.jwt_encode({"sub": "u1", "aud": "api"}, b"t" * 64, "HS256"),  # another key
    "not.a.jwt", "a.b", "x" * 20_000, "",
]
_WHITE = ["", " ", "  ", "\t", "\xa0", "\x85", "\x1c", "\x0b", " \t\xa0"]
_header_value = st.one_of(
    st.builds(
        lambda scheme, sep, pre, tok, extra, post: (scheme + sep + pre + tok + extra + post).encode("latin-1"),
        st.sampled_from(["Bearer", "bearer", "BEARER", "bEaReR", "Basic", "Bearerx", "", "Béarer"]),
        st.sampled_from([" ", "\t", "", "  "]),
        st.sampled_from(_WHITE),
        st.sampled_from(_BEARER_TOKENS),
        st.sampled_from(["", " x", "é", "\xff", "=", "."]),
        st.sampled_from(_WHITE),
    ),
    st.binary(max_size=30),
)
_header_list = st.lists(
    st.tuples(st.sampled_from([b"authorization", b"host", b"Authorization", b"x-auth"]), _header_value), max_size=4)


def _expected_bearer(headers: list[tuple[bytes, bytes]]) -> Any:
    # What webaccel.fastapi.auth did before decode_bearer: the first header, bearer_token, decode.
    value = next((v for n, v in headers if n == b"authorization"), None)
    token = auth.bearer_token(value.decode("latin-1")) if value is not None else None
    if token is None:
        return None
    try:
        return _BEARER_VERIFIER.decode(token, now=NOW)
    except InvalidTokenError as e:
        return (type(e), str(e))


@settings(max_examples=500, deadline=None)
@given(_header_list)
def test_decode_bearer_reads_the_header_as_bearer_token_and_decode_do(headers: list[tuple[bytes, bytes]]) -> None:
    try:
        got: Any = _BEARER_VERIFIER.decode_bearer(headers, now=NOW)
    except InvalidTokenError as e:
        got = (type(e), str(e))
    assert got == _expected_bearer(headers)


def test_decode_bearer_examples() -> None:
    good = _BEARER_TOKENS[0]
    v = _BEARER_VERIFIER
    assert v.decode_bearer([(b"authorization", f"Bearer {good}".encode())], now=NOW)["sub"] == "u1"
    assert v.decode_bearer([(b"authorization", f"bearer \t{good}\xa0".encode("latin-1"))], now=NOW)["sub"] == "u1"
    assert v.decode_bearer([], now=NOW) is None
    assert v.decode_bearer([(b"authorization", b"Basic dXNlcjpwYXNz")], now=NOW) is None
    # The first Authorization header counts, as Starlette's request.headers.get reads it.
    assert v.decode_bearer([(b"authorization", b"Basic x"), (b"authorization", f"Bearer {good}".encode())]) is None
    with pytest.raises(ExpiredSignatureError):
        v.decode_bearer([(b"authorization", f"Bearer {_BEARER_TOKENS[1]}".encode())], now=NOW)
    with pytest.raises(DecodeError):
        v.decode_bearer([(b"authorization", f"Bearer {good}é".encode("latin-1"))], now=NOW)
    # Any iterable of pairs, and values that are not bytes but decode as Latin-1 all the same.
    assert v.decode_bearer(iter([(b"authorization", bytearray(f"Bearer {good}".encode()))]), now=NOW)["sub"] == "u1"
    assert v.decode_bearer(((b"authorization", f"Bearer {good}".encode()),), now=NOW)["sub"] == "u1"
    with pytest.raises(ValueError):
        v.decode_bearer([(b"authorization",)])
    with pytest.raises(AttributeError):
        v.decode_bearer([(b"authorization", 42)])
