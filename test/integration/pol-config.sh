#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Configuration files: bad files stop the daemon with FILE:LINE, --check-config, conf.d merging, command-line overrides.
#
# Proves:
#   - for each bad file (unknown key in [socket] and [daemon], unknown
#     section, bad numbers, out-of-range values, bad mode and rate, missing
#     '=', relative path, socket without path, duplicate key, unknown
#     command name, unknown profile, inherit cycle and self-inherit,
#     redefined built-in profile; in conf.d: an unknown key, a socket
#     defined twice across files, a [daemon] key set in two files; conf.d
#     not a directory; a missing file): `tpmproxyd --check-config --config
#     F` exits 1 and `tpmproxyd --foreground --config F` exits non-zero
#     without creating a socket, both printing "F:LINE: ..." with the right
#     file and line (and naming the culprit) and no sanitizer report;
#   - --check-config on good files (etc/tpmproxy.conf.example, and a file
#     whose TPM does not exist) exits 0 printing "F: configuration ok",
#     opens no TPM and creates no socket;
#   - conf.d merging: a socket of the main file uses a profile from
#     conf.d/10-*.conf, conf.d/20-*.conf adds a socket and a [daemon] key;
#     dot files and non-.conf files are ignored; both sockets serve with
#     their profiles and their names appear in the log;
#   - command line over file: --log-level (file says error), and
#     --reserve-object-slots over the conf.d value (seen in the resource
#     manager's start-up line), --tcti over a file naming no usable TPM,
#     --socket replacing the file's sockets.
# After the daemon exits swtpm holds no handles.
# shellcheck disable=SC2119 # require_tools takes optional arguments
set -euo pipefail
# shellcheck source=test/integration/pollib.sh
. "$(dirname "$0")/pollib.sh"

require_tools
pol_init
BAD=$T/bad
mkdir -p "$BAD"
[[ -x $TPMPROXYD ]] || fail "tpmproxyd not built: $TPMPROXYD"
ncases=0

# run_bad DIR WHERE PATTERN: the configuration DIR/tpmproxy.conf (and its
# conf.d) is refused by --check-config and by the daemon, each printing
# WHERE (FILE:LINE: or one of several, separated by |) and a line matching
# PATTERN (extended regex, any case).
run_bad() {
    local dir=$1 where=$2 pattern=$3 f=$1/tpmproxy.conf rc out pid i
    ncases=$(( ncases + 1 ))
    # --check-config
    rc=0
    out=$(timeout "$WAIT" "$TPMPROXYD" --check-config --config "$f" 2>&1) || rc=$?
    check_bad_output "--check-config ($dir)" "$rc" "$out" "$where" "$pattern"
    [[ $rc == 1 ]] || fail "--check-config on $dir: exit status $rc, expected 1: $out"
    # the daemon itself, with a working TPM: it must not start
    rm -f "$T"/bad-*.sock
    "$TPMPROXYD" --foreground --config "$f" > "$dir/daemon.out" 2>&1 &
    pid=$!
    for (( i = 0; i < WAIT * 10; i++ )); do
        proc_running "$pid" || break
        if compgen -G "$T/bad-*.sock" > /dev/null; then
            kill -TERM "$pid"; wait "$pid" || true
            fail "tpmproxyd started with the bad file $dir/tpmproxy.conf (expected $where)"
        fi
        sleep 0.1
    done
    if proc_running "$pid"; then
        kill -KILL "$pid"; wait "$pid" || true
        fail "tpmproxyd neither started nor exited within ${WAIT}s on $dir/tpmproxy.conf"
    fi
    rc=0
    wait "$pid" || rc=$?
    out=$(cat "$dir/daemon.out")
    check_bad_output "tpmproxyd ($dir)" "$rc" "$out" "$where" "$pattern"
    (( rc != 0 )) || fail "tpmproxyd on $dir: exit status 0 with a bad file"
    ! compgen -G "$T/bad-*.sock" > /dev/null || fail "tpmproxyd on $dir left a socket behind"
    say "${dir#"$BAD"/}: ${BAD_MESSAGE//"$BAD"\//}"
}

