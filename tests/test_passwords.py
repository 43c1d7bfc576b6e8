"""webaccel.passwords against argon2-cffi (the library it replaces) and the published vectors:
RFC 9106 section 5 (with secret key and associated data), the reference implementation's
Argon2id vectors with their PHC strings, its negative cases, hashes without ``v=`` (0x10).
Interop both ways on generated passwords and parameters (small memory costs, for speed); every
hostile-hash class gets its typed error; the GIL and the event loop stay free during a hash."""

from __future__ import annotations

import asyncio
import base64
import json
import multiprocessing
import sys
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import argon2
import argon2.low_level
import pytest
from hypothesis import given
from hypothesis import strategies as st

import webaccel
from webaccel import passwords
from webaccel.passwords import (
    Argon2Error,
    HashingError,
    InvalidHashError,
    Parameters,
    PasswordHasher,
    Type,
    VerificationError,
    VerifyMismatchError,
)

from tests.conftest import VECTORS

V = json.loads((VECTORS / "argon2.json").read_text())
TYPES = {"argon2d": Type.D, "argon2i": Type.I, "argon2id": Type.ID}
CFFI_TYPE = {Type.D: argon2.low_level.Type.D, Type.I: argon2.low_level.Type.I, Type.ID: argon2.low_level.Type.ID}

# Cheap parameters: tests are about answers, never speed.
SMALL = {"time_cost": 1, "memory_cost": 64, "parallelism": 2}


# ---- published vectors ----


@pytest.mark.parametrize("vec", V["rfc9106_section5"], ids=lambda v: v["source"])
def test_rfc9106_vectors_with_key_and_associated_data(vec: dict[str, Any]) -> None:
    tag = passwords.hash_secret_raw(
        bytes.fromhex(vec["password_hex"]),
        bytes.fromhex(vec["salt_hex"]),
        vec["t_cost"],
        vec["m_cost_kib"],
        vec["parallelism"],
        vec["tag_len"],
        TYPES[vec["type"]],
        vec["version"],
        key=bytes.fromhex(vec["secret_hex"]),
        associated_data=bytes.fromhex(vec["associated_data_hex"]),
    )
    assert tag.hex() == vec["tag_hex"]


@pytest.mark.parametrize("vec", V["reference_impl_argon2id_v19"], ids=lambda v: f"m={v['m_cost_kib']},p={v['parallelism']}")
def test_reference_vectors_raw_encoded_and_verify(vec: dict[str, Any]) -> None:
    pw, salt = vec["password_utf8"].encode(), vec["salt_utf8"].encode()
    args = (pw, salt, vec["t_cost"], vec["m_cost_kib"], vec["parallelism"], vec["tag_len"], TYPES[vec["type"]], vec["version"])
    assert passwords.hash_secret_raw(*args).hex() == vec["raw_hex"]
    assert passwords.hash_secret(*args).decode() == vec["phc"]
    assert PasswordHasher().verify(vec["phc"], vec["password_utf8"]) is True
    with pytest.raises(VerifyMismatchError):
        PasswordHasher().verify(vec["phc"], vec["password_utf8"] + "!")


@pytest.mark.parametrize("vec", V["negative"], ids=lambda v: v["name"])
def test_reference_negative_cases(vec: dict[str, Any]) -> None:
    expected = VerifyMismatchError if vec["expect"].startswith("VerifyMismatch") else InvalidHashError
    with pytest.raises(expected):
        PasswordHasher().verify(vec["encoded"], vec["password_utf8"])


