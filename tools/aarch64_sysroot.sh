#!/usr/bin/env bash
# Prepares an aarch64 Deno that runs on this x86_64 machine under user-mode emulation (issue 16):
#
#   DIR/sysroot/       arm64 C and C++ libraries, libgcc and zlib from Debian (dpkg-deb -x of the .debs)
#   DIR/deno           Deno's arm64 build from npm (@deno/linux-arm64-glibc, same version as ours)
#   DIR/deno-aarch64   runs it: qemu-aarch64-static -L DIR/sysroot DIR/deno "$@"
#   DIR/VERSION        what was installed; a second run with the same inputs does nothing
#
# DIR is $JMP_AARCH64_DIR or /opt/jmp-aarch64 (tests/aarch64_* look there). Needs root the first
# time (dpkg --add-architecture arm64, apt-get), the npm registry and Debian's archive.
# Usage: tools/aarch64_sysroot.sh [DIR]
set -euo pipefail

dir=${1:-${JMP_AARCH64_DIR:-/opt/jmp-aarch64}}
deno_version=${JMP_AARCH64_DENO_VERSION:-2.9.6}
debs=(libc6 libgcc-s1 libstdc++6 zlib1g)
stamp="deno=$deno_version debs=${debs[*]}"

fail() {
  echo "aarch64_sysroot: $*" >&2
  exit 1
}

if [ -x "$dir/deno-aarch64" ] && [ "$(cat "$dir/VERSION" 2>/dev/null)" = "$stamp" ]; then
  echo "$dir/deno-aarch64"
  exit 0
fi

command -v qemu-aarch64-static >/dev/null \
  || fail "qemu-aarch64-static is not installed (apt-get install qemu-user-static)"
command -v npm >/dev/null || fail "npm is not on PATH (it fetches @deno/linux-arm64-glibc)"

if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  [ "$(id -u)" = 0 ] || fail "arm64 is not a dpkg architecture here and adding it needs root"
  dpkg --add-architecture arm64
fi
lists=(/var/lib/apt/lists/*_binary-arm64_Packages*)
if [ ! -e "${lists[0]}" ]; then
  [ "$(id -u)" = 0 ] || fail "apt has no arm64 package lists and apt-get update needs root"
  apt-get -o DPkg::Lock::Timeout=300 update -qq || fail "apt-get update failed"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/sysroot" "$work/debs"
# apt downloads as its unprivileged _apt user
chmod 755 "$work" && chmod 777 "$work/debs"

# the .debs are only unpacked, never installed: nothing arm64 lands in the host's dpkg database
(cd "$work/debs" && apt-get download -qq "${debs[@]/%/:arm64}") \
  || fail "apt-get download ${debs[*]/%/:arm64} failed"
for deb in "$work"/debs/*.deb; do
  dpkg-deb -x "$deb" "$work/sysroot"
done
[ -e "$work/sysroot/lib/ld-linux-aarch64.so.1" ] \
  || fail "the arm64 libc6 has no lib/ld-linux-aarch64.so.1"

(cd "$work" && npm pack --silent "@deno/linux-arm64-glibc@$deno_version" >/dev/null) \
  || fail "npm pack @deno/linux-arm64-glibc@$deno_version failed"
tar -xzf "$work"/deno-linux-arm64-glibc-*.tgz -C "$work" package/deno \
  || fail "the npm package has no deno binary"

cat >"$work/deno-aarch64" <<EOF
#!/bin/sh
# Deno $deno_version for aarch64, emulated (written by tools/aarch64_sysroot.sh)
exec qemu-aarch64-static -L "$dir/sysroot" "$dir/deno" "\$@"
EOF
chmod +x "$work/deno-aarch64" "$work/package/deno"

mkdir -p "$dir"
rm -rf "$dir/sysroot"
mv "$work/sysroot" "$dir/sysroot"
mv "$work/package/deno" "$dir/deno"
mv "$work/deno-aarch64" "$dir/deno-aarch64"

got=$("$dir/deno-aarch64" --version 2>&1 | head -1) || fail "the emulated deno does not start: $got"
case "$got" in
  "deno $deno_version "*) ;;
  *) fail "the emulated deno printed \"$got\", expected deno $deno_version" ;;
esac
echo "$stamp" >"$dir/VERSION"
echo "$dir/deno-aarch64"
