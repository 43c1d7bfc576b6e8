"""Flask adapter: webaccel's engine wired into Flask's own plug-in points.

- :class:`WebAccel`: the extension (``WebAccel(app)`` or ``WebAccel().init_app(app)``),
  configured through ``WEBACCEL_*`` keys in ``app.config``;
- :class:`WebAccelJSONProvider`: the ``flask.json.provider.JSONProvider`` it installs as
  ``app.json``, so ``jsonify``, dicts and lists returned from views, ``request.get_json()`` and
  ``flask.json.dumps``/``loads`` run on ``webaccel.json``.

See ``docs/flask.md``.
"""

from __future__ import annotations

from webaccel.flask.extension import CONFIG_DEFAULTS, WebAccel
from webaccel.flask.json import WebAccelJSONProvider

__all__ = ["WebAccel", "WebAccelJSONProvider", "CONFIG_DEFAULTS"]
