"""webaccel.fastapi FormBody, ClientAddress and Negotiate through FastAPI's TestClient: forms
and uploads compared with what Starlette's own ``request.form()`` (python-multipart) gives,
hostile uploads answered 400/413, temporary files closed after the response, no
python-multipart needed."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI, Request
from fastapi.testclient import TestClient
from starlette.datastructures import FormData, UploadFile

from tests.hostile_uploads import (
    CONTENT_TYPE,
    FILE_CONTENT,
    HOSTILE,
    MAX_FIELD_SIZE,
    MAX_FILE_SIZE,
    MAX_PARTS,
    VALID,
    field,
    file,
    close,
)
from webaccel.fastapi import ClientAddress, FormBody, Negotiate, form_body

ROOT = Path(__file__).resolve().parents[2]

limited = FormBody(
    max_parts=MAX_PARTS, max_file_size=MAX_FILE_SIZE, max_field_size=MAX_FIELD_SIZE, spool_max_size=100
)
# Module level: with `from __future__ import annotations`, FastAPI resolves a route's
# annotations in the module's globals.
negotiate = Negotiate(["application/json", "text/csv"])
behind_proxy = ClientAddress(trusted_proxies=["10.0.0.0/8"])
OPENED: list[Any] = []  # the files the last request's uploads were read from


async def describe(form: FormData) -> dict[str, Any]:
    out: dict[str, Any] = {"fields": [], "files": []}
    OPENED.clear()
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            OPENED.append(value.file)
            content = await value.read()
            out["files"].append(
                {
                    "name": name,
                    "filename": value.filename,
                    "content_type": value.content_type,
                    "size": value.size,
                    "content": content.hex(),
                }
            )
        else:
            out["fields"].append([name, value])
    return out


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()

    @app.post("/ours")
    async def ours(form: Annotated[FormData, Depends(limited)]) -> Any:
        return await describe(form)

    @app.post("/default")
    async def default(form: Annotated[FormData, Depends(form_body)]) -> Any:
        return await describe(form)

    @app.post("/stock")
    async def stock(request: Request) -> Any:
        async with request.form() as form:
            return await describe(form)

    @app.post("/body-limit")
    async def body_limit(form: Annotated[FormData, Depends(FormBody(max_body_size=500))]) -> Any:
        return await describe(form)

    @app.post("/multipart-only")
    async def multipart_only(form: Annotated[FormData, Depends(FormBody(urlencoded=False))]) -> Any:
        return await describe(form)

    @app.post("/small-urlencoded")
    async def small_urlencoded(
        form: Annotated[FormData, Depends(FormBody(max_fields=3, max_form_size=64))]
    ) -> Any:
        return await describe(form)

    @app.get("/ip")
    def ip(addr: Annotated[str | None, Depends(ClientAddress(trusted_proxies=["10.0.0.0/8"]))]) -> Any:
        return {"ip": addr}

    @app.get("/report")
    def report(media_type: Annotated[str, Depends(negotiate)]) -> Any:
        return {"media_type": media_type}

    @app.get("/language")
    def language(lang: Annotated[str, Depends(Negotiate(["en", "fr-CA"], kind="language"))]) -> Any:
        return {"lang": lang}

    return TestClient(app)


def test_valid_multipart_matches_starlettes_form(client: TestClient) -> None:
    ours = client.post("/ours", content=VALID, headers={"content-type": CONTENT_TYPE})
    stock = client.post("/stock", content=VALID, headers={"content-type": CONTENT_TYPE})
    assert ours.status_code == stock.status_code == 200
    assert ours.json() == stock.json()
    body = ours.json()
    assert body["fields"] == [["title", "Grüße"], ["tag", "a"], ["tag", "b"]]
    assert bytes.fromhex(body["files"][0]["content"]) == FILE_CONTENT
    assert body["files"][0]["size"] == len(FILE_CONTENT)


def test_uploads_are_spooled_and_closed_after_the_response(client: TestClient) -> None:
    response = client.post("/ours", content=VALID, headers={"content-type": CONTENT_TYPE})
    assert response.status_code == 200
    assert len(OPENED) == 1
    # 768 bytes > spool_max_size=100: a temporary file, closed (so deleted) once answered.
    assert not hasattr(OPENED[0], "getvalue")
    assert OPENED[0].closed


def test_httpx_files_and_data_match_starlette(client: TestClient) -> None:
    files = {"upload": ("a b.txt", b"hello\r\nworld", "text/plain")}
    data = {"name": "x y", "empty": ""}
    ours = client.post("/default", files=files, data=data)
    stock = client.post("/stock", files=files, data=data)
    assert ours.status_code == 200
    assert ours.json() == stock.json()


def test_urlencoded_matches_starlette(client: TestClient) -> None:
    body = "a=1&b=%C3%A9+x&a=2&empty=&flag"
    headers = {"content-type": "application/x-www-form-urlencoded"}
    ours = client.post("/default", content=body, headers=headers)
    stock = client.post("/stock", content=body, headers=headers)
    assert ours.status_code == 200
    assert ours.json()["fields"] == [["a", "1"], ["b", "é x"], ["a", "2"], ["empty", ""], ["flag", ""]]
    assert ours.json() == stock.json()


def test_urlencoded_limits(client: TestClient) -> None:
    headers = {"content-type": "application/x-www-form-urlencoded"}
    assert client.post("/small-urlencoded", content="a=1&b=2&c=3", headers=headers).status_code == 200
    assert client.post("/small-urlencoded", content="a=1&b=2&c=3&d=4", headers=headers).status_code == 400
    response = client.post("/small-urlencoded", content="a=" + "x" * 100, headers=headers)
    assert response.status_code == 413


def test_semicolon_is_not_a_separator_cve_2026_53538(client: TestClient) -> None:
    headers = {"content-type": "application/x-www-form-urlencoded"}
    response = client.post("/default", content="a=1;b=2", headers=headers)
    assert response.json()["fields"] == [["a", "1;b=2"]]


@pytest.mark.parametrize(("body", "content_type", "status"), [h[1:] for h in HOSTILE], ids=[h[0] for h in HOSTILE])
def test_hostile_upload_is_a_4xx(client: TestClient, body: bytes, content_type: str, status: int) -> None:
    response = client.post("/ours", content=body, headers={"content-type": content_type})
    assert response.status_code == status, response.text
    assert "detail" in response.json()


def test_body_size_limit_declared_and_streamed(client: TestClient) -> None:
    body = field("a", b"x" * 50) + file("f", "f.bin", b"y" * 600) + close()
    response = client.post("/body-limit", content=body, headers={"content-type": CONTENT_TYPE})
    assert response.status_code == 413

    def chunks() -> Any:  # no Content-Length: the limit is enforced while streaming
        yield body[:300]
        yield body[300:]

    response = client.post("/body-limit", content=chunks(), headers={"content-type": CONTENT_TYPE})
    assert response.status_code == 413
    small = field("a", b"x") + close()
    assert client.post("/body-limit", content=small, headers={"content-type": CONTENT_TYPE}).status_code == 200


def test_wrong_content_type_is_415(client: TestClient) -> None:
    assert client.post("/default", content=b"{}", headers={"content-type": "application/json"}).status_code == 415
    assert client.post("/default", content=b"").status_code == 415
    response = client.post(
        "/multipart-only", content="a=1", headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 415


def test_charset_field_decodes_the_other_fields(client: TestClient) -> None:
    body = (
        field("_charset_", b"shift_jis")
        + field("name", "日本".encode("shift_jis"))
        + field("utf", "é".encode(), extra="")
        + close()
    )
    response = client.post("/default", content=body, headers={"content-type": CONTENT_TYPE})
    fields = response.json()["fields"]
    assert fields[0] == ["_charset_", "shift_jis"]
    assert fields[1] == ["name", "日本"]


def test_part_charset_wins_over_charset_field(client: TestClient) -> None:
    boundary = CONTENT_TYPE.split("=", 1)[1]
    part = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="n"\r\n'
        "Content-Type: text/plain; charset=iso-8859-1\r\n\r\n"
    ).encode() + "é".encode("latin-1") + b"\r\n"
    body = field("_charset_", b"shift_jis") + part + close()
    response = client.post("/default", content=body, headers={"content-type": CONTENT_TYPE})
    assert response.json()["fields"] == [["_charset_", "shift_jis"], ["n", "é"]]


def test_utf7_charset_field_is_ignored(client: TestClient) -> None:
    # UTF-7 can smuggle markup past filters ("+ADw-script+AD4-"): never used to decode.
    body = field("_charset_", b"utf-7") + field("n", b"+ADw-b+AD4-") + close()
    response = client.post("/default", content=body, headers={"content-type": CONTENT_TYPE})
    assert response.json()["fields"] == [["_charset_", "utf-7"], ["n", "+ADw-b+AD4-"]]


def test_client_address(client: TestClient) -> None:
    # TestClient's peer is "testclient", not an IP address: returned as it is, headers ignored.
    response = client.get("/ip", headers={"x-forwarded-for": "1.2.3.4"})
    assert response.json() == {"ip": "testclient"}


def test_client_address_behind_a_trusted_proxy() -> None:
    app = FastAPI()

    @app.get("/ip")
    def ip(addr: Annotated[str | None, Depends(behind_proxy)]) -> Any:
        return {"ip": addr}

    trusted = TestClient(app, client=("10.1.2.3", 5000))
    assert trusted.get("/ip", headers={"x-forwarded-for": "6.6.6.6, 1.2.3.4"}).json() == {"ip": "1.2.3.4"}
    assert trusted.get("/ip", headers={"x-forwarded-for": "6.6.6.6, 10.9.9.9"}).json() == {"ip": "6.6.6.6"}
    assert trusted.get("/ip").json() == {"ip": "10.1.2.3"}
    direct = TestClient(app, client=("8.8.8.8", 5000))
    assert direct.get("/ip", headers={"x-forwarded-for": "1.2.3.4"}).json() == {"ip": "8.8.8.8"}
    with pytest.raises(ValueError):
        ClientAddress(trusted_proxies=["10.0.0.1/8"])


@pytest.mark.parametrize(
    ("accept", "status", "chosen"),
    [
        (None, 200, "application/json"),
        ("text/csv", 200, "text/csv"),
        ("text/*;q=0.9, application/json;q=0.5", 200, "text/csv"),
        ("*/*", 200, "application/json"),
        ("image/png", 406, None),
        ("application/json;q=0, text/csv;q=0", 406, None),
    ],
)
def test_negotiate(client: TestClient, accept: str | None, status: int, chosen: str | None) -> None:
    headers = {} if accept is None else {"accept": accept}
    response = client.get("/report", headers=headers)
    assert response.status_code == status
    if chosen is not None:
        assert response.json() == {"media_type": chosen}


def test_negotiate_language(client: TestClient) -> None:
    assert client.get("/language", headers={"accept-language": "fr-ca, en;q=0.5"}).json() == {"lang": "fr-CA"}
    assert client.get("/language", headers={"accept-language": "de"}).status_code == 406


def test_negotiate_refuses_bad_offers() -> None:
    with pytest.raises(ValueError):
        Negotiate([])
    with pytest.raises(ValueError):
        Negotiate(["json"])  # not a media type
    with pytest.raises(ValueError):
        Negotiate(["a/b"], kind="bogus")  # type: ignore[arg-type]


def test_limits_are_validated() -> None:
    with pytest.raises(ValueError):
        FormBody(max_parts=-1)
    with pytest.raises(ValueError):
        FormBody(max_file_size=True)
    with pytest.raises(ValueError):
        FormBody(multipart=False, urlencoded=False)


def test_works_without_python_multipart() -> None:
    script = textwrap.dedent(
        f"""
        import sys
        sys.modules["multipart"] = None
        sys.modules["python_multipart"] = None
        from typing import Annotated
        from fastapi import Depends, FastAPI
        from fastapi.testclient import TestClient
        from starlette.datastructures import FormData, UploadFile
        from webaccel.fastapi import form_body

        app = FastAPI()

        @app.post("/up")
        async def up(form: Annotated[FormData, Depends(form_body)]) -> dict:
            doc = form["doc"]
            assert isinstance(doc, UploadFile)
            return {{"title": form["title"], "size": len(await doc.read())}}

        body = {VALID!r}
        r = TestClient(app).post("/up", content=body, headers={{"content-type": {CONTENT_TYPE!r}}})
        assert r.status_code == 200, r.text
        assert r.json() == {{"title": "Grüße", "size": {len(FILE_CONTENT)}}}, r.json()
        try:
            import python_multipart
        except ImportError:
            print("ok without python-multipart")
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "ok without python-multipart" in result.stdout
