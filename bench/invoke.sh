#!/usr/bin/env bash
# bench/invoke.sh: the region's invocation speed through the real Invoke API (issue 3, "Speed").
#
# A benchmark, not a test: it prints figures and exits 0 whether or not they meet their targets; it
# fails only when the set-up is broken (no build, the region does not start, an invoke errors).
#
# What it does
#   Builds invoke_bench and the native no-op function if needed (cmake --build $BUILD), then runs
#   $BUILD/bench/invoke_bench: a RegionServer in-process (one emulated host, 2 vCPU, 40000 MB, so 256
#   sandboxes of 128 MB fit; a region name of its own, bench<pid>; work dir /var/tmp/faasnet-bench-<pid>,
#   removed afterwards), the no-op function (provided.al2023, MemorySize 128), and a libcurl client on
#   127.0.0.1 (keep-alive, one handle per thread, every request SigV4-signed for service "lambda").
#   As root it runs with full isolation (netns + veth + bridge + cgroups per sandbox); otherwise with
#   --isolation none, and says so: those figures are unisolated.
#
# Figures (one line each, with the target and [met]/[MISSED])
#   cold invoke        wall time of Invoke, each one a cold start (UpdateFunctionConfiguration with a
#                      new Environment variable retires the warm sandbox first; the old sandbox's
#                      teardown is let finish, then --cold-gap-ms, default 100, pass). Target median <= 15 ms.
#     init_duration_ms the records' init duration: sandbox creation until the runtime's first /next.
#   warm invoke        sequential round trips on one warm sandbox. Target median <= 1 ms.
#   concurrent warm    200 client threads released together, each invoking once, after 200 sandboxes
#                      were warmed by 200 overlapping invokes of {"sleep_ms": 3000}. Target: 0 errors.
#   sandboxes alive    the warm sandboxes are retired, then 256 overlapping invokes of {"sleep_ms": 5000}
#                      (long enough that the last sandbox is created before the first is free again):
#                      distinct sandboxes and the peak number of runtime processes alive at once; their
#                      creation (init_duration_ms) and RegionServer::Stop() with all 256 alive, and when
#                      the kernel had really freed their namespaces.
#   Diagnostics (full isolation): packets the kernel dropped because a CPU's input backlog was full
#   (/proc/net/softnet_stat), TCP retransmissions inside the sandboxes' namespaces, and how many veths
#   of retired sandboxes were still on the host bridge when the alive phase began (--settle waits).
#   SUMMARY            one line with every figure and the number of targets met.
#
# Usage
#   sudo bench/invoke.sh                 # full isolation
#   bench/invoke.sh --cold 100           # extra arguments go to invoke_bench (invoke_bench --help lists them)
#   BUILD=build-bench bench/invoke.sh    # another build directory; NO_BUILD=1 skips the build step
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${BUILD:-build}"
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac

if [[ "${NO_BUILD:-0}" != 1 ]]; then
  if [[ ! -f "$BUILD/CMakeCache.txt" ]]; then
    cmake -S "$ROOT" -B "$BUILD" -G Ninja >/dev/null
  fi
  cmake --build "$BUILD" --target invoke_bench faasnet_fn_noop
fi
BIN="$BUILD/bench/invoke_bench"
NOOP="$BUILD/functions/noop/bootstrap"
[[ -x "$BIN" ]] || { echo "invoke.sh: $BIN is missing (build target invoke_bench)" >&2; exit 1; }
[[ -x "$NOOP" ]] || { echo "invoke.sh: $NOOP is missing (build target faasnet_fn_noop)" >&2; exit 1; }

ISOLATION=full
if [[ "$(id -u)" != 0 ]]; then
  ISOLATION=none
  echo "invoke.sh: not root: running with --isolation none (plain processes: no netns, veth or cgroup;"
  echo "           the figures are UNISOLATED and do not measure sandbox creation). Run as root for full isolation."
fi

echo "invoke.sh: $(uname -r), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "invoke.sh: $BIN --isolation $ISOLATION --bootstrap $NOOP $*"
exec "$BIN" --isolation "$ISOLATION" --bootstrap "$NOOP" "$@"
