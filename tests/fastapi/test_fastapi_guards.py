"""The solver-free fast path of the FastAPI adapters, through FastAPI's TestClient: the
``JWTBearer.require`` and ``RateLimit.limit`` decorators and ``page_params(...).from_request``
give the same answers (status, body, headers) as the ``Depends`` forms they stand for, keep the
endpoint's own parameters and OpenAPI, and work on ``async def`` and ``def`` endpoints."""

# No `from __future__ import annotations`: FastAPI must see the route annotations, which refer
# to names local to the app factories.
import threading
import time
from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI, Query, Request, Response, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from webaccel import auth
from webaccel.fastapi import JSONResponse
from webaccel.fastapi._guards import guard
from webaccel.fastapi.auth import JWTBearer
from webaccel.fastapi.pagination import _URLS, _request_url, page_params, paginate
from webaccel.fastapi.ratelimit import RateLimit

SECRET = "fastapi-guard-test-secret-long-enough-for-hs256"
AUD = "api"
ISS = "https://id.example.com/"


def token(**claims: Any) -> str:
    base = {"sub": "u1", "aud": AUD, "iss": ISS, "exp": int(time.time()) + 600}
    return auth.jwt_encode({**base, **claims}, SECRET, "HS256")


def bearer(**kwargs: Any) -> JWTBearer:
    return JWTBearer(key=SECRET, algorithms=["HS256"], audience=AUD, issuer=ISS, realm="api", **kwargs)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# --- JWTBearer.require ---------------------------------------------------------------------


def auth_app() -> FastAPI:
    app = FastAPI()
    b = bearer()
    admins = bearer(roles=["admin"], scheme_name="admins")

    @app.get("/dep/me")
    async def dep_me(claims: Annotated[dict[str, Any], Depends(b)]) -> dict[str, Any]:
        return {"sub": claims["sub"]}

    @app.get("/fast/me", openapi_extra=b.openapi_extra)
    @b.require
    async def fast_me(request: Request) -> dict[str, Any]:
        return {"sub": request.state.jwt_claims["sub"]}

    @app.get("/dep/scoped")
    async def dep_scoped(claims: Annotated[dict[str, Any], Security(b, scopes=["items:read"])]) -> dict[str, Any]:
        return {"sub": claims["sub"]}

    @app.get("/fast/scoped")
    @b.require(scopes=["items:read"])
    async def fast_scoped(request: Request) -> dict[str, Any]:
        return {"sub": request.state.jwt_claims["sub"]}

    @app.get("/dep/admin")
    async def dep_admin(claims: Annotated[dict[str, Any], Depends(admins)]) -> dict[str, Any]:
        return {"sub": claims["sub"]}

    @app.get("/fast/admin")
    @admins.require
    async def fast_admin(request: Request) -> dict[str, Any]:
        return {"sub": request.state.jwt_claims["sub"]}

    return app


TOKENS = {
    "none": None,
    "valid": token(),
    "scoped": token(scope="items:read other"),
    "admin": token(roles=["admin"]),
    "expired": token(exp=int(time.time()) - 60),
    "wrong audience": token(aud="other"),
    "bad signature": auth.jwt_encode({"sub": "u1", "aud": AUD, "iss": ISS, "exp": int(time.time()) + 600},
                                     "another-secret-that-is-long-enough-too", "HS256"),
    "garbage": "not.a.jwt",
    "basic scheme": "basic",
}


@pytest.mark.parametrize("route", ["me", "scoped", "admin"])
@pytest.mark.parametrize("name", sorted(TOKENS))
def test_require_answers_exactly_as_the_dependency(route: str, name: str) -> None:
    client = TestClient(auth_app())
    value = TOKENS[name]
    if value is None:
        headers = {}
    elif value == "basic":
        headers = {"Authorization": "Basic dXNlcjpwYXNz"}
    else:
        headers = {"Authorization": f"Bearer {value}"}
    dep = client.get(f"/dep/{route}", headers=headers)
    fast = client.get(f"/fast/{route}", headers=headers)
    assert (fast.status_code, fast.json()) == (dep.status_code, dep.json())
    assert fast.headers.get("www-authenticate") == dep.headers.get("www-authenticate")
    expected_ok = {"me": {"valid", "scoped", "admin"}, "scoped": {"scoped"}, "admin": {"admin"}}[route]
    assert (fast.status_code == 200) == (name in expected_ok)


