#!/bin/sh
# Forks a grandchild that ignores SIGTERM, prints its pid, and waits: `timeout`; the
# grandchild (same process group) must be gone too.
sh -c 'trap "" TERM; while :; do sleep 1; done' &
echo $!
wait
