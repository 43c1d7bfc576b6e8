"""Webhook signatures: webaccel.webhooks against the standard library's hmac module (OpenSSL's
HMAC through hashlib), HMAC-SHA256 in hex, as GitHub sends it.

sign: ``webhooks.sign(secret, body)`` against ``hmac.new(secret, body, sha256).hexdigest()``;
verify: ``webhooks.verify(secret, body, header)`` against ``hmac.compare_digest`` of a fresh
hexdigest with the header. Outputs are checked equal (and True) first.
"""

from __future__ import annotations

import hashlib
import hmac
import random
from typing import Any

from bench._harness import Case, Table, WrongOutput
from webaccel import webhooks

PACKAGES: tuple[str, ...] = ()

SECRET = b"whsec_4f0c7a1e9b2d4c6a8e0f1a3b5c7d9e1f"


def _bodies(quick: bool) -> list[tuple[str, bytes]]:
    rnd = random.Random(3)
    sizes = [("1 KiB", 1024), ("64 KiB", 64 << 10)] if quick else [("1 KiB", 1024), ("64 KiB", 64 << 10), ("1 MiB", 1 << 20)]
    return [(f"{label} body", rnd.randbytes(size)) for label, size in sizes]


def tables(quick: bool) -> list[Table]:
    sign_rows, verify_rows = [], []
    for label, body in _bodies(quick):
        expected = hmac.new(SECRET, body, hashlib.sha256).hexdigest()

        def check_sig(_name: str, out: Any, expected: str = expected) -> None:
            if out != expected:
                raise WrongOutput(f"{out!r} != {expected!r}")

        def check_true(_name: str, out: Any) -> None:
            if out is not True:
                raise WrongOutput(repr(out))

        sign_rows.append(
            Case(
                label,
                body,
                {
                    "webaccel": lambda b: webhooks.sign(SECRET, b),
                    "hmac": lambda b: hmac.new(SECRET, b, hashlib.sha256).hexdigest(),
                },
                check_sig,
            )
        )
        verify_rows.append(
            Case(
                label,
                body,
                {
                    "webaccel": lambda b, sig=expected: webhooks.verify(SECRET, b, sig),
                    "hmac": lambda b, sig=expected: hmac.compare_digest(hmac.new(SECRET, b, hashlib.sha256).hexdigest(), sig),
                },
                check_true,
            )
        )
    return [
        Table("webhooks.sign", "HMAC-SHA256 hex signature of a body, against hmac.new().hexdigest()", sign_rows, peer="hmac"),
        Table(
            "webhooks.verify",
            "check a hex signature header in constant time, against hmac.compare_digest",
            verify_rows,
            peer="hmac",
        ),
    ]
