#!/usr/bin/env bash
# End-to-end timing of the release binary: for each size, generate a
# blueprint (`blueprint generate`), then time `blueprint render` into a
# fresh folder as a whole process (wall time and peak RSS), then a
# re-render of the unchanged folder and a `check`, for every target that
# `blueprint render` implements. Prints a Markdown table and the growth
# ratios between sizes. See docs/performance.md.
#
#   benches/e2e.sh                      # N = 10 100 1000, 10 tenants, 5 runs
#   SIZES="100 1000 10000" RUNS=3 benches/e2e.sh
#   BLUEPRINT=path/to/blueprint benches/e2e.sh   # skip the cargo build
#
# Wall time and RSS come from GNU time (`apt-get install -y time`), or,
# without it, from python3's getrusage. Each figure is the median of RUNS
# runs (RSS: the largest). The machine is shared: look at the load average
# printed first, and compare instruction counts (valgrind) when it is high.
set -euo pipefail

SIZES=${SIZES:-"10 100 1000"}
TENANTS=${TENANTS:-10}
RUNS=${RUNS:-5}
TARGETS=${TARGETS:-"ecs eks lambda"}

root=$(cd "$(dirname "$0")/.." && pwd)
if [[ -z "${BLUEPRINT:-}" ]]; then
    cargo build --release --quiet --manifest-path "$root/Cargo.toml"
    BLUEPRINT="$root/target/release/blueprint"
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/blueprint-e2e.XXXXXX")
trap 'rm -rf "$work"' EXIT

# measure OUTFILE CMD...: runs CMD (its stderr to OUTFILE.err), writes
# "<wall seconds> <peak RSS KiB> <exit status>" to OUTFILE.
if /usr/bin/time -f '%e %M' true >/dev/null 2>&1; then
    measure() {
        local out=$1
        shift
        local status=0 start end
        # Wall time from the clock (ns): time's %e has 10 ms steps.
        start=$(date +%s%N)
        /usr/bin/time -o "$out.time" -f '%M' "$@" >/dev/null 2>"$out.err" || status=$?
        end=$(date +%s%N)
        echo "$(awk "BEGIN {printf \"%.3f\", ($end - $start) / 1e9}") $(tail -n 1 "$out.time") $status" >"$out"
    }
elif command -v python3 >/dev/null; then
    measure() {
        local out=$1
        shift
        python3 - "$out" "$@" <<'PY'
import resource, subprocess, sys, time
out, cmd = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
with open(out + ".err", "wb") as err:
    status = subprocess.call(cmd, stdout=subprocess.DEVNULL, stderr=err)
wall = time.perf_counter() - start
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
open(out, "w").write(f"{wall:.3f} {rss} {status}\n")
PY
    }
else
    echo "e2e.sh: needs GNU time (apt-get install -y time) or python3" >&2
    exit 2
fi

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
largest() { sort -g | tail -n 1; }

for n in $SIZES; do
    "$BLUEPRINT" generate --services "$n" --tenants "$TENANTS" >"$work/n$n.yaml"
done

# Which targets `render` implements: exit 2 with "not implemented" is a skip.
first=${SIZES%% *}
targets=()
for t in $TARGETS; do
    status=0
    "$BLUEPRINT" render --target "$t" --file "$work/n$first.yaml" --out "$work/probe-$t" \
        >/dev/null 2>"$work/probe-$t.err" || status=$?
    if [[ $status -eq 0 ]]; then
        targets+=("$t")
    elif [[ $status -eq 2 ]] && grep -q 'not implemented' "$work/probe-$t.err"; then
        echo "skip $t: not implemented" >&2
    else
        echo "e2e.sh: render --target $t failed on a generated blueprint (exit $status):" >&2
        cat "$work/probe-$t.err" >&2
        exit 1
    fi
done

echo "blueprint e2e: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)," \
    "$TENANTS tenants, 3 environments, median of $RUNS runs"
echo
echo "| target | services | files | output MB | render s | peak RSS MB | re-render s | check s |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
declare -A wall
for t in "${targets[@]}"; do
    for n in $SIZES; do
        file="$work/n$n.yaml"
        : >"$work/walls"
        : >"$work/rss"
        : >"$work/rewalls"
        : >"$work/checkwalls"
        for ((r = 0; r < RUNS; r++)); do
            out="$work/out-$t-$n-$r"
            measure "$work/m" "$BLUEPRINT" render --target "$t" --file "$file" --out "$out"
            read -r w k s <"$work/m"
            if [[ $s -ne 0 ]]; then
                echo "e2e.sh: render --target $t (N=$n) exited $s:" >&2
                cat "$work/m.err" >&2
                exit 1
            fi
            echo "$w" >>"$work/walls"
            echo "$k" >>"$work/rss"
            # The same render again: every file unchanged, nothing written.
            measure "$work/m" "$BLUEPRINT" render --target "$t" --file "$file" --out "$out"
            read -r w k s <"$work/m"
            if [[ $s -ne 0 ]] || ! grep -q ' 0 written' "$work/m.err"; then
                echo "e2e.sh: re-render of an unchanged folder wrote files:" >&2
                cat "$work/m.err" >&2
                exit 1
            fi
            echo "$w" >>"$work/rewalls"
            measure "$work/m" "$BLUEPRINT" check --target "$t" --file "$file" --out "$out"
            read -r w k s <"$work/m"
            if [[ $s -ne 0 ]]; then
                echo "e2e.sh: check after render exited $s:" >&2
                cat "$work/m.err" >&2
                exit 1
            fi
            echo "$w" >>"$work/checkwalls"
            files=$(find "$out" -type f ! -name '.blueprint-manifest.json' | wc -l)
            bytes=$(du -sb "$out" | cut -f1)
            [[ $r -gt 0 ]] && rm -rf "$out"
        done
        wall[$t,$n]=$(median <"$work/walls")
        printf '| %s | %s | %s | %.1f | %.3f | %.0f | %.3f | %.3f |\n' "$t" "$n" "$files" \
            "$(awk "BEGIN {print $bytes / 1000000}")" "${wall[$t,$n]}" \
            "$(awk "BEGIN {print $(largest <"$work/rss") / 1024}")" \
            "$(median <"$work/rewalls")" "$(median <"$work/checkwalls")"
        rm -rf "$work/out-$t-$n-0"
    done
done

echo
echo "Growth of render time with 10x the services (t(10N)/t(N)):"
for t in "${targets[@]}"; do
    prev=""
    line="  $t:"
    for n in $SIZES; do
        if [[ -n $prev ]]; then
            line+=" t($n)/t($prev) = $(awk "BEGIN {printf \"%.1f\", ${wall[$t,$n]} / ${wall[$t,$prev]}}")"
        fi
        prev=$n
    done
    echo "$line"
done
