"""WSGI entry point used by gunicorn on every node."""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salas_project.settings")

application = get_wsgi_application()

# Imported after Django is set up: they use models.
if settings.ROOM_LIST_FAST_LANE:
    from salas.fastlane import RoomListFastLane

    application = RoomListFastLane(application)
if settings.ROOM_CREATE_FAST_LANE:
    from salas.fastlane import RoomCreateFastLane

    application = RoomCreateFastLane(application)
