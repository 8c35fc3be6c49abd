#!/usr/bin/env bash
# Builds aot-streaming_VERSION_{amd64,arm64}.deb and aot-streaming-VERSION-linux-{x64,arm64}.tar.gz into artifacts/
# from binaries already published to out/linux-x64 and out/linux-arm64:
#   dotnet publish src/AotStreaming.Host -c Release -r linux-x64 -o out/linux-x64   (same for linux-arm64)
#   packaging/build-packages.sh 0.1.0
# Output is byte-for-byte reproducible for the same inputs and SOURCE_DATE_EPOCH (default: last commit time).
# Environment: OUT_DIR (default out), ARTIFACTS_DIR (default artifacts), RIDS (default "linux-x64 linux-arm64").
set -euo pipefail

usage() { echo "usage: $0 VERSION   (e.g. 0.1.0; Debian version rules: starts with a digit)" >&2; exit 2; }
[ $# -eq 1 ] || usage
VERSION=$1
[[ $VERSION =~ ^[0-9][A-Za-z0-9.+~-]*$ ]] || usage

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
OUT_DIR=${OUT_DIR:-out}
ARTIFACTS_DIR=${ARTIFACTS_DIR:-artifacts}
RIDS=${RIDS:-linux-x64 linux-arm64}
NAME=aot-streaming
MAINTAINER=${MAINTAINER:-aot-streaming maintainers <aot-streaming@localhost>}

if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
    SOURCE_DATE_EPOCH=$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || echo 0)
fi
export SOURCE_DATE_EPOCH
# xz output depends on the thread count; pin it so every machine produces the same .deb.
export DPKG_DEB_THREADS_MAX=1
umask 022

for tool in dpkg-deb tar gzip; do
    command -v "$tool" >/dev/null || { echo "$0: $tool is missing (apt-get install -y dpkg tar gzip)" >&2; exit 1; }
done

deb_arch() {
    case $1 in
        linux-x64) echo amd64 ;;
        linux-arm64) echo arm64 ;;
        *) echo "$0: unsupported RID $1" >&2; exit 1 ;;
    esac
}

# Lays out the installed file system under $1: the same tree goes into the .deb and the tarball.
stage_tree() {
    local dest=$1 binary=$2
    install -D -m 0755 "$binary" "$dest/usr/bin/$NAME"
    install -D -m 0644 appsettings.json "$dest/etc/$NAME/appsettings.json"
    # 0640: admins may put DB_PASS/REDIS_PASSWORD here; systemd reads it as root.
    install -D -m 0640 packaging/default/$NAME "$dest/etc/default/$NAME"
    install -D -m 0644 systemd/$NAME.service "$dest/lib/systemd/system/$NAME.service"
    install -D -m 0644 "systemd/$NAME@.service" "$dest/lib/systemd/system/$NAME@.service"
    install -D -m 0644 systemd/$NAME.socket "$dest/lib/systemd/system/$NAME.socket"
    install -D -m 0644 "systemd/$NAME@.socket" "$dest/lib/systemd/system/$NAME@.socket"
    install -D -m 0644 packaging/grafana/$NAME-dashboard.json "$dest/usr/share/$NAME/grafana-dashboard.json"
}

# Fixed mtimes and directory modes, so nothing of the build machine leaks into the archives.
normalize_tree() {
    find "$1" -type d -exec chmod 0755 {} +
    find "$1" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
}

# Installed-Size as dpkg-gencontrol computes it: KiB per file rounded up, 1 per directory;
# du would depend on the build file system's block size.
installed_size() {
    find "$1" -mindepth 1 -not -path "$1/DEBIAN*" \( -type f -printf '%s\n' -o -printf '1024\n' \) |
        awk '{ total += int(($1 + 1023) / 1024) } END { print total }'
}

mkdir -p "$ARTIFACTS_DIR"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

for rid in $RIDS; do
    arch=$(deb_arch "$rid")
    binary=$OUT_DIR/$rid/$NAME
    [ -x "$binary" ] || { echo "$0: $binary not found; run: dotnet publish src/AotStreaming.Host -c Release -r $rid -o $OUT_DIR/$rid" >&2; exit 1; }

    # --- .deb ---
    root=$WORK/deb-$arch
    stage_tree "$root" "$binary"
    install -d "$root/DEBIAN"
    for script in postinst prerm postrm; do
        install -m 0755 packaging/scripts/$script "$root/DEBIAN/$script"
    done
    printf '/etc/%s/appsettings.json\n/etc/default/%s\n' "$NAME" "$NAME" > "$root/DEBIAN/conffiles"
    chmod 0644 "$root/DEBIAN/conffiles"
    cat > "$root/DEBIAN/control" <<CONTROL
Package: $NAME
Version: $VERSION
Architecture: $arch
Maintainer: $MAINTAINER
Installed-Size: $(installed_size "$root")
Depends: libc6 (>= 2.34), libssl3 | libssl1.1, adduser
Section: net
Priority: optional
Description: Mastodon streaming API server (native AOT)
 Drop-in replacement for Mastodon's Node.js streaming server: the same HTTP
 (SSE) and WebSocket endpoints, reading Mastodon's .env.production,
 PostgreSQL and Redis. A single self-contained native binary, no Node.js.
 .
 Runs as the mastodon user under aot-streaming.service (Type=notify).
 Stop mastodon-streaming.service before starting it: both use port 4000.
CONTROL
    chmod 0644 "$root/DEBIAN/control"
    normalize_tree "$root"
    deb=$ARTIFACTS_DIR/${NAME}_${VERSION}_${arch}.deb
    dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null

    # --- tarball: top directory plus the installed layout, e.g. tar -xzf X.tar.gz --strip-components=1 -C / ---
    top=$NAME-$VERSION-$rid
    stage_tree "$WORK/tar/$top" "$binary"
    normalize_tree "$WORK/tar/$top"
    tgz=$ARTIFACTS_DIR/$top.tar.gz
    tar -C "$WORK/tar" --sort=name --format=gnu --owner=0 --group=0 --numeric-owner \
        --mtime="@$SOURCE_DATE_EPOCH" -cf - "$top" | gzip -9 -n > "$tgz"
    rm -rf "$WORK/tar"

    printf '%s\t%s\n' "$(stat -c %s "$deb")" "$deb" "$(stat -c %s "$tgz")" "$tgz"
done
