"""The model webaccel's pagination tests filter, sort and paginate through the ORM."""

from __future__ import annotations

from django.db import models


class Product(models.Model):
    name = models.CharField(max_length=64)
    tag = models.CharField(max_length=64, null=True)
    price = models.FloatField(null=True)
    qty = models.BigIntegerField(null=True)
    active = models.BooleanField(null=True)
    day = models.DateField(null=True)
    created = models.DateTimeField(null=True)

    class Meta:
        app_label = "pagination_app"
