# Timing helpers shared by the benchmark scripts (sourced; needs lib.sh's die).

# timed OUTFILE CMD... : run CMD under /usr/bin/time -v (stdout+stderr to
# OUTFILE); sets SECS (wall clock, ns resolution) and RSS (max RSS, KiB).
timed() {
    local out=$1 t0 t1
    shift
    t0=$(date +%s%N)
    /usr/bin/time -v -o "$out.time" "$@" >"$out" 2>&1 || {
        tail -n 50 "$out" >&2
        die "failed: $*"
    }
    t1=$(date +%s%N)
    SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
    RSS=$(sed -n 's/.*Maximum resident set size (kbytes): *//p' "$out.time")
}

# rate N SECS : N per second, rounded.
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }
