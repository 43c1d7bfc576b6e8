"""Argon2 password hashing: webaccel.passwords against argon2-cffi (libargon2, the C reference
implementation with its SSE2 fill and one thread per lane).

Rows: ``PasswordHasher.hash`` and ``verify`` at argon2-cffi's defaults (Argon2id, t=3, 64 MiB,
p=4; RFC 9106's second recommendation) and at Django's (t=2, 100 MiB, p=8), and the low-level
``hash_secret_raw`` with one lane. Checked first: each library verifies the other's hash, and the
raw tags are equal. Quick mode (the smoke test) uses 1 MiB so that it stays fast.
"""

from __future__ import annotations

from typing import Any

import argon2
import argon2.low_level

from bench._harness import Case, Table, WrongOutput
from webaccel import passwords

PACKAGES = ("argon2-cffi", "argon2-cffi-bindings")

PASSWORD = "correct horse battery staple"
SALT = b"0123456789abcdef"


def _is_true(_name: str, out: Any) -> None:
    if out is not True:
        raise WrongOutput(repr(out))


def _hasher_rows(label: str, t: int, m: int, p: int) -> list[Case]:
    ours = passwords.PasswordHasher(time_cost=t, memory_cost=m, parallelism=p)
    theirs = argon2.PasswordHasher(time_cost=t, memory_cost=m, parallelism=p)

    def check_hash(name: str, out: Any) -> None:
        other = theirs if name == "webaccel" else ours
        if other.verify(out, PASSWORD) is not True:
            raise WrongOutput("the other library does not verify this hash")

    stored = theirs.hash(PASSWORD)
    return [
        Case(f"hash, {label}", PASSWORD, {"webaccel": ours.hash, "argon2-cffi": theirs.hash}, check_hash),
        Case(
            f"verify, {label}",
            stored,
            {"webaccel": lambda h: ours.verify(h, PASSWORD), "argon2-cffi": lambda h: theirs.verify(h, PASSWORD)},
            _is_true,
        ),
    ]


def tables(quick: bool) -> list[Table]:
    if quick:
        rows = _hasher_rows("t=1, 1 MiB, p=4 (quick)", 1, 1024, 4)
    else:
        rows = _hasher_rows("argon2-cffi defaults (t=3, 64 MiB, p=4)", 3, 65536, 4)
        rows += _hasher_rows("Django's defaults (t=2, 100 MiB, p=8)", 2, 102400, 8)
    m_raw = 1024 if quick else 16384
    expected = argon2.low_level.hash_secret_raw(PASSWORD.encode(), SALT, 2, m_raw, 1, 32, argon2.low_level.Type.ID)

    def check_raw(_name: str, out: Any) -> None:
        if out != expected:
            raise WrongOutput("different tag")

    raw = Case(
        f"hash_secret_raw, t=2, {m_raw // 1024} MiB, p=1",
        PASSWORD.encode(),
        {
            "webaccel": lambda pw: passwords.hash_secret_raw(pw, SALT, 2, m_raw, 1, 32, passwords.Type.ID),
            "argon2-cffi": lambda pw: argon2.low_level.hash_secret_raw(pw, SALT, 2, m_raw, 1, 32, argon2.low_level.Type.ID),
        },
        check_raw,
    )
    return [
        Table(
            "passwords.PasswordHasher",
            "Argon2id hash and verify, against argon2-cffi",
            rows + [raw],
            peer="argon2-cffi",
            notes=[
                "both release the GIL; webaccel fills a slice's lanes on a pool of one thread per core "
                "(RustCrypto argon2 0.6, AVX2 chosen at run time), libargon2 starts one thread per lane per slice",
                "the bar (issue 4): at most 1.25x argon2-cffi's time at its defaults",
            ],
        )
    ]
