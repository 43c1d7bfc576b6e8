"""webaccel: native (Rust) accelerators for the Python web framework you already use.

The engine lives in ``webaccel._core``; each capability has a module of the same name
(``webaccel.json``, ...), and each framework an adapter package (``webaccel.fastapi``,
``webaccel.flask``, ``webaccel.django``).
"""

from __future__ import annotations

from webaccel._core import __version__
from webaccel.errors import InternalError, WebAccelError

__all__ = ["__version__", "WebAccelError", "InternalError"]