def test_require_keeps_the_endpoint_parameters_and_dependencies() -> None:
    app = FastAPI()
    b = bearer()
    seen: list[Any] = []

    def tenant(x_tenant: Annotated[str, Query()] = "t0") -> str:
        return x_tenant

    @app.get("/things/{thing_id}")
    @b.require
    async def things(thing_id: int, t: Annotated[str, Depends(tenant)], limit: int = 10) -> dict[str, Any]:
        return {"id": thing_id, "tenant": t, "limit": limit}

    @app.get("/sync")
    @b.require
    def sync(request: Request) -> dict[str, Any]:
        seen.append(threading.current_thread())
        return {"sub": request.state.jwt_claims["sub"]}

    client = TestClient(app)
    headers = {"Authorization": f"Bearer {token()}"}
    assert client.get("/things/7?x_tenant=t9&limit=3", headers=headers).json() == {"id": 7, "tenant": "t9", "limit": 3}
    assert client.get("/things/x", headers=headers).status_code == 422  # FastAPI's own validation
    assert client.get("/things/7").status_code == 401
    assert client.get("/sync", headers=headers).json() == {"sub": "u1"}
    assert seen and seen[0] is not threading.main_thread()  # a def endpoint still runs in the pool
    schema = app.openapi()["paths"]["/things/{thing_id}"]["get"]
    names = {p["name"] for p in schema["parameters"]}
    assert names == {"thing_id", "x_tenant", "limit"}  # nothing of the guard's own leaks out


def test_openapi_extra_lists_the_security_and_the_page_parameters() -> None:
    app = FastAPI()
    b = bearer()
    page = page_params(default_page_size=20, max_page_size=50, clamp_page_size=False)

    @app.get("/dep", dependencies=[Depends(b)])
    async def dep(p: Annotated[Any, Depends(page)]) -> dict[str, int]:
        return {"page": p.page}

    @app.get("/fast", openapi_extra={**b.openapi_extra, **page.openapi_extra})
    @b.require
    async def fast(request: Request) -> dict[str, int]:
        return {"page": page.from_request(request).page}

    paths = app.openapi()["paths"]
    assert paths["/fast"]["get"]["security"] == paths["/dep"]["get"]["security"] == [{"JWTBearer": []}]
    dep_params = {p["name"]: p["schema"] for p in paths["/dep"]["get"]["parameters"]}
    fast_params = {p["name"]: p["schema"] for p in paths["/fast"]["get"]["parameters"]}
    assert fast_params.keys() == dep_params.keys() == {"page", "page_size"}
    for name in fast_params:
        for key in ("type", "minimum", "maximum", "default"):
            assert fast_params[name].get(key) == dep_params[name].get(key), (name, key)


def test_optional_require_lets_anonymous_requests_through() -> None:
    app = FastAPI()
    b = bearer(auto_error=False)

    @app.get("/maybe")
    @b.require
    async def maybe(request: Request) -> dict[str, Any]:
        claims = getattr(request.state, "jwt_claims", None)
        return {"sub": claims["sub"] if claims else None}

    client = TestClient(app)
    assert client.get("/maybe").json() == {"sub": None}
    assert client.get("/maybe", headers={"Authorization": f"Bearer {token()}"}).json() == {"sub": "u1"}
    assert client.get("/maybe", headers={"Authorization": "Bearer x.y.z"}).status_code == 401


def test_guard_refuses_endpoints_it_cannot_call_by_keyword() -> None:
    async def star(*args: Any) -> None: ...

    async def kw(**kwargs: Any) -> None: ...

    for endpoint in (star, kw):
        with pytest.raises(TypeError, match="named parameters"):
            bearer().require(endpoint)


