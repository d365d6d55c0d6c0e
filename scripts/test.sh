#!/usr/bin/env bash
# The project's test command (the README's, and what .ci/run calls):
#   scripts/test.sh [CARGO TEST ARGS...]     e.g. scripts/test.sh dynamo::value
#
# Installs what the tests need (Java + DynamoDB Local, tmux), starts DynamoDB
# Local in memory on a free port, builds the release binary (the smoke test
# drives it in tmux), runs `cargo test --all-targets`, stops DynamoDB Local and
# exits with cargo's status.
#
# Environment:
#   DYNTUI_TEST_PORT  port for DynamoDB Local (default: first free from 8765).
#                     If DynamoDB Local already answers there, it is reused and
#                     left running (handy for repeated runs).
# Exported to the tests:
#   DYNTUI_TEST_ENDPOINT  http://127.0.0.1:<port>
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

step "checking tools (Rust, Java, DynamoDB Local, tmux)"
ensure_cargo
"$DDB" install
ensure_cmd tmux tmux

if [[ -n ${DYNTUI_TEST_PORT:-} ]]; then
    port=$DYNTUI_TEST_PORT
    [[ $port =~ ^[0-9]+$ ]] || die "DYNTUI_TEST_PORT must be a port number, got '$port'"
else
    port=$(find_free_port 8765)
fi

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

export DYNTUI_TEST_ENDPOINT="http://127.0.0.1:$port"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-dummy}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-dummy}"
export AWS_REGION="${AWS_REGION:-us-east-1}"
# Nothing here needs EC2 instance metadata; don't let the SDK wait for it.
export AWS_EC2_METADATA_DISABLED="${AWS_EC2_METADATA_DISABLED:-true}"
export DYNTUI_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/dyntui"
log "DYNTUI_TEST_ENDPOINT=$DYNTUI_TEST_ENDPOINT"

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
