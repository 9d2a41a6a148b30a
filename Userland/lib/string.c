#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syscall.h>

/* Byte loops the compiler must not turn back into calls to these very functions. */
#pragma clang optimize off
void *memset(void *destination, int byte, size_t count) {
    unsigned char *d = destination;
    while (count--) *d++ = (unsigned char)byte;
    return destination;
}
void *memcpy(void *destination, const void *source, size_t count) {
    unsigned char *d = destination;
    const unsigned char *s = source;
    while (count--) *d++ = *s++;
    return destination;
}
void *memmove(void *destination, const void *source, size_t count) {
    unsigned char *d = destination;
    const unsigned char *s = source;
    if (d < s) { while (count--) *d++ = *s++; }
    else { d += count; s += count; while (count--) *--d = *--s; }
    return destination;
}
#pragma clang optimize on

int memcmp(const void *a, const void *b, size_t count) {
    const unsigned char *x = a, *y = b;
    for (size_t i = 0; i < count; i++) if (x[i] != y[i]) return x[i] - y[i];
    return 0;
}
size_t strlen(const char *text) { size_t n = 0; while (text[n]) n++; return n; }
int strcmp(const char *a, const char *b) {
    while (*a && *a == *b) { a++; b++; }
    return (unsigned char)*a - (unsigned char)*b;
}
int strncmp(const char *a, const char *b, size_t count) {
    for (size_t i = 0; i < count; i++) {
        if (a[i] != b[i] || !a[i]) return (unsigned char)a[i] - (unsigned char)b[i];
    }
    return 0;
}
char *strcpy(char *destination, const char *source) {
    char *d = destination;
    while ((*d++ = *source++)) {}
    return destination;
}
char *strchr(const char *text, int character) {
    for (;; text++) {
        if (*text == (char)character) return (char *)text;
        if (!*text) return 0;
    }
}
char *strrchr(const char *text, int character) {
    const char *last = 0;
    for (;; text++) {
        if (*text == (char)character) last = text;
        if (!*text) return (char *)last;
    }
}

static const char *const error_names[] = {
    [OperationNotPermitted] = "OperationNotPermitted", [NoSuchEntry] = "NoSuchEntry",
    [IOError] = "IOError", [NoExec] = "NoExec", [BadFileDescriptor] = "BadFileDescriptor",
    [NoMemory] = "NoMemory", [InvalidAccess] = "InvalidAccess", [BadAddress] = "BadAddress",
    [Busy] = "Busy", [FileExist] = "FileExist", [NotDirectory] = "NotDirectory",
    [IsDirectory] = "IsDirectory", [InvalidArgument] = "InvalidArgument",
    [TooManyOpenFile] = "TooManyOpenFile", [NoSpace] = "NoSpace", [BrokenPipe] = "BrokenPipe",
    [NameTooLong] = "NameTooLong", [NoSuchSyscall] = "NoSuchSyscall",
    [DirectoryNotEmpty] = "DirectoryNotEmpty",
};

const char *strerror(long code) {
    static char unknown[32];
    if (code < 0) code = -code;
    if (code < (long)(sizeof error_names / sizeof error_names[0]) && error_names[code]) return error_names[code];
    snprintf(unknown, sizeof unknown, "Error %ld", code);
    return unknown;
}

long strtol(const char *text, char **end, int base) {
    long value = 0, sign = 1;
    while (*text == ' ') text++;
    if (*text == '-') { sign = -1; text++; }
    if (base == 0) base = (text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) ? 16 : 10;
    if (base == 16 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) text += 2;
    for (;; text++) {
        int digit = *text >= '0' && *text <= '9' ? *text - '0'
                  : *text >= 'a' && *text <= 'f' ? *text - 'a' + 10
                  : *text >= 'A' && *text <= 'F' ? *text - 'A' + 10 : 99;
        if (digit >= base) break;
        value = value * base + digit;
    }
    if (end) *end = (char *)text;
    return sign * value;
}
int atoi(const char *text) { return (int)strtol(text, 0, 10); }
int abs(int value) { return value < 0 ? -value : value; }