def test_guard_names_do_not_clash_with_the_endpoint_parameters() -> None:
    calls: list[Request] = []

    async def check(request: Request) -> None:
        calls.append(request)
        return None

    app = FastAPI()

    @app.get("/x")
    @guard(check)
    async def x(_webaccel_request: int = 5) -> dict[str, int]:
        return {"value": _webaccel_request}

    client = TestClient(app)
    assert client.get("/x?_webaccel_request=9").json() == {"value": 9}
    assert len(calls) == 1 and isinstance(calls[0], Request)


def _recording_check(name: str, log: list[str], refuse: bool = False) -> Any:
    async def check(request: Request) -> Any:
        log.append(f"check {name}")
        if refuse:
            from fastapi import HTTPException

            raise HTTPException(status_code=403, detail=f"refused by {name}")

        def after(response: Response) -> None:
            log.append(f"after {name}")
            response.headers.append("x-order", name)

        return after

    return check


@pytest.mark.parametrize("sync", [False, True])
def test_stacked_guards_run_as_nested_wrappers_would(sync: bool) -> None:
    # Stacked guards share one wrapper; the order must be that of nested wrappers: checks
    # outermost first, then the endpoint, then the after-callables innermost first.
    log: list[str] = []
    app = FastAPI()

    def body(thing: int) -> dict[str, int]:
        log.append("endpoint")
        return {"thing": thing}

    endpoint: Any
    if sync:
        def endpoint(thing: int) -> dict[str, int]:
            return body(thing)
    else:
        async def endpoint(thing: int) -> dict[str, int]:
            return body(thing)

    three = guard(_recording_check("a", log))(guard(_recording_check("b", log))(guard(_recording_check("c", log))(endpoint)))
    assert three.__webaccel_guard__.checks.__len__() == 3  # one wrapper holds the three checks
    app.get("/x")(three)
    refused = guard(_recording_check("a", log))(guard(_recording_check("b", log, refuse=True))(
        guard(_recording_check("c", log))(endpoint)))
    app.get("/refused")(refused)

    client = TestClient(app)
    r = client.get("/x?thing=7")
    assert r.status_code == 200 and r.json() == {"thing": 7}
    assert log == ["check a", "check b", "check c", "endpoint", "after c", "after b", "after a"]
    assert r.headers.get_list("x-order") == ["c", "b", "a"]
    assert [p["name"] for p in app.openapi()["paths"]["/x"]["get"]["parameters"]] == ["thing"]

    log.clear()
    r = client.get("/refused?thing=7")
    assert r.status_code == 403 and r.json() == {"detail": "refused by b"}
    assert log == ["check a", "check b"]  # neither c nor the endpoint, no after-callables


def test_a_decorator_between_guards_still_runs() -> None:
    # functools.wraps copies the inner guard's attributes onto the decorator's wrapper: the
    # outer guard must wrap that wrapper, not reach past it to the inner guard's endpoint.
    import functools

    log: list[str] = []

    def logged(fn: Any) -> Any:
        @functools.wraps(fn)
        async def inner(**kwargs: Any) -> Any:
            log.append("decorator")
            return await fn(**kwargs)

        return inner

    app = FastAPI()

    @app.get("/x")
    @guard(_recording_check("outer", log))
    @logged
    @guard(_recording_check("inner", log))
    async def x() -> dict[str, bool]:
        log.append("endpoint")
        return {"ok": True}

    r = TestClient(app).get("/x")
    assert r.status_code == 200 and r.json() == {"ok": True}
    assert log == ["check outer", "decorator", "check inner", "endpoint", "after inner", "after outer"]

# --- RateLimit.limit -----------------------------------------------------------------------


