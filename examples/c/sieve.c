/* sieve: the n-th prime (n from stdin, 1..=10000000) by a sieve of Eratosthenes sized by the
 * prime-counting bound. The C twin of the suite's prime. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "nebula.h"

int main(void) {
    long n = 0;
    if (scanf("%ld", &n) != 1 || n < 1 || n > 10000000) {
        fprintf(stderr, "sieve: the input must be an integer n in 1..=10000000\n");
        return 2;
    }
    /* p_n < n (ln n + ln ln n) for n >= 6 (Rosser 1941); small n get a fixed bound. */
    double ln = log((double)n);
    size_t limit = n < 6 ? 15 : (size_t)((double)n * (ln + log(ln))) + 1;
    unsigned char *composite = calloc(limit + 1, 1);
    if (composite == NULL) {
        fprintf(stderr, "sieve: out of memory for n = %ld\n", n);
        return 2;
    }
    nebula_start();
    long count = 0;
    size_t found = 0;
    for (size_t i = 2; i <= limit; i++) {
        if (composite[i]) continue;
        if (++count == n) {
            found = i;
            break;
        }
        /* 64-bit: on wasm32 size_t is 32 bits, and i * i passes 2^32 for n near 10^5. */
        for (unsigned long long j = (unsigned long long)i * i; j <= limit; j += i) composite[j] = 1;
    }
    nebula_end();
    printf("%zu\n", found);
    free(composite);
    return 0;
}
