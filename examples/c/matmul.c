/* matmul: the product of two n x n matrices of doubles (n from stdin, 1..=1024), filled from
 * SplitMix64 seeded with "NEBULA"; prints the sum of the product's elements. The C twin of the
 * suite's matrix-multiply (the same i-k-j loop order). Data is made before the kernel. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "nebula.h"

static uint64_t state; /* seeded in main with "NEBULA" (0x4E4542554C41) */

static uint64_t splitmix64(void) {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double next_f64(void) { return (double)(splitmix64() >> 11) * (1.0 / 9007199254740992.0); }

int main(void) {
    long n = 0;
    if (scanf("%ld", &n) != 1 || n < 1 || n > 1024) {
        fprintf(stderr, "matmul: the input must be an integer n in 1..=1024\n");
        return 2;
    }
    state = 0x4E4542554C41ull;
    size_t cells = (size_t)n * (size_t)n;
    double *a = malloc(cells * sizeof *a), *b = malloc(cells * sizeof *b), *c = calloc(cells, sizeof *c);
    if (a == NULL || b == NULL || c == NULL) {
        fprintf(stderr, "matmul: out of memory for n = %ld\n", n);
        return 2;
    }
    for (size_t i = 0; i < cells; i++) a[i] = next_f64();
    for (size_t i = 0; i < cells; i++) b[i] = next_f64();
    nebula_start();
    for (long i = 0; i < n; i++)
        for (long k = 0; k < n; k++) {
            double aik = a[i * n + k];
            for (long j = 0; j < n; j++) c[i * n + j] += aik * b[k * n + j];
        }
    nebula_end();
    double sum = 0.0;
    for (size_t i = 0; i < cells; i++) sum += c[i];
    printf("%.17g\n", sum);
    free(a);
    free(b);
    free(c);
    return 0;
}
