#!/usr/bin/env bash
# bench/store_vs_nginx.sh: `faasnet store serve` against nginx, same objects, same disk, same client.
#
# A benchmark, not a test: it prints figures and exits 0 whatever they are; it fails (exit 1) only when
# the set-up is broken (a server does not start, a bucket cannot be made, a pass moves nothing).
#
# What it does
#   Starts, on 127.0.0.1 only, nginx (own config in a temp dir: worker_processes 2, sendfile on,
#   tcp_nopush on, keepalive_requests 100000, access_log off, runs as root) and `faasnet store serve`
#   (--access-log none), plus two short-lived store instances for comparison (--etag md5 and
#   --no-fsync). They serve the same OBJECTS x SIZE_MB objects (default 100 x 10 MB = 1 GB, MB = 10^6
#   bytes) from the same temp dir: plain files for nginx, uploaded through the store's PUT (measured).
#   Clients: curl for the large objects (keep-alive: one curl process fetches every URL of a pass;
#   --parallel --parallel-max 16 for 16 connections; SigV4 by curl --aws-sigv4); wrk (from Debian,
#   installed if missing; else bench/store_s3.py load) replaying pre-signed requests for the 1 KB
#   objects (nginx gets the same request bytes and ignores the signature); bench/store_s3.py idle for
#   the idle connections.
#
# Figures (one line each; store and nginx passes alternate so that background load hits both)
#   PUT 1 conn                 store CPU-s per GB uploaded with the default settings (fsync on, etag
#                              fast; target <= 0.6; s3rver 6.4); also --etag md5 and --no-fsync (no
#                              target: MD5 alone costs ~1.5 CPU-s/GB; no-fsync shows what fsync costs).
#                              Counted after WARMUP_ROUNDS uncounted passes (printed): see "Warm-up".
#   GET 1 conn / GET 16 conns  store CPU-s per GB moved (target <= 0.25; nginx measured 0.17-0.22,
#                              s3rver 3.3) and throughput store/nginx (target >= 0.9)
#   GET 1 conn by placement    the servers pinned to CPU 0 and curl on CPU 0, then on CPU 1 (no
#                              target): the two cases the unpinned 1-conn figure mixes, steadily
#   1 KB objects, 64 conns     store GET and PUT ops/s beside nginx GET ops/s, and server CPU us/op
#                              (no target)
#   IDLE_CONNS idle conns      1000 keep-alive connections (each made one signed GET first) held open
#                              while the 16-connection GET passes run; then each makes one more GET:
#                              errors (target 0) and the GET throughput meanwhile
#   The last line counts the figures that met their targets (6 targets).
#   PUT and GET lines also print context switches per GB (server threads, voluntary + involuntary):
#   unlike CPU time they barely move with other load, and each one is a thread woken for nothing.
#
# How to read them
#   CPU-s/GB = (utime+stime) of the server process (all its threads; nginx: master + workers) during
#   the passes / GB moved, summed over the rounds (ticks are 10 ms: sums are steadier than rounds).
#   MB/s and ops/s = wall clock, median over the rounds. Client and servers share the 2 vCPUs, so
#   throughput is a client+server figure; CPU-s/GB and us/op are the server's own cost -- but on
#   loopback the kernel charges TCP receive/ACK work to whichever task runs the softirq, so a server's
#   CPU-s/GB moves with CPU placement (same CPU as curl: ~0.1; different CPUs: ~0.3). PIN=1 pins the
#   servers to CPU 0 and the clients to the other CPUs, which makes the figures steadier.
#   Other work on the machine (builds) shows up in both: the load average is printed at the start and
#   end. PUT figures depend on the disk: fdatasync's block-layer work is charged to the writer, and on
#   this VM's ext4 creating a file (inode allocation) costs 0.3-0.7 ms of system CPU, which dominates
#   the 1 KB PUT.
#
# Options (environment variables)
#   OBJECTS=100 SIZE_MB=10   large object set (MB = 10^6 bytes)
#   ROUNDS=5                 rounds of the large-object figures (store and nginx alternate)
#   WARMUP_ROUNDS=1          uncounted PUT passes per store before the counted ones (0: none)
#   GET_REPEAT=2             times each GET pass fetches the whole object set
#   SMALL_ROUNDS=3           rounds of the 1 KB figures
#   SMALL_SECONDS=3          duration of one 1 KB load run (each run is also capped at 2,000,000 requests)
#   IDLE_CONNS=1000          idle keep-alive connections in the last figure
#   STORE_THREADS=           --threads for the store (empty: the store's default)
#   PIN=0                    1: servers on CPU 0, clients on CPUs 1..N-1 (needs >= 2 CPUs)
#   LOADGEN=wrk              load generator of the 1 KB figures: wrk, or python (bench/store_s3.py load)
#   FAASNET=build/faasnet    the binary
#   DIAG=1                   also run `strace -c -f` on the store for 2 s during a PUT pass, a 1-conn
#                            GET pass and a 1 KB GET run, and print the syscall summaries (extra
#                            runs; the figures come from the runs without strace)
#   TMPDIR                   where the temp dir goes (needs ~ 4 x OBJECTS x SIZE_MB free)
#   MAX_SECONDS=600          hard bound on the whole run (a watchdog ends the script)
#
# Usage: bench/store_vs_nginx.sh            (as root; about 2 minutes on the 2-vCPU machine)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FAASNET=${FAASNET:-$ROOT/build/faasnet}
HELPER=$ROOT/bench/store_s3.py
OBJECTS=${OBJECTS:-100}
SIZE_MB=${SIZE_MB:-10}
ROUNDS=${ROUNDS:-5}
SMALL_ROUNDS=${SMALL_ROUNDS:-3}
PIN=${PIN:-0}
GET_REPEAT=${GET_REPEAT:-2}
SMALL_SECONDS=${SMALL_SECONDS:-3}
IDLE_CONNS=${IDLE_CONNS:-1000}
STORE_THREADS=${STORE_THREADS:-}
DIAG=${DIAG:-0}
MAX_SECONDS=${MAX_SECONDS:-600}
SMALL_KEYS=100
SMALL_BYTES=1000
BUCKET=bench
TICK=$(getconf CLK_TCK)
SIZE_BYTES=$((SIZE_MB * 1000000))
TOTAL_BYTES=$((OBJECTS * SIZE_BYTES))

