/* fib: F(n) by the naive doubly recursive definition, n from argv[1] (0..=50). The C twin of
 * the suite's fibonacci-recursive: a pure call-and-branch kernel. */
#include <stdio.h>
#include <stdlib.h>
#include "nebula.h"

static unsigned long long fib(unsigned n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: fib N (0..=50)\n");
        return 2;
    }
    char *end = NULL;
    long n = strtol(argv[1], &end, 10);
    if (end == argv[1] || *end != '\0' || n < 0 || n > 50) {
        fprintf(stderr, "fib: N must be an integer in 0..=50, not '%s'\n", argv[1]);
        return 2;
    }
    nebula_start();
    unsigned long long f = fib((unsigned)n);
    nebula_end();
    printf("%llu\n", f);
    return 0;
}
