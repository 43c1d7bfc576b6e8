"""FastAPI adapter: webaccel's engine wired into FastAPI's own plug-in points.

- :class:`JSONResponse`: a drop-in for ``fastapi.responses.JSONResponse`` rendered by
  ``webaccel.json.dumps``; use it per route (``response_class=``, or return it) or for the whole
  app (``FastAPI(default_response_class=JSONResponse)``).
- :class:`JSONBody`: a dependency that parses the request body with ``webaccel.json.loads``,
  answering 400 on invalid JSON, 413 above a size limit and 415 on a non-JSON content type.
- :class:`FormBody`: a dependency parsing ``multipart/form-data`` (streamed, files spooled to
  temporary files and closed after the response) and urlencoded forms with limits, in place of
  python-multipart; 400/413/415 on refusal.
- :class:`ClientAddress`: a dependency giving the client IP behind trusted proxies.
- :class:`Negotiate`: a dependency choosing among offered media types (or languages,
  encodings) by the request's ``Accept*`` header; 406 when none fits.
- :class:`CompressionMiddleware`: response compression (zstd, br, gzip by ``Accept-Encoding``)
  and, optionally, ``Content-Encoding`` request bodies (``webaccel.fastapi.compress``).

See ``docs/fastapi.md``.
"""

from __future__ import annotations

from webaccel.fastapi.compress import CompressionMiddleware
from webaccel.fastapi.dependencies import DEFAULT_MAX_BODY_SIZE, JSONBody, json_body
from webaccel.fastapi.forms import ClientAddress, FormBody, Negotiate, form_body
from webaccel.fastapi.responses import JSONResponse

__all__ = ["JSONResponse", "JSONBody", "json_body", "DEFAULT_MAX_BODY_SIZE"]
__all__ += ["FormBody", "form_body", "ClientAddress", "Negotiate"]
__all__ += ["CompressionMiddleware"]