die() { echo "store_vs_nginx: setup broken: $*" >&2; exit 1; }
note() { echo "# $*"; }

[[ -x $FAASNET ]] || die "$FAASNET missing (build it: ninja -C build faasnet)"
command -v curl >/dev/null || die "curl missing"
command -v python3 >/dev/null || die "python3 missing"
[[ $(id -u) == 0 ]] || note "not root: nginx runs as the current user"

# ---- tools from Debian, only when missing ----
apt_install() {  # apt_install PKG... : no service may start (policy-rc.d) and nothing listens outside
  local made_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && made_policy=1
  fi
  local rc=0
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"; } >/dev/null 2>&1 || rc=$?
  if ((made_policy)); then rm -f /usr/sbin/policy-rc.d; fi
  return $rc
}
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [[ ! -x $NGINX ]]; then
  note "installing nginx from Debian"
  apt_install nginx-light || apt_install nginx || die "cannot install nginx"
  NGINX=$(command -v nginx || echo /usr/sbin/nginx)
fi
LOADGEN=${LOADGEN:-wrk}
if [[ $LOADGEN == wrk ]] && ! command -v wrk >/dev/null; then
  note "installing wrk from Debian"
  apt_install wrk || note "wrk not installable: the 1 KB figures use bench/store_s3.py (asyncio) instead"
fi
HAVE_WRK=0; [[ $LOADGEN == wrk ]] && command -v wrk >/dev/null && HAVE_WRK=1

# ---- CPU placement (PIN=1): taskset execs the command, so $! stays the server's own PID ----
SRV=() CLI=()
if [[ $PIN == 1 ]]; then
  command -v taskset >/dev/null || die "PIN=1 needs taskset (util-linux)"
  (($(nproc) >= 2)) || die "PIN=1 needs at least 2 CPUs"
  SRV=(taskset -c 0)
  CLI=(taskset -c "1-$(($(nproc) - 1))")
fi

# ---- limits, temp dir, cleanup ----
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
FDS=$(ulimit -n)
((FDS >= IDLE_CONNS + 200)) || die "fd limit $FDS too low for $IDLE_CONNS connections (hard limit $(ulimit -Hn))"

