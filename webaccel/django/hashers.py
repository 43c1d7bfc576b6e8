"""Django's ``Argon2PasswordHasher`` on webaccel's Argon2: the same ``algorithm = "argon2"``,
encoded format and defaults, so every stored hash keeps verifying, in both directions.

    # settings.py: replace Django's entry (two hashers with one algorithm name: the last wins)
    PASSWORD_HASHERS = [
        "webaccel.django.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        ...
    ]

Encoded hashes look like ``argon2$argon2id$v=19$m=102400,t=2,p=8$<salt>$<hash>``: ``"argon2"``
followed by argon2-cffi's PHC string, with Django's alphanumeric salt used as raw ASCII bytes.
argon2-cffi is not needed. Subclass and set ``time_cost``, ``memory_cost`` (KiB) and
``parallelism`` to change the parameters; ``must_update`` then reports older hashes, and Django
rehashes them at the next successful login. A stored hash asking for more than
``max_memory_cost``/``max_time_cost``/``max_parallelism`` does not verify (``False``, no work done).
"""

from __future__ import annotations

import base64
from typing import Any

from django.contrib.auth.hashers import BasePasswordHasher, mask_hash, must_update_salt
from django.utils.translation import gettext_noop as _

from webaccel.passwords import (
    ARGON2_VERSION,
    DEFAULT_HASH_LENGTH,
    DEFAULT_MAX_MEMORY_COST,
    DEFAULT_MAX_PARALLELISM,
    DEFAULT_MAX_TIME_COST,
    DEFAULT_RANDOM_SALT_LENGTH,
    Parameters,
    PasswordHasher,
    Type,
    VerificationError,
    extract_parameters,
    hash_secret,
)

__all__ = ["Argon2PasswordHasher"]


class Argon2PasswordHasher(BasePasswordHasher):  # type: ignore[misc]
    """Secure password hashing with Argon2id, compatible with
    ``django.contrib.auth.hashers.Argon2PasswordHasher`` (same name, format and defaults)."""

    algorithm = "argon2"
    library = None

    time_cost = 2
    memory_cost = 102400
    parallelism = 8

    max_memory_cost = DEFAULT_MAX_MEMORY_COST
    max_time_cost = DEFAULT_MAX_TIME_COST
    max_parallelism = DEFAULT_MAX_PARALLELISM

    def encode(self, password: str, salt: str) -> str:
        self._check_encode_args(password, salt)
        params = self.params()
        data = hash_secret(
            password.encode(),
            salt.encode(),
            time_cost=params.time_cost,
            memory_cost=params.memory_cost,
            parallelism=params.parallelism,
            hash_len=params.hash_len,
            type=params.type,
        )
        return self.algorithm + data.decode("ascii")

    def decode(self, encoded: str) -> dict[str, Any]:
        algorithm, rest = encoded.split("$", 1)
        assert algorithm == self.algorithm
        params = extract_parameters("$" + rest)
        variety, *_, b64salt, hash = rest.split("$")
        b64salt += "=" * (-len(b64salt) % 4)
        salt = base64.b64decode(b64salt).decode("latin1")
        return {
            "algorithm": algorithm,
            "hash": hash,
            "memory_cost": params.memory_cost,
            "parallelism": params.parallelism,
            "salt": salt,
            "time_cost": params.time_cost,
            "variety": variety,
            "version": params.version,
            "params": params,
        }

    def verify(self, password: str, encoded: str) -> bool:
        algorithm, rest = encoded.split("$", 1)
        assert algorithm == self.algorithm
        hasher = PasswordHasher(
            max_memory_cost=self.max_memory_cost,
            max_time_cost=self.max_time_cost,
            max_parallelism=self.max_parallelism,
        )
        try:
            return hasher.verify("$" + rest, password)
        except VerificationError:  # a mismatch, and a malformed or over-cap hash (InvalidHashError)
            return False

    def safe_summary(self, encoded: str) -> dict[str, Any]:
        decoded = self.decode(encoded)
        return {
            _("algorithm"): decoded["algorithm"],
            _("variety"): decoded["variety"],
            _("version"): decoded["version"],
            _("memory cost"): decoded["memory_cost"],
            _("time cost"): decoded["time_cost"],
            _("parallelism"): decoded["parallelism"],
            _("salt"): mask_hash(decoded["salt"]),
            _("hash"): mask_hash(decoded["hash"]),
        }

    def must_update(self, encoded: str) -> bool:
        decoded = self.decode(encoded)
        current_params = decoded["params"]
        new_params = self.params()
        # The salt is Django's (explicitly passed): its length is not a parameter here.
        new_params.salt_len = current_params.salt_len
        update_salt = must_update_salt(decoded["salt"], self.salt_entropy)
        return bool(current_params != new_params or update_salt)

    def harden_runtime(self, password: str, encoded: str) -> None:
        # As Django's: Argon2's runtime is too complicated for a sensible hardening algorithm.
        pass

    def params(self) -> Parameters:
        return Parameters(
            type=Type.ID,
            version=ARGON2_VERSION,
            salt_len=DEFAULT_RANDOM_SALT_LENGTH,
            hash_len=DEFAULT_HASH_LENGTH,
            time_cost=self.time_cost,
            memory_cost=self.memory_cost,
            parallelism=self.parallelism,
        )
