#!/bin/sh
# Sleeps far past any timeout: must end as `timeout`, killed with its group.
sleep 100
