"""A Flask JSON provider backed by ``webaccel.json``."""

from __future__ import annotations

import typing as t
from datetime import date
from decimal import Decimal
from uuid import UUID

from flask.json.provider import DefaultJSONProvider

from webaccel import json as _json

if t.TYPE_CHECKING:
    from flask import Response as FlaskResponse
    from werkzeug.sansio.response import Response

__all__ = ["WebAccelJSONProvider"]

# The json.dumps arguments the engine covers itself. Calls with any other argument (cls=,
# skipkeys=True, allow_nan=True, unusual separators...) keep the stock behaviour exactly.
_ENGINE_KWARGS = frozenset(
    {"default", "sort_keys", "ensure_ascii", "indent", "separators", "allow_nan", "check_circular"}
)
# Flask's default() writes these its own way (dates as HTTP dates, Decimal and UUID as
# strings): the engine hands them to `default` instead of writing them natively.
_PASSTHROUGH = (date, Decimal, UUID)
_COMPACT = (",", ":")
_INDENTED = (",", ": ")  # what json.dumps uses by default once indent is set


class WebAccelJSONProvider(DefaultJSONProvider):
    """Flask's ``DefaultJSONProvider`` with ``dumps``, ``loads`` and ``response`` running on
    ``webaccel.json``.

    It keeps every attribute of the stock provider and honours it the same way: ``default``
    (dates as HTTP dates, ``Decimal`` and ``UUID`` as strings, dataclasses as dicts,
    ``__html__``), ``ensure_ascii`` and ``sort_keys`` (both ``True`` by default, as in Flask),
    ``compact`` (indented output in debug mode unless ``False``/``True`` says otherwise) and
    ``mimetype``. ``response()`` (so ``jsonify`` and dicts returned from views) writes the same
    bytes as the stock provider.

    Differences, all documented in ``docs/flask.md``:

    - NaN and Infinity raise ``webaccel.json.JSONEncodeError`` (a ``ValueError``) instead of
      being written as the non-standard tokens ``NaN``/``Infinity``, unless :attr:`nan_as_null`
      is set (then they are written as ``null``);
    - ``dumps()`` called without ``separators`` or ``indent`` writes compact JSON, where
      stdlib ``json`` puts a space after ``,`` and ``:``;
    - ``dumps``/``loads`` called with arguments the engine does not cover (``cls=``,
      ``object_hook=``, ``allow_nan=True``, other ``separators``...) run on stdlib ``json``,
      exactly as the stock provider does.
    """

    nan_as_null: bool = False
    """Write NaN and Infinity as ``null`` instead of raising ``JSONEncodeError``."""

    def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        """Serialize ``obj`` to a JSON ``str``; ``kwargs`` as for :func:`json.dumps`."""
        kwargs.setdefault("default", self.default)
        kwargs.setdefault("ensure_ascii", self.ensure_ascii)
        kwargs.setdefault("sort_keys", self.sort_keys)
        engine_kwargs = self._engine_kwargs(kwargs)
        if engine_kwargs is None:
            return super().dumps(obj, **kwargs)
        return _json.dumps_str(obj, **engine_kwargs)

    def loads(self, s: str | bytes, **kwargs: t.Any) -> t.Any:
        """Parse JSON from ``str`` or UTF-8 ``bytes``.

        Invalid input raises ``webaccel.json.JSONDecodeError``, a ``json.JSONDecodeError`` (so
        a ``ValueError``): ``request.get_json()`` turns it into Flask's 400 Bad Request as with
        the stock provider. Keyword arguments (``object_hook=``, ``parse_float=``...) are not
        supported by the engine, so such calls go to stdlib ``json``.
        """
        if kwargs:
            return super().loads(s, **kwargs)
        return _json.loads(s)

    def response(self, *args: t.Any, **kwargs: t.Any) -> Response:
        """Serialize the arguments as :meth:`DefaultJSONProvider.response` does (one value, a
        list of positional values or a dict of keyword values) into a ``mimetype`` response."""
        obj = self._prepare_response_obj(args, kwargs)
        indent = 2 if (self.compact is None and self._app.debug) or self.compact is False else None
        body = _json.dumps(
            obj,
            default=self.default,
            sort_keys=self.sort_keys,
            ensure_ascii=self.ensure_ascii,
            indent=indent,
            nan_as_null=self.nan_as_null,
            passthrough=_PASSTHROUGH,
            newline=True,  # Flask's text ends with one; written in place, not copied
        )
        # app.response_class is typed as Flask's sans-IO base; at run time it is flask.Response.
        response_class = t.cast("type[FlaskResponse]", self._app.response_class)
        return response_class(body, mimetype=self.mimetype)

    def _engine_kwargs(self, kwargs: dict[str, t.Any]) -> dict[str, t.Any] | None:
        """Map :func:`json.dumps` arguments to the engine's, or ``None`` when some argument
        needs stdlib ``json`` to keep its meaning."""
        if not kwargs.keys() <= _ENGINE_KWARGS:
            return None
        if kwargs.get("allow_nan", False):
            return None
        indent = kwargs.get("indent")
        separators = kwargs.get("separators")
        expected = _COMPACT if indent is None else _INDENTED
        if separators is not None and tuple(separators) != expected:
            return None
        return {
            "default": kwargs["default"],
            "sort_keys": kwargs["sort_keys"],
            "ensure_ascii": kwargs["ensure_ascii"],
            "indent": indent,
            "nan_as_null": self.nan_as_null,
            "passthrough": _PASSTHROUGH,
        }
