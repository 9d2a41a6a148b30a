/* A program built outside Apus: gcc, no C library, its own _start and system calls,
 * linked at 0x401000. It must run on Apus as on KeOS. */
static long sys(long n, long a, long b, long c) {
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return r;
}

void _start(long argc, char **argv) {
    static const char text[] = "built with gcc, running on Apus\n";
    sys(3, 1, (long)text, sizeof text - 1);
    sys(3, 1, (long)argv[argc - 1], 5);
    sys(3, 1, (long)"\n", 1);
    sys(0, 7, 0, 0);
}
