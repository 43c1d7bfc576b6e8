"""Authentication in Rust: JSON Web Tokens with PyJWT's API, secure by default.

- ``jwt_encode`` / ``jwt_decode`` / ``jwt_decode_complete``: PyJWT's ``jwt.encode`` /
  ``jwt.decode`` / ``jwt.decode_complete`` arguments, ``options`` keys and exception names
  (:class:`InvalidTokenError` and its subclasses, all ``WebAccelError``).
- ``JWTVerifier``: key, algorithms and claim checks fixed once; ``verifier.decode(token)`` is the
  hot path (one native call).
- ``JWTKey`` (HMAC secret, PEM or JWK), ``JWKSet`` (``kid`` lookup), ``JWKSClient`` (a cached JWKS
  fetched off the event loop, with a bounded refetch rate on unknown ``kid``) and
  ``JWKSVerifier`` (a verifier fed by a ``JWKSClient``).
- ``jws_encode`` / ``jws_decode``: the same signatures over arbitrary bytes payloads.

Algorithms: HS256/384/512, RS256/384/512, PS256/384/512, ES256, ES384, EdDSA (Ed25519). ``none``
is never accepted. The key's type fixes the algorithm family; an explicit ``algorithms`` list is
required; ``crit`` headers and ``b64=false`` are refused; see ``docs/auth.md``.
"""

from __future__ import annotations

import asyncio
import calendar
import json as _stdlib_json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from webaccel._core import JWKSet, JWTKey, JWTVerifier
from webaccel._core import auth_jwt_decode as _decode
from webaccel._core import auth_jwt_encode as _encode
from webaccel._core import auth_jws_encode as _jws_encode
from webaccel._core import auth_jwt_unverified_header as _unverified_header
# The password half of the authentication area lives in webaccel.passwords (argon2, the
# argon2-cffi interface); its names are re-exported here so that ``webaccel.auth`` is the one
# import for tokens and passwords alike.
from webaccel.passwords import (
    Argon2Error,
    HashingError,
    InvalidHashError,
    Parameters,
    PasswordHasher,
    Type,
    VerificationError,
    VerifyMismatchError,
    hash_secret,
    hash_secret_raw,
    verify_secret,
)
from webaccel.errors import (
    DecodeError,
    ExpiredSignatureError,
    ImmatureSignatureError,
    InvalidAlgorithmError,
    InvalidAudienceError,
    InvalidIssuedAtError,
    InvalidIssuerError,
    InvalidJTIError,
    InvalidKeyError,
    InvalidSignatureError,
    InvalidSubjectError,
    InvalidTokenError,
    InvalidTypeError,
    JWKSFetchError,
    MissingRequiredClaimError,
    UnknownKeyError,
)

__all__ = [
    "jwt_encode",
    "jwt_decode",
    "jwt_decode_complete",
    "jws_encode",
    "jws_decode",
    "get_unverified_header",
    "JWTKey",
    "JWKSet",
    "JWTVerifier",
    "JWKSClient",
    "JWKSVerifier",
    "bearer_token",
    "bearer_challenge",
    "claim_scopes",
    "claim_roles",
    "error_description",
    "subject_key",
    "DEFAULT_MAX_TOKEN_SIZE",
    "DEFAULT_MAX_DEPTH",
    "InvalidTokenError",
    "DecodeError",
    "InvalidSignatureError",
    "ExpiredSignatureError",
    "ImmatureSignatureError",
    "InvalidAudienceError",
    "InvalidIssuerError",
    "InvalidIssuedAtError",
    "InvalidAlgorithmError",
    "MissingRequiredClaimError",
    "InvalidSubjectError",
    "InvalidJTIError",
    "InvalidTypeError",
    "UnknownKeyError",
    "InvalidKeyError",
    "JWKSFetchError",
    # passwords (webaccel.passwords)
    "PasswordHasher",
    "Parameters",
    "Type",
    "hash_secret",
    "hash_secret_raw",
    "verify_secret",
    "Argon2Error",
    "VerificationError",
    "VerifyMismatchError",
    "HashingError",
    "InvalidHashError",
]

