"""The benchmark and the failover drill against the running cluster (`make bench`, `make chaos`).

Not here: application code; nothing here is imported by the app.
"""
