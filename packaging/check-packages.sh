#!/usr/bin/env bash
# Verifies the artifacts of build-packages.sh: file lists, owners, modes, control fields, conffiles, maintainer
# scripts, and that each binary is an ELF for the package's architecture needing at most glibc 2.34.
#   packaging/check-packages.sh 0.1.0            (ARTIFACTS_DIR defaults to artifacts)
# Exits non-zero and lists every problem found.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 VERSION" >&2; exit 2; }
VERSION=$1
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
ARTIFACTS_DIR=${ARTIFACTS_DIR:-artifacts}
RIDS=${RIDS:-linux-x64 linux-arm64}
NAME=aot-streaming
MAX_GLIBC=2.34

if ! command -v readelf >/dev/null; then
    apt-get install -y --no-install-recommends binutils >/dev/null
fi

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
pass() { echo "ok:   $*"; }

# mode owner path, as both archive listings are normalised to; directories end in /.
EXPECTED="drwxr-xr-x root/root ./
drwxr-xr-x root/root ./etc/
drwxr-xr-x root/root ./etc/$NAME/
-rw-r--r-- root/root ./etc/$NAME/appsettings.json
drwxr-xr-x root/root ./etc/default/
-rw-r----- root/root ./etc/default/$NAME
drwxr-xr-x root/root ./lib/
drwxr-xr-x root/root ./lib/systemd/
drwxr-xr-x root/root ./lib/systemd/system/
-rw-r--r-- root/root ./lib/systemd/system/$NAME.service
-rw-r--r-- root/root ./lib/systemd/system/$NAME@.service
-rw-r--r-- root/root ./lib/systemd/system/$NAME.socket
-rw-r--r-- root/root ./lib/systemd/system/$NAME@.socket
drwxr-xr-x root/root ./usr/
drwxr-xr-x root/root ./usr/bin/
-rwxr-xr-x root/root ./usr/bin/$NAME
drwxr-xr-x root/root ./usr/share/
drwxr-xr-x root/root ./usr/share/$NAME/
-rw-r--r-- root/root ./usr/share/$NAME/grafana-dashboard.json"

# Prints the listing as "mode owner path" lines: tar -tv columns 1, 2 and 6.
normalize_listing() { awk '{ print $1, $2, $6 }' | sort -k3; }

compare_listing() {
    local what=$1 actual=$2
    local diff_out
    if diff_out=$(diff <(printf '%s\n' "$EXPECTED" | sort -k3) <(printf '%s\n' "$actual")); then
        pass "$what: file list, modes and owners"
    else
        fail "$what: file list differs (< expected, > actual):"$'\n'"$diff_out"
    fi
}

# Checks ELF class/machine and the highest GLIBC_x.y symbol version the binary needs.
check_binary() {
    local what=$1 file=$2 machine=$3
    local header
    header=$(readelf -h "$file" 2>&1) || { fail "$what: not an ELF file"; return; }
    grep -q 'Class:[[:space:]]*ELF64' <<<"$header" || fail "$what: not ELF64"
    grep -q "Machine:[[:space:]]*$machine\$" <<<"$header" \
        && pass "$what: ELF machine $machine" \
        || fail "$what: ELF machine is '$(sed -n 's/^ *Machine: *//p' <<<"$header")', want '$machine'"
    local needed
    needed=$(readelf -V "$file" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)
    if [ -z "$needed" ]; then
        fail "$what: no GLIBC version references (not a glibc-linked binary?)"
    elif [ "$(printf '%s\n%s\n' "$needed" "$MAX_GLIBC" | sort -V | tail -1)" = "$MAX_GLIBC" ]; then
        pass "$what: needs GLIBC_$needed (Depends: libc6 (>= $MAX_GLIBC))"
    else
        fail "$what: needs GLIBC_$needed, newer than Depends libc6 (>= $MAX_GLIBC)"
    fi
    if [ -f "out/$4/$NAME" ]; then
        cmp -s "$file" "out/$4/$NAME" && pass "$what: identical to out/$4/$NAME" \
            || fail "$what: differs from out/$4/$NAME (stale package?)"
    fi
}

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