def limit_app(clock: Clock, **kwargs: Any) -> tuple[FastAPI, TestClient]:
    app = FastAPI()
    dep_limit = RateLimit("3/minute", clock=clock, **kwargs)
    fast_limit = app.state.fast_limit = RateLimit("3/minute", clock=clock, **kwargs)

    @app.get("/dep", dependencies=[Depends(dep_limit)])
    async def dep() -> dict[str, str]:
        return {"ok": "yes"}

    @app.get("/fast")
    @fast_limit.limit
    async def fast() -> dict[str, str]:
        return {"ok": "yes"}

    @app.get("/fast-response")
    @fast_limit.limit
    def fast_response() -> Response:
        return PlainTextResponse("ok")

    return app, TestClient(app)


@pytest.mark.parametrize("options", [{}, {"legacy_headers": True}, {"headers": False}])
def test_limit_answers_exactly_as_the_dependency(options: dict[str, Any]) -> None:
    clock = Clock()
    _app, client = limit_app(clock, **options)
    dep = [client.get("/dep") for _ in range(4)]
    fast = [client.get("/fast") for _ in range(4)]
    for d, f in zip(dep, fast):
        assert (f.status_code, f.json()) == (d.status_code, d.json())
        for name in ("ratelimit", "ratelimit-policy", "retry-after", "x-ratelimit-limit", "x-ratelimit-remaining"):
            assert f.headers.get(name) == d.headers.get(name), name
    assert [f.status_code for f in fast] == [200, 200, 200, 429]
    assert ("ratelimit" in fast[0].headers) == (options.get("headers", True))


def test_limit_adds_headers_to_a_response_the_endpoint_returns() -> None:
    clock = Clock()
    _app, client = limit_app(clock)
    first = client.get("/fast-response")
    assert first.text == "ok"
    assert first.headers["ratelimit"] == '"default";r=2;t=20'
    assert first.headers["ratelimit-policy"] == '"default";q=3;w=60'


def test_limit_under_require_counts_per_user() -> None:
    clock = Clock()
    app = FastAPI()
    b = bearer()
    per_user = RateLimit("2/minute", key=lambda r: r.state.jwt_claims["sub"], clock=clock, headers=False)

    @app.get("/items")
    @b.require
    @per_user.limit
    async def items(request: Request) -> dict[str, str]:
        return {"sub": request.state.jwt_claims["sub"]}

    client = TestClient(app)
    alice = {"Authorization": f"Bearer {token(sub='alice')}"}
    bob = {"Authorization": f"Bearer {token(sub='bob')}"}
    assert [client.get("/items", headers=alice).status_code for _ in range(3)] == [200, 200, 429]
    assert client.get("/items", headers=bob).json() == {"sub": "bob"}
    assert client.get("/items").status_code == 401  # authentication runs first, counts nothing
    refused = client.get("/items", headers=alice)
    assert refused.status_code == 429 and refused.headers["retry-after"] == "30"  # the default GCRA: one request each 30 s
    assert "ratelimit" not in refused.headers  # headers=False: only Retry-After on a refusal


def test_limit_exempts_what_the_key_function_exempts() -> None:
    clock = Clock()
    app = FastAPI()
    limit = RateLimit("1/minute", key=lambda r: r.headers.get("x-user"), clock=clock)

    @app.get("/x")
    @limit.limit
    async def x() -> dict[str, str]:
        return {"ok": "yes"}

    client = TestClient(app)
    assert [client.get("/x").status_code for _ in range(3)] == [200, 200, 200]
    assert [client.get("/x", headers={"x-user": "u"}).status_code for _ in range(2)] == [200, 429]


# --- page_params(...).from_request ---------------------------------------------------------

_PAGE = page_params(default_page_size=20, max_page_size=50, clamp_page_size=False)
_CLAMPED = page_params(default_page_size=20, max_page_size=50)


