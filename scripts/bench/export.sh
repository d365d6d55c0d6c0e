#!/usr/bin/env bash
# Export and startup benchmarks behind the "Export" and "Startup against the
# AWS CLI" sections of BENCHMARKS.md:
#   scripts/bench/export.sh
#
# In one run on this machine, against one DynamoDB Local (in memory), on a
# table of N demo items (PK/SK, GSI1, GSI2; about 390 bytes each):
#   - dyntui: `dyntui export --table T -o FILE --segments S` (a parallel Scan
#     writing every item as DynamoDB JSON lines);
#   - a minimal Rust program (examples/min_parallel_scan.rs) doing the same
#     parallel Scan and nothing else: the limit of the endpoint;
#   - the AWS CLI (pip's awscli in a throwaway venv): `aws dynamodb scan`
#     (it follows every page itself) with its JSON written to a file.
# RUNS runs of each, interleaved, median reported with the ratio to dyntui.
# dyntui's peak RSS (/usr/bin/time) is measured exporting N and BIG items.
# Startup: `dyntui tables` against `aws dynamodb list-tables` (hyperfine).
#
# Environment (defaults in brackets):
#   EXPORT_BENCH_ITEMS     items of the timed table [100000]
#   EXPORT_BENCH_BIG       items of the table for the memory check [1000000]
#   EXPORT_BENCH_RUNS      runs per tool [3]
#   EXPORT_BENCH_SEGMENTS  parallel segments for dyntui and the minimal program [4]
set -euo pipefail

LOG_PREFIX=export-bench
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=SCRIPTDIR/../lib.sh
. "$SCRIPT_DIR/lib.sh"
# shellcheck source=SCRIPTDIR/timing.sh
. "$SCRIPT_DIR/bench/timing.sh"
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
cd "$ROOT"
DDB="$SCRIPT_DIR/dynamodb-local.sh"

ITEMS=${EXPORT_BENCH_ITEMS:-100000}
BIG=${EXPORT_BENCH_BIG:-1000000}
RUNS=${EXPORT_BENCH_RUNS:-3}
SEGMENTS=${EXPORT_BENCH_SEGMENTS:-4}
((ITEMS > 0 && BIG >= ITEMS && RUNS > 0 && SEGMENTS > 0)) || die "bad EXPORT_BENCH_* settings"

began=$(date +%s)
ensure_cargo
"$DDB" install
[[ -x /usr/bin/time ]] || apt_install time
have hyperfine || apt_install hyperfine
have python3 || apt_install python3
python3 -c 'import venv, ensurepip' 2>/dev/null || apt_install python3-venv

export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-dummy} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-dummy}
export AWS_REGION=${AWS_REGION:-us-east-1}
export AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-$AWS_REGION}
export AWS_EC2_METADATA_DISABLED=true AWS_PAGER=""

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dyntui-export-bench.XXXXXX")
port=""
cleanup() {
    if [[ -n $port ]]; then
        "$DDB" stop --port "$port" >/dev/null 2>&1 || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "building release binaries"
cargo build --release --locked --bin dyntui --example min_batch_write --example min_parallel_scan
DYN="${CARGO_TARGET_DIR:-$ROOT/target}/release/dyntui"
MINW="${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/min_batch_write"
MINS="${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/min_parallel_scan"

step "AWS CLI in a throwaway venv"
python3 -m venv "$tmp/venv" >&2
"$tmp/venv/bin/pip" install -q --disable-pip-version-check awscli >&2
AWS="$tmp/venv/bin/aws"
log "$("$AWS" --version 2>&1)"

step "starting DynamoDB Local"
port=$(find_free_port 8895)
"$DDB" start --port "$port" >/dev/null
endpoint="http://127.0.0.1:$port"

step "loading $ITEMS and $BIG demo items"
"$MINW" --write-jsonl "$tmp/all.jsonl" --items "$BIG"
head -n "$ITEMS" "$tmp/all.jsonl" >"$tmp/small.jsonl"
"$MINW" --endpoint "$endpoint" --table bench_small --create-table --file "$tmp/small.jsonl" --concurrency 16 >/dev/null
"$MINW" --endpoint "$endpoint" --table bench_big --create-table --file "$tmp/all.jsonl" --concurrency 16 >/dev/null
rm -f "$tmp/all.jsonl" "$tmp/small.jsonl"

results="$tmp/results" # tool run seconds max_rss_kb
: >"$results"

run_dyn() { # TABLE N RUN
    timed "$tmp/out" "$DYN" --endpoint-url "$endpoint" export --table "$1" \
        -o "$tmp/export.jsonl" --segments "$SEGMENTS"
    local lines
    lines=$(($(wc -l <"$tmp/export.jsonl") - 1))
    [[ $lines == "$2" ]] || die "dyntui exported $lines items of $1, expected $2"
    rm -f "$tmp/export.jsonl"
    printf 'dyntui-%s %s %s %s\n' "$2" "$3" "$SECS" "$RSS" >>"$results"
    log "dyntui   n=$2 run $3: ${SECS} s, $(rate "$2" "$SECS") items/s, max RSS ${RSS} KiB"
}

run_min() { # RUN
    timed "$tmp/out" "$MINS" --endpoint "$endpoint" --table bench_small --segments "$SEGMENTS"
    grep -q "^items=$ITEMS " "$tmp/out" || die "the minimal program read $(cat "$tmp/out")"
    printf 'min %s %s %s\n' "$1" "$SECS" "$RSS" >>"$results"
    log "minimal  run $1: ${SECS} s, $(rate "$ITEMS" "$SECS") items/s, max RSS ${RSS} KiB"
}

run_cli() { # RUN
    timed "$tmp/cli.json" "$AWS" dynamodb scan --table-name bench_small \
        --endpoint-url "$endpoint" --output json
    local n
    n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["Items"]))' "$tmp/cli.json")
    [[ $n == "$ITEMS" ]] || die "the AWS CLI returned $n items, expected $ITEMS"
    rm -f "$tmp/cli.json"
    printf 'awscli %s %s %s\n' "$1" "$SECS" "$RSS" >>"$results"
    log "aws cli  run $1: ${SECS} s, $(rate "$ITEMS" "$SECS") items/s, max RSS ${RSS} KiB"
}

