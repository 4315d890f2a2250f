"""Django's MySQL backend, pointed at wherever the topology says, per connection.

`default` (role "primary") connects to the current primary; `replica` (role
"node-read") to the server this node reads (replication/topology.py). Before a
connection is used (every cursor, and Django's own ensure_connection), the
backend checks the topology (one stat() while the file is unchanged); when the
server this connection was opened to no longer has its role, the connection is
closed and the next one goes to the right server. So every code path that uses
`connections[...]` follows a
switchover or failover within one request, with no restart.

Inside a transaction the connection is never switched: the transaction ends on
the server it began on (which is fenced or gone: its commit fails, and the
request answers 503).
"""

from __future__ import annotations

from typing import Any

from django.db.backends.mysql import base

from replication import topology

ROLE_PRIMARY = "primary"
ROLE_NODE_READ = "node-read"


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.server_name: str | None = None

    @property
    def role(self) -> str | None:
        return self.settings_dict.get("SALAS_ROLE")

    def target(self) -> topology.Address | None:
        if self.role == ROLE_PRIMARY:
            return topology.targets().primary
        if self.role == ROLE_NODE_READ:
            return topology.targets().node_read
        return None

    def get_connection_params(self) -> dict[str, Any]:
        params = super().get_connection_params()
        target = self.target()
        if target is not None:
            params["host"], params["port"] = target.host, target.port
            self.server_name = target.name
        return params

    def _moved(self) -> bool:
        """Whether this open connection's server no longer has its role (outside a transaction)."""
        if self.connection is None or not self.role or self.in_atomic_block:
            return False
        target = self.target()
        return target is not None and target.name != self.server_name

    def ensure_connection(self) -> None:
        if self._moved():
            self.close()
        super().ensure_connection()

    def close_if_unusable_or_obsolete(self) -> None:
        # Django's request_started check: close a moved connection here without
        # reconnecting (the base version would, through get_autocommit(), outside
        # of any middleware: a server down then would be a 500, not a 503).
        if self._moved():
            self.close()
            return
        super().close_if_unusable_or_obsolete()
