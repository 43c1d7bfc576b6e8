"""Argon2 hashers with small parameters for the Django tests (Django takes hashers by dotted
path, so they live in a module). Tests are about answers; small memory keeps them quick."""

from __future__ import annotations

from django.contrib.auth import hashers as django_hashers

from webaccel.django import hashers


class FastArgon2(hashers.Argon2PasswordHasher):
    time_cost = 1
    memory_cost = 64
    parallelism = 2


class FastArgon2MoreTime(FastArgon2):
    time_cost = 2


class DjangoFastArgon2(django_hashers.Argon2PasswordHasher):
    """Django's own hasher (argon2-cffi) with FastArgon2's parameters."""

    time_cost = 1
    memory_cost = 64
    parallelism = 2


class DjangoOldArgon2(django_hashers.Argon2PasswordHasher):
    """Django's own hasher with older parameters: hashes a site stored before switching."""

    time_cost = 1
    memory_cost = 32
    parallelism = 1
