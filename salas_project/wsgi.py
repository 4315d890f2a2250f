"""WSGI entry point used by gunicorn on every node."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salas_project.settings")
django.setup(set_prefix=False)  # as django.core.wsgi.get_wsgi_application does

from fastpath.wsgi import FastPathHandler  # noqa: E402 - needs the apps loaded

application = FastPathHandler()
