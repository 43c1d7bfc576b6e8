"""Every code sample in the documentation runs.

Each ```` ```python ```` block of ``docs/*.md`` and ``README.md`` is executed. The blocks of one
page run in order in one namespace, so a later block may use what an earlier one defined, as a
reader going down the page would. Top-level ``await`` is allowed (the page then runs that block
in an event loop). Failures name the page and the line of the block; tracebacks point at the
line in the Markdown file.

Nothing is skipped silently:

- every fenced block must name its language; only ``python`` runs, and the others come from a
  short list (``sh`` for shell commands, ``text``/``json``/``http`` for output and formats), so
  a Python sample cannot escape by being left untagged;
- a block that cannot run on its own (a ``settings.py`` excerpt, a URLconf that needs a
  project) is preceded by the visible marker ``<!-- fragment: <why> -->``. It is still compiled
  and every name it imports must exist; their number is capped by ``MAX_FRAGMENTS``.
- blocks that talk to Redis get the test's own ``redis-server``: the address
  ``redis://127.0.0.1:6379`` in a sample is replaced by the fixture's URL (the page's test is
  marked ``redis``, which fails instead of skipping under CI).
"""

from __future__ import annotations

import ast
import asyncio
import importlib
import inspect
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]

RUN_LANGUAGES = {"python"}
OTHER_LANGUAGES = {"sh", "text", "json", "http"}
FRAGMENT_MARKER = re.compile(r"^<!-- fragment: (?P<why>.+\S) -->$")
MAX_FRAGMENTS = 6
REDIS_ADDRESS = re.compile(r"redis://127\.0\.0\.1:6379(?:/\d+)?")
FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>```+)(?P<info>[^`]*)$")


