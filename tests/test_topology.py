"""cluster/topology.py is the one definition of the cluster's shape; the nginx template,
which Docker renders too, repeats the weights: they must agree."""

from __future__ import annotations

import re
from pathlib import Path

from cluster import topology

REPO = Path(__file__).resolve().parents[1]


def test_the_nginx_template_weights_are_the_topology_weights() -> None:
    template = (REPO / "nginx" / "nginx.conf.template").read_text()
    upstreams = re.findall(r"server \$\{SALAS_UPSTREAM_(\d)\} weight=(\d+)", template)
    assert [(int(index), int(weight)) for index, weight in upstreams] == [
        (index, app.weight) for index, app in enumerate(topology.APPS, start=1)
    ]


def test_every_service_is_started_stopped_and_shown() -> None:
    assert sorted(topology.SERVICES) == sorted(topology.STATUS_ORDER) == sorted(topology.STOP_ORDER)
    assert topology.STOP_ORDER[0] == topology.MONITOR and topology.STOP_ORDER[-1] == topology.PRIMARY.name
