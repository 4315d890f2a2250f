"""What the machine needs before anything runs: Debian packages (only the missing ones) and
the project's .venv (rebuilt when a requirements file changes)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from cluster.console import ClusterError
from cluster.paths import LOGS, REPO, VENV, VENV_BIN, shown
from cluster.shell import require_root, run_logged

BASE_PACKAGES = (
    "nginx",
    "mariadb-server",
    "mariadb-client",
    # manage.py reclone: rebuild a replica from a physical copy of the primary.
    "mariadb-backup",
    "libmariadb-dev",
    "pkg-config",
    # mysqlclient has no Linux wheel: pip compiles it.
    "gcc",
    "libc6-dev",
    # TLS=1: the self-signed certificate make up creates (cluster/tls.py).
    "openssl",
    # msgfmt: compilemessages builds the English catalogue (locale/en) at `make up`.
    "gettext",
)
# Debian's own python3 splits venv and headers into packages of their own.
DEBIAN_PYTHON_PACKAGES = ("python3-venv", "python3-dev")
# curl: the socket-permission test connects as other users with it.
TEST_PACKAGES = ("chromium", "chromium-driver", "docker-compose", "curl")
# Any of these provides the nginx binary (on Debian 12 they all pull in "nginx").
PACKAGE_ALTERNATIVES = {"nginx": ("nginx-light", "nginx-full", "nginx-extras")}


def installed_packages(names: Sequence[str]) -> set[str]:
    cmd = ["dpkg-query", "-W", "-f=${Package}\t${Status}\n", *names]
    output = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
    found = set()
    for line in output.splitlines():
        name, _, status = line.partition("\t")
        if status.strip() == "install ok installed":
            found.add(name.split(":")[0])
    return found


def missing_packages(names: Sequence[str]) -> list[str]:
    candidates = [*names, *(alt for n in names for alt in PACKAGE_ALTERNATIVES.get(n, ()))]
    have = installed_packages(candidates)
    return [n for n in names if not ({n, *PACKAGE_ALTERNATIVES.get(n, ())} & have)]


def wanted_packages(with_tests: bool) -> list[str]:
    names = list(BASE_PACKAGES)
    if Path(sys.base_prefix) == Path("/usr"):
        names += DEBIAN_PYTHON_PACKAGES
    if with_tests:
        names += TEST_PACKAGES
    return names


@contextmanager
def services_not_started() -> Iterator[None]:
    """Keep maintainer scripts from starting nginx (port 80) or mariadb (3306)."""
    policy = Path("/usr/sbin/policy-rc.d")
    if policy.exists():
        yield
        return
    policy.write_text("#!/bin/sh\n# Temporary, from salas cluster/packages.py.\nexit 101\n")
    policy.chmod(0o755)
    try:
        yield
    finally:
        policy.unlink(missing_ok=True)


def ensure_packages(with_tests: bool) -> str:
    missing = missing_packages(wanted_packages(with_tests))
    if not missing:
        return "all present"
    require_root("installing OS packages")
    if not shutil.which("apt-get"):
        raise ClusterError(f"no apt-get here: install {' '.join(missing)} by hand")
    log = LOGS / "apt.log"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    with services_not_started():
        run_logged(["apt-get", "update"], log, env=env, what="apt-get update")
        install = ["apt-get", "install", "-y", "--no-install-recommends", *missing]
        run_logged(install, log, env=env, what="apt-get install")
    return f"installed {' '.join(missing)}"


def venv_works() -> bool:
    python = VENV_BIN / "python"
    if not python.exists():
        return False
    return subprocess.run([python, "-c", "import sys"], check=False).returncode == 0


def ensure_venv() -> str:
    requirements = sorted(REPO.glob("requirements*.txt"))
    if not requirements:
        raise ClusterError("no requirements*.txt in the repo")
    stamp = VENV / ".requirements.stamp"
    newest = max(path.stat().st_mtime for path in requirements)
    works = venv_works()
    if works and stamp.is_file() and stamp.stat().st_mtime > newest:
        return "up to date"
    log = LOGS / "pip.log"
    if not works:
        run_logged([sys.executable, "-m", "venv", "--clear", str(VENV)], log, what="venv")
    pip = [
        str(VENV_BIN / "python"),
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--no-input",
        "-r",
        "requirements-dev.txt",
    ]
    run_logged(pip, log, what="pip install")
    stamp.touch()
    return ("created; " if not works else "") + f"installed requirements-dev.txt (log {shown(log)})"
