/* cow: fork with copy-on-write (ABI.md §4, §5). Parent and child see the same bytes after
 * the fork, in .data, on the stack, in an anonymous mapping and in a private file mapping;
 * getphys shows the frames shared (read-only, XD kept) and then copied at the first write,
 * by the program or by a read() the kernel does into a shared page; and each side keeps its
 * own bytes afterwards. The child reports first; the parent waits for it on a pipe. */
#include <fcntl.h>
#include <mman.h>
#include <stdio.h>
#include <syscall.h>

#define WRITABLE 2l
#define NO_EXECUTE (1l << 63)

/* A page of .data to itself, so that nothing else the program writes (stdio's buffers) copies
 * it before the program looks. */
static struct { int value; char rest[4092]; } data_page __attribute__((aligned(4096))) = { 42, { 0 } };
#define data_value (data_page.value)
static char read_target[4096] __attribute__((aligned(4096))) = "untouched";

static const char *sharing(long flags) {
    return (flags & WRITABLE) ? "writable" : (flags & NO_EXECUTE) ? "read-only, XD" : "read-only, executable";
}

int main(void) {
    int done[2];
    pipe(done);
    int stack_value = 7;
    char *anonymous = mmap((void *)0x10000000, 4096, PROT_READ | PROT_WRITE, -1, 0);
    long file = open("hello.txt", O_RDONLY);
    char *mapped = mmap((void *)0x20000000, 4096, PROT_READ | PROT_WRITE, file, 0);
    anonymous[0] = 'A';
    read_target[0] = 'u';
    data_value = 42; /* present and written before the fork (the lazy pager maps pages at their first touch) */
    long data_frame = getphys(&data_value, 0);
    printf("before fork: data page %s\n", sharing(getphys(&data_value, 1)));
    int child = fork();
    if (child < 0) { printf("fork failed: %d\n", child); return 1; }
    if (child == 0) {
        printf("child: fork returned 0\n");
        printf("child: sees data %d, stack %d, anonymous %c, file %.5s\n", data_value, stack_value, anonymous[0], mapped);
        printf("child: data page shared with the parent: %s, %s\n", getphys(&data_value, 0) == data_frame ? "same frame" : "another frame",
               sharing(getphys(&data_value, 1)));
        data_value = 1;
        stack_value = 2;
        anonymous[0] = 'C';
        mapped[0] = 'c';
        printf("child: after its writes: data %d, stack %d, anonymous %c, file %c\n", data_value, stack_value, anonymous[0], mapped[0]);
        printf("child: data page now: %s, %s\n", getphys(&data_value, 0) == data_frame ? "same frame" : "its own copy", sharing(getphys(&data_value, 1)));
        seek(file, 0, SEEK_SET);
        long got = read(file, read_target, 5);
        printf("child: read() into a shared page: %ld bytes, \"%.5s\"\n", got, read_target);
        write(done[1], "x", 1);
        return 0;
    }
    char signal;
    close(done[1]);
    read(done[0], &signal, 1);
    printf("parent: fork returned a child id > 0: %s\n", child > 0 ? "yes" : "no");
    printf("parent: keeps data %d, stack %d, anonymous %c, file %.5s, read target \"%s\"\n", data_value, stack_value, anonymous[0], mapped,
           read_target);
    printf("parent: data page %s, %s\n", getphys(&data_value, 0) == data_frame ? "same frame" : "another frame", sharing(getphys(&data_value, 1)));
    data_value = 43;
    printf("parent: after its write: data %d, %s, %s\n", data_value, getphys(&data_value, 0) == data_frame ? "same frame" : "another frame",
           sharing(getphys(&data_value, 1)));
    return 0;
}
