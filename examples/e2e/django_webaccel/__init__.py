"""The end-to-end Django project on webaccel: the same endpoints and answers as
``django_stock``, with webaccel's adapters in place of the stock libraries.

    DJANGO_SETTINGS_MODULE=e2e.django_webaccel.settings .venv/bin/gunicorn -k gthread \\
        --chdir examples e2e.django_webaccel.wsgi

| stock                                  | here                                                   |
|----------------------------------------|--------------------------------------------------------|
| ``django.http.JsonResponse``           | ``webaccel.django.http.JsonResponse``                  |
| PyJWT in a decorator                   | ``webaccel.django.auth.JWTAuthenticationMiddleware`` + ``jwt_required`` |
| django-ratelimit                       | ``webaccel.django.ratelimit.ratelimit``, per user      |
| ``LocMemCache`` under ``cache_page``   | ``webaccel.django.cache.WebAccelCache`` under ``cache_page`` |
| Django's multipart parser              | ``webaccel.django.request.parse_body``                 |
| argon2-cffi                            | ``PASSWORD_HASHERS``: ``webaccel.django.hashers.Argon2PasswordHasher`` |
| hand-made envelope and ``Link``        | ``webaccel.django.pagination.paginate``                |

Bad ``page``/``page_size`` values answer 400 (the pagination adapter's answer, as Django's
``ListView``; the stock project says 422); a 401 body is RFC 6750's
``{"error": ..., "error_description": ...}``.
"""
