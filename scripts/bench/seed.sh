#!/usr/bin/env bash
# Seeding benchmark behind the "Seeding" section of BENCHMARKS.md:
#   scripts/bench/seed.sh
#
# In one run on this machine, against one DynamoDB Local (in memory):
#   - dyntui: `dyntui seed bench` from a JSONL file of N demo items (it
#     creates the table from the design, validates the whole file, writes);
#   - a minimal Rust program (examples/min_batch_write.rs) that only reads the
#     file and does BatchWriteItem (it creates the same table first);
#   - the AWS CLI (pip's awscli in a throwaway venv), one
#     `aws dynamodb batch-write-item` per 25-item request file, in a loop, on
#     the first CLI_ITEMS items only (it is slow) and extrapolated to N.
# Each configuration gets a fresh table (deleted afterwards, its item count
# checked), RUNS runs interleaved across configurations, median reported.
# Peak RSS (/usr/bin/time) of dyntui is measured at several item counts.
#
# Environment (defaults in brackets):
#   SEED_BENCH_ITEMS        items per timed run [100000]
#   SEED_BENCH_RUNS         runs per configuration [3]
#   SEED_BENCH_CONCURRENCY  batches in flight to try [4 8 16 32]
#   SEED_BENCH_CLI_ITEMS    items written by the AWS CLI [2500]
#   SEED_BENCH_RSS_ITEMS    extra item counts for dyntui's peak RSS [25000 200000]
set -euo pipefail

LOG_PREFIX=seed-bench
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=SCRIPTDIR/../lib.sh
. "$SCRIPT_DIR/lib.sh"
# shellcheck source=SCRIPTDIR/timing.sh
. "$SCRIPT_DIR/bench/timing.sh"
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
cd "$ROOT"
DDB="$SCRIPT_DIR/dynamodb-local.sh"

ITEMS=${SEED_BENCH_ITEMS:-100000}
RUNS=${SEED_BENCH_RUNS:-3}
read -r -a CONCURRENCY <<<"${SEED_BENCH_CONCURRENCY:-4 8 16 32}"
CLI_ITEMS=${SEED_BENCH_CLI_ITEMS:-2500}
read -r -a RSS_ITEMS <<<"${SEED_BENCH_RSS_ITEMS:-25000 200000}"
((ITEMS > 0 && RUNS > 0 && CLI_ITEMS > 0)) || die "SEED_BENCH_ITEMS, SEED_BENCH_RUNS and SEED_BENCH_CLI_ITEMS must be positive"
((CLI_ITEMS <= ITEMS)) || die "SEED_BENCH_CLI_ITEMS ($CLI_ITEMS) must not exceed SEED_BENCH_ITEMS ($ITEMS)"

began=$(date +%s)
ensure_cargo
"$DDB" install
[[ -x /usr/bin/time ]] || apt_install time
[[ -x /usr/bin/time ]] || die "installed 'time' but /usr/bin/time is still missing"
have python3 || apt_install python3
python3 -c 'import venv, ensurepip' 2>/dev/null || apt_install python3-venv

export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-dummy} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-dummy}
export AWS_REGION=${AWS_REGION:-us-east-1}
export AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-$AWS_REGION} # the AWS CLI v1 reads this one
export AWS_EC2_METADATA_DISABLED=true AWS_PAGER=""

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dyntui-seed-bench.XXXXXX")
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
cargo build --release --locked --bin dyntui --example min_batch_write
DYN="${CARGO_TARGET_DIR:-$ROOT/target}/release/dyntui"
MIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/min_batch_write"

# dyntui's default --concurrency, read from its help; tried too if not listed.
DEFAULT_C=$("$DYN" seed --help | tr '\n' ' ' | sed -n 's/.*--concurrency <[A-Z]*>[^[]*\[default: \([0-9]*\)\].*/\1/p')
[[ -n $DEFAULT_C ]] || die "cannot read the default --concurrency from 'dyntui seed --help'"
[[ " ${CONCURRENCY[*]} " == *" $DEFAULT_C "* ]] || CONCURRENCY+=("$DEFAULT_C")

step "AWS CLI in a throwaway venv"
python3 -m venv "$tmp/venv" >&2
"$tmp/venv/bin/pip" install -q --disable-pip-version-check awscli >&2
AWS="$tmp/venv/bin/aws"
log "$("$AWS" --version 2>&1)"

step "generating demo items"
max_items=$ITEMS
for n in "${RSS_ITEMS[@]}"; do
    if ((n > max_items)); then max_items=$n; fi
done
"$MIN" --write-jsonl "$tmp/all.jsonl" --items "$max_items"
log "$max_items items, $(du -h "$tmp/all.jsonl" | cut -f1) of DynamoDB JSON lines"

