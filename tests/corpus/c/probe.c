/* probe: prints what it was given, so that a test can check it reached the program the same way
 * on wasm and natively: its arguments, the variable PROBE, its stdin, and (after `--read PATH`)
 * the first line of a file. Built by the own-function tests with clang for both targets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--read") == 0 && i + 1 < argc) {
            FILE *f = fopen(argv[++i], "r");
            char line[256] = "";
            if (f == NULL || fgets(line, sizeof line, f) == NULL) {
                fprintf(stderr, "probe: cannot read %s\n", argv[i]);
                return 3;
            }
            fclose(f);
            line[strcspn(line, "\n")] = '\0';
            printf("file: %s\n", line);
            continue;
        }
        printf("arg: %s\n", argv[i]);
    }
    const char *v = getenv("PROBE");
    printf("env: %s\n", v ? v : "(unset)");
    char buf[256];
    size_t n = fread(buf, 1, sizeof buf - 1, stdin);
    buf[n] = '\0';
    printf("stdin: %s\n", buf);
    return 0;
}
