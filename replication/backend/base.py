"""Django's MySQL backend, pointed at wherever the topology says, per connection.

`default` (role "primary") connects to the current primary; `replica` (role
"node-read") to the server this node reads (replication/topology.py). Before a
connection is used (every cursor, and Django's own ensure_connection), the
backend checks the topology (one stat() while the file is unchanged); when the
server this connection was opened to no longer has its role, the connection is
closed and the next one goes to the right server. So every code path that uses
`connections[...]`, the fast lanes in salas/fastlane.py included, follows a
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
            return topology.primary_address()
        if self.role == ROLE_NODE_READ:
            return topology.read_address()
        return None

    def get_connection_params(self) -> dict[str, Any]:
        params = super().get_connection_params()
        target = self.target()
        if target is not None:
            params["host"], params["port"] = target.host, target.port
            self.server_name = target.name
        return params

    def ensure_connection(self) -> None:
        if self.connection is not None and self.role and not self.in_atomic_block:
            target = self.target()
            if target is not None and target.name != self.server_name:
                self.close()
        super().ensure_connection()
