/* mmap: the mapping rules of ABI.md §4, each refusal followed by a check that nothing got
 * mapped (getphys finds no page, and a system call refuses the address). */
#include <fcntl.h>
#include <mman.h>
#include <stdio.h>
#include <string.h>
#include <syscall.h>

static int mapped(void *address) { return getphys(address, 0) >= 0 || write(1, address, 0) == 0; }

static void refuse(const char *label, void *address, size_t length, int prot, int fd, long offset) {
    char *later = (char *)address + 2 * 4096;
    int before = mapped(address), later_before = mapped(later);
    long flags = getphys(address, 1);
    long result = (long)mmap(address, length, prot, fd, offset);
    int unchanged = mapped(address) == before && mapped(later) == later_before && getphys(address, 1) == flags;
    printf("%s: %ld, nothing changed: %s\n", label, result, unchanged ? "yes" : "no");
}

int main(void) {
    char *anonymous = mmap((void *)0x10000000, 8192, PROT_READ | PROT_WRITE, -1, 0);
    printf("anonymous: %p zero: %s\n", anonymous, anonymous[0] == 0 && anonymous[8191] == 0 ? "yes" : "no");
    strcpy(anonymous + 4000, "written across a page line");
    printf("read back: %s\n", anonymous + 4000);

    int fd = (int)open("motd.txt", O_RDONLY);
    char *file = mmap((void *)0x20000000, 8192, PROT_READ, fd, 0);
    printf("file: %p \"%.9s\" tail zero: %s\n", file, file, file[23] == 0 && file[4095] == 0 && file[8191] == 0 ? "yes" : "no");
    close(fd);
    printf("after close: \"%.4s\"\n", file + 13);

    unsigned char *code = mmap((void *)0x30000000, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, -1, 0);
    static const unsigned char return_42[] = { 0xb8, 42, 0, 0, 0, 0xc3 }; /* mov eax, 42; ret */
    memcpy(code, return_42, sizeof return_42);
    printf("executed: %d\n", ((int (*)(void))code)());

    int fds[2];
    pipe(fds);
    int empty = (int)open("empty", O_RDONLY);
    refuse("NULL", 0, 4096, PROT_READ, -1, 0);
    refuse("unaligned", (void *)0x40000010, 4096, PROT_READ, -1, 0);
    refuse("kernel half", (void *)0xffff800000000000, 4096, PROT_READ, -1, 0);
    refuse("non-canonical", (void *)0x0000800000000000, 4096, PROT_READ, -1, 0);
    refuse("kernel window", (void *)0x500000000000, 4096, PROT_READ, -1, 0);
    refuse("past the user half", (void *)0x7ffffffff000, 8192, PROT_READ, -1, 0);
    refuse("length wraps", (void *)0x40000000, (size_t)-4096, PROT_READ, -1, 0);
    refuse("zero length", (void *)0x40000000, 0, PROT_READ, -1, 0);
    refuse("no PROT_READ", (void *)0x40000000, 4096, PROT_WRITE, -1, 0);
    refuse("over the text", (void *)0x401000, 4096, PROT_READ, -1, 0);
    refuse("over the stack", (void *)0x4747f000, 4096, PROT_READ, -1, 0);
    refuse("over a mapping", (void *)0x0ffff000, 8192, PROT_READ, -1, 0);
    refuse("bad fd", (void *)0x40000000, 4096, PROT_READ, 99, 0);
    refuse("stdin", (void *)0x40000000, 4096, PROT_READ, 0, 0);
    refuse("pipe", (void *)0x40000000, 4096, PROT_READ, fds[0], 0);
    refuse("empty file", (void *)0x40000000, 4096, PROT_READ, empty, 0);
    refuse("unaligned offset", (void *)0x40000000, 4096, PROT_READ, -1, 100);
    printf("last user page: %lx\n", (long)mmap((void *)0x7ffffffff000, 4096, PROT_READ, -1, 0));
    return 0;
}
