"""Views of the example project, answering with ``webaccel.django.http.JsonResponse``."""

from __future__ import annotations


from django.http import HttpRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from catalogue import ITEMS

import webaccel
from webaccel import json
from webaccel.django.http import JsonResponse



@require_GET
def index(request: HttpRequest) -> JsonResponse:
    """What this service is."""
    return JsonResponse(
        {
            "service": "webaccel Django example",
            "webaccel": webaccel.__version__,
            "endpoints": ["/", "/items?limit=3", "/items/<id>", "POST /echo"],
        }
    )


@require_GET
def list_items(request: HttpRequest) -> JsonResponse:
    """The first ``limit`` items (0 to 100); a list, so ``safe=False``."""
    try:
        limit = int(request.GET.get("limit", "10"))
    except ValueError:
        limit = -1
    if not 0 <= limit <= 100:
        return JsonResponse({"error": "limit must be an integer between 0 and 100"}, status=400)
    return JsonResponse(ITEMS[:limit], safe=False)


@require_GET
def get_item(request: HttpRequest, item_id: int) -> JsonResponse:
    """One item, or a JSON 404."""
    for item in ITEMS:
        if item["id"] == item_id:
            return JsonResponse(item)
    return JsonResponse({"error": f"no item {item_id}"}, status=404)


@csrf_exempt  # an API example without sessions; keep CSRF protection for cookie-based auth
@require_POST
def echo(request: HttpRequest) -> JsonResponse:
    """The JSON body sent back; invalid JSON answers 400 with the parser's message."""
    if request.content_type != "application/json":
        return JsonResponse({"error": "Content-Type must be application/json"}, status=415)
    try:
        payload = json.loads(request.body)
    except ValueError as exc:  # webaccel.json.JSONDecodeError, or invalid UTF-8
        return JsonResponse({"error": f"invalid JSON: {exc}"}, status=400)
    return JsonResponse({"echo": payload})
