"""webaccel.webhooks against Python's hmac module: the same signatures for every algorithm and
encoding on generated secrets and payloads; verify accepts exactly the right signature (bare,
prefixed GitHub-style, any hex case, base64 with or without padding) and gives False, never an
exception, for anything a sender could put in the header."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import VECTORS
from webaccel import webhooks
from webaccel.errors import WebAccelError
from webaccel.webhooks import WebhookSignatureError

ALGORITHMS = ["sha1", "sha256", "sha384", "sha512"]
secrets_ = st.one_of(st.binary(max_size=200), st.text(max_size=80))
payloads = st.one_of(st.binary(max_size=2000), st.text(max_size=500))


def _b(v: str | bytes) -> bytes:
    return v.encode() if isinstance(v, str) else v


def reference(secret: str | bytes, payload: str | bytes, algorithm: str) -> bytes:
    return hmac.new(_b(secret), _b(payload), getattr(hashlib, algorithm)).digest()


@given(secret=secrets_, payload=payloads, algorithm=st.sampled_from(ALGORITHMS))
def test_sign_equals_hmac_module(secret: str | bytes, payload: str | bytes, algorithm: str) -> None:
    digest = reference(secret, payload, algorithm)
    assert webhooks.sign(secret, payload, algorithm) == digest.hex()  # type: ignore[arg-type]
    assert webhooks.sign(secret, payload, algorithm, "base64") == base64.b64encode(digest).decode()  # type: ignore[arg-type]
    assert webhooks.sign(secret, payload, algorithm, prefix=True) == f"{algorithm}={digest.hex()}"  # type: ignore[arg-type]


@given(secret=secrets_, payload=payloads, algorithm=st.sampled_from(ALGORITHMS))
def test_verify_accepts_the_hmac_modules_signatures(secret: str | bytes, payload: str | bytes, algorithm: str) -> None:
    digest = reference(secret, payload, algorithm)
    alg = algorithm
    for sig in (digest.hex(), digest.hex().upper(), f"{algorithm}={digest.hex()}", f"  {digest.hex()}\r\n"):
        assert webhooks.verify(secret, payload, sig, alg)  # type: ignore[arg-type]
    b64 = base64.b64encode(digest).decode()
    for sig in (b64, b64.rstrip("="), f"{algorithm}={b64}"):
        assert webhooks.verify(secret, payload, sig, alg, "base64")  # type: ignore[arg-type]
    assert webhooks.verify(secret, payload, digest.hex().encode(), alg)  # type: ignore[arg-type]


@given(secret=secrets_, payload=payloads, algorithm=st.sampled_from(ALGORITHMS), data=st.data())
def test_verify_refuses_every_other_signature(secret: str | bytes, payload: str | bytes, algorithm: str, data: st.DataObject) -> None:
    digest = reference(secret, payload, algorithm)
    good = digest.hex()
    i = data.draw(st.integers(0, len(good) - 1))
    flipped = good[:i] + ("0" if good[i] != "0" else "1") + good[i + 1 :]
    for sig in (flipped, good[:-2], good + "00", "", "=", f"{algorithm}=", "zz" * len(digest)):
        assert webhooks.verify(secret, payload, sig, algorithm) is False  # type: ignore[arg-type]
    other = "sha1" if algorithm != "sha1" else "sha256"
    # The header cannot choose the algorithm: a prefix naming another one never matches.
    assert webhooks.verify(secret, payload, f"{other}={good}", algorithm) is False  # type: ignore[arg-type]
    assert webhooks.verify(secret, _b(payload) + b"x", good, algorithm) is False  # type: ignore[arg-type]


@given(sig=st.one_of(st.text(max_size=300), st.binary(max_size=300)))
def test_arbitrary_headers_are_false_never_an_error(sig: str | bytes) -> None:
    assert webhooks.verify(b"secret", b"payload", sig) is False
    assert webhooks.verify(b"secret", b"payload", sig, "sha512", "base64") is False


def test_rfc4231_hmac_kats() -> None:
    kats = json.loads((VECTORS / "jwt.json").read_text())["rfc4231_hmac_kats"]["cases"]
    assert kats
    for kat in kats:
        key, data = bytes.fromhex(kat["key_hex"]), bytes.fromhex(kat["data_hex"])
        for alg in ("sha256", "sha384", "sha512"):
            assert webhooks.sign(key, data, alg) == kat[f"hmac_{alg}"], (kat["case"], alg)  # type: ignore[arg-type]
            assert webhooks.verify(key, data, kat[f"hmac_{alg}"], alg)  # type: ignore[arg-type]


def test_large_payload_with_the_gil_released() -> None:
    payload = bytes(range(256)) * 4096  # 1 MiB, above the threshold where the GIL is released
    sig = webhooks.sign(b"k", payload)
    assert sig == hmac.new(b"k", payload, hashlib.sha256).hexdigest()
    assert webhooks.verify(b"k", memoryview(payload), sig)
    assert webhooks.verify(b"k", bytearray(payload), sig)


def test_unknown_algorithm_or_encoding_is_a_typed_error() -> None:
    for kwargs in ({"algorithm": "md5"}, {"algorithm": "none"}, {"encoding": "base32"}):
        with pytest.raises(WebhookSignatureError):
            webhooks.sign(b"k", b"p", **kwargs)  # type: ignore[arg-type]
        with pytest.raises(WebhookSignatureError):
            webhooks.verify(b"k", b"p", "00", **kwargs)  # type: ignore[arg-type]
    assert issubclass(WebhookSignatureError, ValueError) and issubclass(WebhookSignatureError, WebAccelError)
