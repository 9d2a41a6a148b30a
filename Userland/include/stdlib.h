#ifndef STDLIB_H
#define STDLIB_H
#include <stddef.h>
#include <syscall.h>
int atoi(const char *text);
long strtol(const char *text, char **end, int base);
int abs(int value);
#endif
