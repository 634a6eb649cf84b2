#!/bin/sh
# A net-snmp `pass` handler that emulates the outlet table of a PDU for the tests.
# Called by snmpd as: outlet_pass.sh STATE_DIR -g OID | -n OID | -s OID TYPE VALUE
# Outlets 1..8 live in STATE_DIR/outlet.<n> (missing file = 0); every SET is appended to
# STATE_DIR/sets.log as "<plug> <value>". While STATE_DIR/read-only exists, SETs are refused.

state_dir=$1
op=$2
oid=$3
base=.1.3.6.1.4.1.13742.6.4.1.2.1.2.1
outlets=8

value_of() {
  if [ -f "$state_dir/outlet.$1" ]; then cat "$state_dir/outlet.$1"; else echo 0; fi
}

# Prints the plug number of an OID directly below the base, or nothing.
plug_of() {
  case $1 in
    "$base".*) plug=${1#"$base".} ;;
    *) return ;;
  esac
  case $plug in
    '' | *[!0-9]*) return ;;
  esac
  [ "$plug" -ge 1 ] && [ "$plug" -le "$outlets" ] && echo "$plug"
}

answer() {
  printf '%s\ninteger\n%s\n' "$base.$1" "$(value_of "$1")"
}

case $op in
  -g)
    plug=$(plug_of "$oid")
    [ -n "$plug" ] && answer "$plug"
    ;;
  -n)
    if [ "$oid" = "$base" ] || [ "${base#"$oid"}" != "$base" ]; then
      answer 1
    else
      plug=$(plug_of "$oid")
      [ -n "$plug" ] && [ "$plug" -lt "$outlets" ] && answer $((plug + 1))
    fi
    ;;
  -s)
    plug=$(plug_of "$oid")
    if [ -z "$plug" ] || [ -e "$state_dir/read-only" ]; then
      echo not-writable
    elif [ "$4" != integer ]; then
      echo wrong-type
    else
      echo "$5" >"$state_dir/outlet.$plug"
      echo "$plug $5" >>"$state_dir/sets.log"
    fi
    ;;
esac
exit 0
