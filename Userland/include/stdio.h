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
#endif