for rid in $RIDS; do
    case $rid in
        linux-x64) arch=amd64 machine='Advanced Micro Devices X86-64' ;;
        linux-arm64) arch=arm64 machine='AArch64' ;;
        *) fail "unsupported RID $rid"; continue ;;
    esac

    deb=$ARTIFACTS_DIR/${NAME}_${VERSION}_${arch}.deb
    if [ ! -f "$deb" ]; then
        fail "$deb missing"
    else
        for field in Package:$NAME Version:$VERSION Architecture:$arch \
            'Depends:libc6 (>= 2.34), libssl3 | libssl1.1, adduser'; do
            key=${field%%:*} want=${field#*:}
            got=$(dpkg-deb -f "$deb" "$key")
            [ "$got" = "$want" ] && pass "$deb: $key: $got" || fail "$deb: $key is '$got', want '$want'"
        done
        size=$(dpkg-deb -f "$deb" Installed-Size)
        [[ $size =~ ^[0-9]+$ ]] && [ "$size" -gt 0 ] && pass "$deb: Installed-Size: $size" || fail "$deb: bad Installed-Size '$size'"

        compare_listing "$deb" "$(dpkg-deb -c "$deb" | normalize_listing)"

        ctrl=$WORK/ctrl-$arch
        dpkg-deb -e "$deb" "$ctrl"
        conffiles=$(sort "$ctrl/conffiles" 2>/dev/null || true)
        [ "$conffiles" = "$(printf '/etc/%s/appsettings.json\n/etc/default/%s' "$NAME" "$NAME")" ] \
            && pass "$deb: conffiles" || fail "$deb: conffiles are: $conffiles"
        for script in postinst prerm postrm; do
            if [ -x "$ctrl/$script" ] && cmp -s "$ctrl/$script" "packaging/scripts/$script" && sh -n "$ctrl/$script"; then
                pass "$deb: $script executable, current, parses"
            else
                fail "$deb: $script missing, not executable, stale or broken"
            fi
        done

        fs=$WORK/fs-$arch
        mkdir -p "$fs"
        dpkg-deb -x "$deb" "$fs"
        check_binary "$deb:/usr/bin/$NAME" "$fs/usr/bin/$NAME" "$machine" "$rid"
        for unit in "$NAME.service" "$NAME@.service" "$NAME.socket" "$NAME@.socket"; do
            cmp -s "$fs/lib/systemd/system/$unit" "systemd/$unit" \
                && pass "$deb: $unit matches systemd/$unit" || fail "$deb: $unit differs from systemd/$unit"
        done
        cmp -s "$fs/etc/$NAME/appsettings.json" appsettings.json \
            && pass "$deb: appsettings.json matches repo" || fail "$deb: appsettings.json differs from repo"
    fi

    tgz=$ARTIFACTS_DIR/$NAME-$VERSION-$rid.tar.gz
    top=$NAME-$VERSION-$rid
    if [ ! -f "$tgz" ]; then
        fail "$tgz missing"
    else
        gzip -t "$tgz" && pass "$tgz: gzip intact" || fail "$tgz: gzip corrupt"
        tar tzf "$tgz" | grep -qv "^$top/" && fail "$tgz: entries outside $top/"
        # tar prints numeric 0/0; map it to root/root and strip the top directory so the same list applies.
        listing=$(tar tzvf "$tgz" | awk -v top="$top/" '{ sub("^" top, "./", $6); if ($2 == "0/0") $2 = "root/root"; print $1, $2, $6 }' | sort -k3)
        compare_listing "$tgz" "$listing"
        mtimes=$(tar tzvf "$tgz" --full-time | awk '{ print $4, $5 }' | sort -u | wc -l)
        [ "$mtimes" -eq 1 ] && pass "$tgz: one fixed mtime" || fail "$tgz: $mtimes different mtimes"
        tfs=$WORK/tar-$rid
        mkdir -p "$tfs"
        tar xzf "$tgz" -C "$tfs"
        check_binary "$tgz:usr/bin/$NAME" "$tfs/$top/usr/bin/$NAME" "$machine" "$rid"
    fi
done

if [ "$failures" -gt 0 ]; then
    echo "$failures check(s) failed" >&2
    exit 1
fi
echo "all package checks passed"
