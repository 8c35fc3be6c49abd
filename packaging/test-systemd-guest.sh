#!/bin/bash
# Runs inside the systemd-nspawn guest booted by test-systemd.sh, as root under real systemd (PID 1).
# Writes PASS or FAIL to /opt/aot-test/status; the guest powers off when this script ends.
# The install, check-config, switch-over, socket-activation and roll-back steps run the README's blocks verbatim
# (extracted by their "<!-- readme-block: NAME -->" markers), so the README and this test cannot drift apart.
set -u

DIR=/opt/aot-test
README=$DIR/README.md
UNIT=aot-streaming.service
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok:   $*"; }
step() { echo; echo "== $*"; }
prop() { systemctl show -P "$2" "$1"; }
expect_prop() { # unit property wanted; polls up to 5 s because propagated jobs (PartOf=) may still be running
    local got i
    for i in $(seq 50); do
        got=$(prop "$1" "$2")
        [ "$got" = "$3" ] && break
        sleep 0.1
    done
    [ "$got" = "$3" ] && ok "$1 $2=$got" || fail "$1 $2=$got, want $3"
}
expect_enabled() { # unit enabled|disabled
    local got
    got=$(systemctl is-enabled "$1" 2>/dev/null)
    [ "$got" = "$2" ] && ok "$1 is-enabled: $got" || fail "$1 is-enabled: $got, want $2"
}
health() { curl -fsS --max-time 3 "http://127.0.0.1:$1/api/v1/streaming/health"; }
expect_health() {
    local body
    if body=$(health "$1"); then ok "health on :$1 -> $body"; else fail "health on :$1 failed"; fi
}
ms() { date +%s%3N; }

