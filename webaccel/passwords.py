"""Argon2 password hashing with argon2-cffi's interface and defaults, in Rust.

Migrating from argon2-cffi is a change of import::

    from webaccel.passwords import PasswordHasher      # also importable as webaccel.auth.PasswordHasher
    from webaccel.passwords import VerifyMismatchError

    ph = PasswordHasher()                               # t=3, m=64 MiB, p=4, Argon2id
    stored = ph.hash("correct horse")                  # '$argon2id$v=19$m=65536,t=3,p=4$...'
    ph.verify(stored, "correct horse")                 # True, or raises VerifyMismatchError
    if ph.check_needs_rehash(stored): ...

Hashes are argon2-cffi's (libargon2's) PHC strings, byte for byte: each library verifies the
other's. The GIL is released for the whole hash, and the lanes run on a private thread pool.
``ahash``/``averify`` run the work in the event loop's default executor, so a coroutine never
blocks its loop.

Unlike argon2-cffi, ``verify`` does not trust the stored hash: its costs are capped before any
memory is allocated (``max_memory_cost``, ``max_time_cost``, ``max_parallelism``, and
:data:`MAX_HASH_STRING_LENGTH`), and a hash over a cap raises :class:`InvalidHashError`.
See docs/passwords.md.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import os
from dataclasses import dataclass
from typing import Literal

from webaccel import _core
from webaccel.errors import (
    Argon2Error,
    HashingError,
    InvalidHashError,
    VerificationError,
    VerifyMismatchError,
)

__all__ = [
    "PasswordHasher",
    "Parameters",
    "Type",
    "hash_secret",
    "hash_secret_raw",
    "verify_secret",
    "extract_parameters",
    "Argon2Error",
    "VerificationError",
    "VerifyMismatchError",
    "HashingError",
    "InvalidHashError",
    "ARGON2_VERSION",
    "DEFAULT_TIME_COST",
    "DEFAULT_MEMORY_COST",
    "DEFAULT_PARALLELISM",
    "DEFAULT_HASH_LENGTH",
    "DEFAULT_RANDOM_SALT_LENGTH",
    "DEFAULT_MAX_MEMORY_COST",
    "DEFAULT_MAX_TIME_COST",
    "DEFAULT_MAX_PARALLELISM",
    "MAX_HASH_STRING_LENGTH",
    "RFC_9106_LOW_MEMORY",
    "RFC_9106_HIGH_MEMORY",
]


class Type(enum.Enum):
    """The Argon2 variant (argon2-cffi's ``argon2.low_level.Type``, same values)."""

    D = 0
    I = 1  # noqa: E741 - argon2-cffi's name
    ID = 2


ARGON2_VERSION = 19
"""The current Argon2 version (0x13); 16 (0x10) is also supported."""

DEFAULT_TIME_COST = 3
DEFAULT_MEMORY_COST = 65536
"""KiB (64 MiB): RFC 9106's second recommendation, argon2-cffi's default."""
DEFAULT_PARALLELISM = 4
DEFAULT_HASH_LENGTH = 32
DEFAULT_RANDOM_SALT_LENGTH = 16

DEFAULT_MAX_MEMORY_COST = 2097152
"""KiB (2 GiB): the most memory a hash being verified may ask for (RFC 9106's first
recommendation uses exactly this)."""
DEFAULT_MAX_TIME_COST = 16
"""The most passes over memory a hash being verified may ask for."""
DEFAULT_MAX_PARALLELISM = 255
"""The most lanes a hash being verified may ask for."""
MAX_HASH_STRING_LENGTH: int = _core.passwords_MAX_ENCODED_LEN
"""The longest encoded hash accepted (characters); argon2-cffi's default hash has 97."""


@dataclass
class Parameters:
    """Argon2 hash parameters (argon2-cffi's ``argon2.Parameters``)."""

    type: Type
    version: int
    salt_len: int
    hash_len: int
    time_cost: int
    memory_cost: int
    parallelism: int

    __slots__ = ("hash_len", "memory_cost", "parallelism", "salt_len", "time_cost", "type", "version")


RFC_9106_HIGH_MEMORY = Parameters(Type.ID, 19, 16, 32, 1, 2097152, 4)
"""RFC 9106's first recommendation: t=1, 2 GiB, p=4."""
RFC_9106_LOW_MEMORY = Parameters(Type.ID, 19, 16, 32, 3, 65536, 4)
"""RFC 9106's second recommendation (the default): t=3, 64 MiB, p=4."""


def _as_type(type: object) -> Type:
    """Our ``Type``, or argon2-cffi's ``argon2.low_level.Type`` member of the same name."""
    if isinstance(type, Type):
        return type
    if isinstance(type, enum.Enum) and type.name in Type.__members__:
        return Type[type.name]
    raise TypeError(f"'type' must be a webaccel.passwords.Type (got {type.__class__.__name__})")


def _type_value(type: object) -> int:
    return _as_type(type).value


def hash_secret_raw(
    secret: bytes,
    salt: bytes,
    time_cost: int,
    memory_cost: int,
    parallelism: int,
    hash_len: int,
    type: Type,
    version: int = ARGON2_VERSION,
    *,
    key: bytes | None = None,
    associated_data: bytes | None = None,
) -> bytes:
    """The raw Argon2 tag: ``argon2.low_level.hash_secret_raw`` (same inputs, same bytes).

    ``key`` (RFC 9106's secret K, a "pepper") and ``associated_data`` (X, at most 32 bytes) are
    webaccel extensions; argon2-cffi only reaches them through its ``core`` API.

    Raises :class:`HashingError` (libargon2's message) for out-of-range parameters.
    """
    return _core.passwords_hash_raw(
        bytes(secret), bytes(salt), time_cost, memory_cost, parallelism, hash_len, _type_value(type), version,
        key=None if key is None else bytes(key),
        associated_data=None if associated_data is None else bytes(associated_data),
    )


def hash_secret(
    secret: bytes,
    salt: bytes,
    time_cost: int,
    memory_cost: int,
    parallelism: int,
    hash_len: int,
    type: Type,
    version: int = ARGON2_VERSION,
) -> bytes:
    """The encoded (PHC string) hash as ASCII bytes: ``argon2.low_level.hash_secret``."""
    encoded = _core.passwords_hash_encoded(
        bytes(secret), bytes(salt), time_cost, memory_cost, parallelism, hash_len, _type_value(type), version
    )
    return encoded.encode("ascii")


def _hash_str(hash: str | bytes) -> str:
    if isinstance(hash, str):
        if not hash.isascii():
            raise InvalidHashError("hash is not ASCII")
        return hash
    try:
        return bytes(hash).decode("ascii")
    except UnicodeDecodeError:
        raise InvalidHashError("hash is not ASCII") from None


def verify_secret(hash: bytes | str, secret: bytes, type: Type) -> Literal[True]:
    """``argon2.low_level.verify_secret``: ``True``, or :class:`VerifyMismatchError`;
    :class:`InvalidHashError` (a :class:`VerificationError`) when ``hash`` is malformed, not of
    ``type``, or over the default caps."""
    _core.passwords_verify(_hash_str(hash), bytes(secret), _type_value(type))
    return True


def extract_parameters(hash: str | bytes) -> Parameters:
    """The parameters of an encoded hash (``argon2.extract_parameters``). A hash without
    ``v=`` reports version 16 (0x10), the version it is computed with.

    Raises :class:`InvalidHashError` when the hash is malformed."""
    type_, version, salt_len, hash_len, t, m, p = _core.passwords_decode(_hash_str(hash))
    return Parameters(Type(type_), version, salt_len, hash_len, t, m, p)


def _ensure_bytes(s: str | bytes, encoding: str) -> bytes:
    if isinstance(s, bytes):
        return s
    if isinstance(s, str):
        return s.encode(encoding)
    return bytes(s)


class PasswordHasher:
    """Hash passwords with sensible defaults (argon2-cffi's ``argon2.PasswordHasher``).

    Argon2id with a random ``salt_len``-byte salt by default; verifies hashes of any type.
    ``max_memory_cost`` (KiB), ``max_time_cost`` and ``max_parallelism`` (keyword-only,
    webaccel additions) cap what a hash being *verified* may ask for: a stored hash is input,
    and one written by an attacker must not allocate terabytes or run for hours.
    """

    __slots__ = ("_parameters", "encoding", "_caps")

    _parameters: Parameters
    encoding: str

    def __init__(
        self,
        time_cost: int = DEFAULT_TIME_COST,
        memory_cost: int = DEFAULT_MEMORY_COST,
        parallelism: int = DEFAULT_PARALLELISM,
        hash_len: int = DEFAULT_HASH_LENGTH,
        salt_len: int = DEFAULT_RANDOM_SALT_LENGTH,
        encoding: str = "utf-8",
        type: Type = Type.ID,
        *,
        max_memory_cost: int = DEFAULT_MAX_MEMORY_COST,
        max_time_cost: int = DEFAULT_MAX_TIME_COST,
        max_parallelism: int = DEFAULT_MAX_PARALLELISM,
    ) -> None:
        problems = [
            f"'{name}' must be a {kind.__name__} (got {value.__class__.__name__})"
            for name, value, kind in (
                ("time_cost", time_cost, int),
                ("memory_cost", memory_cost, int),
                ("parallelism", parallelism, int),
                ("hash_len", hash_len, int),
                ("salt_len", salt_len, int),
                ("encoding", encoding, str),
                ("max_memory_cost", max_memory_cost, int),
                ("max_time_cost", max_time_cost, int),
                ("max_parallelism", max_parallelism, int),
            )
            if not isinstance(value, kind)
        ]
        if problems:
            raise TypeError(", ".join(problems) + ".")
        type = _as_type(type)
        self._parameters = Parameters(type, ARGON2_VERSION, salt_len, hash_len, time_cost, memory_cost, parallelism)
        self.encoding = encoding
        self._caps = (max_memory_cost, max_time_cost, max_parallelism)

    @classmethod
    def from_parameters(cls, params: Parameters) -> PasswordHasher:
        """A hasher with the parameters of ``params`` (for instance from :func:`extract_parameters`
        or :data:`RFC_9106_HIGH_MEMORY`)."""
        return cls(
            time_cost=params.time_cost,
            memory_cost=params.memory_cost,
            parallelism=params.parallelism,
            hash_len=params.hash_len,
            salt_len=params.salt_len,
            type=params.type,
        )

    @property
    def time_cost(self) -> int:
        return self._parameters.time_cost

    @property
    def memory_cost(self) -> int:
        return self._parameters.memory_cost

    @property
    def parallelism(self) -> int:
        return self._parameters.parallelism

    @property
    def hash_len(self) -> int:
        return self._parameters.hash_len

    @property
    def salt_len(self) -> int:
        return self._parameters.salt_len

    @property
    def type(self) -> Type:
        return self._parameters.type

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        """Hash ``password`` (a ``str`` is encoded with ``encoding``) with a random salt, or
        ``salt`` when given (only for interoperability tests). Returns the PHC string.

        Raises :class:`HashingError` when the parameters are out of Argon2's range."""
        p = self._parameters
        return _core.passwords_hash_encoded(
            _ensure_bytes(password, self.encoding),
            bytes(salt) if salt else os.urandom(p.salt_len),
            p.time_cost,
            p.memory_cost,
            p.parallelism,
            p.hash_len,
            p.type.value,
        )

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        """``True`` when ``password`` matches ``hash`` (of any Argon2 type and version).

        Raises :class:`VerifyMismatchError` when it does not, :class:`InvalidHashError` (a
        ``ValueError`` and a :class:`VerificationError`) when ``hash`` is malformed or asks for
        more than the caps, :class:`VerificationError` for any other failure."""
        max_m, max_t, max_p = self._caps
        _core.passwords_verify(
            _hash_str(hash),
            _ensure_bytes(password, self.encoding),
            max_memory_cost=max_m,
            max_time_cost=max_t,
            max_parallelism=max_p,
        )
        return True

    def check_needs_rehash(self, hash: str | bytes) -> bool:
        """Whether ``hash`` was made with other parameters than this hasher's (type, version,
        costs, hash and salt length): rehash the password at the next successful login.

        Raises :class:`InvalidHashError` when the hash is malformed."""
        return self._parameters != extract_parameters(hash)

    async def ahash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        """:meth:`hash` in the running loop's default executor: the loop keeps running."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, functools.partial(self.hash, password, salt=salt))

    async def averify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        """:meth:`verify` in the running loop's default executor: the loop keeps running."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, self.verify, hash, password)

    def __repr__(self) -> str:
        p = self._parameters
        return (
            f"PasswordHasher(time_cost={p.time_cost}, memory_cost={p.memory_cost}, "
            f"parallelism={p.parallelism}, hash_len={p.hash_len}, salt_len={p.salt_len}, "
            f"type={p.type})"
        )
