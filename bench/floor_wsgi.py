"""The floor of the serving tier: a bare WSGI callable returning a recorded answer's exact bytes.

Run by bench/floor.py under gunicorn with the nodes' own settings
(cluster/gunicorn.conf.py) behind an nginx rendered from the cluster's own
template, so that what separates it from a real node is Django and the app alone.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

_recorded = json.loads(Path(os.environ["FLOOR_ANSWER"]).read_text())
BODY = bytes.fromhex(_recorded["body"])
HEADERS = [(name, value) for name, value in _recorded["headers"]]


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", HEADERS)
    return [BODY]
