"""FastAPI adapter: webaccel's engine wired into FastAPI's own plug-in points.

- :class:`JSONResponse`: a drop-in for ``fastapi.responses.JSONResponse`` rendered by
  ``webaccel.json.dumps``; use it per route (``response_class=``, or return it) or for the whole
  app (``FastAPI(default_response_class=JSONResponse)``).
- :class:`JSONBody`: a dependency that parses the request body with ``webaccel.json.loads``,
  answering 400 on invalid JSON, 413 above a size limit and 415 on a non-JSON content type.

See ``docs/fastapi.md``.
"""

from __future__ import annotations

from webaccel.fastapi.dependencies import DEFAULT_MAX_BODY_SIZE, JSONBody, json_body
from webaccel.fastapi.responses import JSONResponse

__all__ = ["JSONResponse", "JSONBody", "json_body", "DEFAULT_MAX_BODY_SIZE"]
