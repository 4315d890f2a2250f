"""The benchmark (`make bench`, `make chaos`): load generators, counters and reports against the running cluster.

No application code lives here. One module per concern:

  run.py         what `make bench` runs: cli.main() in the project's venv
  cli.py         the options and main(): the steps in order, each under its heading
  config.py      the constants: the cluster's ports and files, the bench's own ports and user
  common.py      BenchError, printing, the loopback guard
  api.py         the signed-in HTTP client through nginx
  rooms.py       the base rooms, and deleting the ones a run created
  procfs.py      pids, restarts, CPU time and RSS of the cluster's processes (/proc)
  wrk.py         one wrk run (bench/wrk.lua) with the CPU time it cost
  throughput.py  the wrk step: endpoints between the ceiling and the floor
  ceiling.py     the static-file nginx (the ceiling)
  floor.py       three bare gunicorn apps behind the cluster's nginx config (the floor; floor_wsgi.py)
  sql.py         SQL statements per request (MariaDB status counters)
  booking.py     confirmed bookings/s under contention, double bookings counted
  locust_run.py  the headless Locust step (locustfile.py)
  report.py      the tables, the verdict and reports/bench.json
  chaos.py       what `make chaos` runs: failover under load, semi-sync on vs off
  pipeline.py    paired runs of two checkouts' nodes (this one and --other-tree)
"""
