#!/bin/sh
# Makes the base image every Dockerfile stage starts from, when no registry can give it:
# Debian 12 "bookworm" with debootstrap --variant=minbase from the Debian mirror the
# host's apt uses, trimmed the way the official slim image is, `docker import`ed under
# the tag the Dockerfile names (debian:bookworm-slim by default). Where the registry
# answers, `docker pull debian:bookworm-slim` gives the same tag and this never runs.
#
#   docker/base-image.sh [TAG]
set -eu

tag=${1:-debian:bookworm-slim}
suite=bookworm

# The first Debian archive (not -security) named in the host's apt sources, in either
# format; deb.debian.org when there is none.
mirror=$(grep -hsE '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
    /etc/apt/sources.list.d/*.sources 2>/dev/null \
    | grep -oE 'https?://[^ ]+/debian/?( |$)' | grep -v security | head -n 1 | tr -d ' ')
mirror=${mirror:-http://deb.debian.org/debian}
mirror=${mirror%/}
case $mirror in
    */debian) security=${mirror}-security ;;
    *) security=http://deb.debian.org/debian-security ;;
esac

for tool in debootstrap docker tar; do
    command -v "$tool" >/dev/null || { echo "base-image.sh: $tool is missing (apt-get install $tool)" >&2; exit 1; }
done

root=$(mktemp -d /var/tmp/salas-base.XXXXXX)
trap 'rm -rf "$root"' EXIT INT TERM

echo "base-image.sh: debootstrap --variant=minbase $suite from $mirror"
debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$root.log" 2>&1 || {
    tail -n 20 "$root.log" >&2
    echo "base-image.sh: debootstrap failed (full log: $root.log)" >&2
    exit 1
}
rm -f "$root.log"

# The official image's sources (with updates and security) and its apt/dpkg settings:
# no recommends kept as docs, no caches left in layers.
rm -f "$root/etc/apt/sources.list"
cat >"$root/etc/apt/sources.list.d/debian.sources" <<SOURCES
Types: deb
URIs: $mirror
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
cat >"$root/etc/dpkg/dpkg.cfg.d/docker-slim" <<'DPKG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
DPKG
cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'APT'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";
APT
find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
rm -rf "$root/usr/share/man/"* "$root/usr/share/info/"* "$root/var/lib/apt/lists/"* \
    "$root/var/cache/apt/"* "$root/var/log/"*.log
find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +

echo "base-image.sh: docker import as $tag"
tar -C "$root" --numeric-owner -c . | docker import -c 'CMD ["bash"]' -m "debootstrap --variant=minbase $suite ($mirror)" - "$tag" >/dev/null
echo "base-image.sh: $tag made ($(du -sh "$root" | cut -f1) unpacked)"
