#!/bin/sh
# Fails every third call (counter in $NEBULA_FLAKY_COUNTER, or next to this script): `exit` 3.
f="${NEBULA_FLAKY_COUNTER:-$(dirname "$0")/flaky.count}"
n=$(cat "$f" 2>/dev/null || echo 0)
n=$((n + 1))
echo "$n" > "$f"
if [ $((n % 3)) -eq 0 ]; then echo "flaky: failing call $n" >&2; exit 3; fi
printf ok
