/* badptr: every system call that takes a pointer refuses a bad one with BadAddress (-14),
 * and changes nothing. */
#include <fcntl.h>
#include <stdio.h>
#include <syscall.h>

static const char read_only[16] = "constant";

int main(void) {
    void *null = 0;
    void *kernel = (void *)0xffff800000000000;
    void *window = (void *)0x500000000000;
    void *noncanonical = (void *)0x0000800000000000;
    void *unmapped = (void *)0x10000000;
    void *wrapping = (void *)0xfffffffffffff000;
    void *stack_end = (void *)0x4747fffc;
    void *pointers[] = { null, kernel, window, noncanonical, unmapped };
    const char *names[] = { "NULL", "kernel", "kernel window", "non-canonical", "unmapped" };
    int fd = (int)open("hello.txt", O_RDONLY);
    for (int i = 0; i < 5; i++) {
        printf("%s: open %ld read %ld write %ld pipe %d\n", names[i], open(pointers[i], 0),
               read(fd, pointers[i], 4), write(1, pointers[i], 4), pipe(pointers[i]));
    }
    printf("read into read-only memory: %ld\n", read(fd, (void *)read_only, 4));
    printf("pipe into read-only memory: %d\n", pipe((int *)read_only));
    printf("read 0 bytes to NULL: %ld\n", read(fd, null, 0));
    printf("write 0 bytes from NULL: %ld\n", write(1, null, 0));
    printf("read past the stack's end: %ld\n", read(fd, stack_end, 8));
    printf("write wrapping past 2^64: %ld\n", write(1, wrapping, 0x2000));
    printf("read a huge length: %ld\n", read(fd, (void *)read_only, 0x7fffffffffffffff));
    printf("position unchanged: %ld\n", tell(fd));
    printf("still \"%s\"\n", read_only);
    return 0;
}
