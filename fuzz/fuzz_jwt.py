#!/usr/bin/env python3
r"""Fuzzer for the JWT token parser (``webaccel.auth``), with atheris/libFuzzer.

Each input is used two ways:

- raw: the bytes (and, when they are UTF-8, the str) as a token for ``jwt_decode`` (HS256 and
  HS512 allowed), ``JWTVerifier.decode`` with aud/iss/typ checks, ``jwt_decode`` with
  ``verify_signature=False`` and ``get_unverified_header``;
- structured: the input split at its first NUL into a header and a payload, encoded and MACed
  with the test key, so the header and claim checks behind the signature are reached too.

webaccel may raise nothing but ``webaccel.auth.InvalidTokenError`` subclasses: any other
exception (``InternalError`` from a caught Rust panic, ``TypeError``, ...) fails the run, and so
does a crash. Differential check: whatever webaccel accepts, PyJWT (the library it replaces, on
the same fixed clock) accepts with the same claims; webaccel is allowed to refuse more (it is
stricter by design: time claims must be JSON numbers, no ``crit``, no NaN, size and depth caps).

Run it (libFuzzer writes new inputs into the FIRST directory; the ones after it are read only):

    .venv/bin/python fuzz/fuzz_jwt.py -runs=200000 -max_len=4096 -max_total_time=120 \
        fuzz/corpus fuzz/seeds

The committed seeds are ``fuzz/seeds_jwt`` (always added); new inputs go to ``fuzz/corpus/jwt``
(git-ignored) unless another first directory is given. ``-artifact_prefix=fuzz/artifacts/`` and
``-timeout=10`` are added unless given. Replay a failure with
``.venv/bin/python fuzz/fuzz_jwt.py fuzz/artifacts/crash-<sha1>``.
"""

from __future__ import annotations

import base64
import hmac
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import atheris  # type: ignore[import-untyped]

with atheris.instrument_imports(include=["jwt", "json", "base64", "webaccel"]):
    import json  # noqa: F401 - PyJWT's JSON decoding, instrumented for coverage
    import jwt as pyjwt
    import jwt.api_jwt

    from webaccel import auth

HERE = Path(__file__).resolve().parent
SEEDS = HERE / "seeds_jwt"
CORPUS = HERE / "corpus" / "jwt"
ARTIFACTS = HERE / "artifacts"

KEY = b"fuzz-key-" + b"k" * 55  # 64 bytes: long enough for HS512
NOW = 1_700_000_000.0
VERIFIER = auth.JWTVerifier(KEY, ["HS256", "HS512"], audience="api", issuer="iss", leeway=5, typ="JWT")


class _FrozenDatetime(datetime):
    @classmethod
    def now(cls, tz: Any = None) -> Any:  # type: ignore[override]
        return datetime.fromtimestamp(NOW, tz=timezone.utc)


jwt.api_jwt.datetime = _FrozenDatetime  # type: ignore[attr-defined,misc]


class Mismatch(AssertionError):
    """webaccel raised a non-token error, or accepted what PyJWT refuses."""


def call(what: str, fn: Callable[[], Any]) -> tuple[bool, Any]:
    try:
        return True, fn()
    except auth.InvalidTokenError as e:
        return False, e
    except BaseException as e:  # noqa: B036 - InternalError, TypeError, RecursionError...
        raise Mismatch(f"{what}: raised {type(e).__module__}.{type(e).__qualname__}: {e}") from e


def b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def structured(data: bytes) -> bytes:
    header, _, payload = data.partition(b"\0")
    signing_input = b64(header) + b"." + b64(payload)
    return signing_input + b"." + b64(hmac.new(KEY, signing_input, "sha256").digest())


def pyjwt_decode(token: bytes | str) -> tuple[bool, Any]:
    """PyJWT's answer. Also the coverage signal: PyJWT's Python is instrumented, webaccel's
    native code is not, so libFuzzer is steered by the token grammar as PyJWT walks it."""
    try:
        return True, pyjwt.decode(token, KEY, ["HS256", "HS512"])
    except Exception as e:
        return False, e


def check_token(token: bytes | str) -> None:
    ok, claims = call("jwt_decode", lambda: auth.jwt_decode(token, KEY, ["HS256", "HS512"], now=NOW))
    theirs_ok, theirs = pyjwt_decode(token)
    if ok:
        if not isinstance(claims, dict):
            raise Mismatch(f"jwt_decode returned {type(claims).__name__}")
        if not theirs_ok:
            raise Mismatch(f"webaccel accepted a token PyJWT refuses ({type(theirs).__name__}: {theirs}): {claims!r:.200}")
        if theirs != claims:
            raise Mismatch(f"claims differ: {claims!r:.200} != PyJWT {theirs!r:.200}")
    call("JWTVerifier.decode", lambda: VERIFIER.decode(token, now=NOW))
    call("unverified", lambda: auth.jwt_decode(token, None, None, options={"verify_signature": False}))
    ok, header = call("get_unverified_header", lambda: auth.get_unverified_header(token))
    if ok and not isinstance(header, dict):
        raise Mismatch(f"get_unverified_header returned {type(header).__name__}")


def check(data: bytes) -> None:
    check_token(data)
    try:
        check_token(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    check_token(structured(data))


def TestOneInput(data: bytes) -> None:  # noqa: N802 - atheris's name
    check(data)


def libfuzzer_args(argv: list[str]) -> list[str]:
    """argv plus defaults: new inputs in fuzz/corpus/jwt, the committed seeds always read."""
    args = list(argv)
    positional = [i for i, a in enumerate(args[1:], 1) if not a.startswith("-")]
    dirs = [Path(args[i]).resolve() for i in positional]
    if dirs and dirs[0] in (SEEDS, HERE / "seeds", HERE / "corpus"):
        args.insert(positional[0], str(CORPUS))
        CORPUS.mkdir(parents=True, exist_ok=True)
        print(f"fuzz: new inputs go to {CORPUS}", file=sys.stderr)
    if dirs and dirs[0].is_dir() and SEEDS not in dirs:
        args.append(str(SEEDS))
    if not any(a.startswith("-artifact_prefix=") for a in args):
        ARTIFACTS.mkdir(exist_ok=True)
        args.insert(1, f"-artifact_prefix={ARTIFACTS}/")
    if not any(a.startswith("-timeout=") for a in args):
        args.insert(1, "-timeout=10")
    return args


def main() -> None:
    atheris.Setup(libfuzzer_args(sys.argv), TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
