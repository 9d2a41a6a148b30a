/* argv: prints its arguments and where the kernel put them (ABI.md §3, the stack layout). */
#include <stdio.h>

int main(int argc, char **argv) {
    printf("argc=%d argv=%p\n", argc, (void *)argv);
    for (int i = 0; i < argc; i++) printf("argv[%d]=%p \"%s\"\n", i, (void *)argv[i], argv[i]);
    printf("argv[argc]=%p\n", (void *)argv[argc]);
    return argc;
}