def page_app() -> TestClient:
    app = FastAPI()
    items = list(range(1, 301))

    @app.get("/dep")
    async def dep(p: Annotated[Any, Depends(_PAGE)]) -> dict[str, int]:
        return {"page": p.page, "page_size": p.page_size}

    @app.get("/fast")
    async def fast(request: Request) -> dict[str, int]:
        p = _PAGE.from_request(request)
        return {"page": p.page, "page_size": p.page_size}

    @app.get("/dep-clamped")
    async def dep_clamped(p: Annotated[Any, Depends(_CLAMPED)]) -> dict[str, int]:
        return {"page": p.page, "page_size": p.page_size}

    @app.get("/fast-clamped")
    async def fast_clamped(request: Request) -> dict[str, int]:
        p = _CLAMPED.from_request(request)
        return {"page": p.page, "page_size": p.page_size}

    @app.get("/list")
    async def listing(request: Request) -> Response:
        return paginate(request, items, _PAGE.from_request(request))

    return TestClient(app)


PAGE_CLIENT = page_app()

_values = st.one_of(
    st.integers(min_value=-5, max_value=120).map(str),
    st.sampled_from(["", " 3", "3 ", "+3", "-0", "0", "007", "1_0", "1.0", "2.5", "1e2", "٣", "x", "%20", "%2B4",
                     "99999999999999999999999", "50", "51", "true", "0x10", "１"]),
    st.text(max_size=4),
)
_pairs = st.lists(st.tuples(st.sampled_from(["page", "page_size", "other", "Page"]), _values), max_size=4)


@settings(max_examples=300, deadline=None)
@given(_pairs)
def test_from_request_answers_exactly_as_the_dependency(pairs: list[tuple[str, str]]) -> None:
    from urllib.parse import urlencode

    query = urlencode(pairs)
    for dep, fast in (("/dep", "/fast"), ("/dep-clamped", "/fast-clamped")):
        a = PAGE_CLIENT.get(f"{dep}?{query}")
        b = PAGE_CLIENT.get(f"{fast}?{query}")
        assert (b.status_code, b.json()) == (a.status_code, a.json()), query


def test_from_request_examples() -> None:
    assert PAGE_CLIENT.get("/fast").json() == {"page": 1, "page_size": 20}
    assert PAGE_CLIENT.get("/fast?page=3&page_size=5&page=4").json() == {"page": 4, "page_size": 5}
    assert PAGE_CLIENT.get("/fast-clamped?page_size=500").json() == {"page": 1, "page_size": 500}  # clamped later
    refused = PAGE_CLIENT.get("/fast?page=0&page_size=51")
    assert refused.status_code == 422
    assert [(e["type"], e["loc"]) for e in refused.json()["detail"]] == [
        ("greater_than_equal", ["query", "page"]), ("less_than_equal", ["query", "page_size"])]


def test_from_request_remembers_valid_answers_only_and_a_bounded_number() -> None:
    from webaccel.fastapi import pagination as fp

    page = page_params(default_page_size=20, max_page_size=50, clamp_page_size=False)

    def ask(query: bytes) -> Any:
        return page.from_request(Request({"type": "http", "query_string": query, "headers": []}))

    first = ask(b"page=3&page_size=5")
    assert (first.page, first.page_size) == (3, 5)
    assert ask(b"page=3&page_size=5") is first  # the remembered answer
    for _ in range(2):  # a refused query string is refused every time, never remembered
        with pytest.raises(RequestValidationError):
            ask(b"page=0")
    for n in range(1, fp._ANSWERS_MAX + 10):
        assert ask(f"page={n}".encode()).page == n
    answers = next(c.cell_contents for c in page.from_request.__closure__  # type: ignore[attr-defined]
                   if isinstance(c.cell_contents, dict))
    assert len(answers) == fp._ANSWERS_MAX and b"page=0" not in answers
    again = ask(b"page=3&page_size=5")  # pushed out by then: read afresh, the same answer
    assert again is not first and again == first


def test_paginate_links_from_the_cached_url() -> None:
    first = PAGE_CLIENT.get("/list?page=2&page_size=10&q=caf%C3%A9")
    body = first.json()
    assert body["items"] == list(range(11, 21))
    assert body["next"] == "http://testserver/list?page=3&page_size=10&q=caf%C3%A9"
    assert body["prev"] == "http://testserver/list?page=1&page_size=10&q=caf%C3%A9"
    again = PAGE_CLIENT.get("/list?page=2&page_size=10&q=caf%C3%A9")
    assert again.json() == body and again.headers["link"] == first.headers["link"]
    other_host = PAGE_CLIENT.get("/list?page=2&page_size=10&q=caf%C3%A9", headers={"Host": "api.example:8443"})
    assert other_host.json()["next"] == "http://api.example:8443/list?page=3&page_size=10&q=caf%C3%A9"


