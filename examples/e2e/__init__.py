"""End-to-end example apps: one per framework, each in two variants with the same endpoints and
the same responses.

- ``*_stock``: the libraries users pick today (PyJWT, argon2-cffi, limits / Flask-Limiter /
  django-ratelimit, cachetools / Flask-Caching / Django's cache framework, python-multipart);
- ``*_webaccel``: the same app on webaccel's adapters.

Endpoints (every app): ``POST /login``, ``GET /items`` (paginated, bearer JWT, per-user rate
limit), ``POST /items`` (validated 2 KB JSON body), ``GET /items/{id}`` (cached), ``POST /upload``,
``GET /ping`` and ``GET /ceiling/items`` (the list's body pre-serialized: no auth, no limit).
``bench/load`` serves them side by side under the same server and loads them with wrk.
"""
