"""One small client interface over the three frameworks' own test clients, so that a single
contract (test_e2e_apps.py) runs against every end-to-end example app."""

from __future__ import annotations

import importlib
import json
import typing as t
from dataclasses import dataclass


@dataclass
class Reply:
    status: int
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def json(self) -> t.Any:
        return json.loads(self.body)


class AppClient(t.Protocol):
    def get(self, path: str, headers: dict[str, str] | None = None) -> Reply: ...
    def post_json(self, path: str, body: t.Any, headers: dict[str, str] | None = None) -> Reply: ...
    def post_raw(self, path: str, body: bytes, content_type: str,
                 headers: dict[str, str] | None = None) -> Reply: ...
    def post_file(self, path: str, field: str, filename: str, content: bytes,
                  headers: dict[str, str] | None = None) -> Reply: ...


class FastAPIClient:
    def __init__(self, module: str, rate_limit: str) -> None:
        from fastapi.testclient import TestClient

        self.client = TestClient(importlib.import_module(module).create_app(rate_limit))

    def _reply(self, r: t.Any) -> Reply:
        return Reply(r.status_code, {k.lower(): v for k, v in r.headers.items()}, r.content)

    def get(self, path: str, headers: dict[str, str] | None = None) -> Reply:
        return self._reply(self.client.get(path, headers=headers))

    def post_json(self, path: str, body: t.Any, headers: dict[str, str] | None = None) -> Reply:
        return self._reply(self.client.post(path, json=body, headers=headers))

    def post_raw(self, path: str, body: bytes, content_type: str,
                 headers: dict[str, str] | None = None) -> Reply:
        return self._reply(self.client.post(
            path, content=body, headers={"content-type": content_type, **(headers or {})}))

    def post_file(self, path: str, field: str, filename: str, content: bytes,
                  headers: dict[str, str] | None = None) -> Reply:
        return self._reply(self.client.post(
            path, files={field: (filename, content, "application/octet-stream")}, headers=headers))


class FlaskClient:
    def __init__(self, module: str, rate_limit: str) -> None:
        self.client = importlib.import_module(module).create_app(rate_limit).test_client()

    def _reply(self, r: t.Any) -> Reply:
        return Reply(r.status_code, {k.lower(): v for k, v in r.headers.items()}, r.get_data())

    def get(self, path: str, headers: dict[str, str] | None = None) -> Reply:
        return self._reply(self.client.get(path, headers=headers))

    def post_json(self, path: str, body: t.Any, headers: dict[str, str] | None = None) -> Reply:
        return self._reply(self.client.post(path, json=body, headers=headers))

    def post_raw(self, path: str, body: bytes, content_type: str,
                 headers: dict[str, str] | None = None) -> Reply:
        return self._reply(self.client.post(path, data=body, content_type=content_type,
                                            headers=headers))

    def post_file(self, path: str, field: str, filename: str, content: bytes,
                  headers: dict[str, str] | None = None) -> Reply:
        import io

        return self._reply(self.client.post(
            path, data={field: (io.BytesIO(content), filename)}, headers=headers,
            content_type="multipart/form-data"))


class DjangoClient:
    """Django's test client on the example project's urls (settings come from pytest-django's
    ``settings`` fixture, applied by the caller)."""

    def __init__(self) -> None:
        from django.test import Client

        self.client = Client()

    @staticmethod
    def _meta(headers: dict[str, str] | None) -> dict[str, str]:
        return {"headers": headers} if headers else {}

    def _reply(self, r: t.Any) -> Reply:
        body = b"".join(r.streaming_content) if getattr(r, "streaming", False) else r.content
        return Reply(r.status_code, {k.lower(): v for k, v in r.headers.items()}, body)

    def get(self, path: str, headers: dict[str, str] | None = None) -> Reply:
        return self._reply(self.client.get(path, **self._meta(headers)))

    def post_json(self, path: str, body: t.Any, headers: dict[str, str] | None = None) -> Reply:
        return self._reply(self.client.post(path, data=json.dumps(body),
                                            content_type="application/json", **self._meta(headers)))

    def post_raw(self, path: str, body: bytes, content_type: str,
                 headers: dict[str, str] | None = None) -> Reply:
        return self._reply(self.client.post(path, data=body, content_type=content_type,
                                            **self._meta(headers)))

    def post_file(self, path: str, field: str, filename: str, content: bytes,
                  headers: dict[str, str] | None = None) -> Reply:
        from django.core.files.uploadedfile import SimpleUploadedFile

        upload = SimpleUploadedFile(filename, content, "application/octet-stream")
        return self._reply(self.client.post(path, data={field: upload}, **self._meta(headers)))