_SCOPE_PARTS = st.fixed_dictionaries({
    "scheme": st.sampled_from(["http", "https"]),
    "server": st.sampled_from([("127.0.0.1", 8000), ("::1", 443), ("example.org", 80), None]),
    "path": st.sampled_from(["/", "/items", "/a b", "/caf\u00e9", "/x?y", "/p#q", "/back\\slash"]),
    "query_string": st.sampled_from([b"", b"page=2", b"a=%20b&page=1", b"q=caf%C3%A9"]),
    "host": st.sampled_from([None, b"example.com", b"example.com:8080", b"[::1]:9000", b"bad host", b""]),
})


@settings(max_examples=200, deadline=None)
@given(_SCOPE_PARTS)
def test_request_url_is_starlettes(parts: dict[str, Any]) -> None:
    headers = [] if parts["host"] is None else [(b"host", parts["host"])]
    scope = {"type": "http", "scheme": parts["scheme"], "server": parts["server"], "path": parts["path"],
             "query_string": parts["query_string"], "headers": headers, "root_path": ""}
    assert _request_url(Request(scope)) == str(Request(scope).url)
    assert _request_url(Request(scope)) == str(Request(scope).url)  # and from the cache
    assert len(_URLS) <= 1024


def test_long_urls_and_query_strings_are_answered_but_not_kept() -> None:
    # Both caches are bounded in bytes as well as entries: a client sending long, unique URLs
    # gets the right answers, and nothing of them stays behind.
    from webaccel.fastapi import pagination as fp

    page = page_params(default_page_size=20, max_page_size=50, clamp_page_size=False)
    answers = next(c.cell_contents for c in page.from_request.__closure__  # type: ignore[attr-defined]
                   if isinstance(c.cell_contents, dict))
    for n, (path, host) in enumerate([("/items", b"h" * fp._KEY_MAX), ("/" + "p" * fp._KEY_MAX, b"api.example")]):
        query = f"page={n + 2}&pad=".encode() + b"x" * (fp._KEY_MAX if n == 0 else 10)
        scope = {"type": "http", "scheme": "http", "server": ("127.0.0.1", 8000), "path": path,
                 "query_string": query, "headers": [(b"host", host)], "root_path": ""}
        before = dict(_URLS)
        assert _request_url(Request(scope)) == str(Request(scope).url)
        assert dict(_URLS) == before  # path + query + Host over the bound: not kept
        assert page.from_request(Request(scope)).page == n + 2
    assert list(answers) == [b"page=3&pad=xxxxxxxxxx"]  # only the short query string was kept


def test_repeated_authorization_headers_are_read_as_starlette_reads_them() -> None:
    client = TestClient(auth_app())
    good, bad = f"Bearer {token()}", "Bearer not.a.jwt"
    for first, second in ((good, bad), (bad, good)):
        headers = [("Authorization", first), ("Authorization", second)]
        dep = client.get("/dep/me", headers=headers)
        fast = client.get("/fast/me", headers=headers)
        assert (fast.status_code, fast.json()) == (dep.status_code, dep.json())
        assert fast.status_code == (200 if first == good else 401)


# --- plain-function checks, jwt_claims / jwt_subject, the in-memory limit without coroutines ----


def test_a_plain_function_check_runs_like_an_async_one() -> None:
    log: list[str] = []

    def plain(request: Request) -> Any:
        log.append("plain")

        def after(response: Response) -> None:
            response.headers["x-plain"] = "1"

        return after

    def plain_returning_awaitable(request: Request) -> Any:
        # A plain function may still hand back something to await (here, a coroutine).
        return _recording_check("awaited", log)(request)

    app = FastAPI()

    @app.get("/x")
    @guard(plain)
    @guard(plain_returning_awaitable)
    async def x() -> dict[str, bool]:
        log.append("endpoint")
        return {"ok": True}

    r = TestClient(app).get("/x")
    assert r.status_code == 200 and r.headers["x-plain"] == "1" and r.headers["x-order"] == "awaited"
    assert log == ["plain", "check awaited", "endpoint", "after awaited"]