def test_hash_without_version_is_0x10_and_verifies() -> None:
    # The reference test.c's v=0x10 hash of "password" (the negative vector's hash is of "passwore").
    salt = b"somesalt"
    tag = argon2.low_level.hash_secret_raw(b"password", salt, 2, 256, 1, 32, argon2.low_level.Type.I, version=16)
    unversioned = f"$argon2i$m=256,t=2,p=1${base64.b64encode(salt).decode().rstrip('=')}${base64.b64encode(tag).decode().rstrip('=')}"
    assert PasswordHasher().verify(unversioned, "password")
    assert passwords.extract_parameters(unversioned).version == 16
    with pytest.raises(VerifyMismatchError):
        PasswordHasher().verify(unversioned, "passwore")
    # And the same hash with an explicit v=16 (what libargon2 writes for version 0x10).
    explicit = passwords.hash_secret(b"password", salt, 2, 256, 1, 32, Type.I, 16).decode()
    assert explicit == unversioned.replace("$m=", "$v=16$m=")
    assert argon2.PasswordHasher().verify(explicit, "password")


# ---- interop with argon2-cffi on generated input ----

types = st.sampled_from(list(Type))
passwords_ = st.one_of(st.text(max_size=40), st.binary(max_size=40))


@st.composite
def params(draw: Any) -> dict[str, Any]:
    p = draw(st.integers(1, 4))
    return {
        "time_cost": draw(st.integers(1, 3)),
        "memory_cost": draw(st.integers(8 * p, 8 * p + 96)),
        "parallelism": p,
        "hash_len": draw(st.integers(4, 64)),
        "type": draw(types),
    }


@given(pw=st.binary(max_size=64), salt=st.binary(min_size=8, max_size=32), prm=params(), version=st.sampled_from([16, 19]))
def test_hash_secret_raw_and_encoded_equal_argon2_cffi(pw: bytes, salt: bytes, prm: dict[str, Any], version: int) -> None:
    args = (prm["time_cost"], prm["memory_cost"], prm["parallelism"], prm["hash_len"])
    ours = passwords.hash_secret_raw(pw, salt, *args, prm["type"], version)
    theirs = argon2.low_level.hash_secret_raw(pw, salt, *args, CFFI_TYPE[prm["type"]], version)
    assert ours == theirs
    assert passwords.hash_secret(pw, salt, *args, prm["type"], version) == argon2.low_level.hash_secret(
        pw, salt, *args, CFFI_TYPE[prm["type"]], version
    )


@given(pw=passwords_, prm=params(), salt_len=st.integers(8, 32))
def test_our_hashes_verify_with_argon2_cffi_and_theirs_with_ours(pw: str | bytes, prm: dict[str, Any], salt_len: int) -> None:
    kw = {k: v for k, v in prm.items() if k != "type"}
    ours = PasswordHasher(**kw, salt_len=salt_len, type=prm["type"])
    theirs = argon2.PasswordHasher(**kw, salt_len=salt_len, type=CFFI_TYPE[prm["type"]])
    mine = ours.hash(pw)
    assert theirs.verify(mine, pw) is True
    other = theirs.hash(pw)
    assert ours.verify(other, pw) is True
    wrong = (pw + "x") if isinstance(pw, str) else (pw + b"x")
    with pytest.raises(argon2.exceptions.VerifyMismatchError):
        theirs.verify(mine, wrong)
    with pytest.raises(VerifyMismatchError):
        ours.verify(other, wrong)
    # Same parameters, same salt: the very same string.
    salt = b"s" * salt_len
    assert ours.hash(pw, salt=salt) == theirs.hash(pw, salt=salt)
    # check_needs_rehash and extract_parameters agree.
    assert not ours.check_needs_rehash(other)
    cffi_params = argon2.extract_parameters(mine)
    assert passwords.extract_parameters(mine) == Parameters(
        Type[cffi_params.type.name], cffi_params.version, cffi_params.salt_len, cffi_params.hash_len,
        cffi_params.time_cost, cffi_params.memory_cost, cffi_params.parallelism,
    )


