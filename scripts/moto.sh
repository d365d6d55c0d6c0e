#!/usr/bin/env bash
# Install and run moto (Apache-2.0, https://github.com/getmoto/moto) for the
# native export and import tests: it serves S3 and DynamoDB's
# ExportTableToPointInTime, DescribeExport, ListExports, ImportTable,
# DescribeImport and the continuous backups calls. See `moto.sh --help`.
#
# moto's threaded server is not safe under concurrent requests, so it is
# started single-threaded (one request at a time) by a small launcher.
#
# Environment:
#   DYNTUI_MOTO_HOME   virtualenv holding moto
#                      (default: ${XDG_DATA_HOME:-~/.local/share}/dyntui/moto)
#   DYNTUI_MOTO_STATE  pid and log files
#                      (default: ${XDG_STATE_HOME:-~/.local/state}/dyntui/moto)
set -euo pipefail

LOG_PREFIX=moto
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MOTO_VERSION=5.2.1
MOTO_HOME="${DYNTUI_MOTO_HOME:-${XDG_DATA_HOME:-$HOME/.local/share}/dyntui/moto}"
MOTO_STATE="${DYNTUI_MOTO_STATE:-${XDG_STATE_HOME:-$HOME/.local/state}/dyntui/moto}"
DEFAULT_PORT=8900
START_TIMEOUT=30 # seconds to wait for the server to answer
STOP_TIMEOUT=10  # seconds between SIGTERM and SIGKILL

usage() {
    cat <<EOF
Usage: ${0##*/} COMMAND [--port N]

Commands:
  install        Install moto[server]==$MOTO_VERSION into a virtualenv if missing
                 (python3 with venv and pip via apt when they are missing).
  start          Install if needed, start moto single-threaded on 127.0.0.1:PORT in
                 the background, wait until it answers and print its endpoint.
  stop           Stop the instance this script started on that port.
  ping           Exit 0 if moto answers on the port, else 1.
  endpoint       Print the endpoint URL.

The default port is $DEFAULT_PORT.
Install dir: $MOTO_HOME (DYNTUI_MOTO_HOME)
State dir:   $MOTO_STATE (DYNTUI_MOTO_STATE)
EOF
}

PY="$MOTO_HOME/bin/python"

moto_installed() {
    [[ -x $PY ]] && "$PY" -c "
import moto, werkzeug, flask
assert moto.__version__ == '$MOTO_VERSION', moto.__version__
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
" >/dev/null 2>&1
}

install() {
    moto_installed && return 0
    if ! have python3; then
        log "python3 not found, moto needs it"
        apt_install python3 python3-venv python3-pip
    fi
    mkdir -p "$(dirname "$MOTO_HOME")" || die "cannot create $(dirname "$MOTO_HOME"); set DYNTUI_MOTO_HOME to a writable directory"
    if have flock; then
        exec 9>"$(dirname "$MOTO_HOME")/.moto-install.lock"
        flock 9
        moto_installed && return 0
    fi
    if [[ ! -x $PY ]]; then
        log "creating a virtualenv in $MOTO_HOME"
        if ! python3 -m venv "$MOTO_HOME" >/dev/null 2>&1; then
            rm -rf "$MOTO_HOME"
            apt_install python3-venv
            python3 -m venv "$MOTO_HOME" || die "cannot create a Python virtualenv in $MOTO_HOME (python3 -m venv failed)"
        fi
    fi
    log "installing moto[server]==$MOTO_VERSION (Apache-2.0) into $MOTO_HOME"
    "$PY" -m pip install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" ||
        die "cannot install moto[server]==$MOTO_VERSION with pip into $MOTO_HOME (is PyPI reachable? a proxy needs HTTPS_PROXY); install it by hand with: $PY -m pip install 'moto[server]==$MOTO_VERSION'"
    moto_installed || die "installed moto but cannot import its server from $PY"
}

port_arg() {
    PORT=$DEFAULT_PORT
    while (($#)); do
        case $1 in
        --port)
            [[ $# -ge 2 && $2 =~ ^[0-9]+$ ]] || die "--port needs a number"
            PORT=$2
            shift 2
            ;;
        *) die "unknown option: $1" ;;
        esac
    done
}

ping_moto() {
    # Any HTTP answer from moto's own page means it serves (2 s at most).
    local url="http://127.0.0.1:$PORT/moto-api/"
    if [[ -x $PY ]]; then
        "$PY" - "$url" >/dev/null 2>&1 <<'PYEOF'
import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen(sys.argv[1], timeout=2)
except urllib.error.HTTPError:
    pass
PYEOF
    elif have curl; then
        curl -s -o /dev/null --max-time 2 "$url" 2>/dev/null
    else
        return 1
    fi
}

start() {
    install
    if ping_moto; then
        printf 'http://127.0.0.1:%s\n' "$PORT"
        return 0
    fi
    port_is_free "$PORT" || die "port $PORT is taken by something that is not moto"
    mkdir -p "$MOTO_STATE"
    local pidfile="$MOTO_STATE/moto-$PORT.pid" logfile="$MOTO_STATE/moto-$PORT.log"
    # Single-threaded: moto's backends are not safe under concurrent requests.
    nohup "$PY" -c "
import sys
from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
run_simple('127.0.0.1', int(sys.argv[1]), DomainDispatcherApplication(create_backend_app),
           threaded=False, processes=1, use_reloader=False)
" "$PORT" >"$logfile" 2>&1 &
    echo $! >"$pidfile"
    local waited=0
    until ping_moto; do
        if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
            rm -f "$pidfile"
            tail -n 20 "$logfile" >&2 || true
            die "moto exited on start (log: $logfile)"
        fi
        if ((waited >= START_TIMEOUT * 10)); then
            stop
            die "moto did not answer on port $PORT within ${START_TIMEOUT}s (log: $logfile)"
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    printf 'http://127.0.0.1:%s\n' "$PORT"
}

stop() {
    local pidfile="$MOTO_STATE/moto-$PORT.pid" pid waited=0
    [[ -f $pidfile ]] || return 0
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        while kill -0 "$pid" 2>/dev/null && ((waited < STOP_TIMEOUT * 10)); do
            sleep 0.1
            waited=$((waited + 1))
        done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
}

cmd=${1:-}
[[ $# -gt 0 ]] && shift
case $cmd in
install) install ;;
start)
    port_arg "$@"
    start
    ;;
stop)
    port_arg "$@"
    stop
    ;;
ping)
    port_arg "$@"
    ping_moto
    ;;
endpoint)
    port_arg "$@"
    printf 'http://127.0.0.1:%s\n' "$PORT"
    ;;
-h | --help | help) usage ;;
*)
    usage >&2
    exit 2
    ;;
esac
