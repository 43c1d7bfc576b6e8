"""The README's demo command (``make demo`` -> ``scripts/dev.sh demo``) serves the FastAPI app on
webaccel from examples/e2e: the app it names exists, and the requests the command prints work
against it (through FastAPI's TestClient)."""

from __future__ import annotations

import importlib
import re
import shlex
import subprocess
from pathlib import Path

from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[2]


def demo_target() -> tuple[str, str]:
    script = (ROOT / "scripts" / "dev.sh").read_text()
    body = script[script.index("cmd_demo() {"):]
    body = body[: body.index("\n}\n")]
    found = re.search(r'uvicorn" --app-dir (\S+) (\S+):(\w+)', body)
    assert found is not None, "cmd_demo no longer starts uvicorn"
    app_dir, module, attr = found.groups()
    assert app_dir == "examples"
    return module, attr


def demo_help() -> str:
    # The help text the command prints, from the script's own function.
    script = (ROOT / "scripts" / "dev.sh").read_text()
    function = script[script.index("demo_help() {"):]
    function = function[: function.index("\n}\n") + 3]
    return subprocess.run(["bash", "-c", f"{function}\ndemo_help http://testserver"],
                          capture_output=True, text=True, check=True).stdout


def test_the_demo_serves_the_fastapi_webaccel_app() -> None:
    module, attr = demo_target()
    assert (module, attr) == ("e2e.fastapi_webaccel", "app")
    assert (ROOT / "examples" / "e2e" / "fastapi_webaccel.py").is_file()


def test_the_printed_requests_work() -> None:
    module, attr = demo_target()
    client = TestClient(getattr(importlib.import_module(module), attr))
    text = demo_help()
    login_body = re.search(r"-d '(\{\"username\"[^']*)'", text)
    assert login_body is not None
    reply = client.post("/login", content=login_body.group(1), headers={"content-type": "application/json"})
    assert reply.status_code == 200
    token = reply.json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    tried = []
    for line in text.splitlines():
        words = shlex.split(line.strip().rstrip("\\")) if line.strip().startswith("curl") else []
        urls = [w for w in words if w.startswith("http://testserver/")]
        if not urls or "/login" in urls[0] or "-F" in words:
            continue
        path = urls[0].removeprefix("http://testserver")
        tried.append(path)
        if "-X" in words:
            follow = text[text.index(line) + len(line):]
            body = re.search(r"-d '([^']*)'", follow)
            assert body is not None
            reply = client.post(path, content=body.group(1), headers={**auth, "content-type": "application/json"})
            assert reply.status_code == 201, (path, reply.text)
        else:
            reply = client.get(path, headers=auth if "Authorization" in line else None)
            assert reply.status_code == 200, (path, reply.text)
    assert tried == ["/ping", "/items?page=2&page_size=5", "/items", "/items/7"]
    upload = client.post("/upload", files={"file": ("README.md", (ROOT / "README.md").read_bytes())})
    assert upload.status_code == 200 and upload.json()["filename"] == "README.md"