@given(prm=params(), other=params())
def test_check_needs_rehash_like_argon2_cffi(prm: dict[str, Any], other: dict[str, Any]) -> None:
    kw = {k: v for k, v in prm.items() if k != "type"}
    okw = {k: v for k, v in other.items() if k != "type"}
    stored = argon2.PasswordHasher(**okw, type=CFFI_TYPE[other["type"]]).hash("pw")
    expected = argon2.PasswordHasher(**kw, type=CFFI_TYPE[prm["type"]]).check_needs_rehash(stored)
    assert PasswordHasher(**kw, type=prm["type"]).check_needs_rehash(stored) == expected


@given(
    t=st.integers(0, 2),
    m=st.integers(0, 40),
    p=st.integers(0, 6),
    hash_len=st.integers(0, 6),
    salt=st.binary(max_size=10),
)
def test_out_of_range_parameters_fail_like_argon2_cffi(t: int, m: int, p: int, hash_len: int, salt: bytes) -> None:
    try:
        expected: Any = argon2.low_level.hash_secret_raw(b"pw", salt, t, m, p, hash_len, argon2.low_level.Type.ID)
    except argon2.exceptions.HashingError as e:
        with pytest.raises(HashingError) as info:
            passwords.hash_secret_raw(b"pw", salt, t, m, p, hash_len, Type.ID)
        assert info.value.args[0] == e.args[0]
    else:
        assert passwords.hash_secret_raw(b"pw", salt, t, m, p, hash_len, Type.ID) == expected


def test_argon2_cffi_type_members_are_accepted() -> None:
    raw = passwords.hash_secret_raw(b"pw", b"saltsalt", 1, 16, 1, 16, argon2.low_level.Type.D)  # type: ignore[arg-type]
    assert raw == passwords.hash_secret_raw(b"pw", b"saltsalt", 1, 16, 1, 16, Type.D)
    assert PasswordHasher(**SMALL, type=argon2.low_level.Type.I).type is Type.I  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        PasswordHasher(type=2)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        PasswordHasher(time_cost="3")  # type: ignore[arg-type]


def test_defaults_are_argon2_cffi_defaults() -> None:
    ours, theirs = PasswordHasher(), argon2.PasswordHasher()
    for name in ("time_cost", "memory_cost", "parallelism", "hash_len", "salt_len"):
        assert getattr(ours, name) == getattr(theirs, name), name
    assert ours.type is Type.ID and ours.encoding == theirs.encoding == "utf-8"
    assert PasswordHasher.from_parameters(passwords.RFC_9106_LOW_MEMORY)._parameters == PasswordHasher()._parameters
    params = passwords.extract_parameters(PasswordHasher(**SMALL).hash("x"))
    assert PasswordHasher.from_parameters(params).check_needs_rehash(PasswordHasher(**SMALL).hash("y")) is False


def test_default_hash_format() -> None:
    h = PasswordHasher().hash("secret")
    head, salt, tag = h.rsplit("$", 2)
    assert head == "$argon2id$v=19$m=65536,t=3,p=4" and len(salt) == 22 and len(tag) == 43
    assert argon2.PasswordHasher().verify(h, "secret")
    assert PasswordHasher().hash("secret") != h  # random salt


# ---- hostile and malformed hashes ----


def test_exception_hierarchy() -> None:
    assert issubclass(InvalidHashError, ValueError) and issubclass(InvalidHashError, VerificationError)
    assert issubclass(VerifyMismatchError, VerificationError)
    for cls in (VerificationError, HashingError, InvalidHashError):
        assert issubclass(cls, Argon2Error) and issubclass(cls, webaccel.WebAccelError)
    assert webaccel.errors.InvalidHashError is InvalidHashError


@pytest.mark.parametrize(
    ("costs", "cap"),
    [
        ("m=4294967295,t=1,p=1", "max_memory_cost"),  # 4 TiB
        ("m=65536,t=4294967295,p=1", "max_time_cost"),  # forever
        ("m=134217720,t=1,p=16777215", "max_memory_cost"),
        ("m=65536,t=1,p=1000", "max_parallelism"),
    ],
)
def test_absurd_costs_in_a_stored_hash_are_refused_before_any_work(costs: str, cap: str) -> None:
    stored = f"$argon2id$v=19${costs}$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"
    with pytest.raises(InvalidHashError, match=cap):
        PasswordHasher().verify(stored, "password")
    # The parameters are still readable (for logging or a migration).
    assert passwords.extract_parameters(stored).memory_cost == int(costs.split(",")[0][2:])