check_bad_output() {
    local who=$1 rc=$2 out=$3 where=$4 pattern=$5 w found='' line alts
    if grep -q 'Sanitizer' <<<"$out"; then
        fail "$who: sanitizer report: $out"
    fi
    (( rc < 128 )) || fail "$who: killed by signal $(( rc - 128 )): $out"
    IFS='|' read -ra alts <<<"$where"
    for w in "${alts[@]}"; do
        line=$(grep -F -- "$w" <<<"$out" | head -n 1) || true
        [[ -n $line ]] && { found=$line; break; }
    done
    [[ -n $found ]] || fail "$who: exit $rc without '${where//|/' or '}' in: $out"
    grep -Eqi -- "$pattern" <<<"$found" ||
        fail "$who: the message does not name /$pattern/: $found"
    BAD_MESSAGE=$found
}

# bad_case NAME WHERE_LINES PATTERN < FILE: the file from stdin becomes
# $BAD/NAME/tpmproxy.conf; WHERE_LINES lists the line numbers accepted
# ("7" or "4|7|10").
bad_case() {
    local lines=$2 pattern=$3 d=$BAD/$1 where='' l
    mkdir -p "$d"
    cat > "$d/tpmproxy.conf"
    for l in ${lines//|/ }; do
        where+="${where:+|}$d/tpmproxy.conf:$l: "
    done
    run_bad "$d" "$where" "$pattern"
}

header() {
    printf '[daemon]\ntcti = %s\n\n' "$DTCTI"
}

# Lines 1-3 are the header; a socket at lines 4-5.
sock_section() {
    printf '[socket "bad-%s"]\npath = %s\n' "$1" "$T/bad-$1.sock"
}

bad_case unknown-socket-key 6 'max-objectz' < <({ header; sock_section a; echo "max-objectz = 3"; })
bad_case unknown-daemon-key 3 'frobnicate' < <(
    printf '[daemon]\ntcti = %s\nfrobnicate = yes\n' "$DTCTI"
    sock_section a
)
bad_case unknown-section 4 'sockets' < <(
    header
    printf '[sockets "a"]\npath = %s\n' "$T/bad-a.sock"
)
bad_case not-a-number 6 'max-objects|lots' < <(
    header; sock_section a
    echo "max-objects = lots"
)
bad_case negative 6 'max-objects|-1' < <({ header; sock_section a; echo "max-objects = -1"; })
bad_case out-of-range 6 'max-connections' < <(
    header; sock_section a
    echo "max-connections = 0"
)
bad_case above-range 6 'max-objects|1025' < <(
    header; sock_section a
    echo "max-objects = 1025"
)
bad_case bad-mode 6 'mode|0999' < <({ header; sock_section a; echo "mode = 0999"; })
bad_case bad-rate 6 'rate|fast' < <({ header; sock_section a; echo "rate = fast"; })
bad_case bad-duration 6 'idle-timeout|years' < <(
    header; sock_section a
    echo "idle-timeout = 5 years"
)
bad_case missing-equals 6 "=|max-objects" < <({ header; sock_section a; echo "max-objects 3"; })
bad_case relative-path 5 'path|relative' < <(
    header
    printf '[socket "a"]\npath = relative/tpm.sock\n'
)
bad_case no-path '4|5' 'path' < <({ header; printf '[socket "a"]\nmode = 0600\n'; })
bad_case duplicate-key 7 'max-objects' < <(
    header; sock_section a
    printf 'max-objects = 3\nmax-objects = 4\n'
)
bad_case unknown-profile 6 'nosuch' < <({ header; sock_section a; echo "profile = nosuch"; })
bad_case unknown-command 10 'Frobnicate' < <(
    header; sock_section a
    printf 'profile = p\n\n[profile "p"]\ninherit = readonly\nallow = TPM2_CC_Sign TPM2_CC_Frobnicate\n'
)
bad_case inherit-cycle '9|12|15' 'cycle|inherit' < <(
    header; sock_section a
    printf 'profile = p1\n\n[profile "p1"]\ninherit = p2\n\n[profile "p2"]\ninherit = p3\n\n[profile "p3"]\ninherit = p1\n'
)
bad_case inherit-self 9 'cycle|inherit|me' < <(
    header; sock_section a
    printf 'profile = me\n\n[profile "me"]\ninherit = me\n'
)
bad_case builtin-redefined 7 'full' < <(
    header; sock_section a
    printf '\n[profile "full"]\nallow = TPM2_CC_Clear\n'
)

# conf.d: an unknown key at conf.d/20-bad.conf:3
d=$BAD/confd-key
mkdir -p "$d/conf.d"
{ header; sock_section a; } > "$d/tpmproxy.conf"
printf '# a drop-in\n[socket "bad-b"]\nmax-objectz = 1\npath = %s\n' "$T/bad-b.sock" > "$d/conf.d/20-bad.conf"
printf '[socket "bad-c"]\npath = %s\n' "$T/bad-c.sock" > "$d/conf.d/10-good.conf"
run_bad "$d" "conf.d/20-bad.conf:3: " 'max-objectz'

# conf.d: socket "a" of the main file (line 4) defined again at 30-dup.conf:2
d=$BAD/confd-dup
mkdir -p "$d/conf.d"
{ header; sock_section a; } > "$d/tpmproxy.conf"
printf '# same name\n[socket "bad-a"]\npath = %s\n' "$T/bad-a2.sock" > "$d/conf.d/30-dup.conf"
run_bad "$d" "conf.d/30-dup.conf:2: " "tpmproxy.conf:4"

# conf.d: a [daemon] key the main file set (log-level, line 3)
d=$BAD/confd-daemon-key
mkdir -p "$d/conf.d"
{ printf '[daemon]\ntcti = %s\nlog-level = info\n' "$DTCTI"; sock_section a; } > "$d/tpmproxy.conf"
printf '[daemon]\nlog-level = debug\n' > "$d/conf.d/40-daemon.conf"
run_bad "$d" "conf.d/40-daemon.conf:2: " 'log-level'

# conf.d that is not a directory: no line
d=$BAD/confd-file
mkdir -p "$d"
{ header; sock_section a; } > "$d/tpmproxy.conf"
echo "not a directory" > "$d/conf.d"
run_bad "$d" "conf.d" 'conf\.d'

# a missing file
rc=0
out=$("$TPMPROXYD" --check-config --config "$BAD/none/tpmproxy.conf" 2>&1) || rc=$?
[[ $rc == 1 && $out == *"$BAD/none/tpmproxy.conf"* ]] ||
    fail "--check-config of a missing file: exit $rc: $out"
say "$ncases bad configurations refused by --check-config and by the daemon with FILE:LINE"

# ---- --check-config on good files ----------------------------------------------------

check_ok() {
    local f=$1 rc=0 out
    out=$(timeout "$WAIT" "$TPMPROXYD" --check-config --config "$f" 2>&1) || rc=$?
    [[ $rc == 0 ]] || fail "--check-config $f: exit $rc: $out"
    grep -qF "$f: configuration ok" <<<"$out" || fail "--check-config $f: no '$f: configuration ok' in: $out"
    ! grep -q Sanitizer <<<"$out" || fail "--check-config $f: sanitizer report: $out"
}
check_ok "$top_srcdir/etc/tpmproxy.conf.example"
d=$T/notpm
mkdir -p "$d"
printf '[daemon]\ntcti = device:%s/no-such-tpm\n\n[socket "x"]\npath = %s\n' "$d" "$d/x.sock" > "$d/tpmproxy.conf"
check_ok "$d/tpmproxy.conf"
[[ ! -e $d/x.sock ]] || fail "--check-config created the socket $d/x.sock"
say "--check-config: the shipped example and a file naming a missing TPM are ok"

# ---- conf.d merging --------------------------------------------------------------------

mkdir -p "$CONFD"
cat > "$CONF" <<CONF
[daemon]
tcti = $DTCTI
log-level = error

[socket "alpha-1"]
path = $T/alpha-1.sock
profile = dropin-prof
CONF
cat > "$CONFD/10-prof.conf" <<CONF
[profile "dropin-prof"]
inherit = readonly
allow = StirRandom
CONF
cat > "$CONFD/20-beta.conf" <<CONF
[daemon]
reserve-object-slots = 2

[socket "beta-2"]
path = $T/beta-2.sock
profile = crypto
CONF
echo "this is not a configuration file" > "$CONFD/notes.txt"
echo "[bogus" > "$CONFD/.hidden.conf"

probe_is() {
    local path=$1 what=$2 want=$3
    step "$what on $(basename "$path") -> $want" polc probe --path "$path" --cmd "$what" --expect "$want"
}

slots_line() {
    pol_daemon_log | grep -o '[0-9]* of [0-9]* object slots' | head -n 1
}

# Start 1: the file's log-level = error applies.
pol_start
probe_is "$T/alpha-1.sock" stirrandom ok
probe_is "$T/alpha-1.sock" primary denied
probe_is "$T/beta-2.sock" primary ok
probe_is "$T/beta-2.sock" getrandom ok
pol_stop
if pol_daemon_log | grep -q ' info: '; then
    fail "log-level = error in the file, yet info lines were logged: $(pol_daemon_log | grep ' info: ' | head -n 2)"
fi
say "conf.d: profile and socket from drop-ins serve; dot and non-.conf files ignored; log-level from the file"

# Start 2: --log-level info over the file; names in the log; conf.d reserve.
pol_start --log-level info
probe_is "$T/alpha-1.sock" getrandom ok
pol_stop
for n in alpha-1 beta-2; do
    pol_daemon_log | grep -q -- "$n" || fail "the socket name $n does not appear in the log"
done
s=$(slots_line)
[[ $s =~ ^([0-9]+)\ of\ ([0-9]+) ]] || fail "no 'N of M object slots' line in the log"
(( BASH_REMATCH[1] == BASH_REMATCH[2] - 2 )) ||
    fail "reserve-object-slots = 2 from conf.d not applied: $s"
say "--log-level info over the file; socket names logged; conf.d [daemon] key applied ($s)"

# Start 3: --log-level debug and --reserve-object-slots 0 over the files.
pol_start --log-level debug --reserve-object-slots 0
probe_is "$T/beta-2.sock" getrandom ok
pol_stop
pol_daemon_log | grep -q ' debug: ' || fail "--log-level debug: no debug lines"
s=$(slots_line)
if ! [[ $s =~ ^([0-9]+)\ of\ ([0-9]+) ]] || (( BASH_REMATCH[1] != BASH_REMATCH[2] )); then
    fail "--reserve-object-slots 0 did not override the file: $s"
fi
say "--log-level debug and --reserve-object-slots 0 override the files ($s)"

# Start 4: --socket replaces the file's sockets (and gets the defaults).
POL_WAIT_PATHS=("$T/cli.sock")
pol_start --socket "$T/cli.sock"
probe_is "$T/cli.sock" primary ok
for p in "$T/alpha-1.sock" "$T/beta-2.sock"; do
    [[ ! -e $p ]] || fail "--socket on the command line, yet the file's socket $p exists"
done
pol_stop
say "--socket replaces the file's sockets"

# Start 5: --tcti over a file whose TPM does not exist.
# shellcheck disable=SC2034 # used by pollib.sh
POL_WAIT_PATHS=()
sed -i "s|^tcti = .*|tcti = device:$T/no-such-tpm|" "$CONF"
pol_start --tcti "$BACKEND_TCTI"
probe_is "$T/beta-2.sock" getrandom ok
pol_stop
say "--tcti overrides the file's tcti"
check_handles_baseline
