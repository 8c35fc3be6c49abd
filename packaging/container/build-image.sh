#!/usr/bin/env bash
# Builds the container image localhost/aot-streaming:VERSION with buildah from out/linux-x64 (or RID=linux-arm64)
# and saves it as artifacts/aot-streaming-image-VERSION-ARCH.tar (docker-archive: "docker load" / "podman load").
#   packaging/container/build-image.sh 0.1.0
# No registry is needed: the image is FROM scratch, and the few shared libraries come from this Debian 12 host.
set -euo pipefail
VERSION=${1:?usage: $0 VERSION}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
RID=${RID:-linux-x64}
ARTIFACTS_DIR=${ARTIFACTS_DIR:-artifacts}
IMAGE=${IMAGE:-localhost/aot-streaming:$VERSION}
case $RID in
    linux-x64) arch=amd64 triplet=x86_64-linux-gnu ;;
    linux-arm64) arch=arm64 triplet=aarch64-linux-gnu ;;
    *) echo "$0: unsupported RID $RID" >&2; exit 1 ;;
esac
BINARY=out/$RID/aot-streaming
[ -x "$BINARY" ] || { echo "$0: $BINARY missing; dotnet publish src/AotStreaming.Host -c Release -r $RID -o out/$RID" >&2; exit 1; }
command -v buildah >/dev/null || { echo "$0: buildah missing (apt-get install buildah podman)" >&2; exit 1; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fs=$WORK/rootfs
lib=/usr/lib/$triplet
install -d -m 0755 "$fs/usr/bin" "$fs$lib" "$fs/etc/aot-streaming" "$fs/etc/ssl/certs"
install -d -m 1777 "$fs/tmp"
# Merged /usr, as Debian 12: the ELF interpreter is /lib64/ld-linux-x86-64.so.2 (/lib/ld-linux-aarch64.so.1).
ln -s usr/lib "$fs/lib"
install -m 0755 "$BINARY" "$fs/usr/bin/aot-streaming"
install -m 0644 appsettings.json "$fs/etc/aot-streaming/appsettings.json"
install -m 0644 /etc/ssl/certs/ca-certificates.crt "$fs/etc/ssl/certs/ca-certificates.crt"
# What the binary needs (readelf NEEDED: libc, libm) plus what .NET dlopens: libssl.so.3 and its libcrypto.so.3.
for so in libc.so.6 libm.so.6 libssl.so.3 libcrypto.so.3; do
    [ -e "$lib/$so" ] || { echo "$0: $lib/$so missing (apt-get install libssl3${arch:+:$arch})" >&2; exit 1; }
    install -m 0644 "$(readlink -f "$lib/$so")" "$fs$lib/$so"
done
if [ "$arch" = amd64 ]; then
    install -m 0755 "$(readlink -f "$lib/ld-linux-x86-64.so.2")" "$fs$lib/ld-linux-x86-64.so.2"
    install -d "$fs/usr/lib64" && ln -s "../lib/$triplet/ld-linux-x86-64.so.2" "$fs/usr/lib64/ld-linux-x86-64.so.2"
    ln -s usr/lib64 "$fs/lib64"
else
    install -m 0755 "$(readlink -f "$lib/ld-linux-aarch64.so.1")" "$fs$lib/ld-linux-aarch64.so.1"
    ln -s "$triplet/ld-linux-aarch64.so.1" "$fs/usr/lib/ld-linux-aarch64.so.1"
fi
# The user exists by name too, so logs and tools show "mastodon", not 991.
printf 'root:x:0:0:root:/:/nonexistent\nmastodon:x:991:991:Mastodon:/nonexistent:/nonexistent\n' > "$fs/etc/passwd"
printf 'root:x:0:\nmastodon:x:991:\n' > "$fs/etc/group"
chmod 0644 "$fs/etc/passwd" "$fs/etc/group"
cp packaging/container/Containerfile "$WORK/Containerfile"

buildah build --quiet --format docker --arch "$arch" --timestamp "$(git log -1 --format=%ct 2>/dev/null || echo 0)" \
    -f "$WORK/Containerfile" -t "$IMAGE" "$WORK" >/dev/null
mkdir -p "$ARTIFACTS_DIR"
tarball=$ARTIFACTS_DIR/aot-streaming-image-$VERSION-$arch.tar
rm -f "$tarball"
podman save --quiet --format docker-archive -o "$tarball" "$IMAGE"
echo "$IMAGE: $(podman image inspect --format '{{.Size}}' "$IMAGE") bytes unpacked; $tarball: $(stat -c %s "$tarball") bytes"
