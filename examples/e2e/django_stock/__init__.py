"""The end-to-end Django project on the stock libraries: Django's JsonResponse, PyJWT,
argon2-cffi, django-ratelimit and Django's cache framework (LocMemCache).

    DJANGO_SETTINGS_MODULE=e2e.django_stock.settings .venv/bin/gunicorn -k gthread \\
        --chdir examples e2e.django_stock.wsgi
"""
