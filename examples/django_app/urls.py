"""URLs of the example project."""

from __future__ import annotations

from django.urls import path

from django_app import views

urlpatterns = [
    path("", views.index, name="index"),
    path("items", views.list_items, name="items"),
    path("items/<int:item_id>", views.get_item, name="item"),
    path("echo", views.echo, name="echo"),
]
