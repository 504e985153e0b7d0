/* nebula.h: Nebula's kernel markers for C (and anything that links C).
 *
 *   nebula_start();  ... the kernel: the work you want timed apart from start-up ...  nebula_end();
 *
 * Built for wasm32-wasi they are the imports `bench.start` and `bench.end` (no parameters, no
 * results: the Sightglass convention), which Nebula's wasm host answers. Built natively they
 * speak Nebula's native marker protocol (docs/markers.md): when the environment variable
 * NEBULA_MARKER_FD names an open file descriptor, nebula_end() writes
 *
 *   start MONO_NS CPU_NS
 *   end MONO_NS CPU_NS
 *   rss_hwm KIB
 *
 * to it, with CLOCK_MONOTONIC and the thread's CPU clock in nanoseconds, taken at the two
 * markers, and the process's peak resident set. The start stamps are kept in memory and both
 * lines are written at the end, so the write is not inside the kernel's span. Without the
 * variable (a program run by hand) the markers do nothing. Use each marker once per run.
 *
 * Header-only; C99. Include it in one translation unit, or in several: the state is static.
 */
#ifndef NEBULA_H
#define NEBULA_H

#if defined(__wasm__)

__attribute__((import_module("bench"), import_name("start"))) void nebula_bench_start_(void);
__attribute__((import_module("bench"), import_name("end"))) void nebula_bench_end_(void);

static inline void nebula_start(void) { nebula_bench_start_(); }
static inline void nebula_end(void) { nebula_bench_end_(); }

#else /* native */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static unsigned long long nebula_start_mono_, nebula_start_cpu_;

static inline unsigned long long nebula_now_ns_(clockid_t clock) {
    struct timespec ts;
    if (clock_gettime(clock, &ts) != 0) return 0;
    return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

/* The marker file descriptor, or -1 when Nebula did not start this process. */
static inline int nebula_marker_fd_(void) {
    const char *v = getenv("NEBULA_MARKER_FD");
    if (v == NULL || *v == '\0') return -1;
    char *end = NULL;
    long fd = strtol(v, &end, 10);
    return (end != NULL && *end == '\0' && fd >= 0 && fd < 65536) ? (int)fd : -1;
}

/* VmHWM of this process in KiB, from /proc/self/status; 0 when unknown. */
static inline unsigned long long nebula_rss_hwm_kib_(void) {
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL) return 0;
    char line[256];
    unsigned long long kib = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "VmHWM:", 6) == 0) {
            kib = strtoull(line + 6, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kib;
}

static inline void nebula_write_all_(int fd, const char *buf, size_t len) {
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n <= 0) return;
        buf += n;
        len -= (size_t)n;
    }
}

/* The thread CPU clock is a system call (about a microsecond in a VM), the monotonic clock is
 * not: it is read innermost, so the kernel's wall span holds neither CPU-clock read. */
static inline void nebula_start(void) {
    nebula_start_cpu_ = nebula_now_ns_(CLOCK_THREAD_CPUTIME_ID);
    nebula_start_mono_ = nebula_now_ns_(CLOCK_MONOTONIC);
}

static inline void nebula_end(void) {
    unsigned long long mono = nebula_now_ns_(CLOCK_MONOTONIC);
    unsigned long long cpu = nebula_now_ns_(CLOCK_THREAD_CPUTIME_ID);
    int fd = nebula_marker_fd_();
    if (fd < 0) return;
    char buf[160];
    int len = snprintf(buf, sizeof buf, "start %llu %llu\nend %llu %llu\nrss_hwm %llu\n",
                       nebula_start_mono_, nebula_start_cpu_, mono, cpu, nebula_rss_hwm_kib_());
    if (len > 0 && (size_t)len < sizeof buf) nebula_write_all_(fd, buf, (size_t)len);
}

#endif /* __wasm__ */
#endif /* NEBULA_H */
