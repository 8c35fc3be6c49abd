#!/usr/bin/env bash
# Everything packaging-related CI runs after both publishes (out/linux-x64, out/linux-arm64), as root on Debian 12:
#   packaging/ci.sh 0.1.0
# test-systemd.sh needs a VM or a privileged container (mount, systemd-nspawn); SKIP_NSPAWN=1 skips it.
# container/test-image.sh needs podman/buildah, the test Redis/PostgreSQL (scripts/services.sh, started if needed)
# and the integration tests built; SKIP_CONTAINER=1 skips it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
VERSION=${1:?usage: $0 VERSION}

packaging/verify-units.sh out/linux-x64/aot-streaming
packaging/build-packages.sh "$VERSION"
packaging/check-packages.sh "$VERSION"
if [ "${SKIP_NSPAWN:-0}" != 1 ]; then
    packaging/test-systemd.sh "artifacts/aot-streaming_${VERSION}_amd64.deb"
fi
if [ "${SKIP_CONTAINER:-0}" != 1 ]; then
    packaging/container/test-image.sh "$VERSION"
fi
