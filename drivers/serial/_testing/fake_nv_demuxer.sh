#!/bin/sh
# Stands in for NVIDIA's nv_tcu_demuxer in tests: `fake_nv_demuxer.sh -m CHIP -d DEVICE` checks
# that DEVICE exists, creates one pty per channel (socat pairs: the driver's end announced on
# stdout as "<pts path>\t<target>", the board's end linked under $FAKE_DEMUX_BOARD_DIR), records
# its arguments and pid there, and runs until terminated or DEVICE disappears.
set -eu
chip="" device=""
while [ $# -gt 0 ]; do
  case "$1" in
    -m) chip="$2"; shift 2 ;;
    -d) device="$2"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -e "$device" ] || { echo "ERROR: cannot open $device" >&2; exit 1; }
board="${FAKE_DEMUX_BOARD_DIR:?}"
work=$(mktemp -d)
printf '%s %s\n' "$chip" "$device" > "$board/args"
echo $$ > "$board/pid"
pids=""
cleanup() { for pid in $pids; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap 'cleanup; exit 0' TERM INT
trap cleanup EXIT
for channel in "ccplex:CCPLEX: 0" "bpmp:BPMP: 1"; do
  name=${channel%%:*}
  target=${channel#*:}
  rm -f "$board/$name"
  socat "pty,raw,echo=0,link=$work/$name" "pty,raw,echo=0,link=$board/$name" >/dev/null 2>&1 &
  pids="$pids $!"
  while [ ! -e "$work/$name" ] || [ ! -e "$board/$name" ]; do sleep 0.05; done
  printf '%s\t%s\n' "$(readlink -f "$work/$name")" "$target"
done
echo "demuxer ready" >&2
# the real demuxer exits when the USB device goes away
while [ -e "$device" ]; do sleep 0.2; done
