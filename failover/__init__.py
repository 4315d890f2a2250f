"""Failover machinery: setup, switchover, failover, rejoin, reclone, the monitor and their commands.

It works over administrative connections to the database servers (servers.py),
never on the request path. It depends one way on the data tier (`replication/`:
the topology record, GTID positions, the flavour's SQL); `replication/` never
imports it, so a node serving requests loads none of this.
"""