def test_caps_are_configurable_and_checked_before_hashing() -> None:
    stored = PasswordHasher(time_cost=2, memory_cost=256, parallelism=2).hash("pw")
    assert PasswordHasher(max_memory_cost=256, max_time_cost=2, max_parallelism=2).verify(stored, "pw")
    for caps in ({"max_memory_cost": 255}, {"max_time_cost": 1}, {"max_parallelism": 1}):
        with pytest.raises(InvalidHashError, match=next(iter(caps))):
            PasswordHasher(**caps).verify(stored, "pw")  # type: ignore[arg-type]


def test_overlong_and_non_ascii_hashes() -> None:
    good = PasswordHasher(**SMALL).hash("pw")
    with pytest.raises(InvalidHashError, match="longer than"):
        PasswordHasher().verify(good + "A" * passwords.MAX_HASH_STRING_LENGTH, "pw")
    with pytest.raises(InvalidHashError):
        PasswordHasher().verify(good[:-1] + "é", "pw")
    with pytest.raises(InvalidHashError):
        PasswordHasher().verify((good[:-1] + "é").encode("latin-1"), "pw")
    with pytest.raises(InvalidHashError):
        PasswordHasher().verify(good[:-1] + "\udc80", "pw")  # a lone surrogate
    assert PasswordHasher().verify(good.encode(), "pw")


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "$",
        "plain-text-password",
        "$argon2id$",
        "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ",  # truncated
        "$argon2id$v=19$m=65536,t=2$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
        "$argon2id$v=19$t=2,m=65536,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
        "$argon2id$v=20$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
        "$argon2id$v=19$m=-1,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
        "$argon2id$v=19$m=65536,t=0,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
        "$argon2id$v=19$m=65536,t=2,p=0$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
        "$argon2id$v=19$m=65536,t=2,p=1$c29tZQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",  # salt < 8 bytes
        "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTF",  # tag < 4 bytes
        "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ=$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
        "$argon2id$v=19$m=65536,t=2,p=1$c29t!XNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
        "$argon2id$v=19$m=65536,t=2,p=1,x=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
        "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc$",
        "$ARGON2ID$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
    ],
)
def test_malformed_hashes_raise_invalid_hash_error(bad: str) -> None:
    with pytest.raises(InvalidHashError):
        PasswordHasher().verify(bad, "password")
    with pytest.raises(InvalidHashError):
        PasswordHasher().check_needs_rehash(bad)


@given(st.text(max_size=200))
def test_arbitrary_text_is_never_anything_but_invalid_hash(text: str) -> None:
    with pytest.raises(InvalidHashError):
        PasswordHasher().verify(text, "password")


@given(data=st.data())
def test_mutated_hashes_are_typed_errors(data: Any) -> None:
    good = "$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc"
    i = data.draw(st.integers(0, len(good) - 1))
    c = data.draw(st.characters(codec="ascii"))
    mutated = good[:i] + c + good[i + 1 :]
    try:
        PasswordHasher().verify(mutated, "password")
    except (InvalidHashError, VerifyMismatchError):
        pass
    else:
        assert mutated == good  # only the unmutated hash verifies


def test_low_level_verify_secret_checks_the_type() -> None:
    h = passwords.hash_secret(b"pw", b"saltsalt", 1, 16, 1, 16, Type.I)
    assert passwords.verify_secret(h, b"pw", Type.I) is True
    with pytest.raises(InvalidHashError):
        passwords.verify_secret(h, b"pw", Type.ID)
    with pytest.raises(VerifyMismatchError, match="does not match"):
        passwords.verify_secret(h, b"pW", Type.I)


