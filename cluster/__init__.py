"""Run the salas three-node cluster on one machine, without Docker.

`make up` runs `python3 -m cluster up`, which brings up, under one
supervisord:

    db1  MariaDB primary   127.0.0.1:3308      app1  gunicorn :5000, reads db1
    db2  MariaDB replica   127.0.0.1:3309      app2  gunicorn :5001, reads db2
    db3  MariaDB replica   127.0.0.1:3310      app3  gunicorn :5002, reads db3
    nginx  127.0.0.1:8084, weights 3:2:1 over app1..app3, serves /static/

in ten numbered steps (OS packages, .venv, .env, database dirs, supervisord,
databases, Django commands, app nodes, nginx, status). Every step checks before
it acts, so a second `up` on a running cluster changes nothing and still prints
the status. A failing step names the log to read and the command exits 1.

Subcommands: up, status, start|stop|restart|logs SERVICE, env, rotate-secret NAME,
reload, down (stop everything,
keep the data), clean (down, then delete all state), deps [--test], pytest
[ARGS] (pytest against the cluster's primary). Load tests live in locustfile.py
and bench/run.py (make loadtest, make bench).

Where things live:
    .state/                  git-ignored: supervisord.conf, logs/ (db1.err,
                             app1.log, nginx.log, nginx-access.log, ...),
                             run/ (sockets, pids)
    .state/dbN/              my.cnf, data/, mysqld.sock, mysqld.pid
    .state/nginx/            nginx.conf, pid file, temp dirs, nodes/appN.sock (the
                             unix socket nginx reaches each node on)
    /var/lib/salas/<hash>/   holds run/, dbN/ and nginx/ instead (with .state
                             symlinks) when user mysql or www-data cannot reach
                             .state (a clone under /root, mode 700) or a socket
                             path would be too long for AF_UNIX.

Settings come from the repo's .env (created from .env.example on the first run,
every secret generated: `env`; `rotate-secret NAME` changes one on the running
cluster): DATABASE_URL, DB_ADMIN_USER, DB_ADMIN_PASSWORD.
Variables exported in the shell do not reach the nodes: supervisord starts from a
clean environment and the nodes read .env themselves. CLUSTER_SKIP_DJANGO=1 (or
--skip-django) brings up only the databases and nginx: no Django commands, no
app nodes.

Standard library only (Python 3.11+): it runs before the virtualenv exists.

One module per concern: topology (services, ports, weights: the one definition),
paths, envfile (.env), layout (runtime dirs), render (my.cnf, nginx.conf,
supervisord.conf), supervisor (the supervisord client), packages (apt, .venv),
probes, steps and up (`make up`), rotate (env, rotate-secret, reload), tls
(HTTPS at nginx), status, procfs, teardown (down, clean), monitor (the failover
monitor program), cli. gunicorn.conf.py is each node's gunicorn config.
"""
