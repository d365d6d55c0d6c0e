#!/usr/bin/env bash
# Try dyntui on a local, in-memory DynamoDB Local (AWS's emulator, under the
# Amazon DynamoDB Local License Agreement, not open source: see README.md):
#   scripts/demo.sh
#
# Installs what is needed (Java + DynamoDB Local), starts DynamoDB Local in
# memory on port ${DYNTUI_DEMO_PORT:-8000}, builds dyntui, seeds the
# `dyntui-demo` table and opens it in dyntui. When you quit dyntui, the
# DynamoDB Local this script started is stopped (and its data is gone). If
# DynamoDB Local already answers on that port, it is reused and left running.
set -euo pipefail

LOG_PREFIX=demo.sh
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/lib.sh
. "$SCRIPT_DIR/lib.sh"
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
cd "$ROOT"
DDB="$SCRIPT_DIR/dynamodb-local.sh"

port=${DYNTUI_DEMO_PORT:-8000}
[[ $port =~ ^[0-9]+$ ]] || die "DYNTUI_DEMO_PORT must be a port number, got '$port'"
endpoint="http://127.0.0.1:$port"

step "checking tools (Rust, Java, DynamoDB Local)"
ensure_cargo
"$DDB" install

started_ddb=0
# shellcheck disable=SC2317 # only called from the traps below
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    if ((started_ddb)); then
        step "stopping DynamoDB Local (port $port)"
        "$DDB" stop --port "$port" || true
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if "$DDB" ping --port "$port"; then
    step "reusing DynamoDB Local already running at $endpoint (it will be left running)"
else
    step "starting DynamoDB Local (in memory) at $endpoint"
    started_ddb=1
    if ! "$DDB" start --port "$port" >/dev/null; then
        started_ddb=0 # start cleans up after itself when it fails
        die "could not start DynamoDB Local on port $port (see above); to use another port: DYNTUI_DEMO_PORT=8001 $0"
    fi
fi

step "building dyntui (cargo build --release; the first build takes a few minutes)"
cargo build --release

# DynamoDB Local accepts any credentials; use dummy ones unless some are set.
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-dummy}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-dummy}"
export AWS_REGION="${AWS_REGION:-us-east-1}"

bin="${CARGO_TARGET_DIR:-$ROOT/target}/release/dyntui"

step "seeding the demo table dyntui-demo"
"$bin" --endpoint-url "$endpoint" seed demo --yes

step "starting dyntui"
run=("$bin" --endpoint-url "$endpoint" --config config/demo/dyntui.toml --table dyntui-demo)
if ((started_ddb)); then
    # The demo's DynamoDB Local is in memory: dyntui asks before quitting,
    # and `k` (keep it running) leaves this file behind.
    keep=$(mktemp -u "${TMPDIR:-/tmp}/dyntui-demo-keep.XXXXXX")
    # Not exec: the EXIT trap must stop DynamoDB Local once dyntui quits.
    status=0
    "${run[@]}" --in-memory-demo "$keep" || status=$?
    if [[ -e $keep ]]; then
        rm -f "$keep"
        started_ddb=0
        step "DynamoDB Local keeps running at $endpoint (in memory); stop it with: scripts/dynamodb-local.sh stop --port $port"
    fi
    exit "$status"
else
    trap - EXIT INT TERM
    exec "${run[@]}"
fi