#: Tokens longer than this many bytes are refused before any decoding (CVE-2025-61920).
DEFAULT_MAX_TOKEN_SIZE = 16 * 1024
#: Header and claims JSON may nest this deep.
DEFAULT_MAX_DEPTH = 32

KeyLike = Any  # JWTKey | JWKSet | str | bytes | Mapping[str, Any] | a `cryptography` key object

_NATIVE_KEYS = (JWTKey, JWKSet, str, bytes, dict)


def _coerce_key(key: Any) -> Any:
    """Keys the engine does not take directly: `cryptography` key objects (what PyJWT users
    pass) become PEM, other mappings become dicts."""
    if isinstance(key, _NATIVE_KEYS) or key is None:
        return key
    if isinstance(key, Mapping):
        return dict(key)
    try:
        from cryptography.hazmat.primitives import serialization
    except ImportError:  # pragma: no cover - cryptography is optional
        serialization = None  # type: ignore[assignment]
    if serialization is not None:
        if hasattr(key, "private_bytes"):
            return key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        if hasattr(key, "public_bytes"):
            return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    raise TypeError(f"unsupported key type {type(key).__name__}")


def jwt_encode(
    payload: dict[str, Any],
    key: KeyLike,
    algorithm: str | None = "HS256",
    headers: dict[str, Any] | None = None,
    json_encoder: type[_stdlib_json.JSONEncoder] | None = None,
    sort_headers: bool = True,
    *,
    default: Callable[[Any], Any] | None = None,
) -> str:
    """Sign ``payload`` (a dict of claims) as a compact JWT, like PyJWT's ``jwt.encode``.

    ``exp``/``iat``/``nbf`` datetimes become integer timestamps; ``headers`` are merged over
    ``{"typ": "JWT", "alg": algorithm}`` (an ``alg`` there wins, as in PyJWT) and written with
    sorted keys. The JSON is PyJWT's byte for byte (compact separators, ASCII escapes), so HMAC
    and Ed25519 tokens are identical to PyJWT's. ``json_encoder`` (a ``json.JSONEncoder``
    subclass) routes the payload through stdlib ``json``; ``default`` is webaccel's faster hook.
    Raises :class:`InvalidKeyError` for an unusable key (a public key, a short HMAC secret).
    """
    key = _coerce_key(key)
    if json_encoder is None:
        return _encode(payload, key, algorithm, headers, sort_headers=sort_headers, default=default)
    if not isinstance(payload, dict):
        raise TypeError("Expecting a dict object, as JWT only supports JSON objects as payloads.")
    payload = dict(payload)
    for claim in ("exp", "iat", "nbf"):
        if isinstance(payload.get(claim), datetime):
            payload[claim] = calendar.timegm(payload[claim].utctimetuple())
    if "iss" in payload and not isinstance(payload["iss"], str):
        raise TypeError("Issuer (iss) must be a string.")
    body = _stdlib_json.dumps(payload, separators=(",", ":"), cls=json_encoder).encode()
    return _jws_encode(body, key, algorithm, headers, sort_headers=sort_headers)


def jwt_decode(
    jwt: str | bytes,
    key: KeyLike,
    algorithms: Iterable[str] | None,
    *,
    options: Mapping[str, Any] | None = None,
    audience: str | Iterable[str] | None = None,
    issuer: str | Iterable[str] | None = None,
    subject: str | None = None,
    leeway: float | timedelta = 0,
    typ: str | None = None,
    max_size: int = DEFAULT_MAX_TOKEN_SIZE,
    max_depth: int = DEFAULT_MAX_DEPTH,
    now: float | None = None,
) -> dict[str, Any]:
    """Verify ``jwt`` and return its claims, like PyJWT's ``jwt.decode``.

    ``algorithms`` is required (``none`` is refused) and the key must fit each of them. The
    ``options`` keys are PyJWT's: ``verify_signature``, ``verify_exp``, ``verify_nbf``,
    ``verify_iat``, ``verify_aud``, ``verify_iss``, ``verify_sub``, ``verify_jti``, ``require``,
    ``strict_aud`` and ``enforce_minimum_key_length`` (True here: HMAC secrets shorter than the
    hash output are refused unless it is False). An unknown key is a ``TypeError``.
    ``typ`` requires that header value (case-insensitive, ``application/`` optional). ``now``
    (seconds since the epoch) replaces the clock, for tests and replays.
    """
    if options is None and type(key) in (str, bytes) and isinstance(algorithms, (list, tuple)):
        # The common call (a secret or PEM, fixed arguments): reuse a verifier built for the same
        # arguments, so the key is parsed and the checks are set up once, not on every call.
        verifier = _cached_verifier(key, algorithms, audience, issuer, subject, leeway, typ, max_size, max_depth)
        if verifier is not None:
            return verifier.decode(jwt, now=now)
    if type(key) not in _NATIVE_KEYS:
        key = _coerce_key(key)
    return _decode(  # type: ignore[no-any-return]
        jwt, key, algorithms, options=options, audience=audience, issuer=issuer, subject=subject,
        leeway=leeway, typ=typ, max_size=max_size, max_depth=max_depth, now=now,
    )


