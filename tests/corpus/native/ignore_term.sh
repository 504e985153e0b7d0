#!/bin/sh
# Ignores SIGTERM and spins: only SIGKILL stops it; must end as `timeout`.
trap '' TERM
while :; do :; done
