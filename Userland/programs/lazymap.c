/* lazymap: what demand paging makes possible (ABI.md §4, lazy pager). A 1 GiB mapping in a
 * 512 MiB machine, touched once every 16 MiB; 256 MiB touched in full; a kernel read()
 * into pages never touched; getphys before and after a page's first touch. */
#include <fcntl.h>
#include <mman.h>
#include <stdio.h>
#include <string.h>
#include <syscall.h>

#define GIB (1ul << 30)
#define MIB (1ul << 20)

int main(void) {
    unsigned char *huge = mmap((void *)0x100000000, GIB, PROT_READ | PROT_WRITE, -1, 0);
    if ((long)huge < 0) { printf("mmap of 1 GiB failed: %ld\n", (long)huge); return 1; }
    printf("mapped 1 GiB; getphys of an untouched page: %ld\n", getphys(huge + 5 * MIB, 0));
    unsigned long sum = 0;
    for (unsigned long offset = 0; offset < GIB; offset += 16 * MIB) { huge[offset] = (unsigned char)(offset >> 24); sum += huge[offset]; }
    printf("touched 64 pages of it, checksum %lu\n", sum);
    long physical = getphys(huge + 16 * MIB + 0x123, 0);
    long flags = getphys(huge + 16 * MIB, 1);
    printf("getphys after the touch: offset %#lx, flags %#lx\n", physical & 0xfff, flags);
    printf("munmap of 1 GiB: %d\n", munmap(huge));

    unsigned char *full = mmap((void *)0x200000000, 256 * MIB, PROT_READ | PROT_WRITE, -1, 0);
    if ((long)full < 0) { printf("mmap of 256 MiB failed: %ld\n", (long)full); return 1; }
    sum = 0;
    for (unsigned long offset = 0; offset < 256 * MIB; offset += 4096) { full[offset] = (unsigned char)(offset >> 12); sum += full[offset]; }
    printf("touched all of 256 MiB, checksum %lu\n", sum);
    printf("munmap of 256 MiB: %d\n", munmap(full));

    char *untouched = mmap((void *)0x300000000, 2 * 4096, PROT_READ | PROT_WRITE, -1, 0);
    long file = open("hello.txt", O_RDONLY);
    long got = read(file, untouched + 4096 - 6, 13);
    printf("read into untouched pages: %ld bytes: %.13s", got, untouched + 4096 - 6);
    return 0;
}