@dataclass(frozen=True)
class Block:
    page: Path
    line: int  # 1-based line of the opening fence
    language: str
    source: str
    fragment: str | None  # the reason given in the marker, or None

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks_of(page: Path) -> list[Block]:
    """The fenced blocks of a Markdown page, with the line each one starts on."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if m is None:
            i += 1
            continue
        fence, info = m["fence"], m["info"].strip()
        start = i
        body: list[str] = []
        i += 1
        while i < len(lines) and not re.match(rf"^ {{0,3}}{fence}\s*$", lines[i]):
            body.append(lines[i][len(m["indent"]) :] if lines[i].startswith(m["indent"]) else lines[i])
            i += 1
        if i == len(lines):
            raise AssertionError(f"{page.relative_to(ROOT)}:{start + 1}: the fence is never closed")
        i += 1
        previous = next((lines[j] for j in range(start - 1, -1, -1) if lines[j].strip()), "")
        marker = FRAGMENT_MARKER.match(previous.strip())
        found.append(
            Block(page, start + 1, info.split()[0] if info else "", "\n".join(body) + "\n",
                  marker["why"] if marker else None)
        )
    return found


ALL_BLOCKS = [block for page in PAGES for block in blocks_of(page)]
PYTHON_PAGES = sorted({b.page for b in ALL_BLOCKS if b.language in RUN_LANGUAGES})


def test_every_block_names_a_known_language() -> None:
    unnamed = [b.where for b in ALL_BLOCKS if b.language not in RUN_LANGUAGES | OTHER_LANGUAGES]
    assert not unnamed, f"fenced blocks without a known language (python, or {sorted(OTHER_LANGUAGES)}): {unnamed}"


def test_fragments_are_few_and_only_on_python() -> None:
    fragments = [b for b in ALL_BLOCKS if b.fragment is not None]
    misplaced = [b.where for b in fragments if b.language != "python"]
    assert not misplaced, f"fragment markers on non-Python blocks: {misplaced}"
    listed = "\n".join(f"  {b.where}: {b.fragment}" for b in fragments)
    assert len(fragments) <= MAX_FRAGMENTS, f"{len(fragments)} fragments (at most {MAX_FRAGMENTS}):\n{listed}"
    # Visible in the run's output with -rA / -s: what is only compiled, and why.
    print(f"{len(fragments)} fragment(s), compiled and import-checked only:\n{listed}")


def test_the_docs_have_samples() -> None:
    # A guard against a parser change that finds nothing: the pages have dozens of samples.
    assert sum(b.language == "python" and b.fragment is None for b in ALL_BLOCKS) >= 40


def _compile(block: Block, source: str) -> Any:
    # Pad with blank lines so that line numbers in tracebacks are the Markdown file's.
    padded = "\n" * block.line + source
    return compile(padded, str(block.page.relative_to(ROOT)), "exec",
                   flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)


def _check_imports(block: Block) -> None:
    """A fragment's imports must resolve: the module exists and has each imported name."""
    tree = ast.parse(block.source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                importlib.import_module(alias.name)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            module = importlib.import_module(node.module)
            for alias in node.names:
                if not hasattr(module, alias.name):
                    importlib.import_module(f"{node.module}.{alias.name}")
    # Dotted paths in strings ("webaccel.django.ratelimit.RateLimitMiddleware") must exist too.
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if re.fullmatch(r"webaccel(\.\w+)+", node.value):
                _resolve_dotted(node.value)


def _resolve_dotted(path: str) -> None:
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return
    raise ImportError(path)


def _run(block: Block, namespace: dict[str, Any], redis_url: str | None) -> None:
    source = block.source
    if redis_url is not None:
        source = REDIS_ADDRESS.sub(redis_url, source)
    code = _compile(block, source)
    if block.fragment is not None:
        _check_imports(block)
        return
    result = eval(code, namespace)  # noqa: S307 - the documentation's own samples
    if inspect.iscoroutine(result):
        asyncio.run(result)


@pytest.fixture
def in_tmp_dir(tmp_path: Path) -> Iterator[Path]:
    """Samples that write files (an access log, a metrics directory) write them in a tmp dir."""
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(old)


def _needs_redis(page: Path) -> bool:
    return any(b.page == page and b.language == "python" and REDIS_ADDRESS.search(b.source)
               for b in ALL_BLOCKS)


@pytest.mark.parametrize(
    "page",
    [pytest.param(p, id=str(p.relative_to(ROOT)), marks=[pytest.mark.redis] if _needs_redis(p) else [])
     for p in PYTHON_PAGES],
)
def test_page_samples_run(page: Path, request: pytest.FixtureRequest, in_tmp_dir: Path) -> None:
    redis_url = request.getfixturevalue("redis_url") if _needs_redis(page) else None
    namespace: dict[str, Any] = {"__name__": f"docs_{page.stem}"}
    for block in (b for b in ALL_BLOCKS if b.page == page and b.language in RUN_LANGUAGES):
        try:
            _run(block, namespace, redis_url)
        except Exception as exc:
            # The sample's own traceback is chained below this message.
            raise AssertionError(f"the sample at {block.where} failed: {type(exc).__name__}: {exc}") from exc


def test_a_fragment_is_compiled_and_its_imports_checked(tmp_path: Path) -> None:
    """The weaker check fragments get still catches a wrong import and a syntax error."""
    page = tmp_path / "page.md"
    page.write_text(
        "<!-- fragment: a settings.py excerpt -->\n"
        "```python\nfrom webaccel.json import dumps\nX = 'webaccel.django.ratelimit.RateLimitMiddleware'\n```\n"
        "<!-- fragment: broken -->\n```python\nfrom webaccel.json import no_such_name\n```\n"
        "<!-- fragment: broken path -->\n```python\nX = 'webaccel.django.ratelimit.NoSuchMiddleware'\n```\n"
        "<!-- fragment: not Python -->\n```python\nINSTALLED_APPS = [\n```\n",
        encoding="utf-8",
    )
    good, bad_import, bad_path, bad_syntax = (
        Block(b.page, b.line, b.language, b.source, b.fragment) for b in blocks_of(page)
    )
    assert good.fragment == "a settings.py excerpt" and good.line == 2
    _check_imports(good)
    with pytest.raises(ImportError):
        _check_imports(bad_import)
    with pytest.raises(AttributeError):
        _check_imports(bad_path)
    with pytest.raises(SyntaxError):
        compile(bad_syntax.source, "page.md", "exec")
