"""HMAC signatures for webhooks: sign a payload, verify a received signature in constant time.

    from webaccel import webhooks

    header = webhooks.sign(secret, body, prefix=True)          # 'sha256=3f1c...' (GitHub style)
    if not webhooks.verify(secret, request_body, request.headers["X-Hub-Signature-256"]):
        return 401

``verify`` accepts the signature bare or with an ``<algorithm>=`` prefix (GitHub's
``X-Hub-Signature-256: sha256=<hex>``), ignores surrounding whitespace, and accepts hex in either
case and base64 with or without padding. A prefix naming another algorithm than ``algorithm``,
a malformed signature or a wrong length is ``False``, never an exception: the signature is
attacker input. The comparison is constant time. The algorithm is the receiver's choice, never
the header's.

Timestamped schemes (Stripe's ``t=...,v1=...``, Slack's ``v0:{ts}:{body}``) sign a string the
receiver builds: pass that string as ``payload`` and check the timestamp yourself.
"""

from __future__ import annotations

from typing import Literal

from webaccel import _core
from webaccel.errors import WebhookSignatureError

__all__ = ["sign", "verify", "WebhookSignatureError", "Algorithm", "Encoding"]

Algorithm = Literal["sha1", "sha256", "sha384", "sha512"]
Encoding = Literal["hex", "base64"]


def _bytes(value: str | bytes | bytearray | memoryview) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8")
    return bytes(value)


def sign(
    secret: str | bytes,
    payload: str | bytes | bytearray | memoryview,
    algorithm: Algorithm = "sha256",
    encoding: Encoding = "hex",
    *,
    prefix: bool = False,
) -> str:
    """The HMAC of ``payload`` under ``secret`` (``str`` values are UTF-8 encoded), as lowercase
    hex or standard base64 with padding; with ``prefix=True``, ``"<algorithm>="`` first.

    Equal to ``hmac.new(secret, payload, algorithm).hexdigest()`` (or the base64 of ``digest()``).
    Raises :class:`WebhookSignatureError` (a ``ValueError``) for an unknown algorithm or encoding.
    """
    return _core.webhook_sign(_bytes(secret), _bytes(payload), algorithm, encoding, prefix=prefix)


def verify(
    secret: str | bytes,
    payload: str | bytes | bytearray | memoryview,
    signature: str | bytes,
    algorithm: Algorithm = "sha256",
    encoding: Encoding = "hex",
) -> bool:
    """Whether ``signature`` is ``payload``'s HMAC under ``secret`` (constant-time comparison).

    Raises :class:`WebhookSignatureError` only for an unknown ``algorithm`` or ``encoding``
    (programmer errors); anything wrong with ``signature`` gives ``False``."""
    sig = signature.encode("utf-8", "replace") if isinstance(signature, str) else bytes(signature)
    return _core.webhook_verify(_bytes(secret), _bytes(payload), sig, algorithm, encoding)
