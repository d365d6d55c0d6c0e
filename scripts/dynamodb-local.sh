#!/usr/bin/env bash
# Install and run DynamoDB Local (the official AWS DynamoDB emulator) for
# dyntui's demo and tests. See `dynamodb-local.sh --help`.
#
# DynamoDB Local is AWS's software, under the Amazon DynamoDB Local License
# Agreement (not open source; it may not be redistributed, and installing or
# using it binds you to its terms): this repository ships no copy. It is a
# Java program (Java 17 or newer); we take the jar from the npm package
# amplify-dynamodb-simulator (v2.x, published by AWS Amplify), which carries
# it and its LICENSE.txt under emulator/.
#
# Environment:
#   DYNTUI_DDB_HOME       npm prefix holding the package
#                         (default: ${XDG_CACHE_HOME:-~/.cache}/dyntui/dynamodb-local)
#   DYNTUI_DDB_STATE      pid and log files
#                         (default: ${XDG_STATE_HOME:-~/.local/state}/dyntui/dynamodb-local)
#   DYNTUI_DDB_JAVA_OPTS  extra JVM options for `start` (e.g. "-Xmx512m")
#   JAVA_HOME             preferred Java installation, if set
set -euo pipefail

LOG_PREFIX=dynamodb-local
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DDB_HOME="${DYNTUI_DDB_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/dyntui/dynamodb-local}"
DDB_STATE="${DYNTUI_DDB_STATE:-${XDG_STATE_HOME:-$HOME/.local/state}/dyntui/dynamodb-local}"
NPM_PACKAGE="amplify-dynamodb-simulator@2"
EMULATOR_DIR="$DDB_HOME/node_modules/amplify-dynamodb-simulator/emulator"
JAR="$EMULATOR_DIR/DynamoDBLocal.jar"
LIB_DIR="$EMULATOR_DIR/DynamoDBLocal_lib"
MIN_JAVA=17
DEFAULT_PORT=8000
START_TIMEOUT=60 # seconds to wait for the server to answer
STOP_TIMEOUT=10  # seconds between SIGTERM and SIGKILL

