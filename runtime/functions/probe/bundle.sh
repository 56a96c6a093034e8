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
set -eu
probe=$1 launcher=$2 out=$3
tmp="$out.tmp.$$"
trap 'rm -rf "$tmp"' EXIT
rm -rf "$tmp"
mkdir -p "$tmp/bin" "$tmp/lib"
cp "$launcher" "$tmp/bootstrap"
chmod 0755 "$tmp/bootstrap"
cp "$probe" "$tmp/bin/probe"
strip --strip-unneeded "$tmp/bin/probe"
chmod 0755 "$tmp/bin/probe"

interp=$(readelf -l "$probe" | sed -n 's/.*Requesting program interpreter: \(.*\)]$/\1/p')
[ -n "$interp" ] || { echo "bundle.sh: $probe has no ELF interpreter (static?)" >&2; exit 1; }
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

rm -rf "$out"
mv "$tmp" "$out"