# ---- the GIL, the event loop, threads, fork ----


def test_gil_is_released_for_the_whole_hash() -> None:
    """With a switch interval longer than the hash, the main thread is never preempted: the
    ticker can only run while the main thread has released the GIL itself, during the hash."""
    ticks = 0
    stop = False

    def ticker() -> None:
        nonlocal ticks
        while not stop:
            ticks += 1
            time.sleep(0.001)  # the GIL is free while it sleeps: the main thread never waits long

    old = sys.getswitchinterval()
    thread = threading.Thread(target=ticker)
    thread.start()
    try:
        sys.setswitchinterval(30.0)
        before = ticks
        passwords.hash_secret_raw(b"pw", b"saltsalt", 3, 16384, 1, 32, Type.ID)
        during = ticks - before
    finally:
        sys.setswitchinterval(old)
        stop = True
        thread.join()
    assert during > 0


def test_ahash_and_averify_do_not_block_the_event_loop() -> None:
    ph = PasswordHasher(time_cost=2, memory_cost=4096, parallelism=2)

    async def main() -> tuple[int, int]:
        ticks = 0
        done = False

        async def ticker() -> None:
            nonlocal ticks
            while not done:
                ticks += 1
                await asyncio.sleep(0)

        task = asyncio.create_task(ticker())
        await asyncio.sleep(0)
        before = ticks
        stored = await ph.ahash("pw")
        hashed_ticks = ticks - before
        before = ticks
        assert await ph.averify(stored, "pw") is True
        verified_ticks = ticks - before
        with pytest.raises(VerifyMismatchError):
            await ph.averify(stored, "nope")
        done = True
        await task
        assert argon2.PasswordHasher().verify(stored, "pw")
        return hashed_ticks, verified_ticks

    hashed_ticks, verified_ticks = asyncio.run(main())
    assert hashed_ticks > 0 and verified_ticks > 0


def test_concurrent_hashes_from_many_threads_are_correct() -> None:
    salts = [bytes([i]) * 16 for i in range(12)]

    def ours(salt: bytes) -> bytes:
        return passwords.hash_secret_raw(b"pw", salt, 1, 256, 4, 32, Type.ID)

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(ours, salts))
    assert results == [argon2.low_level.hash_secret_raw(b"pw", s, 1, 256, 4, 32, argon2.low_level.Type.ID) for s in salts]


def _hash_in_child(queue: Any) -> None:
    queue.put(passwords.hash_secret_raw(b"pw", b"saltsalt", 1, 256, 4, 32, Type.ID))


def test_hashing_works_in_a_forked_child_after_the_parent_hashed() -> None:
    expected = passwords.hash_secret_raw(b"pw", b"saltsalt", 1, 256, 4, 32, Type.ID)  # parent's pool exists
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_hash_in_child, args=(queue,))
    with warnings.catch_warnings():
        # Python 3.12+ warns that forking a multi-threaded process may deadlock: that hazard,
        # with the pool's threads, is exactly what this test checks webaccel avoids.
        warnings.simplefilter("ignore", DeprecationWarning)
        child.start()
    result = queue.get(timeout=120)  # a child stuck on the parent's dead pool threads would hang here
    child.join(timeout=60)
    assert result == expected and child.exitcode == 0


def test_the_auth_module_reexports_the_password_api() -> None:
    """The issue names ``webaccel.auth.PasswordHasher``: the same objects as webaccel.passwords."""
    import webaccel.auth
    import webaccel.passwords

    for name in ("PasswordHasher", "Type", "hash_secret_raw", "VerifyMismatchError", "InvalidHashError"):
        assert getattr(webaccel.auth, name) is getattr(webaccel.passwords, name)
        assert name in webaccel.auth.__all__
    assert issubclass(webaccel.auth.InvalidHashError, ValueError)
