"""webaccel.django.hashers.Argon2PasswordHasher against Django's own Argon2PasswordHasher
(argon2-cffi): the same encoded strings, hashes verifying both ways, must_update on changed
parameters, and the wiring through PASSWORD_HASHERS (make_password, check_password with its
upgrade setter, a login through Django's test client)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth import hashers as django_hashers
from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from django.test import Client, override_settings
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import VECTORS
from tests.django import urls
from tests.django.argon2_hashers import DjangoFastArgon2, DjangoOldArgon2, FastArgon2, FastArgon2MoreTime
from webaccel.django.hashers import Argon2PasswordHasher

EXAMPLE = json.loads((VECTORS / "argon2.json").read_text())["django_format_example"]
OURS = "tests.django.argon2_hashers.FastArgon2"
OURS_SLOWER = "tests.django.argon2_hashers.FastArgon2MoreTime"
DJANGO_OLD = "tests.django.argon2_hashers.DjangoOldArgon2"


def test_djangos_format_example_at_djangos_defaults() -> None:
    ours = Argon2PasswordHasher()
    assert ours.encode(EXAMPLE["password_utf8"], EXAMPLE["salt_ascii"]) == EXAMPLE["encoded"]
    assert ours.verify(EXAMPLE["password_utf8"], EXAMPLE["encoded"]) is True
    assert ours.verify("Password", EXAMPLE["encoded"]) is False
    assert django_hashers.Argon2PasswordHasher().verify(EXAMPLE["password_utf8"], EXAMPLE["encoded"])
    assert not ours.must_update(EXAMPLE["encoded"])
    assert ours.algorithm == django_hashers.Argon2PasswordHasher.algorithm == "argon2"


@given(password=st.text(max_size=40))
def test_same_encoding_as_djangos_hasher_and_verifies_both_ways(password: str) -> None:
    ours, theirs = FastArgon2(), DjangoFastArgon2()
    salt = ours.salt()
    encoded = ours.encode(password, salt)
    assert encoded == theirs.encode(password, salt)
    assert theirs.verify(password, encoded) and ours.verify(password, encoded)
    other = theirs.encode(password, theirs.salt())
    assert ours.verify(password, other) is True
    assert ours.verify(password + "x", other) is False
    ours_decoded, theirs_decoded = ours.decode(other), theirs.decode(other)
    ours_params, theirs_params = ours_decoded.pop("params"), theirs_decoded.pop("params")
    assert ours_decoded == theirs_decoded
    for name in ("version", "salt_len", "hash_len", "time_cost", "memory_cost", "parallelism"):
        assert getattr(ours_params, name) == getattr(theirs_params, name)
    assert ours_params.type.name == theirs_params.type.name
    assert ours.safe_summary(other) == theirs.safe_summary(other)
    assert ours.must_update(other) == theirs.must_update(other) is False


def test_must_update_when_parameters_change() -> None:
    encoded = FastArgon2().encode("pw", FastArgon2().salt())
    assert FastArgon2().must_update(encoded) is False
    assert FastArgon2MoreTime().must_update(encoded) is True
    assert Argon2PasswordHasher().must_update(encoded) is True  # Django's defaults differ
    old = DjangoOldArgon2().encode("pw", DjangoOldArgon2().salt())
    assert FastArgon2().must_update(old) is True
    assert FastArgon2().must_update(FastArgon2().encode("pw", "shortsalt")) is True  # salt entropy
    assert FastArgon2().harden_runtime("pw", encoded) is None


def test_malformed_or_over_cap_hashes_do_not_verify() -> None:
    huge = "argon2$argon2id$v=19$m=4294967295,t=1,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"
    assert FastArgon2().verify("password", huge) is False
    assert FastArgon2().verify("password", "argon2$argon2id$v=19$m=64,t=1,p=2$c29tZXNhbHQ") is False
    assert FastArgon2().verify("password", "argon2$nonsense") is False


@override_settings(PASSWORD_HASHERS=[OURS, "django.contrib.auth.hashers.PBKDF2PasswordHasher"])
def test_make_password_and_check_password_through_password_hashers() -> None:
    encoded = make_password("s3cret")
    assert encoded.startswith("argon2$argon2id$v=19$m=64,t=1,p=2$")
    assert isinstance(identify_hasher(encoded), FastArgon2)
    assert check_password("s3cret", encoded) is True
    assert check_password("s3cret!", encoded) is False
    assert DjangoFastArgon2().verify("s3cret", encoded)


def test_hashes_of_djangos_own_hasher_keep_verifying_and_are_upgraded() -> None:
    with override_settings(PASSWORD_HASHERS=[DJANGO_OLD]):
        stored = make_password("hunter2")  # made by Django's own hasher (argon2-cffi)
    upgraded: list[str] = []
    with override_settings(PASSWORD_HASHERS=[OURS]):
        # Same algorithm name, so our hasher is the one that checks Django's hash.
        assert check_password("hunter2", stored, setter=upgraded.append)
        assert upgraded == ["hunter2"]  # must_update saw the old parameters
        assert not check_password("hunter3", stored)


@pytest.fixture
def client() -> Any:
    urls.PASSWORD_USERS.clear()
    yield Client()
    urls.PASSWORD_USERS.clear()


@override_settings(PASSWORD_HASHERS=[OURS])
def test_login_view_through_the_test_client(client: Client) -> None:
    urls.PASSWORD_USERS["ada"] = make_password("lovelace")
    ok = client.post("/passwords/login", {"username": "ada", "password": "lovelace"})
    assert ok.status_code == 200 and ok.json() == {"ok": True, "user": "ada"}
    bad = client.post("/passwords/login", {"username": "ada", "password": "babbage"})
    assert bad.status_code == 401
    unknown = client.post("/passwords/login", {"username": "bob", "password": "lovelace"})
    assert unknown.status_code == 401


def test_login_upgrades_a_hash_from_djangos_own_hasher(client: Client) -> None:
    with override_settings(PASSWORD_HASHERS=[DJANGO_OLD]):
        urls.PASSWORD_USERS["ada"] = make_password("lovelace")
    old = urls.PASSWORD_USERS["ada"]
    with override_settings(PASSWORD_HASHERS=[OURS]):
        response = client.post("/passwords/login", {"username": "ada", "password": "lovelace"})
        assert response.status_code == 200
        new = urls.PASSWORD_USERS["ada"]
        assert new != old and new.startswith("argon2$argon2id$v=19$m=64,t=1,p=2$")
        assert client.post("/passwords/login", {"username": "ada", "password": "lovelace"}).status_code == 200
        assert DjangoFastArgon2().verify("lovelace", new)
