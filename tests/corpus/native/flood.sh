#!/bin/sh
# Writes to stdout without end: must end as `output-limit`, killed.
yes nebula
