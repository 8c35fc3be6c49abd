#!/usr/bin/env bash
# Builds the container image (build-image.sh), checks what is in it, and runs it with podman against the test Redis
# and PostgreSQL (scripts/services.sh): the integration tests that stream a published status to an SSE and a
# WebSocket client and that close with 1001 on SIGTERM run with the container as their server, then the image's
# HEALTHCHECK is run against a live container. Needs root, podman and buildah (apt), and the tests built
# (scripts/test.sh or dotnet build).
#   packaging/container/test-image.sh 0.1.0
# Where containers cannot run, it says exactly what failed and runs the same tests on the image's unpacked root file
# system instead (chroot, as uid 991); CONTAINER_RUN_REQUIRED=1 makes that a failure, CONTAINER_RUNTIME=chroot forces it.
set -euo pipefail
VERSION=${1:?usage: $0 VERSION}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
IMAGE=localhost/aot-streaming:$VERSION
WORK=$(mktemp -d /tmp/aot-image.XXXXXX)
LABEL=aot-streaming-image-test
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { echo "ok:   $*"; }
cleanup() {
    umount "$WORK/rootfs/dev" "$WORK/rootfs/proc" 2>/dev/null || true
    podman ps -aq --filter "label=$LABEL" 2>/dev/null | xargs -r podman rm -f >/dev/null 2>&1 || true
    # --one-file-system: never descend into a bind mount that failed to unmount.
    rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT

missing=()
for pkg in podman buildah ca-certificates; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

echo "== build"
packaging/container/build-image.sh "$VERSION"
size=$(podman image inspect --format '{{.Size}}' "$IMAGE")
echo "image size: $size bytes ($(( (size + 524288) / 1048576 )) MiB)"

echo "== contents and configuration"
ctr=$(podman create --label "$LABEL" "$IMAGE")
podman export "$ctr" | tar -C "$WORK" -xf - --one-top-level=rootfs
podman rm "$ctr" >/dev/null
files=$(cd "$WORK/rootfs" && find . -type f | sort | paste -sd' ')
expected="./etc/aot-streaming/appsettings.json ./etc/group ./etc/passwd ./etc/ssl/certs/ca-certificates.crt ./usr/bin/aot-streaming"
# Besides those: the C libraries only (ld.so, libc, libm, libssl, libcrypto), and no shell anywhere.
others=$(tr ' ' '\n' <<<"$files" | grep -vxF -f <(tr ' ' '\n' <<<"$expected") | grep -v '^\./usr/lib/[a-z0-9_-]*/\(ld-linux[a-z0-9_-]*\.so\.[0-9]\|lib\(c\|m\)\.so\.6\|lib\(ssl\|crypto\)\.so\.3\)$' || true)
[ -z "$others" ] && ok "only the binary, appsettings.json, CA certificates, passwd/group and the C libraries" \
    || fail "unexpected files in the image: $others"
for f in $expected; do [ -f "$WORK/rootfs/$f" ] || fail "missing in the image: $f"; done
cmp -s "$WORK/rootfs/usr/bin/aot-streaming" out/linux-x64/aot-streaming && ok "binary is out/linux-x64/aot-streaming" || fail "binary differs"
[ ! -e "$WORK/rootfs/bin/sh" ] && ok "no shell" || fail "the image has /bin/sh"
user=$(podman image inspect --format '{{.Config.User}}' "$IMAGE")
[ "$user" = 991:991 ] && ok "runs as $user (mastodon), not root" || fail "image user is '$user'"
health=$(podman image inspect --format '{{.Config.Healthcheck}}' "$IMAGE")
grep -q -- '--health' <<<"$health" && ok "HEALTHCHECK kept (docker format): $health" || fail "no HEALTHCHECK in the image config: '$health'"

echo "== services"
eval "$(bash scripts/services.sh)"

# How podman can run a container here. Plain first; on hosts whose limits or cgroups crun cannot handle (a
# container without systemd, hybrid cgroups), runc with the current limits instead. Each failure is printed.
RUN_FLAGS=()
EXTRA_RUN=()
probe() { timeout 60 podman "$@" run --rm --label "$LABEL" --network host "$IMAGE" --check-config >"$WORK/probe" 2>&1; }
if [ "${CONTAINER_RUNTIME:-}" = chroot ]; then
    echo "CONTAINER_RUNTIME=chroot: not running containers"
    RUN_FLAGS=(none)
elif probe; then
    ok "podman runs the image"
else
    echo "podman run failed: $(grep '^Error' "$WORK/probe" | tail -2 | paste -sd' ')"
    command -v runc >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends runc >/dev/null 2>&1 || true
    alt=(--runtime runc)
    alt_run=(--ulimit "nofile=$(ulimit -n):$(ulimit -Hn)" --ulimit nproc=4096:4096)
    if command -v runc >/dev/null && timeout 60 podman "${alt[@]}" run --rm --label "$LABEL" "${alt_run[@]}" --network host "$IMAGE" --check-config >"$WORK/probe" 2>&1; then
        ok "podman runs the image with: ${alt[*]} ${alt_run[*]}"
        RUN_FLAGS=("${alt[@]}")
        EXTRA_RUN=("${alt_run[@]}")
    else
        echo "podman run with runc failed too: $(grep '^Error' "$WORK/probe" | tail -2 | paste -sd' ')"
        RUN_FLAGS=(none)
    fi
fi

wrapper=$WORK/server
if [ "${RUN_FLAGS[*]-}" = none ]; then
    [ "${CONTAINER_RUN_REQUIRED:-0}" = 1 ] && fail "containers cannot run on this machine (CONTAINER_RUN_REQUIRED=1)"
    echo "== containers cannot run here: the tests run the image's binary from its unpacked root file system (chroot, uid 991)"
    # What a container runtime would provide: /dev (urandom for Guid/crypto) and /proc.
    mkdir -p "$WORK/rootfs/dev" "$WORK/rootfs/proc"
    mount --bind /dev "$WORK/rootfs/dev"
    mount -t proc proc "$WORK/rootfs/proc"
    printf '#!/bin/sh\nexec chroot --userspec=991:991 %q /usr/bin/aot-streaming "$@"\n' "$WORK/rootfs" > "$wrapper"
else
    # exec: the test launcher's SIGTERM reaches podman, which passes it on to the container (--sig-proxy).
    # --env-host: the launcher configures the server through its environment (ports, namespace, database).
    printf '#!/bin/sh\nexec podman %s run --rm --label %s %s --network host --env-host --no-healthcheck %q "$@"\n' \
        "${RUN_FLAGS[*]-}" "$LABEL" "${EXTRA_RUN[*]-}" "$IMAGE" > "$wrapper"
fi
chmod +x "$wrapper"
echo "server command for the tests: $(tail -1 "$wrapper")"

echo "== integration tests with the container as the server"
results=artifacts/test-results-container
rm -rf "$results"
AOTSTREAMING_SERVER_BINARY=$wrapper dotnet test tests/AotStreaming.IntegrationTests --no-build --nologo \
    --filter 'FullyQualifiedName~PublicTimeline_StatusPublishedToRedis_ArrivesOverSseAndWebSocket|FullyQualifiedName~Sigterm_WithClientsConnected_ClosesWs1001EndsSseExitsZero' \
    --logger "console;verbosity=minimal" --logger trx --results-directory "$results" >"$WORK/test.log" 2>&1 || true
tail -5 "$WORK/test.log"
bash scripts/test-summary.sh "$results" "container image" || fail "integration tests against the image"

if [ "${RUN_FLAGS[*]-}" != none ]; then
    echo "== HEALTHCHECK against a running container"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 24399)
    name=aot-streaming-health-$$
    podman ${RUN_FLAGS[@]+"${RUN_FLAGS[@]}"} run -d --name "$name" --label "$LABEL" ${EXTRA_RUN[@]+"${EXTRA_RUN[@]}"} --network host \
        -e PORT="$port" -e REDIS_HOST=127.0.0.1 -e REDIS_PORT="${AOT_REDIS_PORT:-6390}" \
        -e DB_HOST=127.0.0.1 -e DB_PORT="${AOT_PG_PORT:-5440}" -e DB_USER=postgres -e DB_NAME=postgres "$IMAGE" >/dev/null 2>"$WORK/run.err" \
        || fail "podman run -d: $(tail -1 "$WORK/run.err")"
    healthy=0
    for _ in $(seq 60); do
        if podman ${RUN_FLAGS[@]+"${RUN_FLAGS[@]}"} healthcheck run "$name" >/dev/null 2>&1; then healthy=1; break; fi
        sleep 0.5
    done
    [ $healthy = 1 ] && ok "podman healthcheck run: healthy ($(podman inspect --format '{{.State.Health.Status}}' "$name" 2>/dev/null))" \
        || fail "container never became healthy: $(podman logs "$name" 2>&1 | tail -3)"
    podman ${RUN_FLAGS[@]+"${RUN_FLAGS[@]}"} stop -t 15 "$name" >/dev/null 2>&1
    code=$(podman inspect --format '{{.State.ExitCode}}' "$name")
    [ "$code" = 0 ] && ok "podman stop: SIGTERM, exit code 0" || fail "exit code after podman stop: $code"
    # The probe itself must be able to fail: nothing listens on the port once the server stopped.
    out=$(podman ${RUN_FLAGS[@]+"${RUN_FLAGS[@]}"} run --rm --label "$LABEL" ${EXTRA_RUN[@]+"${EXTRA_RUN[@]}"} --network host \
        --no-healthcheck -e PORT="$port" "$IMAGE" --health 2>/dev/null) \
        && fail "--health passed with no server on :$port ($out)" || ok "--health exits non-zero with no server: $out"
fi

[ $failures -eq 0 ] || { echo "$failures container check(s) failed" >&2; exit 1; }
echo "container image checks passed (image $size bytes)"
