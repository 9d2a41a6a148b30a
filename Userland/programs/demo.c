/* The demo `apus run` runs with no program named. */
#include <stdio.h>
#include <string.h>
#include <syscall.h>

int main(int argc, char **argv) {
    printf("Hello from Apus, an x86-64 teaching kernel in Embedded Swift.\n");
    printf("This is %s, a user program in ring 3, started with %d argument%s.\n", argv[0], argc, argc == 1 ? "" : "s");
    int local = 42;
    printf("Its stack variable lives at %p (physical %p).\n", (void *)&local, (void *)getphys(&local, 0));
    printf("Try: swift run apus run hello, or echo hi | swift run apus run cat\n");
    return 0;
}