_VERIFIER_CACHE_SIZE = 64
_VERIFIERS: dict[Any, JWTVerifier] = {}


def _hashable(value: Any) -> Any:
    return value if value is None or isinstance(value, str) else ("seq", *value)


def _cached_verifier(key: str | bytes, algorithms: list[str] | tuple[str, ...], *args: Any) -> JWTVerifier | None:
    audience, issuer, subject, leeway, typ, max_size, max_depth = args
    try:
        cache_key = (key, tuple(algorithms), _hashable(audience), _hashable(issuer), subject, leeway, typ, max_size, max_depth)
        verifier = _VERIFIERS.get(cache_key)
    except TypeError:  # unhashable arguments: no caching
        return None
    if verifier is None:
        verifier = JWTVerifier(
            key, algorithms, audience=audience, issuer=issuer, subject=subject, leeway=leeway,
            typ=typ, max_size=max_size, max_depth=max_depth,
        )
        if len(_VERIFIERS) >= _VERIFIER_CACHE_SIZE:
            _VERIFIERS.clear()
        _VERIFIERS[cache_key] = verifier
    return verifier


def jwt_decode_complete(
    jwt: str | bytes,
    key: KeyLike,
    algorithms: Iterable[str] | None,
    *,
    options: Mapping[str, Any] | None = None,
    audience: str | Iterable[str] | None = None,
    issuer: str | Iterable[str] | None = None,
    subject: str | None = None,
    leeway: float | timedelta = 0,
    typ: str | None = None,
    max_size: int = DEFAULT_MAX_TOKEN_SIZE,
    max_depth: int = DEFAULT_MAX_DEPTH,
    now: float | None = None,
) -> dict[str, Any]:
    """``jwt_decode`` returning ``{"header": ..., "payload": ..., "signature": ...}``."""
    return _decode(  # type: ignore[no-any-return]
        jwt, _coerce_key(key), algorithms, options=options, audience=audience, issuer=issuer, subject=subject,
        leeway=leeway, typ=typ, max_size=max_size, max_depth=max_depth, now=now, mode=1,
    )


def jws_encode(
    payload: bytes,
    key: KeyLike,
    algorithm: str | None = "HS256",
    headers: dict[str, Any] | None = None,
    sort_headers: bool = True,
) -> str:
    """Sign arbitrary bytes as a compact JWS (PyJWT's ``jwt.api_jws.encode``)."""
    return _jws_encode(payload, _coerce_key(key), algorithm, headers, sort_headers=sort_headers)


def jws_decode(
    jws: str | bytes,
    key: KeyLike,
    algorithms: Iterable[str] | None,
    *,
    options: Mapping[str, Any] | None = None,
    max_size: int = DEFAULT_MAX_TOKEN_SIZE,
    typ: str | None = None,
) -> bytes:
    """Verify a compact JWS and return its payload bytes (no claim checks)."""
    return _decode(  # type: ignore[no-any-return]
        jws, _coerce_key(key), algorithms, options=options, typ=typ, max_size=max_size, mode=2
    )


def get_unverified_header(jwt: str | bytes, *, max_size: int = DEFAULT_MAX_TOKEN_SIZE) -> dict[str, Any]:
    """The token's header, **not verified** (to pick a key by ``kid``). Size and depth capped."""
    return _unverified_header(jwt, max_size=max_size)