def test_jwt_claims_and_subject_read_what_the_bearer_check_left() -> None:
    from webaccel.fastapi.auth import jwt_claims, jwt_subject

    app = FastAPI()
    b = bearer()
    seen: list[Any] = []

    @app.middleware("http")
    async def touch_state(request: Request, call_next: Any) -> Any:
        # A middleware that made the scope's state first: the claims still land beside its value.
        request.state.seen_by_middleware = True
        return await call_next(request)

    @app.get("/fast")
    @b.require
    async def fast(request: Request) -> dict[str, Any]:
        seen.append((jwt_claims(request), request.state.jwt_claims, request.state.seen_by_middleware))
        return {"sub": jwt_subject(request)}

    @app.get("/dep")
    async def dep(request: Request, claims: Annotated[dict[str, Any], Depends(b)]) -> dict[str, Any]:
        _ = request.state  # a State made before the dependency ran
        seen.append((jwt_claims(request), request.state.jwt_claims, claims))
        return {"sub": jwt_subject(request)}

    @app.get("/anonymous")
    async def anonymous(request: Request) -> dict[str, Any]:
        assert jwt_claims(request) is None
        return {"sub": jwt_subject(request)}

    client = TestClient(app)
    headers = {"Authorization": f"Bearer {token(sub='alice')}"}
    assert client.get("/fast", headers=headers).json() == {"sub": "alice"}
    claims, via_state, flag = seen.pop()
    assert claims is via_state and claims["sub"] == "alice" and flag is True
    assert client.get("/dep", headers=headers).json() == {"sub": "alice"}
    claims, via_state, from_dep = seen.pop()
    assert claims is via_state is from_dep
    with pytest.raises(LookupError, match="no verified JWT claims"):
        client.get("/anonymous")


def test_jwt_subject_refuses_claims_without_a_subject_and_stringifies_others() -> None:
    from webaccel.fastapi.auth import jwt_subject

    def request_with(claims: dict[str, Any]) -> Request:
        return Request({"type": "http", "headers": [], "state": {"jwt_claims": claims}})

    assert jwt_subject(request_with({"sub": 42})) == "42"
    with pytest.raises(LookupError, match="no \"sub\" claim"):
        jwt_subject(request_with({"aud": "api"}))


def test_per_user_limit_keyed_on_jwt_subject() -> None:
    from webaccel.fastapi.auth import jwt_subject

    clock = Clock()
    app = FastAPI()
    b = bearer()
    per_user = RateLimit("2/minute", key=jwt_subject, clock=clock, headers=False)

    @app.get("/items")
    @b.require
    @per_user.limit
    async def items(request: Request) -> dict[str, str]:
        return {"ok": "yes"}

    @app.get("/unguarded")
    @per_user.limit
    async def unguarded() -> dict[str, str]:
        return {"ok": "yes"}

    client = TestClient(app)
    alice = {"Authorization": f"Bearer {token(sub='alice')}"}
    bob = {"Authorization": f"Bearer {token(sub='bob')}"}
    assert [client.get("/items", headers=alice).status_code for _ in range(3)] == [200, 200, 429]
    assert client.get("/items", headers=bob).status_code == 200
    # A limit keyed on a user it cannot find fails loudly rather than letting requests through.
    with pytest.raises(LookupError):
        client.get("/unguarded", headers=alice)


