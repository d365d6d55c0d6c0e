#!/usr/bin/env bash
# The items view's read of everything (`G`) against `dyntui export`, behind
# the "Loading everything in the items view" section of BENCHMARKS.md:
#   scripts/bench/load_all.sh
#
# On one table of N demo items (PK/SK, GSI1, GSI2; about 390 bytes each) in
# DynamoDB Local (in memory), RUNS runs of each, interleaved, after a
# warm-up run of each that is not counted:
#   - dyntui export: `dyntui export --table T -o FILE --segments 4` (a
#     parallel Scan writing every item as DynamoDB JSON lines);
#   - the items view: examples/tui_read_all.rs opens the table in the TUI's
#     items view (its first page), presses G, and applies every message
#     (update, effects run by the Runner, a frame at most every 16 ms) until
#     every item is loaded.
# Both are timed as whole processes (wall clock and max RSS, /usr/bin/time);
# the medians and their ratio are printed.
#
# Environment (defaults in brackets):
#   LOAD_BENCH_ITEMS     items of the table [100000]
#   LOAD_BENCH_RUNS      timed runs of each [5]
#   LOAD_BENCH_ENDPOINT  an endpoint to use instead of starting DynamoDB
#                        Local (a table of its own is made there and deleted)
set -euo pipefail

LOG_PREFIX=load-all-bench
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=SCRIPTDIR/../lib.sh
. "$SCRIPT_DIR/lib.sh"
# shellcheck source=SCRIPTDIR/timing.sh
. "$SCRIPT_DIR/bench/timing.sh"
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
cd "$ROOT"
DDB="$SCRIPT_DIR/dynamodb-local.sh"

ITEMS=${LOAD_BENCH_ITEMS:-100000}
RUNS=${LOAD_BENCH_RUNS:-5}
SEGMENTS=4
((ITEMS > 0 && RUNS > 0)) || die "bad LOAD_BENCH_* settings"

began=$(date +%s)
ensure_cargo
[[ -x /usr/bin/time ]] || apt_install time

export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-dummy} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-dummy}
export AWS_REGION=${AWS_REGION:-us-east-1}
export AWS_EC2_METADATA_DISABLED=true

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dyntui-load-all-bench.XXXXXX")
port=""
table="bench_load_all_$$"
endpoint=${LOAD_BENCH_ENDPOINT:-}
MINW=""
cleanup() {
    if [[ -n $port ]]; then
        "$DDB" stop --port "$port" >/dev/null 2>&1 || true
    elif [[ -n $endpoint && -n $MINW ]]; then
        "$MINW" --endpoint "$endpoint" --table "$table" --delete-table >/dev/null 2>&1 || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "building release binaries"
cargo build --release --locked --bin dyntui --example min_batch_write --example tui_read_all
target="${CARGO_TARGET_DIR:-$ROOT/target}/release"
DYN="$target/dyntui"
MINW="$target/examples/min_batch_write"
TUI="$target/examples/tui_read_all"

if [[ -z $endpoint ]]; then
    step "starting DynamoDB Local"
    "$DDB" install
    port=$(find_free_port 8925)
    "$DDB" start --port "$port" >/dev/null
    endpoint="http://127.0.0.1:$port"
fi

step "loading $ITEMS demo items into $table"
"$MINW" --write-jsonl "$tmp/items.jsonl" --items "$ITEMS"
"$MINW" --endpoint "$endpoint" --table "$table" --create-table >/dev/null
"$MINW" --endpoint "$endpoint" --table "$table" --file "$tmp/items.jsonl" --concurrency 16 >/dev/null
rm -f "$tmp/items.jsonl"

results="$tmp/results" # tool run seconds max_rss_kb
: >"$results"

run_export() { # RUN
    timed "$tmp/out" "$DYN" --endpoint-url "$endpoint" export --table "$table" \
        -o "$tmp/export.jsonl" --segments "$SEGMENTS"
    local lines
    lines=$(($(wc -l <"$tmp/export.jsonl") - 1))
    [[ $lines == "$ITEMS" ]] || die "dyntui exported $lines items, expected $ITEMS"
    rm -f "$tmp/export.jsonl"
    printf 'export %s %s %s\n' "$1" "$SECS" "$RSS" >>"$results"
    log "dyntui export run $1: ${SECS} s, $(rate "$ITEMS" "$SECS") items/s, max RSS ${RSS} KiB"
}

run_view() { # RUN
    timed "$tmp/out" "$TUI" --endpoint "$endpoint" --table "$table"
    grep -q "^items=$ITEMS " "$tmp/out" || die "the items view loaded: $(cat "$tmp/out")"
    printf 'view %s %s %s\n' "$1" "$SECS" "$RSS" >>"$results"
    log "items view G run $1: ${SECS} s, $(rate "$ITEMS" "$SECS") items/s, max RSS ${RSS} KiB ($(cat "$tmp/out"))"
}

step "warm-up (DynamoDB Local's JIT; not counted)"
run_export 0
run_view 0
: >"$results"

step "timed runs: $ITEMS items, $RUNS runs each (interleaved)"
for ((r = 1; r <= RUNS; r++)); do
    run_export "$r"
    run_view "$r"
done

median() { # TOOL COLUMN
    awk -v t="$1" -v c="$2" '$1 == t { print $c }' "$results" | sort -g |
        awk '{ a[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print a[(NR + 1) / 2]; else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
range() { # TOOL
    awk -v t="$1" '$1 == t { print $3 }' "$results" | sort -g | awk 'NR == 1 { a = $1 } { b = $1 } END { print a "-" b }'
}

e=$(median export 3)
v=$(median view 3)
step "results (medians of $RUNS runs; $(($(date +%s) - began)) s in all; load average $(cut -d' ' -f1-3 /proc/loadavg))"
cat <<EOT
| what | median time, $ITEMS items | runs (min-max) | items/s | max RSS |
|---|---|---|---|---|
| dyntui export ($SEGMENTS segments) | $e s | $(range export) s | $(rate "$ITEMS" "$e") | $(($(median export 4) / 1024)) MiB |
| items view, G (read everything) | $v s | $(range view) s | $(rate "$ITEMS" "$v") | $(($(median view 4) / 1024)) MiB |

items view / dyntui export: $(awk -v a="$v" -v b="$e" 'BEGIN { printf "%.2fx", a / b }') (target: at most 1.5x)
EOT
