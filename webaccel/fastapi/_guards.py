"""Endpoint decorators that run a dependency's check without FastAPI's dependency solver.

FastAPI resolves every ``Depends(...)`` of a route on every request through its generic solver:
measured on FastAPI 0.165, each request-only dependency adds 15-20 µs, and each declared query
parameter about 12 µs, where the check itself (a JWT verification, a rate-limit hit) costs 1-3 µs.
On a hot route the decorators of :class:`~webaccel.fastapi.auth.JWTBearer` (``require``) and
:class:`~webaccel.fastapi.ratelimit.RateLimit` (``limit``) run the same check, with the same
answers (401/403/429 and their headers, raised as ``HTTPException``), straight from the
endpoint's own call.

:func:`guard` builds them: it wraps an endpoint (``async def`` or ``def``) so that
``check(request)`` runs first. A check is an ``async def``, or a plain ``def`` when it has
nothing to wait for (it then costs no coroutine; such a check may still return an awaitable, which
is awaited). The wrapper's signature is the endpoint's plus, when missing, a
``Request`` and a ``Response`` parameter (FastAPI fills both for free, with no solver work), so
the endpoint keeps every parameter and dependency it declares. A ``def`` endpoint still runs in
FastAPI's thread pool; the check runs on the event loop before it.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from types import CoroutineType
from typing import Any, NamedTuple, TypeVar, Union, get_args, get_origin

from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool

__all__ = ["guard", "Check", "AfterResponse"]

AfterResponse = Callable[[Response], None]
"""What a check may return: a function applied to the response (to add headers, say)."""

Check = Callable[[Request], Union[Awaitable[Union[AfterResponse, None]], AfterResponse, None]]
"""``check(request)``: raises ``HTTPException`` to refuse, returns (or, as an awaitable,
yields) None or an :data:`AfterResponse` to admit."""

_E = TypeVar("_E", bound=Callable[..., Any])

_REQUEST_PARAM = "_webaccel_request"
_RESPONSE_PARAM = "_webaccel_response"


def _plain(annotation: Any) -> Any:
    # Annotated[Request, ...] is still a Request parameter to FastAPI.
    if get_origin(annotation) is not None and get_args(annotation) and hasattr(annotation, "__metadata__"):
        return get_args(annotation)[0]
    return annotation


def _is(annotation: Any, cls: type) -> bool:
    annotation = _plain(annotation)
    if isinstance(annotation, str):  # an annotation that could not be evaluated
        return annotation == cls.__name__
    return isinstance(annotation, type) and issubclass(annotation, cls)


def _signature(endpoint: Callable[..., Any]) -> inspect.Signature:
    try:
        return inspect.signature(endpoint, eval_str=True)
    except (NameError, TypeError, SyntaxError):
        # FastAPI resolves what it can later; a name we cannot see stays a string here.
        return inspect.signature(endpoint)


def guard(check: Check) -> Callable[[_E], _E]:
    """A decorator running ``check(request)`` before the endpoint, and the callable it returns
    (if any) on the endpoint's response: the returned ``Response`` when the endpoint returns
    one, else the ``response`` FastAPI merges into the one it builds. Apply it under the route
    decorator (``@app.get(...)`` first, then the guards, outermost first in the order they
    run)."""

    def decorator(endpoint: _E) -> _E:
        inner: _Guarded | None = getattr(endpoint, "__webaccel_guard__", None)
        # Only a guard's own wrapper: a decorator in between that copied its __dict__
        # (functools.wraps) must keep running, so it is wrapped like any endpoint.
        if inner is not None and getattr(endpoint, "__code__", None) in _WRAPPER_CODES:
            # Stacked guards share one wrapper: the checks run in order (outermost first),
            # their after-callables in reverse (innermost first), as nested wrappers would, at
            # the cost of one call instead of one per guard.
            return _wrap(_Guarded((check, *inner.checks), inner.endpoint, inner.signature,
                                  inner.request_name, inner.response_name, inner.add_request,
                                  inner.add_response, inner.is_async))  # type: ignore[return-value]
        signature = _signature(endpoint)
        params = list(signature.parameters.values())
        for p in params:
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD, p.POSITIONAL_ONLY):
                raise TypeError(
                    f"{endpoint.__qualname__}: webaccel guards need endpoints with named parameters "
                    f"only (FastAPI passes every value by keyword), not {p}"
                )
        names = {p.name for p in params}
        request_name = next((p.name for p in params if _is(p.annotation, Request)), None)
        response_name = next((p.name for p in params if _is(p.annotation, Response)), None)
        add_request = request_name is None
        add_response = response_name is None
        if add_request:
            request_name = _unused(_REQUEST_PARAM, names)
            params.append(inspect.Parameter(request_name, inspect.Parameter.KEYWORD_ONLY, annotation=Request))
        if add_response:
            response_name = _unused(_RESPONSE_PARAM, names)
            params.append(inspect.Parameter(response_name, inspect.Parameter.KEYWORD_ONLY, annotation=Response))
        assert request_name is not None and response_name is not None
        return _wrap(_Guarded((check,), endpoint, signature.replace(parameters=params), request_name,
                              response_name, add_request, add_response,
                              inspect.iscoroutinefunction(endpoint)))  # type: ignore[return-value]

    return decorator


class _Guarded(NamedTuple):
    """What a guard wrapper calls: the checks in order, then the endpoint."""

    checks: tuple[Check, ...]
    endpoint: Callable[..., Any]
    signature: inspect.Signature  # the wrapper's: the endpoint's plus Request/Response if added
    request_name: str
    response_name: str
    add_request: bool  # the parameter was added for the checks: not passed on to the endpoint
    add_response: bool
    is_async: bool


def _wrap(g: _Guarded) -> Callable[..., Any]:
    checks, endpoint, request_name, response_name = g.checks, g.endpoint, g.request_name, g.response_name
    add_request, add_response, is_async = g.add_request, g.add_response, g.is_async

    async def wrapper(**kwargs: Any) -> Any:
        request: Request = kwargs.pop(request_name) if add_request else kwargs[request_name]
        response: Response = kwargs.pop(response_name) if add_response else kwargs[response_name]
        afters = []
        for check in checks:
            after = check(request)
            if after is not None:
                if type(after) is CoroutineType or (not callable(after) and inspect.isawaitable(after)):
                    after = await after
                if after is not None:
                    afters.append(after)
        if is_async:
            result = await endpoint(**kwargs)
        else:
            result = await run_in_threadpool(endpoint, **kwargs)
        if afters:
            target = result if isinstance(result, Response) else response
            for after in reversed(afters):
                after(target)
        return result

    # Not functools.wraps: FastAPI follows __wrapped__ when it classifies the callable, and
    # the wrapper (always a coroutine function) is what it must call.
    for attr in ("__module__", "__name__", "__qualname__", "__doc__"):
        setattr(wrapper, attr, getattr(endpoint, attr, None))
    wrapper.__signature__ = g.signature  # type: ignore[attr-defined]
    wrapper.__webaccel_guarded__ = endpoint  # type: ignore[attr-defined]
    wrapper.__webaccel_guard__ = g  # type: ignore[attr-defined]
    _WRAPPER_CODES.add(wrapper.__code__)
    return wrapper


_WRAPPER_CODES: set[Any] = set()  # the code object of _wrap's wrapper


def _unused(name: str, taken: set[str]) -> str:
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}_{n}"
    return candidate
