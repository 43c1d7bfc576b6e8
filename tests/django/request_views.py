"""Views for the webaccel.django.request tests: each answers what it parsed as JSON, so the test
client can compare Django's own parsing with the engine's."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import path

from webaccel.django.request import client_ip, parse_body, parse_query

OPENED: list[Any] = []  # the file objects of the last request's uploads


def describe(post: Any, files: Any) -> dict[str, Any]:
    OPENED.clear()
    out: dict[str, Any] = {"fields": [[k, v] for k, vs in post.lists() for v in vs], "files": []}
    for name, uploads in files.lists():
        for upload in uploads:
            OPENED.append(upload.file)
            out["files"].append(
                {
                    "name": name,
                    "filename": upload.name,
                    "content_type": upload.content_type,
                    "charset": upload.charset,
                    "size": upload.size,
                    "content": upload.read().hex(),
                }
            )
    return out


def form(request: HttpRequest) -> JsonResponse:
    """request.POST / request.FILES: Django's parser, or the engine's under the middleware."""
    return JsonResponse(describe(request.POST, request.FILES))


def parsed(request: HttpRequest) -> JsonResponse:
    post, files = parse_body(request)
    return JsonResponse(describe(post, files))


def body_then_parsed(request: HttpRequest) -> JsonResponse:
    request.body  # read first: parse_body must use request.body, not the consumed stream
    post, files = parse_body(request)
    return JsonResponse(describe(post, files))


def query(request: HttpRequest) -> JsonResponse:
    ours = parse_query(request)
    return JsonResponse(
        {
            "ours": [[k, v] for k, vs in ours.lists() for v in vs],
            "django": [[k, v] for k, vs in request.GET.lists() for v in vs],
            "type": type(ours).__name__,
            "mutable": ours._mutable,
        }
    )


def ip(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"helper": client_ip(request), "middleware": getattr(request, "client_ip", "unset")})


urlpatterns = [
    path("req/form", form),
    path("req/parsed", parsed),
    path("req/body-then-parsed", body_then_parsed),
    path("req/query", query),
    path("req/ip", ip),
]
