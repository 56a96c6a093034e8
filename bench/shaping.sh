#!/usr/bin/env bash
# bench/shaping.sh: accuracy and fairness of faasnet's network shaping (issue 4).
#
# A benchmark, not a test: it prints a table and exits 0 whether or not the
# figures meet their targets; it fails only when the set-up is broken (no
# build, not root, a flow or a tc call errors).
#
# What it does
#   Builds net_shaping and net_flow if needed (cmake --build $BUILD) and runs
#   net_shaping as root. That builds a region-like topology in namespaces of
#   its own (a core, one host with bridge fnbr0 and an uplink veth, 26
#   sandboxes; addresses 10.100.0.0/16 inside them, nothing in the root
#   namespace), applies each policy with net::Shaper (uploads shaped on the
#   host side of the uplink, downloads on the core side) and measures real TCP
#   flows between net_flow processes in those namespaces, each bounded in
#   bytes and seconds. The namespaces are removed at exit.
#
# Sections, figures and the issue's targets (goodput is at most 1448/1514 =
# 0.956 of an HTB rate, which counts Ethernet frames: the "header-adjusted rate")
#   accuracy      one flow, one class, 10 Mbit/s .. 5 Gbit/s, both ways:
#                 goodput / header-adjusted rate >= 0.98
#   fair          N = 2, 4, 8, 16, 26 downloads on a 1 Gbit/s NIC:
#                 Jain's index >= 0.99, aggregate within 3 % of the NIC
#   proportional  128/256/512/1024 MB all active and subsets, 1 Gbit/s NIC:
#                 each share within 3 % of its memory-proportional share
#   token-bucket  burst bytes within 5 % of configured (class counter at the
#                 switch, and bytes received by then), sustained rate within 3 %;
#                 a small case, and lambda-today's 300 MB burst at 5 and at 10 Gbit/s, then 680 Mbit/s
#   shared        N = 1 .. 26 downloads in one FIFO at 586 Mbit/s (lambda-2019):
#                 aggregate constant within 3 % as N grows (the paper's Fig 5 shape);
#                 per-flow shares are whatever TCP gives (Jain printed)
#   Whole run: ~2 minutes on the reference machine (2 vCPU).
#
# Usage
#   sudo bench/shaping.sh
#   sudo bench/shaping.sh --only fair,proportional       # some sections
#   sudo bench/shaping.sh --download-via ifb             # downloads shaped by an ifb on the host side
#   sudo bench/shaping.sh --cc cubic                     # senders use CUBIC instead of the default (bbr)
#   sudo bench/shaping.sh --quantum-per-weight 16384     # see what too small a quantum does
#   sudo bench/shaping.sh --json /tmp/shaping.json       # the figures as JSON too
#   BUILD=build-net bench/shaping.sh    # another build directory; NO_BUILD=1 skips the build step
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${BUILD:-build}"
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac

if [[ "$(id -u)" != 0 ]]; then
  echo "shaping.sh: needs root (network namespaces, veth, tc); run with sudo" >&2
  exit 1
fi
if [[ "${NO_BUILD:-0}" != 1 ]]; then
  if [[ ! -f "$BUILD/build.ninja" && ! -f "$BUILD/Makefile" ]]; then
    cmake -S "$ROOT" -B "$BUILD" -G Ninja >/dev/null
  fi
  cmake --build "$BUILD" --target net_shaping net_flow -- -j"$(nproc)" >/dev/null
fi
BIN="$BUILD/src/net/net_shaping"
[[ -x "$BIN" ]] || { echo "shaping.sh: $BIN not built" >&2; exit 1; }

echo "faasnet shaping benchmark: $(uname -r), $(nproc) vCPU, $(date -u +%Y-%m-%dT%H:%M:%SZ), git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
start=$(date +%s)
"$BIN" "$@"
echo
echo "done in $(( $(date +%s) - start )) s"