step "warm-up (DynamoDB Local's JIT; not counted)"
run_min 0
run_dyn bench_small "$ITEMS" 0
: >"$results"

step "timed runs: $ITEMS items, $SEGMENTS segments, $RUNS runs each (interleaved)"
for ((r = 1; r <= RUNS; r++)); do
    run_min "$r"
    run_dyn bench_small "$ITEMS" "$r"
    run_cli "$r"
done

step "memory: dyntui exporting $BIG items"
run_dyn bench_big "$BIG" 1

step "startup: dyntui tables vs aws dynamodb list-tables"
hyperfine --warmup 3 --runs "${EXPORT_BENCH_STARTUP_RUNS:-20}" --export-json "$tmp/startup.json" \
    -n dyntui "$DYN --endpoint-url $endpoint tables" \
    -n awscli "$AWS dynamodb list-tables --endpoint-url $endpoint --output json" >&2

median() { # TOOL COLUMN
    awk -v t="$1" -v c="$2" '$1 == t { print $c }' "$results" | sort -g |
        awk '{ a[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print a[(NR + 1) / 2]; else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

d=$(median "dyntui-$ITEMS" 3)
m=$(median min 3)
c=$(median awscli 3)
rss_small=$(median "dyntui-$ITEMS" 4)
rss_big=$(median "dyntui-$BIG" 4)
big_secs=$(median "dyntui-$BIG" 3)
cli_rss=$(median awscli 4)

step "results (medians of $RUNS runs; $(($(date +%s) - began)) s in all)"
cat <<EOT
| tool | seconds | items/s | vs dyntui | max RSS |
|---|---|---|---|---|
| dyntui export ($SEGMENTS segments) | $d | $(rate "$ITEMS" "$d") | 1.00x | $((rss_small / 1024)) MiB |
| minimal parallel Scan ($SEGMENTS segments) | $m | $(rate "$ITEMS" "$m") | dyntui at $(awk -v a="$m" -v b="$d" 'BEGIN { printf "%.0f%%", 100 * a / b }') of it | $(($(median min 4) / 1024)) MiB |
| aws dynamodb scan | $c | $(rate "$ITEMS" "$c") | dyntui $(awk -v a="$c" -v b="$d" 'BEGIN { printf "%.1fx", a / b }') faster | $((cli_rss / 1024)) MiB |

dyntui export of $BIG items: ${big_secs} s ($(rate "$BIG" "$big_secs") items/s), max RSS $((rss_big / 1024)) MiB (vs $((rss_small / 1024)) MiB for $ITEMS items)
EOT
python3 - "$tmp/startup.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
d, a = r["dyntui"], r["awscli"]
print(f"\nstartup to first output: dyntui tables {d['median']*1000:.1f} ms (mean {d['mean']*1000:.1f} ± {d['stddev']*1000:.1f}), "
      f"aws dynamodb list-tables {a['median']*1000:.0f} ms (mean {a['mean']*1000:.0f} ± {a['stddev']*1000:.0f}): "
      f"{a['median']/d['median']:.0f}x")
PY
