#!/usr/bin/env bash
# The project's test command (the README's, and what .ci/run calls):
#   scripts/test.sh [CARGO TEST ARGS...]     e.g. scripts/test.sh dynamo::value
#
# Installs what the tests need (Java + DynamoDB Local, tmux, moto), starts
# DynamoDB Local in memory on a free port and moto (single-threaded) on
# another, builds the release binary (the smoke test drives it in tmux), runs
# `cargo test --all-targets`, stops DynamoDB Local and moto and exits with
# cargo's status.
#
# Environment:
#   DYNTUI_TEST_PORT  port for DynamoDB Local (default: first free from 8765).
#                     If DynamoDB Local already answers there, it is reused and
#                     left running (handy for repeated runs).
#   DYNTUI_TEST_MOTO_PORT  port for moto (default: first free from 8900).
# Exported to the tests:
#   DYNTUI_TEST_ENDPOINT  http://127.0.0.1:<port>
#   DYNTUI_TEST_MOTO      http://127.0.0.1:<moto port> (S3 and the native
#                         export and import calls, tests/s3_native.rs)
#   DYNTUI_BIN            the release binary
#   AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY ("dummy") and AWS_REGION
#   ("us-east-1"), each only if not already set: the tests only talk to loopback.
set -euo pipefail

LOG_PREFIX=test.sh
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/lib.sh
. "$SCRIPT_DIR/lib.sh"
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
cd "$ROOT"
DDB="$SCRIPT_DIR/dynamodb-local.sh"
MOTO="$SCRIPT_DIR/moto.sh"

step "checking tools (Rust, Java, DynamoDB Local, tmux, moto)"
ensure_cargo
"$DDB" install
"$MOTO" install || die "could not install moto (Python, for the S3 tests; see above)"
ensure_cmd tmux tmux

if [[ -n ${DYNTUI_TEST_PORT:-} ]]; then
    port=$DYNTUI_TEST_PORT
    [[ $port =~ ^[0-9]+$ ]] || die "DYNTUI_TEST_PORT must be a port number, got '$port'"
else
    port=$(find_free_port 8765)
fi

if [[ -n ${DYNTUI_TEST_MOTO_PORT:-} ]]; then
    moto_port=$DYNTUI_TEST_MOTO_PORT
    [[ $moto_port =~ ^[0-9]+$ ]] || die "DYNTUI_TEST_MOTO_PORT must be a port number, got '$moto_port'"
else
    moto_port=$(find_free_port 8900)
    [[ $moto_port != "$port" ]] || moto_port=$(find_free_port $((port + 1)))
fi

started_ddb=0
started_moto=0
# shellcheck disable=SC2317 # only called from the traps below
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    if ((started_moto)); then
        step "stopping moto (port $moto_port)"
        "$MOTO" stop --port "$moto_port" || true
    fi
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
    step "reusing DynamoDB Local already answering on port $port (it will be left running)"
else
    step "starting DynamoDB Local (in memory) on port $port"
    # Set before starting: if we are interrupted mid-start, the trap still
    # stops it (stop only acts on the pidfile this start writes).
    started_ddb=1
    if ! "$DDB" start --port "$port" >/dev/null; then
        started_ddb=0 # start cleans up after itself when it fails
        die "could not start DynamoDB Local on port $port (see above)"
    fi
fi

if "$MOTO" ping --port "$moto_port"; then
    step "reusing moto already answering on port $moto_port (it will be left running)"
else
    step "starting moto (single-threaded) on port $moto_port"
    started_moto=1
    if ! "$MOTO" start --port "$moto_port" >/dev/null; then
        started_moto=0
        die "could not start moto on port $moto_port (see above)"
    fi
fi

export DYNTUI_TEST_ENDPOINT="http://127.0.0.1:$port"
export DYNTUI_TEST_MOTO="http://127.0.0.1:$moto_port"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-dummy}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-dummy}"
export AWS_REGION="${AWS_REGION:-us-east-1}"
# Nothing here needs EC2 instance metadata; don't let the SDK wait for it.
export AWS_EC2_METADATA_DISABLED="${AWS_EC2_METADATA_DISABLED:-true}"
export DYNTUI_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/dyntui"
log "DYNTUI_TEST_ENDPOINT=$DYNTUI_TEST_ENDPOINT DYNTUI_TEST_MOTO=$DYNTUI_TEST_MOTO"

locked=(--locked)
if [[ ! -f Cargo.lock ]]; then
    log "Cargo.lock is missing; running cargo without --locked"
    locked=()
fi

step "cargo build --release${locked[*]+ ${locked[*]}}"
cargo build --release ${locked[@]+"${locked[@]}"}

step "cargo test ${locked[*]+${locked[*]} }--all-targets${*:+ $*}"
status=0
cargo test ${locked[@]+"${locked[@]}"} --all-targets "$@" || status=$?
if ((status == 0)); then
    step "tests passed"
else
    step "tests FAILED (cargo exit status $status)"
fi
exit "$status"
