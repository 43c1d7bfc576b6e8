from __future__ import annotations

from django.urls import path

from e2e.django_webaccel import views

urlpatterns = [
    path("login", views.login),
    path("items", views.items),
    path("items/<int:item_id>", views.get_item),
    path("upload", views.upload),
    path("ping", views.ping),
    path("ceiling/items", views.ceiling),
]
