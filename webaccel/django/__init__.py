"""Django adapter: webaccel's engine wired into Django's own plug-in points.

Add the app to turn on its configuration check::

    INSTALLED_APPS = [..., "webaccel.django"]
    WEBACCEL = {"JSON_NAN_AS_NULL": False}   # optional; keys in webaccel.django.conf

- ``webaccel.django.http.JsonResponse``: a drop-in for ``django.http.JsonResponse``;
- ``webaccel.django.conf.get_settings()``: the ``WEBACCEL`` settings dict, typed, with defaults;
- ``webaccel.django.checks``: the system check validating ``WEBACCEL`` (``webaccel.E001``...).

See ``docs/django.md``.
"""