# project N : a project dir with N items and the `bench` seed set over them
# (the demo's table design: PK/SK, GSI1, GSI2, on demand).
project() {
    local n=$1 dir="$tmp/p$1"
    if [[ -d $dir ]]; then
        printf '%s\n' "$dir"
        return
    fi
    mkdir -p "$dir"
    head -n "$n" "$tmp/all.jsonl" >"$dir/items.jsonl"
    cat >"$dir/dyntui.toml" <<'EOF'
[project]
name = "seed-bench"

[[table]]
name = "seed-bench"
partition_key = { name = "PK", type = "S" }
sort_key = { name = "SK", type = "S" }
billing_mode = "PAY_PER_REQUEST"

[[table.gsi]]
name = "GSI1"
partition_key = { name = "GSI1PK", type = "S" }
sort_key = { name = "GSI1SK", type = "S" }
projection = "ALL"

[[table.gsi]]
name = "GSI2"
partition_key = { name = "GSI2PK", type = "S" }
sort_key = { name = "GSI2SK", type = "S" }
projection = "ALL"

[[seed]]
name = "bench"
description = "demo items for scripts/bench/seed.sh"
files = ["items.jsonl"]
EOF
    printf '%s\n' "$dir"
}

step "starting DynamoDB Local"
port=$(find_free_port 8875)
"$DDB" start --port "$port" >/dev/null
endpoint="http://127.0.0.1:$port"

results="$tmp/results" # tool concurrency items run seconds max_rss_kb write_items_per_s
: >"$results"
table_n=0

