#!/usr/bin/env bash
# The idle-tail benchmark behind "Live changes: an idle tail" in BENCHMARKS.md:
#   scripts/bench/idle_tail.sh
#
# Against its own DynamoDB Local (in memory), creates the demo table (with
# its NEW_AND_OLD_IMAGES stream, seeded), then runs `dyntui tail` on it for
# IDLE_BENCH_SECS while nothing writes, and prints the CPU time the process
# used (user + system, from /usr/bin/time) as a share of one core.
#
# Environment (defaults in brackets):
#   IDLE_BENCH_SECS  how long the tail runs [30]
set -euo pipefail

LOG_PREFIX=idle-tail-bench
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=SCRIPTDIR/../lib.sh
. "$SCRIPT_DIR/lib.sh"
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
cd "$ROOT"
DDB="$SCRIPT_DIR/dynamodb-local.sh"

SECS=${IDLE_BENCH_SECS:-30}
((SECS > 0)) || die "IDLE_BENCH_SECS must be positive"

ensure_cargo
"$DDB" install
[[ -x /usr/bin/time ]] || die "/usr/bin/time is missing: apt-get install time"
export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-dummy} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-dummy}
export AWS_REGION=${AWS_REGION:-us-east-1} AWS_EC2_METADATA_DISABLED=true

port=$(find_free_port 8867)
"$DDB" start --port "$port" >/dev/null
trap '"$DDB" stop --port "$port" >/dev/null || true' EXIT
endpoint="http://127.0.0.1:$port"

step "building release binary"
cargo build --release --locked
bin="${CARGO_TARGET_DIR:-$ROOT/target}/release/dyntui"

step "creating and seeding the demo table (with its stream)"
"$bin" --endpoint-url "$endpoint" seed demo --yes >/dev/null

step "dyntui tail for ${SECS}s on the unchanging table"
times=$(mktemp)
/usr/bin/time -f "%U %S %e" -o "$times" \
    "$bin" --endpoint-url "$endpoint" --config config/demo/dyntui.toml \
    tail --table dyntui-demo --for "${SECS}s" >/dev/null
read -r user sys wall <"$times"
awk -v u="$user" -v s="$sys" -v w="$wall" -v secs="$SECS" 'BEGIN {
    cpu = u + s
    printf "idle tail, %d s following (%.1f s in all): CPU %.2f s (user %.2f, system %.2f) = %.2f%% of one core\n", secs, w, cpu, u, s, 100 * cpu / w
}'
rm -f "$times"
