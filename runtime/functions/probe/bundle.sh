#!/bin/sh
# bundle.sh PROBE LAUNCHER OUT: the probe as a self-contained `provided` function for a foreign Linux
# (AWS Lambda's provided.al2023), in the directory OUT:
#
#   OUT/bootstrap      the static launcher (launcher.c)
#   OUT/bin/probe      the probe, stripped
#   OUT/lib/ld.so      the probe's dynamic loader (its ELF interpreter)
#   OUT/lib/<soname>   every shared library the loader resolves for it here, glibc included
#   OUT/BUNDLE         what is inside: the libraries and where each came from
#
# Shipping the C library and the loader with the libraries means the probe needs nothing of the host
# but a Linux kernel; the glibc it was linked against is always the one it runs with. Built by CMake
# after the probe (target faasnet_fn_probe_bundle); the aws adapter zips OUT.
#
# bundle.sh PROBE LAUNCHER OUT SYSROOT: the same for a probe cross-compiled against SYSROOT (another
# CPU's root, scripts/cross-probe): the host's ldd cannot run a foreign loader, so the libraries are
# found by following DT_NEEDED (readelf -d) through SYSROOT's library folders, and the loader is the
# interpreter's path inside SYSROOT. STRIP (env) is the strip for that CPU.
set -eu
probe=$1 launcher=$2 out=$3 sysroot=${4:-}
tmp="$out.tmp.$$"
trap 'rm -rf "$tmp"' EXIT
rm -rf "$tmp"
mkdir -p "$tmp/bin" "$tmp/lib"
cp "$launcher" "$tmp/bootstrap"
chmod 0755 "$tmp/bootstrap"
cp "$probe" "$tmp/bin/probe"
"${STRIP:-strip}" --strip-unneeded "$tmp/bin/probe"
chmod 0755 "$tmp/bin/probe"

interp=$(readelf -l "$probe" | sed -n 's/.*Requesting program interpreter: \(.*\)]$/\1/p')
[ -n "$interp" ] || { echo "bundle.sh: $probe has no ELF interpreter (static?)" >&2; exit 1; }

if [ -n "$sysroot" ]; then
  # A path inside the sysroot with its symlinks followed there (an absolute link target is the
  # sysroot's, not the host's).
  in_sysroot() {
    p=$sysroot$1 n=0
    while [ -L "$p" ]; do
      t=$(readlink "$p")
      case $t in /*) p=$sysroot$t ;; *) p=$(dirname "$p")/$t ;; esac
      n=$((n + 1))
      [ $n -lt 40 ] || { echo "bundle.sh: symlink loop at $sysroot$1" >&2; return 1; }
    done
    [ -f "$p" ] && echo "$p"
  }
  needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*Shared library: \[\(.*\)\]$/\1/p'; }
  # The loader's default folders, Debian's multiarch ones first (as ld.so.conf has them).
  dirs=$(cd "$sysroot" && for d in lib/*-linux-gnu* usr/lib/*-linux-gnu* lib usr/lib; do
           [ -d "$d" ] && echo "/$d"; done)
  loader=$(in_sysroot "$interp") || { echo "bundle.sh: no $interp in $sysroot" >&2; exit 1; }
  cp "$loader" "$tmp/lib/ld.so"
  {
    echo "# faasnet probe bundle: run bootstrap; it runs bin/probe with lib/ld.so and lib/ only."
    echo "loader $interp"
    echo "sysroot $sysroot"
    # Breadth first from the probe, each soname once; the loader itself is lib/ld.so already.
    queue=$(needed "$probe") seen=" $(basename "$interp") "
    while [ -n "$queue" ]; do
      next=""
      for name in $queue; do
        case $seen in *" $name "*) continue ;; esac
        seen="$seen$name "
        path=""
        for d in $dirs; do path=$(in_sysroot "$d/$name") && break; done
        [ -n "$path" ] || { echo "bundle.sh: library not found in $sysroot for $probe: $name" >&2; exit 1; }
        cp "$path" "$tmp/lib/$name"
        echo "lib $name ${path#"$sysroot"}"
        next="$next $(needed "$path")"
      done
      queue=$next
    done
  } > "$tmp/BUNDLE"
else
  cp -L "$interp" "$tmp/lib/ld.so"
  missing=$(ldd "$probe" | awk '/not found/ {print $1}')
  [ -z "$missing" ] || { echo "bundle.sh: libraries not found for $probe: $missing" >&2; exit 1; }
  {
    echo "# faasnet probe bundle: run bootstrap; it runs bin/probe with lib/ld.so and lib/ only."
    echo "loader $interp"
    ldd "$probe" | awk '$2 == "=>" && $3 ~ /^\// {print $1, $3}' | while read -r name path; do
      cp -L "$path" "$tmp/lib/$name"
      echo "lib $name $path"
    done
  } > "$tmp/BUNDLE"
fi

rm -rf "$out"
mv "$tmp" "$out"