usage() {
    cat <<EOF
Usage: ${0##*/} COMMAND [OPTIONS]

Commands:
  install                          Install Java >= $MIN_JAVA (apt) and DynamoDB Local (npm)
                                   if missing. Quiet when everything is there.
                                   DynamoDB Local is AWS's software under the Amazon
                                   DynamoDB Local License Agreement (not open source):
                                   installing or using it binds you to its terms.
  start [--port N] [--db-path DIR] Install if needed, start DynamoDB Local in the background
                                   (in memory unless --db-path), wait until it answers and
                                   print its endpoint. Does nothing if it already runs there.
  stop [--port N]                  Stop the instance this script started on that port.
  status [--port N]                Say whether it runs (exit 0) or not (exit 3).
  endpoint [--port N]              Print the endpoint URL.
  ping [--port N]                  Exit 0 if DynamoDB Local answers on the port, else 1.

The default port is $DEFAULT_PORT.
Install dir: $DDB_HOME (DYNTUI_DDB_HOME)
State dir:   $DDB_STATE (DYNTUI_DDB_STATE)
EOF
}

usage_error() {
    printf '%s: %s\n\n' "$LOG_PREFIX" "$*" >&2
    usage >&2
    exit 2
}

# ---------------------------------------------------------------- java

# java_major JAVA : print the major version of that java binary
# ("1.8.0_422" -> 8, "17.0.15" -> 17, "21-ea" -> 21).
java_major() {
    local out re='version "([0-9]+)(\.([0-9]+))?'
    out=$("$1" -version 2>&1) || return 1
    [[ $out =~ $re ]] || return 1
    if [[ ${BASH_REMATCH[1]} == 1 && -n ${BASH_REMATCH[3]} ]]; then
        printf '%s\n' "${BASH_REMATCH[3]}"
    else
        printf '%s\n' "${BASH_REMATCH[1]}"
    fi
}

# find_java : print the path of a java >= MIN_JAVA, trying JAVA_HOME, PATH,
# then every JVM under /usr/lib/jvm (an older default `java` may shadow a
# newer one that is installed).
find_java() {
    local candidates=() c major
    [[ -n ${JAVA_HOME:-} ]] && candidates+=("$JAVA_HOME/bin/java")
    if have java; then candidates+=("$(command -v java)"); fi
    for c in /usr/lib/jvm/*/bin/java; do
        [[ -e $c ]] && candidates+=("$c")
    done
    for c in ${candidates[@]+"${candidates[@]}"}; do
        [[ -x $c ]] || continue
        major=$(java_major "$c") || continue
        if ((major >= MIN_JAVA)); then
            printf '%s\n' "$c"
            return 0
        fi
    done
    return 1
}

ensure_java() {
    JAVA_BIN=$(find_java) && return 0
    if have java; then
        log "java on PATH is version $(java_major java || echo '?'), DynamoDB Local needs $MIN_JAVA or newer"
    else
        log "java not found, DynamoDB Local needs Java $MIN_JAVA or newer"
    fi
    have apt-get || die "cannot install Java: apt-get not found; install a Java $MIN_JAVA+ runtime (e.g. Eclipse Temurin) and put it on PATH or set JAVA_HOME, then retry"
    local pkg="" p
    # Debian 12 / Ubuntu 22.04+ have 17; newer releases may only have 21+.
    for p in openjdk-17-jre-headless openjdk-21-jre-headless default-jre-headless; do
        if apt_has "$p"; then
            pkg=$p
            break
        fi
    done
    if [[ -z $pkg ]]; then
        # Probably no package lists yet (fresh machine): update and take 17.
        pkg=openjdk-17-jre-headless
    fi
    # The openjdk postinst fails on minimal images without this directory.
    as_root mkdir -p /usr/share/man/man1
    apt_install "$pkg"
    JAVA_BIN=$(find_java) || die "installed $pkg but found no Java $MIN_JAVA+ (looked at JAVA_HOME, PATH, /usr/lib/jvm); install one by hand, then retry"
}

# ---------------------------------------------------------------- jar

jar_installed() {
    [[ -f $JAR && -d $LIB_DIR ]] && compgen -G "$LIB_DIR/libsqlite4java-linux-*" >/dev/null
}

ensure_jar() {
    jar_installed && return 0
    mkdir -p "$DDB_HOME" || die "cannot create $DDB_HOME; set DYNTUI_DDB_HOME to a writable directory"
    # Serialise concurrent installs (e.g. demo and tests started together).
    if have flock; then
        exec 9>"$DDB_HOME/.install.lock"
        flock 9
        if jar_installed; then
            exec 9>&-
            return 0
        fi
    fi
    if ! have npm; then
        log "npm not found, it is needed to fetch DynamoDB Local"
        apt_install nodejs npm
        have npm || die "installed nodejs and npm but 'npm' is still not on PATH"
    fi
    log "installing DynamoDB Local ($NPM_PACKAGE) into $DDB_HOME with npm (about 20 s)"
    log "DynamoDB Local is AWS's software under the Amazon DynamoDB Local License Agreement (not open source); installing or using it binds you to its terms, in $EMULATOR_DIR/LICENSE.txt"
    npm install --no-audit --no-fund --loglevel=error --prefix "$DDB_HOME" "$NPM_PACKAGE" >&2 \
        || die "'npm install $NPM_PACKAGE' failed (network? npm registry access?); fix it and retry, or remove $DDB_HOME and retry"
    jar_installed || die "npm installed $NPM_PACKAGE but $JAR (or its DynamoDBLocal_lib) is missing; remove $DDB_HOME and retry"
    if have flock; then exec 9>&-; fi
    log "DynamoDB Local installed: $JAR"
}

cmd_install() {
    ensure_java
    ensure_jar
}

# ---------------------------------------------------------------- probing

endpoint_url() { printf 'http://127.0.0.1:%s\n' "$1"; }

ensure_http_client() {
    have curl || have python3 || apt_install curl
}

# ddb_answers PORT : DynamoDB Local (or something speaking DynamoDB) answers
# a ListTables call on 127.0.0.1:PORT.
ddb_answers() {
    local url body
    url="$(endpoint_url "$1")/"
    if have curl; then
        # --noproxy: never send loopback traffic through an http_proxy.
        body=$(curl -sS --noproxy '*' --max-time 5 -X POST \
            -H 'X-Amz-Target: DynamoDB_20120810.ListTables' \
            -H 'Content-Type: application/x-amz-json-1.0' \
            -H 'Authorization: AWS4-HMAC-SHA256 Credential=dummy/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0' \
            --data '{}' "$url" 2>/dev/null) || return 1
    elif have python3; then
        body=$(python3 - "$url" 2>/dev/null <<'PY'
import sys, urllib.request
req = urllib.request.Request(sys.argv[1], data=b"{}", method="POST", headers={
    "X-Amz-Target": "DynamoDB_20120810.ListTables",
    "Content-Type": "application/x-amz-json-1.0",
    "Authorization": "AWS4-HMAC-SHA256 Credential=dummy/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
})
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
with opener.open(req, timeout=5) as resp:
    sys.stdout.write(resp.read().decode("utf-8", "replace"))
PY
        ) || return 1
    else
        die "neither curl nor python3 is available to talk to DynamoDB Local; install curl"
    fi
    [[ $body == *'"TableNames"'* ]]
}

# port_listening PORT : something accepts TCP connections on 127.0.0.1:PORT.
port_listening() {
    if have python3; then
        python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2).close()' "$1" 2>/dev/null
    else
        # shellcheck disable=SC2016 # $1 expands in the inner bash
        timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null
    fi
}

# ---------------------------------------------------------------- processes

pidfile_for() { printf '%s/ddb-%s.pid\n' "$DDB_STATE" "$1"; }
logfile_for() { printf '%s/ddb-%s.log\n' "$DDB_STATE" "$1"; }

# is_our_ddb PID PORT : PID is a live (not zombie) java process running
# DynamoDBLocal.jar on PORT, judging by /proc/PID/cmdline.
is_our_ddb() {
    local pid=$1 port=$2 state args=()
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    [[ -r /proc/$pid/cmdline ]] || return 1
    state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$pid/status" 2>/dev/null) || return 1
    [[ -n $state && $state != Z && $state != X ]] || return 1
    mapfile -d '' -t args <"/proc/$pid/cmdline" 2>/dev/null || return 1
    ((${#args[@]} > 0)) || return 1
    [[ ${args[0]##*/} == java* ]] || return 1
    local i jar=0 port_ok=0
    for ((i = 1; i < ${#args[@]}; i++)); do
        [[ ${args[i]} == *DynamoDBLocal.jar ]] && jar=1
        [[ ${args[i]} == -port && ${args[i + 1]:-} == "$port" ]] && port_ok=1
    done
    ((jar && port_ok))
}

# managed_pid PORT : print the pid from PORT's pidfile if it is our process.
managed_pid() {
    local pidfile pid
    pidfile=$(pidfile_for "$1")
    [[ -f $pidfile ]] || return 1
    pid=$(<"$pidfile")
    pid=${pid//[[:space:]]/}
    is_our_ddb "$pid" "$1" || return 1
    printf '%s\n' "$pid"
}

show_log_tail() {
    local logfile
    logfile=$(logfile_for "$1")
    if [[ -s $logfile ]]; then
        printf '%s: last 30 lines of %s:\n' "$LOG_PREFIX" "$logfile" >&2
        tail -n 30 "$logfile" | sed 's/^/    /' >&2
    else
        log "its log ($logfile) is empty"
    fi
}

# wait_until_answering PID PORT : poll until DynamoDB Local answers; fail if
# the process dies or START_TIMEOUT passes.
wait_until_answering() {
    local pid=$1 port=$2 deadline=$((SECONDS + START_TIMEOUT)) state
    until ddb_answers "$port"; do
        # Right after the fork the child may not have exec'd java yet (its
        # cmdline is still the shell's): only a process that is gone (or a
        # zombie) has exited.
        state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$pid/status" 2>/dev/null || true)
        if [[ -z $state || $state == Z || $state == X ]]; then
            rm -f "$(pidfile_for "$port")"
            log "DynamoDB Local (pid $pid) exited during startup"
            show_log_tail "$port"
            die "DynamoDB Local failed to start on port $port (see its log above)"
        fi
        if ((SECONDS >= deadline)); then
            log "DynamoDB Local (pid $pid) did not answer on port $port within ${START_TIMEOUT}s; stopping it"
            show_log_tail "$port"
            terminate "$pid" "$port"
            rm -f "$(pidfile_for "$port")"
            die "DynamoDB Local did not come up on port $port (see its log above)"
        fi
        sleep 0.5
    done
}

# terminate PID PORT : SIGTERM, then SIGKILL after STOP_TIMEOUT seconds.
terminate() {
    local pid=$1 port=$2 i
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
        is_our_ddb "$pid" "$port" || return 0
        sleep 0.1
    done
    log "pid $pid still running ${STOP_TIMEOUT}s after SIGTERM; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        is_our_ddb "$pid" "$port" || return 0
        sleep 0.1
    done
    die "could not stop pid $pid"
}

# ---------------------------------------------------------------- commands

cmd_start() {
    local port=$1 db_path=$2 pid pidfile logfile
    pidfile=$(pidfile_for "$port")
    logfile=$(logfile_for "$port")
    ensure_http_client

    if pid=$(managed_pid "$port"); then
        # Ours, maybe still starting (e.g. a concurrent `start`).
        wait_until_answering "$pid" "$port"
        log "DynamoDB Local is already running on port $port (pid $pid); not starting another"
        endpoint_url "$port"
        return 0
    fi
    if ddb_answers "$port"; then
        log "DynamoDB Local is already answering on port $port (not started by this script); not starting another"
        endpoint_url "$port"
        return 0
    fi
    if port_listening "$port"; then
        die "port $port is in use by something that is not DynamoDB Local; stop it or pick another port (--port N)"
    fi

    cmd_install
    mkdir -p "$DDB_STATE" || die "cannot create $DDB_STATE; set DYNTUI_DDB_STATE to a writable directory"
    rm -f "$pidfile"

    local args=() extra=()
    if [[ -n ${DYNTUI_DDB_JAVA_OPTS:-} ]]; then
        read -r -a extra <<<"$DYNTUI_DDB_JAVA_OPTS"
    fi
    args+=(${extra[@]+"${extra[@]}"} "-Djava.library.path=$LIB_DIR" -jar "$JAR")
    # NB: DynamoDB Local has no bind-address option: it listens on ALL
    # interfaces, not only 127.0.0.1. We only ever talk to it via loopback;
    # on a shared network, firewall the port or use a throwaway machine.
    args+=(-sharedDb -disableTelemetry -port "$port")
    if [[ -n $db_path ]]; then
        mkdir -p "$db_path" || die "cannot create --db-path directory $db_path"
        db_path=$(cd "$db_path" && pwd)
        args+=(-dbPath "$db_path")
    else
        args+=(-inMemory)
    fi

    local mode="in memory" t0=$SECONDS
    [[ -z $db_path ]] || mode="data in $db_path"
    log "starting DynamoDB Local on port $port ($mode); log: $logfile"
    # Run from the state dir (it writes dynamodb-local-metadata.json into its
    # working directory), detached from our stdin/stdout and, with setsid, from
    # the terminal's signals (a Ctrl-C meant for a later command must not kill
    # it). The `exec`s keep $! equal to the java pid (setsid does not fork
    # here: a background subshell is not a process-group leader).
    local detach=()
    if have setsid; then detach=(setsid); fi
    (cd "$DDB_STATE" && exec ${detach[@]+"${detach[@]}"} nohup "$JAVA_BIN" "${args[@]}" </dev/null >"$logfile" 2>&1) &
    pid=$!
    printf '%s\n' "$pid" >"$pidfile"
    wait_until_answering "$pid" "$port"
    log "DynamoDB Local is up on port $port (pid $pid, answered after $((SECONDS - t0))s)"
    endpoint_url "$port"
}

cmd_stop() {
    local port=$1 pid pidfile
    pidfile=$(pidfile_for "$port")
    if pid=$(managed_pid "$port"); then
        log "stopping DynamoDB Local on port $port (pid $pid)"
        terminate "$pid" "$port"
        rm -f "$pidfile"
        log "stopped"
        return 0
    fi
    local stale=""
    if [[ -f $pidfile ]]; then
        rm -f "$pidfile"
        stale=" (removed stale pidfile)"
    fi
    if { have curl || have python3; } && ddb_answers "$port"; then
        die "DynamoDB Local answers on port $port but was not started by this script (no valid pidfile in $DDB_STATE${stale}); leaving it alone, stop it where it was started"
    fi
    log "DynamoDB Local is not running on port $port${stale}"
}

cmd_status() {
    local port=$1 pid
    ensure_http_client
    if pid=$(managed_pid "$port"); then
        if ddb_answers "$port"; then
            echo "running: pid $pid, endpoint $(endpoint_url "$port")"
        else
            echo "starting (not answering yet): pid $pid, endpoint $(endpoint_url "$port")"
        fi
        return 0
    fi
    if ddb_answers "$port"; then
        echo "running (not started by this script, pid unknown): endpoint $(endpoint_url "$port")"
        return 0
    fi
    echo "not running on port $port"
    return 3
}

cmd_ping() {
    ensure_http_client
    ddb_answers "$1"
}

# ---------------------------------------------------------------- main

main() {
    [[ $# -gt 0 ]] || usage_error "missing command"
    local cmd=$1
    shift
    case $cmd in
    -h | --help | help)
        usage
        return 0
        ;;
    install | start | stop | status | endpoint | ping) ;;
    *) usage_error "unknown command: $cmd" ;;
    esac

    local port=$DEFAULT_PORT db_path="" have_port=0 have_db_path=0
    while [[ $# -gt 0 ]]; do
        case $1 in
        --port)
            [[ $# -ge 2 ]] || usage_error "--port needs a value"
            port=$2
            have_port=1
            shift 2
            ;;
        --port=*)
            port=${1#--port=}
            have_port=1
            shift
            ;;
        --db-path)
            [[ $# -ge 2 && -n $2 ]] || usage_error "--db-path needs a directory"
            db_path=$2
            have_db_path=1
            shift 2
            ;;
        --db-path=*)
            db_path=${1#--db-path=}
            [[ -n $db_path ]] || usage_error "--db-path needs a directory"
            have_db_path=1
            shift
            ;;
        -h | --help)
            usage
            return 0
            ;;
        *) usage_error "unexpected argument for '$cmd': $1" ;;
        esac
    done
    if [[ ! $port =~ ^[0-9]+$ ]] || ((10#$port < 1 || 10#$port > 65535)); then
        usage_error "invalid port: $port"
    fi
    port=$((10#$port))
    if [[ $cmd == install ]] && ((have_port || have_db_path)); then
        usage_error "install takes no options"
    fi
    if ((have_db_path)) && [[ $cmd != start ]]; then
        usage_error "--db-path is only valid with start"
    fi

    case $cmd in
    install) cmd_install ;;
    start) cmd_start "$port" "$db_path" ;;
    stop) cmd_stop "$port" ;;
    status) cmd_status "$port" ;;
    endpoint) endpoint_url "$port" ;;
    ping) cmd_ping "$port" ;;
    esac
}

main "$@"
