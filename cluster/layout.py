"""Where the runtime files live (data dirs, sockets, pid files, nginx's prefix): .state itself,
or a dir under /var/lib/salas when user mysql or www-data cannot reach .state."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cluster.console import ClusterError
from cluster.paths import RELOCATION_ROOT, REPO, RUNTIME_MARKER, STATE
from cluster.topology import DATABASES, App, Database

# AF_UNIX socket paths are limited to 108 bytes; keep a margin.
MAX_SOCKET_PATH = 100
NGINX_USER = "www-data"


@dataclass(frozen=True)
class Layout:
    """Where the runtime files live: .state itself, or a dir under /var/lib/salas.

    mariadbd runs as user mysql and nginx workers as www-data; both need every
    parent of their files to be traversable, which a clone under /root is not.
    """

    runtime: Path

    @property
    def relocated(self) -> bool:
        return self.runtime != STATE

    def db_dir(self, db: Database) -> Path:
        return self.runtime / db.name

    def cnf(self, db: Database) -> Path:
        return self.db_dir(db) / "my.cnf"

    def datadir(self, db: Database) -> Path:
        return self.db_dir(db) / "data"

    def socket(self, db: Database) -> Path:
        return self.db_dir(db) / "mysqld.sock"

    def db_pid(self, db: Database) -> Path:
        return self.db_dir(db) / "mysqld.pid"

    def db_tmp(self, db: Database) -> Path:
        return self.db_dir(db) / "tmp"

    @property
    def nginx_dir(self) -> Path:
        return self.runtime / "nginx"

    @property
    def nginx_conf(self) -> Path:
        return self.nginx_dir / "nginx.conf"

    @property
    def nginx_pid(self) -> Path:
        return self.nginx_dir / "nginx.pid"

    @property
    def run_dir(self) -> Path:
        return self.runtime / "run"

    @property
    def supervisor_sock(self) -> Path:
        return self.run_dir / "supervisor.sock"

    @property
    def supervisor_pid(self) -> Path:
        return self.run_dir / "supervisord.pid"

    @property
    def supervisor_conf(self) -> Path:
        return STATE / "supervisord.conf"

    def app_pid(self, app: App) -> Path:
        return self.run_dir / f"{app.name}.pid"

    @property
    def app_socket_dir(self) -> Path:
        return self.nginx_dir / "nodes"

    def app_socket(self, app: App) -> Path:
        """Where nginx reaches the node: a unix socket only root and nginx's group may reach."""
        return self.app_socket_dir / f"{app.name}.sock"

    @property
    def static_root(self) -> Path:
        """What nginx serves /static/ from (a copy when www-data cannot read the repo)."""
        return self.runtime / "static" if self.relocated else REPO / "staticfiles"


def relocation_dir() -> Path:
    digest = hashlib.sha1(str(REPO).encode(), usedforsecurity=False).hexdigest()[:10]
    return RELOCATION_ROOT / digest


def load_layout() -> Layout:
    if RUNTIME_MARKER.is_file():
        return Layout(Path(RUNTIME_MARKER.read_text().strip()))
    return Layout(STATE)


def user_can_enter(user: str, path: Path) -> bool:
    cmd = ["runuser", "-u", user, "--", "test", "-x", str(path)]
    return subprocess.run(cmd, capture_output=True, check=False).returncode == 0


def must_relocate() -> bool:
    longest_socket = STATE / "nginx" / "nodes" / "app1.sock"
    if len(str(longest_socket)) > MAX_SOCKET_PATH:
        return True
    return not all(user_can_enter(user, STATE) for user in ("mysql", NGINX_USER))


def choose_layout() -> Layout:
    """Decide once where runtime files go; later runs reuse the decision."""
    if RUNTIME_MARKER.is_file() or (STATE / "run").is_dir():
        return load_layout()
    if not must_relocate():
        return Layout(STATE)
    runtime = relocation_dir()
    RUNTIME_MARKER.write_text(f"{runtime}\n")
    return Layout(runtime)


def ensure_symlink(link: Path, target: Path) -> None:
    if link.is_symlink() and Path(os.readlink(link)) == target:
        return
    if link.is_symlink():
        link.unlink()
    elif link.exists():
        raise ClusterError(f"{link} exists and is not a link to {target}; run make clean")
    link.symlink_to(target)


def prepare_dirs(layout: Layout) -> None:
    for path in (layout.runtime.parent, layout.runtime):
        path.mkdir(parents=True, exist_ok=True)
    layout.runtime.chmod(0o755)
    layout.run_dir.mkdir(mode=0o700, exist_ok=True)
    layout.nginx_dir.mkdir(exist_ok=True)
    # nginx workers (www-data) connect to the app sockets in here, whatever root's umask.
    layout.nginx_dir.chmod(0o755)
    # The nodes trust the client address nginx names (X-Real-IP) only on these
    # sockets, so no other local user may connect to them: root and www-data only.
    layout.app_socket_dir.mkdir(exist_ok=True)
    shutil.chown(layout.app_socket_dir, "root", NGINX_USER)
    layout.app_socket_dir.chmod(0o750)
    for db in DATABASES:
        # 0750 and owned by mysql: the socket inside lets root in without a
        # password, so nobody else may reach it.
        for path in (layout.db_dir(db), layout.db_tmp(db)):
            path.mkdir(mode=0o750, exist_ok=True)
            shutil.chown(path, "mysql", "mysql")
    if layout.relocated:
        for name in (*(db.name for db in DATABASES), "nginx", "run"):
            ensure_symlink(STATE / name, layout.runtime / name)
