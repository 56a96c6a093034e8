#!/usr/bin/env bash
# bench/sandbox.sh: raw sandbox set-up cost through faasnet_sys (issue 3, "Speed").
#
# A benchmark, not a test: it prints figures and exits 0 whether or not they meet their targets; it
# fails only when the set-up is broken (no build, not root, the bench errors).
#
# What it does
#   Builds sys_sandbox_bench if needed (cmake --build $BUILD) and runs it twice as root:
#     1. COUNT (default 200) sequential create+destroy of one sandbox: a network namespace (pinned),
#        a veth whose far end is eth0 inside and whose near end is a port of a bridge in a host
#        namespace, lo/eth0 up, an address and a default route inside, a cgroup (cpu, memory, pids
#        limits) under a host cgroup. Destroy = cgroup rmdir + namespace removal (the kernel removes
#        the veth).
#     2. --batch BATCH (default 256): BATCH sandboxes created one after another and kept alive at
#        once, then all destroyed.
#   Everything lives in namespaces the bench creates (10.201.0.0/16), nothing in the root namespace.
#   The bench prints median / p90 / p99 / max per phase; this script then prints the figures with
#   their targets.
#
# Figures and targets (docs MACHINE.md: the same steps as one `ip` process each took ~52 ms per
#   create+destroy; the netlink floor is ~1 ms)
#   create+destroy (sequential)   median <= 5 ms, p99 <= 20 ms
#   create / destroy (batch)      no target; shows the cost with BATCH sandboxes alive
#
# Usage
#   sudo bench/sandbox.sh
#   COUNT=500 BATCH=256 sudo -E bench/sandbox.sh
#   BUILD=build-bench bench/sandbox.sh    # another build directory; NO_BUILD=1 skips the build step
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${BUILD:-build}"
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
COUNT="${COUNT:-200}"
BATCH="${BATCH:-256}"

if [[ "$(id -u)" != 0 ]]; then
  echo "sandbox.sh: needs root (network namespaces, veth, cgroups); run with sudo" >&2
  exit 1
fi
if [[ "${NO_BUILD:-0}" != 1 ]]; then
  if [[ ! -f "$BUILD/CMakeCache.txt" ]]; then
    cmake -S "$ROOT" -B "$BUILD" -G Ninja >/dev/null
  fi
  cmake --build "$BUILD" --target sys_sandbox_bench
fi
BIN="$BUILD/bench/sys_sandbox_bench"
[[ -x "$BIN" ]] || { echo "sandbox.sh: $BIN is missing (build target sys_sandbox_bench)" >&2; exit 1; }

echo "sandbox.sh: $(uname -r), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
OUT_SEQ="$(mktemp)"
OUT_BATCH="$(mktemp)"
trap 'rm -f "$OUT_SEQ" "$OUT_BATCH"' EXIT

echo
echo "== $BIN --count $COUNT"
timeout 600 "$BIN" --count "$COUNT" | tee "$OUT_SEQ"
echo
echo "== $BIN --batch $BATCH"
timeout 600 "$BIN" --batch "$BATCH" | tee "$OUT_BATCH"

# "name   n=200  median   1.751 ms  p90   2.754  p99  12.669  max  12.669" -> field value
field() {  # file, line prefix, field name (median|p90|p99|max)
  awk -v name="$2" -v f="$3" 'index($0, name) == 1 {
      for (i = 1; i < NF; i++) if ($i == f) { print $(i + 1); exit }
    }' "$1"
}
verdict() {  # value, limit
  awk -v v="$1" -v l="$2" 'BEGIN { print (v != "" && v + 0 <= l + 0) ? "[met]" : "[MISSED]" }'
}

seq_med="$(field "$OUT_SEQ" "create+destroy" median)"
seq_p99="$(field "$OUT_SEQ" "create+destroy" p99)"
seq_max="$(field "$OUT_SEQ" "create+destroy" max)"
b_cmed="$(field "$OUT_BATCH" "create " median)"
b_cp99="$(field "$OUT_BATCH" "create " p99)"
b_dmed="$(field "$OUT_BATCH" "destroy " median)"
b_dp99="$(field "$OUT_BATCH" "destroy " p99)"
b_wall="$(awk '/^wall / { print $2 }' "$OUT_BATCH")"
alive="$(awk '/sandboxes alive at once/ { print $1 }' "$OUT_BATCH")"

echo
echo "== figures (targets from issue 3; the same steps with one \`ip\` process each: ~52 ms, MACHINE.md)"
printf '%-34s median %s ms  (target <= 5 ms)  %s\n' "create+destroy, sequential x$COUNT:" "$seq_med" "$(verdict "$seq_med" 5)"
printf '%-34s p99 %s ms  (target <= 20 ms)  %s   max %s ms\n' "" "$seq_p99" "$(verdict "$seq_p99" 20)" "$seq_max"
printf '%-34s %s sandboxes alive; create median %s ms, p99 %s ms; destroy median %s ms, p99 %s ms; wall %s ms\n' \
  "batch x$BATCH:" "${alive:-?}" "$b_cmed" "$b_cp99" "$b_dmed" "$b_dp99" "$b_wall"
met=0
[[ "$(verdict "$seq_med" 5)" == "[met]" ]] && met=$((met + 1))
[[ "$(verdict "$seq_p99" 20)" == "[met]" ]] && met=$((met + 1))
awk -v m="$seq_med" 'BEGIN { if (m + 0 > 0) printf "%-34s %.0fx faster than the ip-command baseline (52 ms)\n", "", 52 / m }'
echo "SUMMARY sandbox create+destroy median_ms=$seq_med p99_ms=$seq_p99 batch=$BATCH alive=${alive:-?} batch_create_median_ms=$b_cmed batch_create_p99_ms=$b_cp99 batch_destroy_median_ms=$b_dmed targets_met=$met/2"
