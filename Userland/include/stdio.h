#ifndef STDIO_H
#define STDIO_H
#include <stdarg.h>
#include <stddef.h>
int printf(const char *format, ...);
int eprintf(const char *format, ...); /* to standard error */
int snprintf(char *buffer, size_t size, const char *format, ...);
int vsnprintf(char *buffer, size_t size, const char *format, va_list arguments);
int puts(const char *text);
int putchar(int character);
/* Writes all `count` bytes, calling write again after a short write; returns `count`, or the
 * error that stopped it (negative; NoSpace when a write took nothing). */
long write_all(int fd, const void *buffer, size_t count);
/* Reads until `count` bytes or the end of the input (a pipe gives what it has, a little at a
 * time); returns the bytes read, or the error that stopped it (negative). */
long read_full(int fd, void *buffer, size_t count);
#endif
