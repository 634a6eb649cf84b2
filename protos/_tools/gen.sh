#!/bin/sh
# Regenerates protos/gen from protos/proto. With --check, fails when the committed output differs.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/gen"
if [ "${1:-}" = "--check" ]; then
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
else
  rm -rf "$out"
  mkdir -p "$out"
fi
command -v protoc >/dev/null || { echo "gen: protoc not found (apt-get install protobuf-compiler)" >&2; exit 1; }
cd "$root/proto"
protoc -I . --plugin=protoc-gen-es="$root/_tools/protoc-gen-es" \
  --es_out="$out" --es_opt=target=ts,import_extension=ts \
  $(find jumpstarter -name '*.proto' | sort)
if [ "${1:-}" = "--check" ]; then
  if ! diff -r "$out" "$root/gen" >/dev/null; then
    echo "gen: protos/gen is stale; run 'deno task gen' and commit the result" >&2
    diff -r "$out" "$root/gen" | head -20 >&2
    exit 1
  fi
  echo "gen: protos/gen is up to date"
fi
