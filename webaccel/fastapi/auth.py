"""FastAPI: bearer-token authentication with webaccel's JWT verifier.

:class:`JWTBearer` is a ``fastapi.security.HTTPBearer`` subclass, so routes that depend on it
show the bearer scheme in OpenAPI (and the "Authorize" button in ``/docs``). It returns the
verified claims, answers 401 with an RFC 6750 ``WWW-Authenticate: Bearer`` challenge when the
token is missing or invalid, and 403 (``error="insufficient_scope"``) when scopes or roles are
missing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import timedelta
from typing import Any, TypeVar, overload

from fastapi import HTTPException, Request
from fastapi.security import HTTPBearer, SecurityScopes

from webaccel.auth import (
    DEFAULT_MAX_TOKEN_SIZE,
    InvalidTokenError,
    JWKSVerifier,
    JWTVerifier,
    bearer_challenge,
    bearer_token,
    claim_roles,
    claim_scopes,
    error_description,
    subject_key,
)
from webaccel.fastapi._guards import guard

_E = TypeVar("_E", bound=Callable[..., Any])

__all__ = ["JWTBearer", "jwt_claims", "jwt_subject", "claim_scopes", "claim_roles", "bearer_challenge"]


def _authorization(request: Request) -> str | None:
    # request.headers.get("authorization") without building Starlette's Headers: the first
    # Authorization header, as Headers.get gives it (ASGI header names are lower-case).
    for name, value in request.scope["headers"]:
        if name == b"authorization":
            return value.decode("latin-1")  # type: ignore[no-any-return]
    return None


def jwt_claims(request: Request) -> dict[str, Any] | None:
    """The claims :class:`JWTBearer` verified for this request (``request.state.jwt_claims``),
    or None when it verified none. Read from the scope's state dict: cheaper than
    ``request.state``, whose every read of a stored name misses the attribute lookup first."""
    state = request.__dict__.get("_state")
    if state is not None:
        return getattr(state, "jwt_claims", None)
    return request.scope.get("state", {}).get("jwt_claims")


def jwt_subject(request: Request) -> str:
    """The verified token's ``sub`` claim, as a string: the key of a per-user limit placed under
    the bearer check (``RateLimit("100/minute", key=jwt_subject)`` under ``@auth.require``, or
    listed after ``Depends(auth)``).

    Raises ``LookupError`` when the request carries no verified claims, or claims without
    ``sub``: a limit keyed on a user it cannot find must not let the request through unlimited
    (with ``auto_error=False``, write a key function that decides what anonymous requests count
    under, the client IP say)."""
    return subject_key(jwt_claims(request), require_hint=' (JWTBearer(options={"require": ["sub"]}) refuses such tokens)')


class JWTBearer(HTTPBearer):
    """A dependency that verifies ``Authorization: Bearer <JWT>`` and returns the claims::

        auth = JWTBearer(key=SECRET, algorithms=["HS256"], audience="api", issuer=ISSUER)

        @app.get("/me")
        async def me(claims: Annotated[dict, Depends(auth)]) -> dict: ...

        @app.delete("/items/{id}")
        async def delete(claims: Annotated[dict, Security(auth, scopes=["items:write"])]): ...

    Give either a ready ``verifier`` (a :class:`~webaccel.auth.JWTVerifier`, or a
    :class:`~webaccel.auth.JWKSVerifier` for keys from a JWKS URL), or ``key`` + ``algorithms``
    (+ the other :class:`JWTVerifier` arguments) to build one.

    - no or malformed credentials: 401 ``WWW-Authenticate: Bearer realm="..."`` (or ``None``
      with ``auto_error=False``);
    - an invalid token: 401 with ``error="invalid_token"`` and a short ``error_description``;
    - ``scopes`` (constructor, or ``Security(..., scopes=[...])``) not all granted by the
      ``scope_claim``, or ``roles`` not all in ``roles_claim``: 403 with
      ``error="insufficient_scope"``.

    The claims are also left on ``request.state.jwt_claims``, so that dependencies resolved
    after this one (``RateLimit(key=lambda r: r.state.jwt_claims["sub"])``) can use them.
    """

    def __init__(
        self,
        verifier: JWTVerifier | JWKSVerifier | None = None,
        *,
        key: Any = None,
        algorithms: Iterable[str] | None = None,
        audience: str | Iterable[str] | None = None,
        issuer: str | Iterable[str] | None = None,
        leeway: float | timedelta = 0,
        typ: str | None = None,
        options: Mapping[str, Any] | None = None,
        max_size: int = DEFAULT_MAX_TOKEN_SIZE,
        scopes: Iterable[str] = (),
        roles: Iterable[str] = (),
        scope_claim: str = "scope",
        roles_claim: str = "roles",
        realm: str | None = None,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        super().__init__(bearerFormat="JWT", scheme_name=scheme_name, description=description, auto_error=auto_error)
        if verifier is None:
            if key is None or algorithms is None:
                raise TypeError("JWTBearer needs a verifier, or a key and an explicit algorithms list")
            verifier = JWTVerifier(
                key, list(algorithms), audience=audience, issuer=issuer, leeway=leeway, typ=typ,
                options=dict(options) if options is not None else None, max_size=max_size,
            )
        self.verifier = verifier
        self.scopes = frozenset(scopes)
        self.roles = frozenset(roles)
        self.scope_claim = scope_claim
        self.roles_claim = roles_claim
        self.realm = realm

    def _unauthorized(self, **params: str | None) -> HTTPException:
        return HTTPException(
            status_code=401,
            detail="Not authenticated" if not params else "Invalid token",
            headers={"WWW-Authenticate": bearer_challenge(self.realm, **params)},
        )

    async def __call__(self, request: Request, security_scopes: SecurityScopes) -> dict[str, Any] | None:  # type: ignore[override]
        return await self.authenticate(request, security_scopes.scopes)

    async def authenticate(self, request: Request, scopes: Iterable[str] = ()) -> dict[str, Any] | None:
        """What the dependency does, callable directly: the verified claims (also left on
        ``request.state.jwt_claims``), or ``HTTPException`` 401/403 (``None`` without a token
        when ``auto_error`` is false). ``scopes`` are required on top of the constructor's."""
        if isinstance(self.verifier, JWKSVerifier):
            token = bearer_token(_authorization(request))
            if token is None:
                return self._no_token()
            try:
                claims = await self.verifier.decode(token)
            except InvalidTokenError as e:
                raise self._unauthorized(error="invalid_token", error_description=error_description(e)) from None
            return self._admit(request, claims, scopes)
        return self._authenticate_now(request, scopes)

    def _authenticate_now(self, request: Request, scopes: Iterable[str]) -> dict[str, Any] | None:
        # authenticate() with a verifier that needs no I/O: no coroutine to create and await.
        # The Rust verifier finds and reads the Authorization header itself, as
        # bearer_token(_authorization(request)) does.
        verifier = self.verifier
        try:
            if isinstance(verifier, JWTVerifier):
                claims = verifier.decode_bearer(request.scope["headers"])
            else:
                token = bearer_token(_authorization(request))
                claims = None if token is None else verifier.decode(token)
        except InvalidTokenError as e:
            raise self._unauthorized(error="invalid_token", error_description=error_description(e)) from None
        if claims is None:
            return self._no_token()
        return self._admit(request, claims, scopes)

    def _no_token(self) -> None:
        if self.auto_error:
            raise self._unauthorized()
        return None

    def _admit(self, request: Request, claims: dict[str, Any], scopes: Iterable[str]) -> dict[str, Any]:
        wanted = self.scopes.union(scopes) if scopes else self.scopes
        if wanted and not wanted <= claim_scopes(claims, self.scope_claim):
            raise HTTPException(
                status_code=403,
                detail="Insufficient scope",
                headers={"WWW-Authenticate": bearer_challenge(self.realm, error="insufficient_scope", scope=" ".join(sorted(wanted)))},
            )
        if self.roles and not self.roles <= claim_roles(claims, self.roles_claim):
            raise HTTPException(
                status_code=403,
                detail="Insufficient role",
                headers={"WWW-Authenticate": bearer_challenge(self.realm, error="insufficient_scope")},
            )
        # Later dependencies (a per-user rate limit's key function, say) read them as
        # request.state.jwt_claims. Written into the scope's state dict, which request.state
        # wraps, unless this Request already made its State.
        state = request.__dict__.get("_state")
        if state is not None:
            state.jwt_claims = claims
        else:
            request.scope.setdefault("state", {})["jwt_claims"] = claims
        return claims

    @overload
    def require(self, endpoint: _E, /) -> _E: ...
    @overload
    def require(self, *, scopes: Iterable[str] = ()) -> Callable[[_E], _E]: ...

    def require(self, endpoint: _E | None = None, /, *, scopes: Iterable[str] = ()) -> _E | Callable[[_E], _E]:  # type: ignore[misc]
        """The dependency as an endpoint decorator, for hot routes: the same 401/403 answers and
        ``request.state.jwt_claims``, without FastAPI's dependency solver (15-20 µs a request
        on FastAPI 0.165; see :mod:`webaccel.fastapi._guards`)::

            @app.get("/items", openapi_extra=auth.openapi_extra)
            @auth.require                      # or @auth.require(scopes=["items:read"])
            async def items(request: Request) -> Response:
                claims = request.state.jwt_claims

        The route does not list the bearer scheme in OpenAPI by itself: pass
        ``openapi_extra=auth.openapi_extra`` to the route decorator (the scheme is defined in
        the schema's components once any route uses ``Depends(auth)``). With
        ``auto_error=False`` a request without a token reaches the endpoint with no
        ``jwt_claims``."""
        wanted = frozenset(scopes)

        def check(request: Request) -> Awaitable[None] | None:
            # A JWKS verifier may fetch keys: its check is awaited; a static key's is not.
            if isinstance(self.verifier, JWKSVerifier):
                return self._check_async(request, wanted)
            self._authenticate_now(request, wanted)
            return None

        decorator = guard(check)
        return decorator(endpoint) if endpoint is not None else decorator

    async def _check_async(self, request: Request, scopes: Iterable[str]) -> None:
        await self.authenticate(request, scopes)

    @property
    def openapi_extra(self) -> dict[str, Any]:
        """``{"security": [{<scheme name>: []}]}``, for routes guarded by :meth:`require`."""
        return {"security": [{self.scheme_name: []}]}
