#!/bin/bash
# Runs inside the systemd-nspawn guest booted by test-systemd.sh, as root under real systemd (PID 1).
# Writes PASS or FAIL to /opt/aot-test/status; the guest powers off when this script ends.
set -u

DEB=/opt/aot-test/aot-streaming.deb
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
health() { curl -fsS --max-time 3 "http://127.0.0.1:$1/api/v1/streaming/health"; }
expect_health() {
    local body
    if body=$(health "$1"); then ok "health on :$1 -> $body"; else fail "health on :$1 failed"; fi
}
ms() { date +%s%3N; }

finish() {
    step "journal of aot-streaming units (last 40 lines)"
    journalctl --no-pager -o short-monotonic -u "$UNIT" -u 'aot-streaming@*' | tail -40
    if [ "$failures" -eq 0 ]; then echo PASS > /opt/aot-test/status; else echo FAIL > /opt/aot-test/status; fi
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

step "install while mastodon-streaming.service is active: enabled, NOT started, message shown"
systemctl start mastodon-streaming.service
out=$(dpkg -i "$DEB" 2>&1); rc=$?
echo "$out" | sed 's/^/  dpkg: /'
[ $rc -eq 0 ] && ok "dpkg -i exit 0" || fail "dpkg -i exit $rc"
grep -q "NOT started" <<<"$out" && ok "postinst says it did not start" || fail "postinst printed no 'NOT started' message"
getent passwd mastodon >/dev/null && ok "user mastodon exists: $(getent passwd mastodon)" || fail "user mastodon missing"
[ "$(systemctl is-enabled $UNIT 2>&1)" = enabled ] && ok "$UNIT enabled" || fail "$UNIT is-enabled: $(systemctl is-enabled $UNIT 2>&1)"
expect_prop $UNIT ActiveState inactive

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

step "start: Type=notify reaches active"
systemctl stop mastodon-streaming.service
t0=$(ms)
if systemctl start $UNIT; then ok "systemctl start returned after $(( $(ms) - t0 )) ms"; else fail "systemctl start failed"; fi
expect_prop $UNIT Type notify
expect_prop $UNIT ActiveState active
expect_prop $UNIT SubState running
expect_health 4000
metrics=$(curl -fsS --max-time 3 http://127.0.0.1:4000/metrics | grep -c '^[a-z]') \
    && ok "/metrics answers ($metrics sample lines)" || fail "/metrics failed"
pid=$(prop $UNIT MainPID)
if [ "$pid" -gt 0 ] 2>/dev/null; then
    echo "  main process: user $(ps -o user= -p "$pid"), $(grep -E '^(VmRSS|NoNewPrivs|Seccomp|CapEff)' "/proc/$pid/status" | tr -s '\t ' ' ' | paste -sd, -)"
fi

step "instance aot-streaming@4001 (PORT=%i)"
systemctl start aot-streaming@4001.service && ok "aot-streaming@4001 started" || fail "aot-streaming@4001 did not start"
expect_health 4001

step "upgrade (dpkg -i again): running service restarted"
old_pid=$(prop $UNIT MainPID)
out=$(dpkg -i "$DEB" 2>&1) && ok "dpkg -i (upgrade) exit 0" || { fail "dpkg -i (upgrade) failed"; echo "$out"; }
expect_prop $UNIT ActiveState active
[ "$(prop $UNIT MainPID)" != "$old_pid" ] && ok "new MainPID after upgrade" || fail "service was not restarted on upgrade"
expect_prop aot-streaming@4001.service ActiveState active
expect_health 4000

step "stop: clean exit, instances follow (PartOf=)"
t0=$(ms)
systemctl stop $UNIT && ok "systemctl stop took $(( $(ms) - t0 )) ms" || fail "systemctl stop failed"
expect_prop $UNIT ActiveState inactive
expect_prop $UNIT Result success
expect_prop $UNIT ExecMainStatus 0
expect_prop aot-streaming@4001.service ActiveState inactive
expect_prop aot-streaming@4001.service Result success

step "systemd-analyze security"
systemd-analyze security --no-pager $UNIT 2>&1 | tail -1
systemd-analyze security --no-pager aot-streaming@4001.service 2>&1 | tail -1

step "purge, then fresh install without mastodon-streaming: started by postinst"
dpkg --purge aot-streaming >/dev/null 2>&1 && ok "dpkg --purge exit 0" || fail "dpkg --purge failed"
[ ! -e /etc/aot-streaming ] && [ ! -e /etc/default/aot-streaming ] && ok "conffiles gone" || fail "conffiles left after purge"
[ ! -e /etc/systemd/system/multi-user.target.wants/$UNIT ] && ok "enable symlink gone" || fail "enable symlink left after purge"
out=$(dpkg -i "$DEB" 2>&1) || { fail "dpkg -i failed"; echo "$out"; }
expect_prop $UNIT ActiveState active
expect_health 4000

step "remove: prerm stops the service"
dpkg -r aot-streaming >/dev/null 2>&1 && ok "dpkg -r exit 0" || fail "dpkg -r failed"
expect_prop $UNIT ActiveState inactive
health 4000 >/dev/null 2>&1 && fail "still answering after dpkg -r" || ok "nothing listens on :4000 after dpkg -r"
[ -e /etc/default/aot-streaming ] && ok "conffiles kept on remove" || fail "conffiles deleted on remove"
dpkg --purge aot-streaming >/dev/null 2>&1 || fail "final purge failed"

finish
