/* stdio: standard input, output and error (ABI.md §2). */
#include <stdio.h>
#include <string.h>
#include <syscall.h>

int main(void) {
    char buffer[256];
    printf("read 0 bytes: %ld\n", read(0, buffer, 0));
    size_t total = 0;
    for (;;) {
        ssize_t got = read(0, buffer + total, 5);
        if (got <= 0) { printf("last read: %ld\n", got); break; }
        total += (size_t)got;
    }
    buffer[total] = 0;
    printf("stdin (%zu bytes): %s", total, buffer);
    memset(buffer, 'Z', 4);
    printf("read at end: %ld, buffer untouched: %s\n", read(0, buffer, 4), memcmp(buffer, "ZZZZ", 4) == 0 ? "yes" : "no");
    printf("write 0 bytes: %ld\n", write(1, buffer, 0));
    printf("read from stdout: %ld\n", read(1, buffer, 1));
    printf("write to stdin: %ld\n", write(0, "x", 1));
    printf("seek stdin: %ld, tell stdout: %ld\n", seek(0, 0, 0), tell(1));
    eprintf("this line goes to standard error\n");
    printf("close stdin: %d, then read: %ld\n", close(0), read(0, buffer, 1));
    printf("stdin's fd is reused: %ld\n", open("hello.txt", 0));
    return 0;
}
