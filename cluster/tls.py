"""HTTPS at nginx (TLS=1 in .env): the certificate and key it serves, and the nginx values that
turn it on. TLS_CERT_FILE and TLS_KEY_FILE name a real pair; without them `make up` makes a
self-signed one for this machine (127.0.0.1, localhost) under .state/tls. TLS_PROXY_NETWORKS
lists the TLS proxies in front of nginx whose X-Forwarded-Proto nginx believes."""

from __future__ import annotations

import ipaddress
import subprocess
from pathlib import Path

from cluster.console import ClusterError
from cluster.paths import LOGS, STATE, shown
from cluster.topology import HOST, NGINX_TLS_PORT

TLS_DIR = STATE / "tls"
SELF_SIGNED_CERT = TLS_DIR / "salas.crt"
SELF_SIGNED_KEY = TLS_DIR / "salas.key"
ON = ("1", "true", "yes", "on")


def tls_on(env: dict[str, str]) -> bool:
    return env.get("TLS", "").strip().lower() in ON


def certificate(env: dict[str, str]) -> tuple[Path, Path]:
    """The pair nginx serves: the configured one, or a self-signed one made once."""
    cert, key = env.get("TLS_CERT_FILE", ""), env.get("TLS_KEY_FILE", "")
    if cert or key:
        paths = (Path(cert), Path(key))
        missing = [str(path) for path in paths if not path.is_file()]
        if missing or not (cert and key):
            raise ClusterError(
                f"TLS_CERT_FILE and TLS_KEY_FILE must both name files (missing: {missing or 'one'})"
            )
        return paths
    if not (SELF_SIGNED_CERT.is_file() and SELF_SIGNED_KEY.is_file()):
        make_self_signed()
    return SELF_SIGNED_CERT, SELF_SIGNED_KEY


def make_self_signed() -> None:
    """An EC P-256 certificate for this machine's names, valid 825 days, key readable by root only."""
    TLS_DIR.mkdir(parents=True, exist_ok=True)
    TLS_DIR.chmod(0o700)
    cmd = [
        "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-days", "825", "-subj", "/CN=salas local",
        "-addext", f"subjectAltName=IP:{HOST},DNS:localhost",
        "-keyout", str(SELF_SIGNED_KEY), "-out", str(SELF_SIGNED_CERT),
    ]  # fmt: skip
    with (LOGS / "tls.log").open("w") as log:
        result = subprocess.run(
            cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, check=False
        )
    if result.returncode:
        raise ClusterError("openssl could not make the self-signed certificate", LOGS / "tls.log")
    SELF_SIGNED_KEY.chmod(0o600)


def proxy_networks(env: dict[str, str]) -> list[str]:
    networks = [item.strip() for item in env.get("TLS_PROXY_NETWORKS", "").split(",") if item.strip()]
    for network in networks:
        try:
            ipaddress.ip_network(network)
        except ValueError as exc:
            raise ClusterError(f"TLS_PROXY_NETWORKS: {network!r} is not an address or network") from exc
    return networks


def nginx_values(env: dict[str, str]) -> dict[str, str]:
    """The TLS placeholders of nginx/nginx.conf.template."""
    values = {
        "SALAS_TLS_SERVER": "",
        "SALAS_HTTPS_ONLY": "0",
        "SALAS_HTTPS_PORT": str(NGINX_TLS_PORT),
        "SALAS_TLS_PROXIES": " ".join(f"{network} 1;" for network in proxy_networks(env)),
    }
    if tls_on(env):
        cert, key = certificate(env)
        values["SALAS_TLS_SERVER"] = (
            f"listen {HOST}:{NGINX_TLS_PORT} ssl; ssl_certificate {cert}; ssl_certificate_key {key}; "
            "ssl_protocols TLSv1.2 TLSv1.3; ssl_session_cache shared:salas_tls:1m;"
        )
        values["SALAS_HTTPS_ONLY"] = "1"
    return values


def describe(env: dict[str, str]) -> str:
    if not tls_on(env):
        return ""
    cert, _ = certificate(env)
    return f"; HTTPS on {HOST}:{NGINX_TLS_PORT} ({shown(cert)}), plain HTTP redirected"
