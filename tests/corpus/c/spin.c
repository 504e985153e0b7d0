/* spin: a kernel of known length. Reads a number of microseconds N from stdin and, between the
 * kernel markers, busy-waits on the monotonic clock until N microseconds have passed; prints N.
 * Built by the marker tests with clang for wasm32-wasi and natively. */
#include <stdio.h>
#include <time.h>
#include "nebula.h"

static unsigned long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (unsigned long long)t.tv_sec * 1000000000ull + (unsigned long long)t.tv_nsec;
}

int main(void) {
    unsigned long long us = 0;
    if (scanf("%llu", &us) != 1) {
        fprintf(stderr, "spin: give a number of microseconds on stdin\n");
        return 2;
    }
    nebula_start();
    unsigned long long start = now_ns();
    while (now_ns() - start < us * 1000ull) {
    }
    nebula_end();
    printf("%llu\n", us);
    return 0;
}