@pytest.mark.parametrize("kind", ["async function", "plain function returning a coroutine", "int", "none"])
def test_limit_with_any_kind_of_key_answers_as_the_dependency(kind: str) -> None:
    async def async_key(request: Request) -> str | None:
        return request.headers.get("x-user")

    keys: dict[str, Any] = {
        "async function": async_key,
        "plain function returning a coroutine": lambda r: async_key(r),
        "int": lambda r: len(r.headers.get("x-user", "")),
        "none": lambda r: None,
    }
    _app, client = limit_app(Clock(), key=keys[kind], legacy_headers=True)
    for user in ("u",) * 4 + ("vv",) * 4:
        d = client.get("/dep", headers={"x-user": user})
        f = client.get("/fast", headers={"x-user": user})
        assert (f.status_code, f.json()) == (d.status_code, d.json())
        for name in ("ratelimit", "ratelimit-policy", "retry-after", "x-ratelimit-limit", "x-ratelimit-remaining"):
            assert f.headers.get(name) == d.headers.get(name), name
    assert len(_app.state.fast_limit.limiter) == {"none": 0, "int": 2}.get(kind, 2)


# --- paginate's prepared responses ------------------------------------------------------------


class _PlainJSON(JSONResponse):
    """A subclass: paginate builds it through the constructor, the general path."""


@settings(max_examples=200, deadline=None)
@given(
    page=st.integers(min_value=1, max_value=8),
    size=st.integers(min_value=1, max_value=30),
    total=st.integers(min_value=0, max_value=120),
    orphans=st.integers(min_value=0, max_value=5),
    query=st.sampled_from(["", "q=caf%C3%A9", "page=9&x=1", "page_size=3&page_size=4"]),
    given_total=st.booleans(),
)
def test_paginate_prepared_response_is_the_constructed_one(
    page: int, size: int, total: int, orphans: int, query: str, given_total: bool
) -> None:
    from fastapi import HTTPException

    from webaccel.fastapi.pagination import PageParams

    items = [{"id": i, "price": i / 10} for i in range(total)]
    scope = {"type": "http", "scheme": "https", "server": ("api.example", 443), "path": "/items",
             "query_string": query.encode(), "headers": [(b"host", b"api.example")], "root_path": ""}
    params = PageParams(page, size, 25)

    def build(cls: type[Response]) -> Any:
        try:
            if given_total:
                start = (page - 1) * min(size, 25)
                return paginate(Request(scope), items[start:start + min(size, 25)], params, total_items=total,
                                orphans=orphans, response_class=cls)
            return paginate(Request(scope), items, params, orphans=orphans, response_class=cls)
        except HTTPException as e:
            return (e.status_code, e.detail)

    fast, general = build(JSONResponse), build(_PlainJSON)
    if isinstance(general, tuple):
        assert fast == general
        return
    assert type(fast) is JSONResponse
    assert {**vars(fast)} == {**vars(general)}
    assert build(JSONResponse).body == fast.body  # and again, from the kept plan


def test_rendered_json_response_has_the_constructors_attributes() -> None:
    body = {"a": [1, "é"], "b": None}
    made = JSONResponse(body, headers={"Link": "<https://x/?page=2>; rel=\"next\""})
    rendered = JSONResponse._rendered(made.body, [(b"link", b"<https://x/?page=2>; rel=\"next\"")])
    assert vars(rendered) == vars(made)


def test_page_plans_are_bounded_and_long_urls_are_not_kept() -> None:
    from webaccel.fastapi import pagination as fp
    from webaccel.fastapi.pagination import PageParams

    items = list(range(100))
    for n in range(fp._URLS_MAX + 50):
        scope = {"type": "http", "scheme": "http", "server": ("h", 80), "path": "/items",
                 "query_string": f"n={n}".encode(), "headers": [], "root_path": ""}
        paginate(Request(scope), items, PageParams(1, 10, 100))
    assert len(fp._PLANS) <= fp._URLS_MAX
    long_scope = {"type": "http", "scheme": "http", "server": ("h", 80), "path": "/" + "p" * fp._KEY_MAX,
                  "query_string": b"", "headers": [], "root_path": ""}
    before = dict(fp._PLANS)
    r = paginate(Request(long_scope), items, PageParams(2, 10, 100))
    assert b'"page":2' in r.body and dict(fp._PLANS) == before
