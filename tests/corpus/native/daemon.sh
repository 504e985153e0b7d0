#!/bin/sh
# Leaves a background grandchild with its stdio closed and exits 0 at once: the call succeeds,
# and the grandchild (same process group) must not outlive it.
sleep 300 </dev/null >/dev/null 2>&1 &
echo $!