# --- JWKS -----------------------------------------------------------------------------------

Fetch = Callable[[str, float, int], Awaitable[bytes]]
SyncFetch = Callable[[str, float, int], bytes]


def urllib_fetch(url: str, timeout: float, max_size: int) -> bytes:
    """GET ``url`` with the standard library (blocking: run it in a thread), at most
    ``max_size`` bytes; anything but a 200 is a :class:`JWKSFetchError`."""
    if not url.startswith(("https://", "http://")):
        raise JWKSFetchError(f"JWKS URL must be http(s): {url!r}")
    request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": "webaccel-jwks"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (scheme checked)
            if response.status != 200:
                raise JWKSFetchError(f"JWKS fetch from {url} answered {response.status}")
            body: bytes = response.read(max_size + 1)
    except (urllib.error.URLError, OSError, ValueError) as e:
        raise JWKSFetchError(f"JWKS fetch from {url} failed: {e}") from e
    if len(body) > max_size:
        raise JWKSFetchError(f"JWKS from {url} is larger than {max_size} bytes")
    return body


async def _thread_fetch(url: str, timeout: float, max_size: int) -> bytes:
    return await asyncio.to_thread(urllib_fetch, url, timeout, max_size)


class JWKSClient:
    """A JWK Set fetched from ``url`` and cached.

    - The set is kept for ``cache_ttl`` seconds, then refetched on next use; if that refetch
      fails the cached set keeps answering (and the next attempt waits ``min_refetch_interval``).
    - A token whose ``kid`` is unknown triggers a refetch (key rotation), but at most one such
      refetch per ``min_refetch_interval`` seconds however many such tokens arrive, so forged
      ``kid`` values cannot turn the client into a request amplifier (CVE-2026-48524).
      Concurrent callers share one fetch; after a failed fetch the endpoint is left alone for
      ``min_refetch_interval`` too.
    - Fetching never blocks the event loop: the default ``fetch`` runs urllib in a thread;
      pass ``fetch=`` (an ``async (url, timeout, max_size) -> bytes``) to use httpx or a test
      transport, and ``clock=`` to inject time.
    """

    def __init__(
        self,
        url: str,
        *,
        cache_ttl: float = 300.0,
        min_refetch_interval: float = 30.0,
        timeout: float = 10.0,
        max_size: int = 1 << 20,
        fetch: Fetch | None = None,
        fetch_sync: SyncFetch | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.cache_ttl = cache_ttl
        self.min_refetch_interval = min_refetch_interval
        self.timeout = timeout
        self.max_size = max_size
        self._fetch: Fetch = fetch or _thread_fetch
        self._fetch_sync: SyncFetch = fetch_sync or urllib_fetch
        self._clock = clock
        self._set: JWKSet | None = None
        self._fetched_at = 0.0
        self._attempted_at: float | None = None
        self._kid_refetch_at: float | None = None
        self._failed = False
        self._generation = 0
        self._alock: asyncio.Lock | None = None
        self._tlock = threading.Lock()
        #: How many fetches were started (for monitoring and tests).
        self.fetch_count = 0

    @property
    def key_set(self) -> JWKSet | None:
        """The cached set, if any (no fetch)."""
        return self._set

    def _stale(self) -> bool:
        return self._set is None or self._clock() - self._fetched_at >= self.cache_ttl

    def _may_attempt(self, unknown_kid: bool) -> bool:
        now = self._clock()
        if self._failed and self._attempted_at is not None and now - self._attempted_at < self.min_refetch_interval:
            return False  # the endpoint just failed: do not hammer it
        if unknown_kid and self._kid_refetch_at is not None and now - self._kid_refetch_at < self.min_refetch_interval:
            return False  # one unknown-kid refetch per interval, however many forged kids arrive
        return True

    def _rate_limited(self) -> bool:
        if self._set is None:
            raise JWKSFetchError(
                f"no JWK Set from {self.url} yet: the last fetch failed and the next is allowed "
                f"{self.min_refetch_interval:g} s after it"
            )
        return False

    def _begin(self, unknown_kid: bool) -> None:
        self._attempted_at = self._clock()
        if unknown_kid:
            self._kid_refetch_at = self._attempted_at
        self._failed = True  # until _accept
        self.fetch_count += 1

    def _accept(self, body: bytes) -> JWKSet:
        try:
            new = JWKSet.from_dict(body)
        except InvalidKeyError as e:
            raise JWKSFetchError(f"JWKS from {self.url} is unusable: {e}") from e
        self._set = new
        self._failed = False
        self._fetched_at = self._clock()
        self._generation += 1
        return new

    def _lock(self) -> asyncio.Lock:
        if self._alock is None:
            self._alock = asyncio.Lock()
        return self._alock

    async def _refresh(self, generation: int, *, unknown_kid: bool) -> bool:
        """Fetch unless someone else did since `generation` or the rate limit forbids it.
        True when the set may have changed."""
        async with self._lock():
            if self._generation != generation:
                return True
            if not self._may_attempt(unknown_kid):
                return self._rate_limited()
            self._begin(unknown_kid)
            try:
                body = await self._fetch(self.url, self.timeout, self.max_size)
                self._accept(body)
            except JWKSFetchError:
                if self._set is None:
                    raise
                return False
            except Exception as e:
                if self._set is None:
                    raise JWKSFetchError(f"JWKS fetch from {self.url} failed: {e!r}") from e
                return False
            return True

    async def get_key_set(self) -> JWKSet:
        """The set, fetched if there is none yet or it is older than ``cache_ttl``."""
        if self._stale():
            await self._refresh(self._generation, unknown_kid=False)
        assert self._set is not None
        return self._set

    async def refresh_for_unknown_kid(self) -> bool:
        """Refetch for a token whose ``kid`` is not in the set, rate-limited. True when the set
        was (or may have been) replaced since the caller looked."""
        return await self._refresh(self._generation, unknown_kid=True)

    async def get_signing_key(self, kid: str) -> JWTKey:
        """The key with this ``kid``, refetching (rate-limited) when it is unknown."""
        ks = await self.get_key_set()
        key = ks.get(kid)
        if key is None and await self.refresh_for_unknown_kid():
            key = (await self.get_key_set()).get(kid)
        if key is None:
            raise UnknownKeyError(f"no key in the key set has kid {kid!r}")
        return key

    async def get_signing_key_from_jwt(self, token: str | bytes) -> JWTKey:
        kid = get_unverified_header(token).get("kid")
        if not isinstance(kid, str):
            raise UnknownKeyError("the token has no kid")
        return await self.get_signing_key(kid)

    # The same, for threads (Flask, Django): blocking fetches behind a thread lock.

    def _refresh_sync(self, generation: int, *, unknown_kid: bool) -> bool:
        with self._tlock:
            if self._generation != generation:
                return True
            if not self._may_attempt(unknown_kid):
                return self._rate_limited()
            self._begin(unknown_kid)
            try:
                self._accept(self._fetch_sync(self.url, self.timeout, self.max_size))
            except Exception as e:
                if self._set is None:
                    if isinstance(e, JWKSFetchError):
                        raise
                    raise JWKSFetchError(f"JWKS fetch from {self.url} failed: {e!r}") from e
                return False
            return True

    def get_key_set_sync(self) -> JWKSet:
        if self._stale():
            self._refresh_sync(self._generation, unknown_kid=False)
        assert self._set is not None
        return self._set

    def refresh_for_unknown_kid_sync(self) -> bool:
        return self._refresh_sync(self._generation, unknown_kid=True)


class JWKSVerifier:
    """A :class:`JWTVerifier` whose keys come from a :class:`JWKSClient` (or a JWKS URL).

    ``await verifier.decode(token)`` in async code, ``verifier.decode_sync(token)`` in threads.
    A token with an unknown ``kid`` causes at most one rate-limited refetch, then
    :class:`UnknownKeyError`.
    """

    def __init__(
        self,
        jwks: JWKSClient | str,
        algorithms: Iterable[str],
        *,
        audience: str | Iterable[str] | None = None,
        issuer: str | Iterable[str] | None = None,
        subject: str | None = None,
        leeway: float | timedelta = 0,
        options: Mapping[str, Any] | None = None,
        typ: str | None = None,
        max_size: int = DEFAULT_MAX_TOKEN_SIZE,
        max_depth: int = DEFAULT_MAX_DEPTH,
    ) -> None:
        self.client = jwks if isinstance(jwks, JWKSClient) else JWKSClient(jwks)
        self._args: dict[str, Any] = dict(
            audience=audience, issuer=issuer, subject=subject, leeway=leeway,
            options=dict(options) if options is not None else None, typ=typ, max_size=max_size, max_depth=max_depth,
        )
        self._algorithms = list(algorithms)
        self._verifier: JWTVerifier | None = None
        self._set: JWKSet | None = None

    def _current(self, ks: JWKSet) -> JWTVerifier:
        if self._verifier is None:
            self._verifier = JWTVerifier(ks, self._algorithms, **self._args)
        elif ks is not self._set:
            self._verifier.set_keys(ks)
        self._set = ks
        return self._verifier

    async def decode(self, token: str | bytes, *, now: float | None = None) -> dict[str, Any]:
        verifier = self._current(await self.client.get_key_set())
        try:
            return verifier.decode(token, now=now)
        except UnknownKeyError:
            if not await self.client.refresh_for_unknown_kid():
                raise
        return self._current(await self.client.get_key_set()).decode(token, now=now)

    def decode_sync(self, token: str | bytes, *, now: float | None = None) -> dict[str, Any]:
        verifier = self._current(self.client.get_key_set_sync())
        try:
            return verifier.decode(token, now=now)
        except UnknownKeyError:
            if not self.client.refresh_for_unknown_kid_sync():
                raise
        return self._current(self.client.get_key_set_sync()).decode(token, now=now)


# --- helpers shared by the framework adapters (RFC 6750 bearer tokens) ------------------------


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header value (scheme case-insensitive),
    or None when the header is absent, another scheme, or empty."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        return None
    return token


def subject_key(claims: Mapping[str, Any] | None, *, require_hint: str = "") -> str:
    """The ``sub`` claim of verified ``claims`` as a string, for keying per-user limits; the
    framework adapters' ``jwt_subject`` read it through this. ``LookupError`` when there are no
    claims or no ``sub`` (``require_hint``, appended to the latter's message, says how the
    adapter's configuration refuses such tokens): a limit keyed on a user it cannot find must
    not let the request through unlimited."""
    if claims is None:
        raise LookupError("no verified JWT claims on this request: check the bearer token before keying on its subject")
    sub = claims.get("sub")
    if sub is None:
        raise LookupError(f"the verified JWT has no \"sub\" claim{require_hint}")
    return sub if type(sub) is str else str(sub)


def _quote(value: str) -> str:
    # RFC 6750 section 3: quoted-string values; keep them to visible ASCII without " and \.
    return '"' + "".join(c for c in value if 0x20 <= ord(c) < 0x7F and c not in '"\\') + '"'


def bearer_challenge(realm: str | None = None, **params: str | None) -> str:
    """A ``WWW-Authenticate`` value (RFC 6750 section 3): ``Bearer realm="...", error="..."``."""
    parts = [f"{k}={_quote(v)}" for k, v in (("realm", realm), *params.items()) if v is not None]
    return "Bearer " + ", ".join(parts) if parts else "Bearer"


def error_description(error: InvalidTokenError) -> str:
    """A short, safe ``error_description`` for a refused token (no token content echoed)."""
    if isinstance(error, ExpiredSignatureError):
        return "The token has expired"
    return type(error).__name__


def claim_scopes(claims: Mapping[str, Any], claim: str = "scope") -> set[str]:
    """The scopes a token grants: ``scope`` as a space-separated string (RFC 8693, RFC 9068), or
    a list of strings (``scp``, as some issuers write it)."""
    value = claims.get(claim)
    if value is None and claim == "scope":
        value = claims.get("scp")
    if isinstance(value, str):
        return set(value.split())
    if isinstance(value, list):
        return {v for v in value if isinstance(v, str)}
    return set()


def claim_roles(claims: Mapping[str, Any], claim: str = "roles") -> set[str]:
    """The roles a token grants: a list of strings (or one string) in ``claim``."""
    value = claims.get(claim)
    if isinstance(value, str):
        return {value}
    if isinstance(value, list):
        return {v for v in value if isinstance(v, str)}
    return set()
