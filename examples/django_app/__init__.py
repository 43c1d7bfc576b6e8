"""A minimal Django project using webaccel: ``settings``, ``urls`` and ``views``.

Run it from the repository root (after ``make build`` or ``scripts/dev.sh build``)::

    .venv/bin/python examples/django_app/manage.py runserver

then::

    curl http://127.0.0.1:8000/
    curl 'http://127.0.0.1:8000/items?limit=3'
    curl http://127.0.0.1:8000/items/2
    curl -X POST http://127.0.0.1:8000/echo -H 'content-type: application/json' -d '{"hello": "world"}'
"""
