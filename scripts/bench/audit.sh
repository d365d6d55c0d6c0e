#!/usr/bin/env bash
# The audit-cost benchmark behind "Audit of bulk writes" in BENCHMARKS.md:
#   scripts/bench/audit.sh
#
# Against its own DynamoDB Local (in memory), examples/migrate_audit_cost.rs
# migrates a table of N items 2 x RUNS times, alternating runs that record
# every migrated item in the audit log with runs that do not, and prints the
# median of each and the overhead.
#
# Environment (defaults in brackets):
#   AUDIT_BENCH_ITEMS  items of the table [20000]
#   AUDIT_BENCH_RUNS   runs of each kind [5]
set -euo pipefail

LOG_PREFIX=audit-bench
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=SCRIPTDIR/../lib.sh
. "$SCRIPT_DIR/lib.sh"
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
cd "$ROOT"
DDB="$SCRIPT_DIR/dynamodb-local.sh"

ITEMS=${AUDIT_BENCH_ITEMS:-20000}
RUNS=${AUDIT_BENCH_RUNS:-5}
((ITEMS > 0 && RUNS > 0)) || die "AUDIT_BENCH_ITEMS and AUDIT_BENCH_RUNS must be positive"

ensure_cargo
"$DDB" install
export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-dummy} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-dummy}
export AWS_REGION=${AWS_REGION:-us-east-1} AWS_EC2_METADATA_DISABLED=true

port=""
cleanup() {
    if [[ -n $port ]]; then
        "$DDB" stop --port "$port" >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "building the release example"
cargo build --release --locked --example migrate_audit_cost
port=$(find_free_port 8900)
"$DDB" start --port "$port" >/dev/null
step "migrating $ITEMS items, $RUNS runs each with and without the audit log"
"${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/migrate_audit_cost" \
    --endpoint "http://127.0.0.1:$port" --items "$ITEMS" --runs "$RUNS"
