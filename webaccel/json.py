"""Fast JSON for web apps: ``loads`` and ``dumps`` implemented in Rust.

``loads(data)`` accepts ``bytes``, ``bytearray``, ``memoryview`` or ``str`` and accepts exactly
RFC 8259 JSON. Anything else raises :class:`JSONDecodeError` (a ``json.JSONDecodeError``) with the
position of the problem.

``dumps(obj)`` returns compact UTF-8 ``bytes``; ``dumps_str`` returns ``str``. Both take
``default=``, ``sort_keys=``, ``indent=`` (any width, or a string), ``nan_as_null=`` and
``ensure_ascii=``. Besides the JSON builtins they write ints of any size exactly, ``Decimal`` as
an exact JSON number, ``datetime``/``date``/``time`` in RFC 3339, ``UUID``, ``Enum`` and
dataclasses, and subclasses of the builtins. NaN and Infinity raise :class:`JSONEncodeError` (a
``ValueError``) unless ``nan_as_null=True``.
"""

from __future__ import annotations

from webaccel._core import json_dumps as dumps
from webaccel._core import json_dumps_str as dumps_str
from webaccel._core import json_loads as loads
from webaccel.errors import JSONDecodeError, JSONEncodeError

__all__ = ["loads", "dumps", "dumps_str", "JSONDecodeError", "JSONEncodeError"]
