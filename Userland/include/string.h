#ifndef STRING_H
#define STRING_H
#include <stddef.h>
void *memset(void *destination, int byte, size_t count);
void *memcpy(void *destination, const void *source, size_t count);
void *memmove(void *destination, const void *source, size_t count);
int memcmp(const void *a, const void *b, size_t count);
size_t strlen(const char *text);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t count);
char *strcpy(char *destination, const char *source);
char *strchr(const char *text, int character);
char *strrchr(const char *text, int character);
/* The name ABI.md §1 gives an error code (2 or -2: "NoSuchEntry"); "Error N" for a code it
 * does not name. Programs report errors as `PROGRAM: NAME: ErrorName`. */
const char *strerror(long code);
#endif
