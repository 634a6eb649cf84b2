#!/bin/sh
# The demo run by `deno task demo` inside `jmp shell`: drive the virtual lab with `j`.
set -e
echo "== j --help"
j --help
echo "== j power on"
j power on
echo "== j power read"
j power read
echo "== j board power cycle --wait 0.2"
j board power cycle --wait 0.2
echo "== j main-power off"
j main-power off
echo "Demo finished: the virtual lab answered every command."
