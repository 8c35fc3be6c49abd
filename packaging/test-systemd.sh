#!/usr/bin/env bash
# Boots real systemd in systemd-nspawn and runs test-systemd-guest.sh inside it against the amd64 .deb:
# install beside enabled mastodon-streaming units, the README's check-config, switch-over and roll-back blocks as
# written, Type=notify start, health, @PORT instances, socket activation (refused connections during restarts and an
# upgrade, counted), clean stop, security score, remove and purge. Needs root; takes about a minute.
#   packaging/test-systemd.sh [artifacts/aot-streaming_VERSION_amd64.deb]
#
# The container root is an overlay of the host's / with a tmpfs upper layer, so the guest has the host's packages
# (redis-server, libssl3, adduser) and a dpkg database to install into, and nothing it writes reaches the host.
# Exit status: 0 when every guest check passed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEB=${1:-$(ls -t "$ROOT"/artifacts/aot-streaming_*_amd64.deb 2>/dev/null | head -1)}
[ -n "$DEB" ] && [ -f "$DEB" ] || { echo "$0: no amd64 .deb; run packaging/build-packages.sh VERSION first" >&2; exit 1; }
DEB=$(realpath "$DEB")
[ "$(id -u)" -eq 0 ] || { echo "$0: must run as root" >&2; exit 1; }

# Guest packages come from the host's /usr, so install them on the host.
missing=()
for pkg in systemd-container redis-server redis-tools curl libssl3 adduser; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# redis-server's own postinst may have started one on the host; the guest has its own network namespace anyway.

# overlayfs does not descend into sub-mounts, so the guest only sees what lives on the root file system.
for dir in /usr /etc /var/lib/dpkg /home; do
    if [ "$(findmnt -n -o TARGET --target "$dir")" != / ]; then
        echo "$0: $dir is a separate mount; this test needs it on the root file system" >&2
        exit 1
    fi
done

WORK=$(mktemp -d /tmp/aot-nspawn.XXXXXX)
MACHINE=aot-test-$$
cleanup() {
    umount "$WORK/root" 2>/dev/null || true
    umount "$WORK/layer" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

mkdir -p "$WORK/layer" "$WORK/root"
# The upper layer must be on its own file system: overlayfs refuses upper/work dirs inside the lower layer.
mount -t tmpfs -o mode=0755 tmpfs "$WORK/layer"
mkdir -p "$WORK/layer/upper" "$WORK/layer/work"
mount -t overlay overlay -o "lowerdir=/,upperdir=$WORK/layer/upper,workdir=$WORK/layer/work" "$WORK/root"
GUEST=$WORK/root

install -D -m 0644 "$DEB" "$GUEST/opt/aot-test/aot-streaming.deb"
install -D -m 0755 "$ROOT/packaging/test-systemd-guest.sh" "$GUEST/opt/aot-test/run.sh"
# The guest runs the README's install, switch-over and roll-back blocks verbatim.
install -D -m 0644 "$ROOT/README.md" "$GUEST/opt/aot-test/README.md"
rm -f "$GUEST/opt/aot-test/log" "$GUEST/opt/aot-test/status"
# Docker-style images deny service starts to maintainer scripts; the guest should behave like a real host.
rm -f "$GUEST/usr/sbin/policy-rc.d"

units=$GUEST/etc/systemd/system
mkdir -p "$units"
# network-online.target would wait 2 minutes in a private network namespace.
ln -sf /dev/null "$units/systemd-networkd-wait-online.service"
cat > "$units/aot-test.target" <<'UNIT'
[Unit]
Description=aot-streaming systemd test
Requires=basic.target
After=basic.target
Wants=aot-test.service
AllowIsolate=yes
UNIT
cat > "$units/aot-test.service" <<'UNIT'
[Unit]
Description=aot-streaming systemd test script
After=basic.target
SuccessAction=poweroff-force
FailureAction=poweroff-force

[Service]
Type=oneshot
ExecStart=/opt/aot-test/run.sh
StandardOutput=file:/opt/aot-test/log
StandardError=inherit
TimeoutStartSec=300s
UNIT
# Stand-ins for Mastodon's units, shaped like its dist/ files since 4.3: mastodon-streaming.service only groups the
# mastodon-streaming@PORT.service instances. Only their names, enablement and "active" state matter to the package.
cat > "$units/mastodon-streaming.service" <<'UNIT'
[Unit]
Description=stand-in for Mastodon's mastodon-streaming.service
Wants=mastodon-streaming@4000.service

[Service]
Type=oneshot
ExecStart=/bin/true
RemainAfterExit=true

[Install]
WantedBy=multi-user.target
UNIT
cat > "$units/mastodon-streaming@.service" <<'UNIT'
[Unit]
Description=stand-in for Mastodon's mastodon-streaming@.service on port %i
PartOf=mastodon-streaming.service
ReloadPropagatedFrom=mastodon-streaming.service

[Service]
ExecStart=/bin/sleep infinity

[Install]
WantedBy=multi-user.target mastodon-streaming.service
UNIT

start=$(date +%s)
rc=0
timeout --kill-after=10 330 systemd-nspawn -D "$GUEST" --private-network --register=no --keep-unit \
    --console=pipe -M "$MACHINE" -b -- systemd.unit=aot-test.target >"$WORK/console" 2>&1 || rc=$?
elapsed=$(( $(date +%s) - start ))

cat "$GUEST/opt/aot-test/log" 2>/dev/null || echo "(no guest log)"
status=$(cat "$GUEST/opt/aot-test/status" 2>/dev/null || echo "no status (guest did not finish)")
echo "nspawn exit $rc after ${elapsed}s; guest: $status"
if [ "$status" != PASS ]; then
    echo "--- container console (last 40 lines) ---"
    tail -40 "$WORK/console"
    exit 1
fi