T=$(mktemp -d "${TMPDIR:-/tmp}/store_vs_nginx.XXXXXX")
PIDS=()
WATCHDOG=
ours() {  # ours PID: true while PID is still a child of this shell (never signal a recycled PID)
  local st
  st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  st=${st##*) }
  [[ ${st#* } == "$$ "* ]]
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  local p
  for p in "${PIDS[@]}" $WATCHDOG; do ours "$p" && kill -TERM "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 50); do ours "$p" || break; sleep 0.1; done
    ours "$p" && kill -KILL "$p" 2>/dev/null
  done
  rm -rf "$T"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'echo "store_vs_nginx: stopped (time bound MAX_SECONDS=$MAX_SECONDS or signal)" >&2; exit 124' TERM
(
  trap 'kill "$s" 2>/dev/null; exit 0' TERM
  sleep "$MAX_SECONDS" & s=$!
  wait "$s" && kill -TERM $$
) 2>/dev/null &
WATCHDOG=$!

need_kb=$(((4 * TOTAL_BYTES) / 1024 + 200000))
avail_kb=$(df -Pk "$T" | awk 'NR==2 {print $4}')
((avail_kb > need_kb)) || die "$T: ${avail_kb} KB free, need ~${need_kb} KB"

# ---- helpers ----
now() { echo "$EPOCHREALTIME"; }
# CPU clock ticks (utime+stime) of processes, all threads (fields 14 and 15 of /proc/PID/stat).
ticks() {
  local s=0 p f
  for p in "$@"; do
    f=$(<"/proc/$p/stat") || die "process $p is gone"
    f=${f##*) }
    read -r -a a <<<"$f"
    s=$((s + a[11] + a[12]))
  done
  echo $s
}
# Context switches (voluntary + involuntary) of processes, all threads: steady where CPU time is not
# (a wakeup of another thread per I/O completion shows here whatever else the machine does).
csw() {
  local s=0 p
  for p in "$@"; do
    s=$((s + $(cat /proc/"$p"/task/*/status 2>/dev/null | awk '/ctxt_switches/ {t += $2} END {print t + 0}')))
  done
  echo $s
}
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# ---- data: the same bytes for both servers ----
W=$T/www            # nginx root; /bench/objNNNN is the same URL path on both servers
mkdir -p "$W/$BUCKET/small" "$T/nginx"
t0=$(now)
python3 - "$W/$BUCKET" "$OBJECTS" "$SIZE_BYTES" "$SMALL_KEYS" "$SMALL_BYTES" <<'EOF'
import os, sys
d, n, size, nsmall, small = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
block = os.urandom(1 << 20)
for i in range(n):  # distinct content per object: a random prefix, then a shared random block
    with open(f"{d}/obj{i:04d}", "wb") as f:
        f.write(os.urandom(4096))
        left = size - 4096
        while left > 0:
            f.write(block[:min(left, len(block))])
            left -= len(block)
for i in range(nsmall):
    with open(f"{d}/small/{i:04d}", "wb") as f:
        f.write(os.urandom(small))
EOF
note "wrote $OBJECTS x $SIZE_MB MB + $SMALL_KEYS x $SMALL_BYTES B under $T in $(calc %.1f "$(now) - $t0") s"

ACCESS=benchkey
SECRET=benchsecret$RANDOM$RANDOM
printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$ACCESS" "$SECRET" > "$T/credentials"
SIGN=(--aws-sigv4 "aws:amz:us-east-1:s3" --user "$ACCESS:$SECRET" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD")

# ---- servers ----
STORE_PID_main='' STORE_URL_main='' STORE_PID_md5='' STORE_URL_md5='' STORE_PID_nofsync='' STORE_URL_nofsync=''
start_store() {  # start_store NAME DATA [ARGS...]: sets STORE_PID_<NAME>, STORE_URL_<NAME>
  local name=$1 data=$2; shift 2
  local extra=()
  [[ -n $STORE_THREADS ]] && extra=(--threads "$STORE_THREADS")
  "${SRV[@]}" "$FAASNET" store serve --data "$data" --listen 127.0.0.1:0 --credentials "$T/credentials" \
    --access-log none "${extra[@]}" "$@" 2>"$T/$name.err" &
  local pid=$!
  PIDS+=("$pid")
  local url=
  for _ in $(seq 100); do
    url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$T/$name.err" | head -1 || true)
    [[ -n $url ]] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  [[ -n $url ]] || die "store $name did not start: $(cat "$T/$name.err")"
  printf -v "STORE_PID_$name" %s "$pid"
  printf -v "STORE_URL_$name" %s "$url"
  local code
  code=$(curl -sS "${SIGN[@]}" -o "$T/$name.mb" -w '%{http_code}' -X PUT "$url/$BUCKET") || true
  [[ $code == 200 ]] || die "store $name: create bucket: HTTP $code $(cat "$T/$name.mb" 2>/dev/null)"
}

start_nginx() {
  local user_line=
  [[ $(id -u) == 0 ]] && user_line="user root;"
  local code
  for _ in 1 2 3 4 5; do
    NGINX_PORT=$(free_port)
    cat >"$T/nginx/nginx.conf" <<EOF
$user_line
worker_processes 2;
daemon off;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  default_type application/octet-stream;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  keepalive_timeout 300s;
  client_body_temp_path $T/nginx/body;
  proxy_temp_path $T/nginx/proxy;
  fastcgi_temp_path $T/nginx/fastcgi;
  uwsgi_temp_path $T/nginx/uwsgi;
  scgi_temp_path $T/nginx/scgi;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $W;
  }
}
EOF
    "${SRV[@]}" "$NGINX" -p "$T/nginx/" -e "$T/nginx/error.log" -c "$T/nginx/nginx.conf" &
    NGINX_PID=$!
    PIDS+=("$NGINX_PID")
    NGINX_URL=http://127.0.0.1:$NGINX_PORT
    for _ in $(seq 50); do
      code=$(curl -s -o /dev/null -w '%{http_code}' "$NGINX_URL/$BUCKET/small/0000" 2>/dev/null || true)
      [[ $code == 200 ]] && break
      kill -0 "$NGINX_PID" 2>/dev/null || break
      sleep 0.05
    done
    [[ $code == 200 ]] && break
    kill -TERM "$NGINX_PID" 2>/dev/null || true
    wait "$NGINX_PID" 2>/dev/null || true
  done
  [[ $code == 200 ]] || die "nginx did not start: $(tail -5 "$T/nginx/error.log" 2>/dev/null)"
  sleep 0.2
  mapfile -t NGINX_PIDS < <(echo "$NGINX_PID"; pgrep -P "$NGINX_PID")
  ((${#NGINX_PIDS[@]} >= 2)) || die "nginx has no worker processes"
}

start_nginx
start_store main "$T/store"
start_store md5 "$T/store-md5" --etag md5
start_store nofsync "$T/store-nofsync" --no-fsync
note "nginx $("$NGINX" -v 2>&1 | sed 's/.*: //') at $NGINX_URL (pids ${NGINX_PIDS[*]}); store at $STORE_URL_main" \
  "(pid $STORE_PID_main); --etag md5 store pid $STORE_PID_md5, --no-fsync store pid $STORE_PID_nofsync"
note "CPUs $(nproc)$( [[ $PIN == 1 ]] && echo " (servers pinned to CPU 0, clients to the rest)"), fd limit $FDS, load average at start $(loadavg)$(
  awk '$1 > 1.5 {print " (busy: other work is running, throughput figures will be noisy)"}' /proc/loadavg)"

# Curl config files: one URL (and file) per line pair, for a whole pass in one curl process.
make_get_cfg() {  # make_get_cfg BASEURL FILE: the object set GET_REPEAT times
  local i k
  for ((k = 0; k < GET_REPEAT; k++)); do
    for ((i = 0; i < OBJECTS; i++)); do printf 'url = "%s/%s/obj%04d"\noutput = "/dev/null"\n' "$1" "$BUCKET" "$i"; done
  done > "$2"
}
make_put_cfg() {  # make_put_cfg BASEURL FILE DIR PREFIX COUNT
  local i
  for ((i = 0; i < $5; i++)); do
    printf 'upload-file = "%s/%s%04d"\nurl = "%s/%s/%s%04d"\noutput = "/dev/null"\n' "$3" "$4" "$i" "$1" "$BUCKET" "$4" "$i"
  done > "$2"
}
make_get_cfg "$STORE_URL_main" "$T/get-store.cfg"
make_get_cfg "$NGINX_URL" "$T/get-nginx.cfg"
make_put_cfg "$STORE_URL_main" "$T/put-main.cfg" "$W/$BUCKET" obj "$OBJECTS"
make_put_cfg "$STORE_URL_md5" "$T/put-md5.cfg" "$W/$BUCKET" obj "$OBJECTS"
make_put_cfg "$STORE_URL_nofsync" "$T/put-nofsync.cfg" "$W/$BUCKET" obj "$OBJECTS"
make_put_cfg "$STORE_URL_main" "$T/put-small.cfg" "$W/$BUCKET" small/ "$SMALL_KEYS"

# run_pass KIND SERVER CFG PIDS... : one curl process (SERVER store: signed requests); sets P_TICKS P_SECONDS P_BYTES P_ERRORS P_CONNECTS.
# KIND: get1 | get16 | put (1 connection). Every transfer is bounded (--max-time), the pass too (timeout).
run_pass() {
  local kind=$1 server=$2 cfg=$3; shift 3
  local args=(-s --no-progress-meter --max-time 60 --connect-timeout 5)
  local wfmt='%{http_code} %{size_download} %{num_connects}\n'
  case $kind in
    get16) args+=(--parallel --parallel-max 16) ;;
    put) args+=(-H "Expect:"); wfmt='%{http_code} %{size_upload} %{num_connects}\n' ;;
  esac
  [[ $server == nginx ]] || args+=("${SIGN[@]}")
  local c0 c1 t0 t1 k0 k1
  k0=$(csw "$@"); c0=$(ticks "$@"); t0=$(now)
  timeout 240 "${CLI[@]}" curl "${args[@]}" -w "$wfmt" -K "$cfg" >"$T/pass.out" 2>"$T/pass.err" || true
  t1=$(now); c1=$(ticks "$@"); k1=$(csw "$@")
  P_TICKS=$((c1 - c0))
  P_CSW=$((k1 - k0))
  P_SECONDS=$(calc %.6f "$t1 - $t0")
  read -r P_BYTES P_ERRORS P_CONNECTS < <(awk '{ if ($1 ~ /^2/) b += $2; else e++; c += $3 } END { print b+0, e+0, c+0 }' "$T/pass.out")
  local want
  want=$(grep -c '^url' "$cfg")
  P_ERRORS=$((P_ERRORS + want - $(wc -l <"$T/pass.out")))
  ((P_BYTES > 0)) || die "a $kind pass against $cfg moved nothing: $(head -c 400 "$T/pass.err") $(head -3 "$T/pass.out")"
}

# diag_start NAME: strace -c -f of the main store for 2 s, starting 0.3 s from now (DIAG=1 only).
diag_start() {
  DIAG_PID=
  [[ $DIAG == 1 ]] || return 0
  command -v strace >/dev/null || { note "DIAG=1: strace missing"; return 0; }
  (sleep 0.3; timeout -s INT 2 strace -c -f -p "$STORE_PID_main" -o "$T/strace-$1.txt") >/dev/null 2>&1 &
  DIAG_PID=$!
  PIDS+=("$DIAG_PID")
}
diag_wait() { [[ -z $DIAG_PID ]] || wait "$DIAG_PID" || true; }

MET=0
TARGETS=0
MISSED=()
check() {  # check NAME OK(1/0)
  TARGETS=$((TARGETS + 1))
  if [[ $2 == 1 ]]; then MET=$((MET + 1)); else MISSED+=("$1"); fi
}
mark() { [[ $1 == 1 ]] && echo ok || echo MISSED; }

echo
echo "=== store vs nginx: $OBJECTS objects x $SIZE_MB MB, $ROUNDS rounds, 127.0.0.1 ==="

# ---- PUT: 1 connection, default store (fsync on, etag fast) and --etag md5, alternating ----
declare -A PT=([main]=0 [md5]=0 [nofsync]=0) PB=([main]=0 [md5]=0 [nofsync]=0) PE=([main]=0 [md5]=0 [nofsync]=0)
declare -A PR=([main]="" [md5]="" [nofsync]="") PK=([main]=0 [md5]=0 [nofsync]=0)
# Warm-up (not counted): each store's first PUT pass writes into guest memory that this kind of VM
# may have handed back to the host (virtio-balloon free page reporting); the host's page faults are
# charged to the writer's copy into the page cache (perf: copy_folio_from_iter_atomic at 61% of the
# store's CPU; `dd` writing 1 GB costs 0.17 CPU-s into memory freed 0.2 s before, 0.7-1.1 into memory
# freed 5 s before). The counted rounds overwrite the same keys, as a steady store does: the store
# overwrites the replaced objects' files in place (spare files, docs/design.md), so they measure
# that path; the warm-up's new keys need new files, and its figure is printed beside them.
reported_kib() { cat /sys/module/page_reporting/parameters/reported_kib 2>/dev/null || echo -; }
WARMUP_ROUNDS=${WARMUP_ROUNDS:-1}
declare -A WT=([main]=0 [md5]=0 [nofsync]=0) WB=([main]=0 [md5]=0 [nofsync]=0)
rep0=$(reported_kib)
for ((r = 1; r <= WARMUP_ROUNDS; r++)); do
  for inst in main md5 nofsync; do
    pid_var=STORE_PID_$inst
    run_pass put store "$T/put-$inst.cfg" "${!pid_var}"
    ((P_ERRORS == 0)) || die "warm-up PUT to the $inst store: $P_ERRORS errors: $(head -c 400 "$T/pass.err")"
    WT[$inst]=$((WT[$inst] + P_TICKS)); WB[$inst]=$((WB[$inst] + P_BYTES))
  done
done
rep1=$(reported_kib)
if ((WARMUP_ROUNDS > 0)); then
  printf 'PUT warm-up, %d round(s), not counted: store %.2f (etag fast) / %.2f (etag md5) / %.2f (no-fsync) CPU-s/GB; free page reporting: %s\n' \
    "$WARMUP_ROUNDS" "$(calc %.3f "${WT[main]} / $TICK / (${WB[main]} / 1e9)")" "$(calc %.3f "${WT[md5]} / $TICK / (${WB[md5]} / 1e9)")" \
    "$(calc %.3f "${WT[nofsync]} / $TICK / (${WB[nofsync]} / 1e9)")" \
    "$( [[ $rep0 == - ]] && echo "not in this kernel" || echo "$((rep1 / 1024)) MiB of guest memory returned to the host since boot, $(((rep1 - rep0) / 1024)) MiB during the warm-up")"
fi
for ((r = 1; r <= ROUNDS; r++)); do
  for inst in main md5 nofsync; do
    pid_var=STORE_PID_$inst
    run_pass put store "$T/put-$inst.cfg" "${!pid_var}"
    PT[$inst]=$((PT[$inst] + P_TICKS)); PB[$inst]=$((PB[$inst] + P_BYTES)); PE[$inst]=$((PE[$inst] + P_ERRORS))
    PK[$inst]=$((PK[$inst] + P_CSW))
    PR[$inst]+=" $(calc %.1f "$P_BYTES / $P_SECONDS / 1e6")"
  done
done
if [[ $DIAG == 1 ]]; then
  diag_start put; run_pass put store "$T/put-main.cfg" "$STORE_PID_main"; diag_wait
fi
stop_store() {  # stop_store NAME: stops an extra instance and frees its disk space
  local pid_var=STORE_PID_$1
  kill -TERM "${!pid_var}" 2>/dev/null || true
  wait "${!pid_var}" 2>/dev/null || true
  rm -rf "$T/store-$1"
}
stop_store md5

cpu_put=$(calc %.3f "${PT[main]} / $TICK / (${PB[main]} / 1e9)")
cpu_put_md5=$(calc %.3f "${PT[md5]} / $TICK / (${PB[md5]} / 1e9)")
cpu_put_nofsync=$(calc %.3f "${PT[nofsync]} / $TICK / (${PB[nofsync]} / 1e9)")
ok=$(calc %d "($cpu_put <= 0.6 && ${PE[main]} == 0) ? 1 : 0")
check "PUT CPU" "$ok"
printf 'PUT 1 conn (fsync, etag fast): store %.2f CPU-s/GB (target <= 0.6, s3rver 6.4) [%s], %.0f MB/s, %d errors, %.0f context switches/GB\n' \
  "$cpu_put" "$(mark "$ok")" "$(echo "${PR[main]}" | median)" "${PE[main]}" "$(calc %.0f "${PK[main]} / (${PB[main]} / 1e9)")"
printf 'PUT 1 conn (fsync, etag md5):  store %.2f CPU-s/GB (no target), %.0f MB/s, %d errors\n' \
  "$cpu_put_md5" "$(echo "${PR[md5]}" | median)" "${PE[md5]}"
printf 'PUT 1 conn (no-fsync, fast):   store %.2f CPU-s/GB (no target: shows what the fsyncs cost), %.0f MB/s, %d errors\n' \
  "$cpu_put_nofsync" "$(echo "${PR[nofsync]}" | median)" "${PE[nofsync]}"

# 1 KB objects for the small-object and idle-connection figures.
run_pass put store "$T/put-small.cfg" "$STORE_PID_main"
((P_ERRORS == 0)) || die "uploading the 1 KB objects: $P_ERRORS errors: $(head -c 400 "$T/pass.err")"

# ---- GET: 1 connection and 16 connections, the whole object set per pass ----
# get_figure KIND LABEL: alternates store and nginx passes; sets G_RATE_STORE (median MB/s).
get_figure() {
  local kind=$1 label=$2 r
  local st_ticks=0 st_bytes=0 st_err=0 st_rates="" ng_ticks=0 ng_bytes=0 ng_err=0 ng_rates="" st_conns=0
  local st_csw=0 ng_csw=0
  for ((r = 1; r <= ROUNDS; r++)); do
    run_pass "$kind" store "$T/get-store.cfg" "$STORE_PID_main"
    st_ticks=$((st_ticks + P_TICKS)); st_bytes=$((st_bytes + P_BYTES)); st_err=$((st_err + P_ERRORS))
    st_rates+=" $(calc %.1f "$P_BYTES / $P_SECONDS / 1e6")"; st_conns=$P_CONNECTS; st_csw=$((st_csw + P_CSW))
    run_pass "$kind" nginx "$T/get-nginx.cfg" "${NGINX_PIDS[@]}"
    ng_ticks=$((ng_ticks + P_TICKS)); ng_bytes=$((ng_bytes + P_BYTES)); ng_err=$((ng_err + P_ERRORS))
    ng_rates+=" $(calc %.1f "$P_BYTES / $P_SECONDS / 1e6")"; ng_csw=$((ng_csw + P_CSW))
  done
  local cpu_st cpu_ng rate_st rate_ng ratio ok1 ok2
  cpu_st=$(calc %.3f "$st_ticks / $TICK / ($st_bytes / 1e9)")
  cpu_ng=$(calc %.3f "$ng_ticks / $TICK / ($ng_bytes / 1e9)")
  rate_st=$(echo "$st_rates" | median)
  rate_ng=$(echo "$ng_rates" | median)
  ratio=$(calc %.3f "$rate_st / $rate_ng")
  ok1=$(calc %d "($cpu_st <= 0.25 && $st_err == 0) ? 1 : 0")
  ok2=$(calc %d "($ratio >= 0.9 && $st_err == 0) ? 1 : 0")
  check "$label CPU" "$ok1"
  check "$label throughput" "$ok2"
  printf '%s: store %.2f CPU-s/GB (target <= 0.25) [%s], %.0f MB/s = %.2f x nginx (target >= 0.9) [%s]; nginx %.2f CPU-s/GB, %.0f MB/s; errors store %d nginx %d; store conns/pass %d; context switches/GB store %.0f nginx %.0f\n' \
    "$label" "$cpu_st" "$(mark "$ok1")" "$rate_st" "$ratio" "$(mark "$ok2")" "$cpu_ng" "$rate_ng" "$st_err" "$ng_err" "$st_conns" \
    "$(calc %.0f "$st_csw / ($st_bytes / 1e9)")" "$(calc %.0f "$ng_csw / ($ng_bytes / 1e9)")"
  G_RATE_STORE=$rate_st
}
get_figure get1 "GET 1 conn"
if [[ $DIAG == 1 ]]; then
  diag_start get1; run_pass get1 store "$T/get-store.cfg" "$STORE_PID_main"; diag_wait
fi
get_figure get16 "GET 16 conns"
RATE16_ALONE=$G_RATE_STORE

# ---- GET 1 conn by CPU placement (no target): servers on CPU 0, curl on CPU 0 or on CPU 1 ----
# Loopback's receive work runs on the sender's CPU, so a 1-connection figure depends on where the
# scheduler put curl; pinning both sides shows each case steadily, store beside nginx.
placement() {  # placement CPULIST: every thread of the servers to CPULIST
  local p
  for p in "$STORE_PID_main" "${NGINX_PIDS[@]}"; do taskset -a -p -c "$1" "$p" >/dev/null 2>&1 || true; done
}
if (($(nproc) >= 2)) && command -v taskset >/dev/null; then
  placement 0
  saved_cli=("${CLI[@]}")
  for where in "the servers' CPU" "another CPU"; do
    [[ $where == "the servers' CPU" ]] && CLI=(taskset -c 0) || CLI=(taskset -c 1)
    pt_s=0 pb_s=0 pr_s="" pt_n=0 pb_n=0 pr_n=""
    for ((r = 1; r <= ROUNDS; r++)); do
      run_pass get1 store "$T/get-store.cfg" "$STORE_PID_main"
      pt_s=$((pt_s + P_TICKS)); pb_s=$((pb_s + P_BYTES)); pr_s+=" $(calc %.1f "$P_BYTES / $P_SECONDS / 1e6")"
      run_pass get1 nginx "$T/get-nginx.cfg" "${NGINX_PIDS[@]}"
      pt_n=$((pt_n + P_TICKS)); pb_n=$((pb_n + P_BYTES)); pr_n+=" $(calc %.1f "$P_BYTES / $P_SECONDS / 1e6")"
    done
    m_s=$(echo "$pr_s" | median); m_n=$(echo "$pr_n" | median)
    printf 'GET 1 conn, curl on %s (no target): store %.2f CPU-s/GB, %.0f MB/s = %.2f x nginx; nginx %.2f CPU-s/GB, %.0f MB/s\n' \
      "$where" "$(calc %.3f "$pt_s / $TICK / ($pb_s / 1e9)")" "$m_s" "$(calc %.3f "$m_s / $m_n")" \
      "$(calc %.3f "$pt_n / $TICK / ($pb_n / 1e9)")" "$m_n"
  done
  CLI=("${saved_cli[@]}")
  if [[ $PIN == 1 ]]; then placement 0; else placement "0-$(($(nproc) - 1))"; fi
fi

# ---- 1 KB objects at 64 connections ----
# small_run METHOD URL PREFIX KEYS PIDS... : sets S_OPS (ops/s), S_ERRORS, S_US (server CPU us per op).
small_run() {
  local method=$1 url=$2 prefix=$3 keys=$4; shift 4
  local creds=(--credentials "$T/credentials")
  local c0 c1 t0 t1 n
  if ((HAVE_WRK)); then
    python3 "$HELPER" wrk-script --endpoint "$url" "${creds[@]}" --bucket "$BUCKET" --prefix "$prefix" \
      --keys "$keys" --method "$method" --body-size "$SMALL_BYTES" --max-requests 1000000 --out "$T/small.lua"
    c0=$(ticks "$@")
    timeout $((SMALL_SECONDS + 30)) "${CLI[@]}" wrk -t2 -c64 -d"${SMALL_SECONDS}s" --timeout 5s -s "$T/small.lua" "$url/" \
      >"$T/wrk.out" 2>&1 || true
    c1=$(ticks "$@")
    n=$(awk '/requests in/ {print $1}' "$T/wrk.out")
    [[ -n $n ]] || die "wrk failed: $(cat "$T/wrk.out")"
    local secs non2xx sock
    secs=$(awk '/requests in/ {sub(/s,$/, "", $4); v=$4; if (v ~ /ms$/) {sub(/ms$/, "", v); v/=1000} else if (v ~ /m$/) {sub(/m$/, "", v); v*=60}; print v}' "$T/wrk.out")
    non2xx=$(awk '/Non-2xx/ {print $NF}' "$T/wrk.out")
    sock=$(awk '/Socket errors/ {gsub(/,/, ""); print $4+$6+$8+$10}' "$T/wrk.out")
    S_ERRORS=$((${non2xx:-0} + ${sock:-0}))
    S_OPS=$(calc %.0f "($n - $S_ERRORS) / $secs")
  else
    c0=$(ticks "$@")
    timeout $((SMALL_SECONDS + 30)) "${CLI[@]}" python3 "$HELPER" load --endpoint "$url" "${creds[@]}" --bucket "$BUCKET" \
      --prefix "$prefix" --keys "$keys" --method "$method" --body-size "$SMALL_BYTES" --conns 64 \
      --seconds "$SMALL_SECONDS" --max-requests 2000000 >"$T/load.out" || true
    c1=$(ticks "$@")
    read -r n secs S_ERRORS < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["ops"], d["seconds"], d["errors"])' "$T/load.out") ||
      die "load client failed: $(cat "$T/load.out")"
    S_OPS=$(calc %.0f "$n / $secs")
    n=$((n + S_ERRORS))
  fi
  ((n > 0)) || die "a 1 KB $method run against $url made no request"
  S_US=$(calc %.1f "($c1 - $c0) / $TICK / $n * 1e6")
}
sg_ops="" sg_us="" sg_err=0 ng_ops="" ng_us="" ng_err=0 sp_ops="" sp_us="" sp_err=0 sn_ops="" sn_us="" sn_err=0
for ((r = 1; r <= SMALL_ROUNDS; r++)); do
  small_run GET "$STORE_URL_main" small/ "$SMALL_KEYS" "$STORE_PID_main"
  sg_ops+=" $S_OPS"; sg_us+=" $S_US"; sg_err=$((sg_err + S_ERRORS))
  small_run GET "$NGINX_URL" small/ "$SMALL_KEYS" "${NGINX_PIDS[@]}"
  ng_ops+=" $S_OPS"; ng_us+=" $S_US"; ng_err=$((ng_err + S_ERRORS))
  small_run PUT "$STORE_URL_main" put/ 1000 "$STORE_PID_main"
  sp_ops+=" $S_OPS"; sp_us+=" $S_US"; sp_err=$((sp_err + S_ERRORS))
  small_run PUT "$STORE_URL_nofsync" put/ 1000 "$STORE_PID_nofsync"
  sn_ops+=" $S_OPS"; sn_us+=" $S_US"; sn_err=$((sn_err + S_ERRORS))
done
stop_store nofsync
client=$( ((HAVE_WRK)) && echo "wrk -t2" || echo "store_s3.py load")
m_sg=$(echo "$sg_ops" | median); m_ng=$(echo "$ng_ops" | median); m_sp=$(echo "$sp_ops" | median)
printf '1 KB GET 64 conns: store %.0f ops/s = %.2f x nginx %.0f ops/s (no target); server CPU %.1f vs %.1f us/op; errors store %d nginx %d [%s]\n' \
  "$m_sg" "$(calc %.3f "$m_sg / $m_ng")" "$m_ng" "$(echo "$sg_us" | median)" "$(echo "$ng_us" | median)" "$sg_err" "$ng_err" "$client"
printf '1 KB PUT 64 conns: store %.0f ops/s (fsync on, no target); server CPU %.1f us/op; errors %d [%s]\n' \
  "$m_sp" "$(echo "$sp_us" | median)" "$sp_err" "$client"
printf '1 KB PUT 64 conns: store %.0f ops/s (--no-fsync, no target); server CPU %.1f us/op; errors %d [%s]\n' \
  "$(echo "$sn_ops" | median)" "$(echo "$sn_us" | median)" "$sn_err" "$client"
if [[ $DIAG == 1 ]]; then
  diag_start small-get; small_run GET "$STORE_URL_main" small/ "$SMALL_KEYS" "$STORE_PID_main"; diag_wait
fi

# ---- 1000 idle keep-alive connections while 16 connections transfer ----
rm -f "$T/idle.ready" "$T/idle.stop"
timeout 300 "${CLI[@]}" python3 "$HELPER" idle --endpoint "$STORE_URL_main" --credentials "$T/credentials" --bucket "$BUCKET" \
  --prefix small/ --keys "$SMALL_KEYS" --conns "$IDLE_CONNS" --ready-file "$T/idle.ready" --stop-file "$T/idle.stop" \
  --max-seconds 200 >"$T/idle.json" 2>"$T/idle.err" &
IDLE_PID=$!
PIDS+=("$IDLE_PID")
for _ in $(seq 1200); do [[ -s $T/idle.ready ]] && break; kill -0 "$IDLE_PID" 2>/dev/null || break; sleep 0.05; done
[[ -s $T/idle.ready ]] || die "idle client did not get ready: $(cat "$T/idle.err")"
store_port=${STORE_URL_main##*:}
est_before=$(ss -Htn state established "( sport = :$store_port )" | wc -l)
i_ticks=0 i_bytes=0 i_err=0 i_rates=""
for ((r = 1; r <= ROUNDS; r++)); do
  run_pass get16 store "$T/get-store.cfg" "$STORE_PID_main"
  i_ticks=$((i_ticks + P_TICKS)); i_bytes=$((i_bytes + P_BYTES)); i_err=$((i_err + P_ERRORS))
  i_rates+=" $(calc %.1f "$P_BYTES / $P_SECONDS / 1e6")"
done
est_after=$(ss -Htn state established "( sport = :$store_port )" | wc -l)
touch "$T/idle.stop"
wait "$IDLE_PID" || true
read -r i_opened i_alive i_cerr i_kinds < <(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d["opened"], d["alive_after_hold"], d["errors"], json.dumps(d["error_kinds"]).replace(" ", ""))' "$T/idle.json") ||
  die "idle client failed: $(cat "$T/idle.err")"
# Errors: failed GET transfers + idle-client errors (connect, first or second GET); a connection that
# was not alive after the hold is already one of the idle client's errors.
idle_errors=$((i_err + i_cerr))
m_i=$(echo "$i_rates" | median)
ok=$((idle_errors == 0 && i_alive == IDLE_CONNS ? 1 : 0))
check "$IDLE_CONNS idle conns" "$ok"
printf '%d idle conns + GET 16 conns: %d errors (target 0) [%s]; %d/%d idle conns alive after the passes; GET %.0f MB/s = %.2f x without them, store %.2f CPU-s/GB; established conns at the store before/after: %d/%d; idle errors %s\n' \
  "$IDLE_CONNS" "$idle_errors" "$(mark "$ok")" "$i_alive" "$i_opened" "$m_i" "$(calc %.3f "$m_i / $RATE16_ALONE")" \
  "$(calc %.3f "$i_ticks / $TICK / ($i_bytes / 1e9)")" "$est_before" "$est_after" "$i_kinds"

if [[ $DIAG == 1 ]]; then
  for f in "$T/strace-put.txt" "$T/strace-get1.txt" "$T/strace-small-get.txt"; do
    [[ -s $f ]] || continue
    echo "--- strace -c -f of the store, 2 s of $(basename "$f" .txt | sed 's/strace-//') ---"
    head -20 "$f"
  done
fi

note "load average at end $(loadavg)"
printf 'SUMMARY: %d/%d targets met' "$MET" "$TARGETS"
if ((${#MISSED[@]})); then printf ' (missed: %s)' "$(IFS=','; m="${MISSED[*]}"; echo "${m//,/, }")"; fi
echo
