#!/usr/bin/env bash
# Runs the benchmarks behind BENCHMARKS.md:
#   scripts/bench/run.sh
# Starts DynamoDB Local (in memory) for the startup figures, runs the criterion
# and measurement benches in release mode, times `dyntui tables` as a whole
# process with hyperfine (installed with apt when missing), times the items
# view's read of everything (G) against `dyntui export` on 100,000 items
# (scripts/bench/load_all.sh, on the same DynamoDB Local), stops
# DynamoDB Local, and measures an idle `dyntui tail` (scripts/bench/idle_tail.sh,
# on its own).
set -euo pipefail

LOG_PREFIX=bench
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=SCRIPTDIR/../lib.sh
. "$SCRIPT_DIR/lib.sh"
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
cd "$ROOT"
DDB="$SCRIPT_DIR/dynamodb-local.sh"

ensure_cargo
"$DDB" install
ensure_cmd hyperfine hyperfine

port=$(find_free_port 8865)
"$DDB" start --port "$port" >/dev/null
trap '"$DDB" stop --port "$port" >/dev/null || true' EXIT
endpoint="http://127.0.0.1:$port"
export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-dummy} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-dummy} AWS_REGION=${AWS_REGION:-us-east-1}
export AWS_EC2_METADATA_DISABLED=true

step "building release binary"
cargo build --release --locked
bin="${CARGO_TARGET_DIR:-$ROOT/target}/release/dyntui"
step "seeding the demo table"
"$bin" --endpoint-url "$endpoint" seed demo --yes

step "criterion and measurement benches"
DYNTUI_TEST_ENDPOINT=$endpoint cargo bench --locked --bench decode --bench render --bench memory --bench startup --bench hotwrites -- --warm-up-time 1 --measurement-time 4

step "whole-process startup: dyntui tables"
hyperfine --warmup 3 --runs 30 "$bin --endpoint-url $endpoint tables"

step "items view, G (read everything) vs dyntui export"
LOAD_BENCH_ENDPOINT=$endpoint "$SCRIPT_DIR/bench/load_all.sh"

step "an idle dyntui tail (its own DynamoDB Local)"
"$SCRIPT_DIR/bench/idle_tail.sh"
