#!/bin/sh
# Dies of SIGSEGV: must end as `signal` 11.
kill -SEGV $$
