"""WSGI entry point used by gunicorn on every node: Django's own handler, the one request pipeline."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salas_project.settings")

application = get_wsgi_application()
