"""The data tier: routing, read-your-writes, replica health, the topology reader, /api/status.

Domain apps use only the names below (replication/interface.py); the modules
behind them are this package's own. Rooms, users and bookings never live here.
"""

from replication.interface import (
    StateCache,
    metrics_collector,
    primary_atomic,
    primary_connection,
    primary_read,
    read_route,
    replicas_lagging,
    use_primary,
)

__all__ = [
    "StateCache",
    "metrics_collector",
    "primary_atomic",
    "primary_connection",
    "primary_read",
    "read_route",
    "replicas_lagging",
    "use_primary",
]