# The shell block following "<!-- readme-block: NAME -->" in the README, without its fences.
readme_block() {
    awk -v marker="<!-- readme-block: $1 -->" '
        $0 == marker { found = 1; next }
        found && /^```/ { if (inside) exit; inside = 1; next }
        inside { print }' "$README"
}
# Runs a README block as a script with errexit and pipefail, printing each command; its output goes to stdout.
run_readme_block() {
    local script=$DIR/block-$1.sh
    readme_block "$1" > "$script"
    [ -s "$script" ] || { fail "README has no block '$1'"; return 1; }
    echo "  README block '$1':"
    sed 's/^/  | /' "$script"
    bash -e -o pipefail "$script" 2>&1
}

# The invariant the package promises: never both servers enabled (the next boot would start both on one port).
expect_not_both_enabled() {
    local ours mastodon
    ours=$(systemctl list-unit-files --plain --no-legend --state=enabled 'aot-streaming*' | awk '{print $1}' | paste -sd' ')
    mastodon=$(find /etc/systemd/system -mindepth 2 -maxdepth 2 -path '*.wants/*' -name 'mastodon-streaming*' -printf '%f\n' | sort -u | paste -sd' ')
    if [ -n "$ours" ] && [ -n "$mastodon" ]; then
        fail "both enabled: ours [$ours], Mastodon's [$mastodon]"
    else
        ok "not both enabled (ours: [${ours}], Mastodon's: [${mastodon}])"
    fi
}

# Connects to the server in a loop (a new connection and a health request each time) until $DIR/stop-loop appears;
# prints "<ok> <refused> <other errors> <their curl exit codes, comma-separated>". curl's exit 7 is "failed to
# connect" (ECONNREFUSED, or ENOENT for a unix socket whose file is gone).
connect_loop() { # curl-target-args...
    local okc=0 refused=0 other=0 rc codes=""
    while [ ! -e $DIR/stop-loop ]; do
        curl -fsS --max-time 10 -o /dev/null "$@" 2>/dev/null
        rc=$?
        case $rc in
            0) okc=$((okc + 1)) ;;
            7) refused=$((refused + 1)) ;;
            *) other=$((other + 1)); codes="$codes,$rc" ;;
        esac
    done
    # The curl exit codes of the other errors (52 empty reply, 56 reset, 28 timeout): an intermittent failure here
    # must say what kind it was.
    echo "$okc $refused $other ${codes#,}"
}
# Runs "$@" (a restart or an upgrade) while connect_loop runs against TCP port $1 (or unix:PATH); prints the loop's
# counts to $DIR/loop-result. The loop runs 0.5 s before and 1 s after the action, so it sees the whole gap.
during_connect_loop() { # target command...
    local target=$1 args loop_pid
    shift
    if [[ $target == unix:* ]]; then
        args=(--unix-socket "${target#unix:}" http://localhost/api/v1/streaming/health)
    else
        args=("http://127.0.0.1:$target/api/v1/streaming/health")
    fi
    rm -f $DIR/stop-loop
    connect_loop "${args[@]}" > $DIR/loop-result &
    loop_pid=$!
    sleep 0.5
    "$@" || fail "$* failed"
    sleep 1
    touch $DIR/stop-loop
    wait $loop_pid
    rm -f $DIR/stop-loop
}
loop_counts() { read -r LOOP_OK LOOP_REFUSED LOOP_OTHER LOOP_CODES < $DIR/loop-result; }

finish() {
    step "journal of aot-streaming units (last 40 lines)"
    journalctl --no-pager -o short-monotonic -u "$UNIT" -u 'aot-streaming@*' -u 'aot-streaming*.socket' | tail -40
    if [ "$failures" -eq 0 ]; then echo PASS > $DIR/status; else echo FAIL > $DIR/status; fi
    echo; echo "guest result: $failures failure(s)"
    exit 0
}

step "environment"
echo "systemd $(systemctl --version | head -1 | cut -d' ' -f2), PID 1: $(cat /proc/1/comm), state: $(systemctl is-system-running)"
# A host installation (dev machines) must not leak into the fresh-install test.
dpkg -s aot-streaming >/dev/null 2>&1 && dpkg --purge aot-streaming >/dev/null

step "redis for the server"
redis-server --port 6379 --bind 127.0.0.1 --daemonize yes --save '' --appendonly no >/dev/null
for _ in $(seq 50); do redis-cli -p 6379 ping >/dev/null 2>&1 && break; sleep 0.1; done
redis-cli -p 6379 ping >/dev/null 2>&1 && ok "redis answers" || fail "redis did not start"

step "Mastodon's streaming units (stand-ins) enabled and running: mastodon-streaming + @4000"
systemctl enable --now mastodon-streaming.service mastodon-streaming@4000.service 2>&1 | sed 's/^/  /'
expect_prop mastodon-streaming.service ActiveState active
expect_prop mastodon-streaming@4000.service ActiveState active

step "README install block, beside Mastodon's units: installed, NOT enabled, NOT started, switch-over printed"
# The README names the release file; the package under test is copied in under that name.
install -m 0644 $DIR/aot-streaming.deb "$DIR/$(readme_block install | awk '/dpkg -i/ { print $3 }')"
out=$(cd $DIR && run_readme_block install); rc=$?
echo "$out" | sed 's/^/  /'
[ $rc -eq 0 ] && ok "install block exit 0" || fail "install block exit $rc"
grep -q "NOT enabled and NOT started" <<<"$out" && ok "postinst says it neither enabled nor started" \
    || fail "postinst printed no 'NOT enabled and NOT started' message"
missing=0
while IFS= read -r line; do
    grep -qF -- "aot-streaming:   $line" <<<"$out" || { fail "postinst message lacks README line: $line"; missing=1; }
done < <(readme_block check-config; readme_block switch-over | grep -v '^curl')
[ $missing -eq 0 ] && ok "postinst prints the README's check-config and switch-over commands"
getent passwd mastodon >/dev/null && ok "user mastodon exists: $(getent passwd mastodon)" || fail "user mastodon missing"
expect_enabled $UNIT disabled
expect_prop $UNIT ActiveState inactive
expect_prop mastodon-streaming@4000.service ActiveState active
expect_not_both_enabled

step "Mastodon's .env.production, readable only by mastodon"
install -d -o mastodon -g mastodon -m 0750 /home/mastodon /home/mastodon/live
cat > /home/mastodon/live/.env.production <<'ENV'
LOCAL_DOMAIN=example.test
REDIS_HOST=127.0.0.1
REDIS_PORT=6379
DB_HOST=127.0.0.1
DB_PORT=5432
DB_NAME=mastodon_production
DB_USER=mastodon
DB_PASS=
ENV
chown mastodon:mastodon /home/mastodon/live/.env.production
chmod 0600 /home/mastodon/live/.env.production

step "README check-config block: the unit's environment file, as mastodon"
out=$(run_readme_block check-config); rc=$?
echo "$out" | sed 's/^/  /'
[ $rc -eq 0 ] && ok "check-config exit 0" || fail "check-config exit $rc"
grep -q "Configuration OK" <<<"$out" && grep -q "mastodon@127.0.0.1:5432/mastodon_production" <<<"$out" \
    && ok "check-config read .env.production through /etc/default/aot-streaming" \
    || fail "check-config did not report .env.production's PostgreSQL (mastodon@127.0.0.1:5432/mastodon_production)"
# The check must fail when the unit's environment is broken: a PORT the unit would also get.
echo 'PORT=not-a-port' >> /etc/default/aot-streaming
out=$(run_readme_block check-config); rc=$?
sed -i '/^PORT=not-a-port$/d' /etc/default/aot-streaming
[ $rc -ne 0 ] && ok "check-config fails on a bad PORT in /etc/default/aot-streaming (exit $rc: $(tail -1 <<<"$out"))" \
    || fail "check-config passed with PORT=not-a-port in /etc/default/aot-streaming"

step "README switch-over block"
t0=$(ms)
out=$(run_readme_block switch-over); rc=$?
echo "$out" | sed 's/^/  /'
[ $rc -eq 0 ] && ok "switch-over block exit 0 ($(( $(ms) - t0 )) ms)" || fail "switch-over block exit $rc"
[ "$(tail -1 <<<"$out")" = OK ] && ok "the block's health check printed OK" || fail "the block's health check did not print OK"
echo "  recorded in /etc/aot-streaming/replaced-units: $(paste -sd' ' /etc/aot-streaming/replaced-units)"
for unit in mastodon-streaming.service mastodon-streaming@4000.service; do
    expect_enabled $unit disabled
    expect_prop $unit ActiveState inactive
done
expect_enabled $UNIT enabled
expect_prop $UNIT ActiveState active
expect_not_both_enabled

step "Type=notify"
expect_prop $UNIT Type notify
expect_prop $UNIT SubState running
expect_health 4000
metrics=$(curl -fsS --max-time 3 http://127.0.0.1:4000/metrics | grep -c '^[a-z]') \
    && ok "/metrics answers ($metrics sample lines)" || fail "/metrics failed"
pid=$(prop $UNIT MainPID)
if [ "$pid" -gt 0 ] 2>/dev/null; then
    echo "  main process: user $(ps -o user= -p "$pid"), $(grep -E '^(VmRSS|NoNewPrivs|Seccomp|CapEff)' "/proc/$pid/status" | tr -s '\t ' ' ' | paste -sd, -)"
fi

step "the Redis read thread's priority: nice -10 under the unit's hardening; a refusal is logged"
read_thread_nice() { # waits up to 5 s for the thread "Redis subscriber read" (comm keeps 15 bytes) of the unit's main process
    local pid line
    for _ in $(seq 50); do
        pid=$(prop $UNIT MainPID)
        line=$(ps -L -o ni=,comm= -p "$pid" 2>/dev/null | grep 'Redis subscribe$' | awk '{ print $1 }')
        [ -n "$line" ] && { echo "$line"; return; }
        sleep 0.1
    done
    echo none
}
expect_raised() { # what
    local nice
    nice=$(read_thread_nice)
    [ "$nice" = -10 ] && ok "$1: read thread at nice -10, all threads: $(ps -L -o ni= -p "$(prop $UNIT MainPID)" | sort -n | uniq -c | tr -s ' ' | paste -sd, -)" \
        || fail "$1: read thread at nice $nice, wanted -10"
    [ "$(ps -L -o ni= -p "$(prop $UNIT MainPID)" | awk '$1 != 0' | wc -l)" = 1 ] && ok "$1: no other thread below nice 0" \
        || fail "$1: threads below nice 0: $(ps -L -o ni=,comm= -p "$(prop $UNIT MainPID)" | awk '$1 != 0' | paste -sd, -)"
}
expect_refused() { # what
    local nice
    nice=$(read_thread_nice)
    [ "$nice" = 0 ] && ok "$1: read thread at nice 0" || fail "$1: read thread at nice $nice, wanted 0"
    [ "$(journalctl --no-pager -u $UNIT _PID="$(prop $UNIT MainPID)" | grep -c "read thread stays at the process's priority: nice -10 was refused (EPERM)")" = 1 ] \
        && ok "$1: the refusal is logged once" || fail "$1: no single refusal line in the journal"
}
restart_with() { # drop-in text ('' removes it)
    mkdir -p /etc/systemd/system/$UNIT.d
    if [ -n "$1" ]; then printf '[Service]\n%s\n' "$1" > /etc/systemd/system/$UNIT.d/nice.conf; else rm -f /etc/systemd/system/$UNIT.d/nice.conf; fi
    systemctl daemon-reload
    systemctl restart $UNIT
    expect_health 4000
}
pid=$(prop $UNIT MainPID)
echo "  unit LimitNICE=$(prop $UNIT LimitNICE) (30 = nice -10); the process got: $(grep 'Max nice' /proc/$pid/limits | tr -s ' ')"
# systemd needs CAP_SYS_RESOURCE to raise RLIMIT_NICE's hard limit; a real host's PID 1 has it, this sandbox's root may not.
if grep -q '^Max nice priority *30 *30' /proc/$pid/limits; then
    expect_raised "as shipped (LimitNICE=-10 applied)"
else
    [ "$(prop $UNIT LimitNICE)" = 30 ] && ok "the unit asks for LimitNICE=-10; this sandbox cannot grant it (guest root $(grep CapEff /proc/self/status | tr -s '\t ' ' '), no CAP_SYS_RESOURCE)" \
        || fail "the unit's LimitNICE is $(prop $UNIT LimitNICE), wanted 30"
    expect_refused "as shipped, without RLIMIT_NICE"
fi
# The same right by capability instead: proves the seccomp filter (@system-service minus @resources plus sched_setattr,
# RestrictRealtime=) lets the call through, whatever the sandbox does with rlimits. PrivateUsers=false as well: a
# capability held inside the unit's own user namespace does not count for nice values (an rlimit does).
restart_with $'CapabilityBoundingSet=CAP_SYS_NICE\nAmbientCapabilities=CAP_SYS_NICE\nPrivateUsers=false'
expect_raised "with CAP_SYS_NICE instead of the rlimit, under the unit's seccomp filter"
restart_with 'LimitNICE=0'
expect_refused "LimitNICE=0"
restart_with ''

step "restart WITHOUT socket activation: the connect loop sees refused connections (the loop can detect them)"
during_connect_loop 4000 systemctl restart $UNIT
loop_counts
echo "  connections during restart without socket: $LOOP_OK ok, $LOOP_REFUSED refused, $LOOP_OTHER other errors${LOOP_CODES:+ (curl exit $LOOP_CODES)}"
[ "$LOOP_REFUSED" -gt 0 ] && ok "refused connections seen without the socket: $LOOP_REFUSED" \
    || fail "no refused connection without the socket: the loop cannot detect the gap ($LOOP_OK ok)"

step "README socket-activation block, with a unix socket added (systemctl edit equivalent)"
mkdir -p /etc/systemd/system/aot-streaming.socket.d
printf '[Socket]\nListenStream=/run/aot-streaming/streaming.sock\n' > /etc/systemd/system/aot-streaming.socket.d/unix.conf
systemctl daemon-reload
out=$(run_readme_block socket-activation); rc=$?
echo "$out" | sed 's/^/  /'
[ $rc -eq 0 ] && ok "socket-activation block exit 0" || fail "socket-activation block exit $rc"
expect_prop aot-streaming.socket ActiveState active
expect_prop $UNIT ActiveState active
expect_enabled aot-streaming.socket enabled
journalctl --no-pager -u $UNIT -n 20 | grep -q "now listening on 127.0.0.1:4000, /run/aot-streaming/streaming.sock (systemd socket)" \
    && ok "the service took both sockets from systemd (log line)" \
    || { fail "no 'listening on … (systemd socket)' log line"; journalctl --no-pager -u $UNIT -n 5; }
expect_health 4000
body=$(curl -fsS --max-time 3 --unix-socket /run/aot-streaming/streaming.sock http://localhost/api/v1/streaming/health) \
    && ok "health over the unix socket -> $body" || fail "health over the unix socket failed"

step "restart WITH socket activation: zero refused connections (TCP, then unix socket)"
for target in 4000 unix:/run/aot-streaming/streaming.sock; do
    old_pid=$(prop $UNIT MainPID)
    during_connect_loop "$target" systemctl restart $UNIT
    loop_counts
    echo "  $target, connections during systemctl restart with the socket: $LOOP_OK ok, $LOOP_REFUSED refused, $LOOP_OTHER other errors${LOOP_CODES:+ (curl exit $LOOP_CODES)}"
    [ "$(prop $UNIT MainPID)" != "$old_pid" ] && ok "$target: the service was restarted (new MainPID)" || fail "$target: MainPID unchanged"
    [ "$LOOP_REFUSED" -eq 0 ] && [ "$LOOP_OTHER" -eq 0 ] && [ "$LOOP_OK" -gt 0 ] \
        && ok "$target: zero refused, zero failed connections through the restart ($LOOP_OK served)" \
        || fail "$target: $LOOP_REFUSED refused, $LOOP_OTHER failed connections through the restart"
done

step "instance aot-streaming@4001 (PORT=%i), and aot-streaming@4002 through its socket"
systemctl start aot-streaming@4001.service && ok "aot-streaming@4001 started" || fail "aot-streaming@4001 did not start"
expect_health 4001
systemctl enable --now aot-streaming@4002.socket aot-streaming@4002.service 2>&1 | sed 's/^/  /'
expect_prop aot-streaming@4002.socket ActiveState active
expect_health 4002
during_connect_loop 4002 systemctl restart aot-streaming@4002.service
loop_counts
echo "  @4002, connections during systemctl restart with the socket: $LOOP_OK ok, $LOOP_REFUSED refused, $LOOP_OTHER other errors${LOOP_CODES:+ (curl exit $LOOP_CODES)}"
[ "$LOOP_REFUSED" -eq 0 ] && [ "$LOOP_OTHER" -eq 0 ] && [ "$LOOP_OK" -gt 0 ] \
    && ok "@4002: zero refused through the restart ($LOOP_OK served)" || fail "@4002: $LOOP_REFUSED refused, $LOOP_OTHER failed"

step "upgrade (dpkg -i again) with the socket: running service restarted, zero refused"
old_pid=$(prop $UNIT MainPID)
during_connect_loop 4000 dpkg -i $DIR/aot-streaming.deb >/dev/null
loop_counts
echo "  connections during the upgrade: $LOOP_OK ok, $LOOP_REFUSED refused, $LOOP_OTHER other errors${LOOP_CODES:+ (curl exit $LOOP_CODES)}"
[ "$LOOP_REFUSED" -eq 0 ] && [ "$LOOP_OTHER" -eq 0 ] && ok "zero refused through the upgrade" \
    || fail "$LOOP_REFUSED refused, $LOOP_OTHER failed through the upgrade"
expect_prop $UNIT ActiveState active
[ "$(prop $UNIT MainPID)" != "$old_pid" ] && ok "new MainPID after upgrade" || fail "service was not restarted on upgrade"
expect_prop aot-streaming@4001.service ActiveState active
expect_enabled $UNIT enabled
expect_health 4000

step "stop: clean exit, instances follow (PartOf=)"
systemctl stop aot-streaming.socket
t0=$(ms)
systemctl stop $UNIT && ok "systemctl stop took $(( $(ms) - t0 )) ms" || fail "systemctl stop failed"
expect_prop $UNIT ActiveState inactive
expect_prop $UNIT Result success
expect_prop $UNIT ExecMainStatus 0
expect_prop aot-streaming@4001.service ActiveState inactive
expect_prop aot-streaming@4001.service Result success
systemctl start aot-streaming.socket $UNIT aot-streaming@4001.service

step "systemd-analyze security"
systemd-analyze security --no-pager $UNIT 2>&1 | tail -1
systemd-analyze security --no-pager aot-streaming@4001.service 2>&1 | tail -1

step "README roll-back block"
out=$(run_readme_block roll-back); rc=$?
echo "$out" | sed 's/^/  /'
[ $rc -eq 0 ] && ok "roll-back block exit 0" || fail "roll-back block exit $rc"
for unit in $UNIT aot-streaming.socket aot-streaming@4001.service aot-streaming@4002.service aot-streaming@4002.socket; do
    expect_enabled $unit disabled
    expect_prop $unit ActiveState inactive
done
for unit in mastodon-streaming.service mastodon-streaming@4000.service; do
    expect_enabled $unit enabled
    expect_prop $unit ActiveState active
done
health 4000 >/dev/null 2>&1 && fail "something still answers on :4000 after the roll-back" || ok "nothing of ours answers on :4000"
expect_not_both_enabled

step "upgrade while rolled back: stays disabled and stopped"
dpkg -i $DIR/aot-streaming.deb >/dev/null 2>&1 && ok "dpkg -i exit 0" || fail "dpkg -i failed"
expect_enabled $UNIT disabled
expect_prop $UNIT ActiveState inactive
expect_not_both_enabled

step "purge, then fresh install without Mastodon's units: enabled and started by postinst"
systemctl stop 'mastodon-streaming*'
systemctl disable mastodon-streaming.service mastodon-streaming@.service 2>&1 | sed 's/^/  /'
dpkg --purge aot-streaming >/dev/null 2>&1 && ok "dpkg --purge exit 0" || fail "dpkg --purge failed"
[ ! -e /etc/aot-streaming ] && [ ! -e /etc/default/aot-streaming ] && ok "conffiles gone" || fail "conffiles left after purge"
left=$(find /etc/systemd/system -name 'aot-streaming*' -not -name '*.d' -not -path '*/aot-streaming.socket.d/*')
[ -z "$left" ] && ok "no enable symlinks left" || fail "left after purge: $left"
out=$(dpkg -i $DIR/aot-streaming.deb 2>&1) || { fail "dpkg -i failed"; echo "$out"; }
expect_enabled $UNIT enabled
expect_prop $UNIT ActiveState active
expect_health 4000
expect_not_both_enabled

step "remove: prerm stops the service"
dpkg -r aot-streaming >/dev/null 2>&1 && ok "dpkg -r exit 0" || fail "dpkg -r failed"
expect_prop $UNIT ActiveState inactive
health 4000 >/dev/null 2>&1 && fail "still answering after dpkg -r" || ok "nothing listens on :4000 after dpkg -r"
[ -e /etc/default/aot-streaming ] && ok "conffiles kept on remove" || fail "conffiles deleted on remove"
dpkg --purge aot-streaming >/dev/null 2>&1 || fail "final purge failed"

finish