# drop_table T N : delete T after checking it holds N items.
drop_table() {
    local out count
    out=$("$MIN" --endpoint "$endpoint" --table "$1" --delete-table)
    count=${out#item_count=}
    [[ $count == "$2" ]] || die "table $1 holds $count items, expected $2"
}

# run_min C N RUN : the minimal program (creates its table, writes, exits).
run_min() {
    local c=$1 n=$2 r=$3 table dir
    dir=$(project "$n")
    table_n=$((table_n + 1))
    table="bench_min_${table_n}"
    timed "$tmp/out" "$MIN" --endpoint "$endpoint" --table "$table" --create-table \
        --file "$dir/items.jsonl" --concurrency "$c"
    drop_table "$table" "$n"
    printf 'min %s %s %s %s %s -\n' "$c" "$n" "$r" "$SECS" "$RSS" >>"$results"
    log "minimal   c=$c n=$n run $r: ${SECS} s, $(rate "$n" "$SECS") items/s, max RSS ${RSS} KiB ($(grep -o 'items_per_s=[0-9]*' "$tmp/out"))"
}

# run_dyn C N RUN : `dyntui seed` (creates the table, validates, writes).
run_dyn() {
    local c=$1 n=$2 r=$3 table dir flag=() wrate
    dir=$(project "$n")
    table_n=$((table_n + 1))
    table="bench_dyn_${table_n}"
    [[ $c == "$DEFAULT_C" ]] || flag=(--concurrency "$c")
    # Its own state dir: no checkpoint of an earlier run is resumed.
    timed "$tmp/out" env XDG_STATE_HOME="$tmp/state" "$DYN" --endpoint-url "$endpoint" \
        --config "$dir/dyntui.toml" seed bench --table "$table" --yes ${flag[@]+"${flag[@]}"}
    drop_table "$table" "$n"
    wrate=$(sed -n 's/.* (\([0-9]*\) items\/s,.*/\1/p' "$tmp/out" | tail -n 1)
    printf 'dyntui %s %s %s %s %s %s\n' "$c" "$n" "$r" "$SECS" "$RSS" "${wrate:--}" >>"$results"
    log "dyntui    c=$c n=$n run $r: ${SECS} s, $(rate "$n" "$SECS") items/s, max RSS ${RSS} KiB (write phase ${wrate:-?} items/s)"
}

# CLI request files: {"TABLE": [{"PutRequest": {"Item": ...}}, ...]} per 25 items.
CLI_TABLE=bench_cli
mkdir -p "$tmp/cli"
head -n "$CLI_ITEMS" "$tmp/all.jsonl" | python3 -c '
import json, sys
table, out = sys.argv[1], sys.argv[2]
batch, n = [], 0
def flush():
    global batch, n
    if batch:
        n += 1
        with open(f"{out}/req-{n:05d}.json", "w") as f:
            f.write(json.dumps({table: [{"PutRequest": {"Item": json.loads(l)}} for l in batch]}))
        batch = []
for line in sys.stdin:
    if line.strip():
        batch.append(line)
        if len(batch) == 25:
            flush()
flush()
' "$CLI_TABLE" "$tmp/cli"

# run_cli RUN : one `aws dynamodb batch-write-item` per request file.
run_cli() {
    local r=$1 f t0 t1
    "$MIN" --endpoint "$endpoint" --table "$CLI_TABLE" --create-table >/dev/null
    t0=$(date +%s%N)
    for f in "$tmp"/cli/req-*.json; do
        "$AWS" dynamodb batch-write-item --endpoint-url "$endpoint" --output json \
            --request-items "file://$f" >"$tmp/cli.out" || die "aws dynamodb batch-write-item failed on $f"
        grep -q '"UnprocessedItems": {}' "$tmp/cli.out" || die "the AWS CLI left unprocessed items: $(cat "$tmp/cli.out")"
    done
    t1=$(date +%s%N)
    SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
    drop_table "$CLI_TABLE" "$CLI_ITEMS"
    printf 'awscli 1 %s %s %s - -\n' "$CLI_ITEMS" "$r" "$SECS" >>"$results"
    log "aws cli   n=$CLI_ITEMS run $r: ${SECS} s, $(rate "$CLI_ITEMS" "$SECS") items/s"
}

step "warm-up (DynamoDB Local's JIT; not counted)"
warm=$((ITEMS < 25000 ? ITEMS : 25000))
run_min "$DEFAULT_C" "$warm" 0
run_dyn "$DEFAULT_C" "$warm" 0
: >"$results"

step "timed runs: $ITEMS items, concurrency ${CONCURRENCY[*]}, $RUNS runs each (interleaved)"
for ((r = 1; r <= RUNS; r++)); do
    for c in "${CONCURRENCY[@]}"; do run_min "$c" "$ITEMS" "$r"; done
    for c in "${CONCURRENCY[@]}"; do run_dyn "$c" "$ITEMS" "$r"; done
    run_cli "$r"
done

step "dyntui peak memory at other item counts (concurrency $DEFAULT_C)"
for n in "${RSS_ITEMS[@]}"; do
    [[ $n == "$ITEMS" ]] || run_dyn "$DEFAULT_C" "$n" 1
done

step "summary"
python3 - "$results" "$ITEMS" "$CLI_ITEMS" "$DEFAULT_C" <<'PY'
import statistics, sys
path, items, cli_items, default_c = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rows = [l.split() for l in open(path) if l.strip()]
groups = {}
for tool, c, n, run, secs, rss, wrate in rows:
    groups.setdefault((tool, int(c), int(n)), []).append(
        (float(secs), None if rss == "-" else int(rss), None if wrate == "-" else float(wrate)))

def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None

print(f"Seeding {items:,} demo items into DynamoDB Local; median of the runs; "
      f"wall clock of the whole process (table creation, for dyntui also its validation pass).")
print()
print(f"| tool | concurrency | runs | median time | items/s (median) | items/s (min-max) | dyntui write phase items/s | max RSS |")
print(f"|---|---|---|---|---|---|---|---|")
best = {}
for (tool, c, n), v in sorted(groups.items()):
    if n != items and tool != "awscli":
        continue
    secs = med([x[0] for x in v])
    ips = n / secs
    rss = med([x[1] for x in v])
    wr = med([x[2] for x in v])
    label = {"min": "minimal Rust program", "dyntui": "dyntui seed", "awscli": "AWS CLI"}[tool]
    cc = "1 (sequential)" if tool == "awscli" else (f"{c} (default)" if tool == "dyntui" and str(c) == default_c else str(c))
    if tool == "awscli":
        t = f"{secs:.1f} s for {n:,} items; {items / ips:.0f} s for {items:,} (extrapolated)"
    else:
        t = f"{secs:.2f} s"
    lo, hi = n / max(x[0] for x in v), n / min(x[0] for x in v)
    print(f"| {label} | {cc} | {len(v)} | {t} | {ips:,.0f} | {lo:,.0f}-{hi:,.0f} | {'' if wr is None else f'{wr:,.0f}'} | {'' if rss is None else f'{rss / 1024:.1f} MiB'} |")
    if tool not in best or ips > best[tool][0]:
        best[tool] = (ips, c)
    if tool == "dyntui" and str(c) == default_c:
        best["dyntui-default"] = (ips, c)
print()
if {"min", "dyntui", "awscli"} <= best.keys():
    m, d, a = best["min"], best["dyntui"], best["awscli"]
    dd = best.get("dyntui-default", d)
    print(f"best minimal: {m[0]:,.0f} items/s (c={m[1]}); best dyntui: {d[0]:,.0f} items/s (c={d[1]}); "
          f"dyntui default: {dd[0]:,.0f} items/s (c={dd[1]}); AWS CLI: {a[0]:,.0f} items/s")
    print(f"dyntui / minimal: best {d[0] / m[0]:.0%} (target >= 90%: {'met' if d[0] >= 0.9 * m[0] else 'NOT met'}); "
          f"default {dd[0] / m[0]:.0%}")
    print(f"dyntui / AWS CLI: best {d[0] / a[0]:.0f}x (target >= 10x: {'met' if d[0] >= 10 * a[0] else 'NOT met'}); "
          f"default {dd[0] / a[0]:.0f}x")
print()
print("dyntui peak RSS by item count (concurrency %s):" % default_c)
print()
print("| items | max RSS |")
print("|---|---|")
for (tool, c, n), v in sorted(groups.items(), key=lambda kv: kv[0][2]):
    if tool == "dyntui" and str(c) == default_c:
        print(f"| {n:,} | {med([x[1] for x in v]) / 1024:.1f} MiB |")
PY
log "done in $(($(date +%s) - began)) s (load average now: $(cut -d' ' -f1-3 /proc/loadavg))"
