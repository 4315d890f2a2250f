"""Version B of bench/pipeline.py: the nodes' Django with the fast path only as its first middleware.

Not used by the nodes, whose application (salas_project.wsgi, fastpath.wsgi)
also answers from memory before Django's handler. This one is Django's own
WSGI handler: every request gets the request cycle (request_started /
request_finished), and the first middleware answers the lanes' requests in it.
"""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salas_project.settings")
application = get_wsgi_application()
