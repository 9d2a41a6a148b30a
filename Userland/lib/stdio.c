/* printf and friends: each call formats into a buffer and writes it with one system call. */
#include <stdio.h>
#include <string.h>
#include <syscall.h>

struct sink { char *buffer; size_t size, length; };

static void emit(struct sink *sink, char c) {
    if (sink->length + 1 < sink->size) sink->buffer[sink->length] = c;
    sink->length++;
}

static void emit_number(struct sink *sink, unsigned long long value, int base, int upper, int width, char pad, int negative) {
    char digits[32];
    int count = 0;
    const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    do { digits[count++] = set[value % base]; value /= base; } while (value);
    int length = count + negative;
    if (negative && pad == '0') emit(sink, '-');
    for (; width > length; width--) emit(sink, pad);
    if (negative && pad != '0') emit(sink, '-');
    while (count) emit(sink, digits[--count]);
}

int vsnprintf(char *buffer, size_t size, const char *format, va_list arguments) {
    struct sink sink = { buffer, size, 0 };
    for (; *format; format++) {
        if (*format != '%') { emit(&sink, *format); continue; }
        format++;
        char pad = ' ';
        int width = 0, longs = 0, alternate = 0, precision = -1;
        for (;; format++) {
            if (*format == '0') pad = '0';
            else if (*format == '#') alternate = 1;
            else break;
        }
        while (*format >= '0' && *format <= '9') width = width * 10 + (*format++ - '0');
        if (*format == '.') {
            precision = 0;
            for (format++; *format >= '0' && *format <= '9'; format++) precision = precision * 10 + (*format - '0');
        }
        while (*format == 'l' || *format == 'z') { longs++; format++; }
        switch (*format) {
        case 'd': case 'i': {
            long long v = longs ? va_arg(arguments, long long) : va_arg(arguments, int);
            emit_number(&sink, v < 0 ? -(unsigned long long)v : (unsigned long long)v, 10, 0, width, pad, v < 0);
            break;
        }
        case 'u': emit_number(&sink, longs ? va_arg(arguments, unsigned long long) : va_arg(arguments, unsigned), 10, 0, width, pad, 0); break;
        case 'x': case 'X':
            if (alternate) { emit(&sink, '0'); emit(&sink, *format); }
            emit_number(&sink, longs ? va_arg(arguments, unsigned long long) : va_arg(arguments, unsigned), 16, *format == 'X', width, pad, 0);
            break;
        case 'p': emit(&sink, '0'); emit(&sink, 'x'); emit_number(&sink, (unsigned long long)va_arg(arguments, void *), 16, 0, width, pad, 0); break;
        case 'c': emit(&sink, (char)va_arg(arguments, int)); break;
        case 's': {
            const char *text = va_arg(arguments, const char *);
            if (!text) text = "(null)";
            int length = 0;
            while (text[length] && (precision < 0 || length < precision)) length++;
            for (; width > length; width--) emit(&sink, ' ');
            for (int i = 0; i < length; i++) emit(&sink, text[i]);
            break;
        }
        case '%': emit(&sink, '%'); break;
        default: emit(&sink, '%'); emit(&sink, *format); break;
        }
    }
    if (size) buffer[sink.length < size ? sink.length : size - 1] = 0;
    return (int)sink.length;
}

int snprintf(char *buffer, size_t size, const char *format, ...) {
    va_list arguments;
    va_start(arguments, format);
    int length = vsnprintf(buffer, size, format, arguments);
    va_end(arguments);
    return length;
}

static int print_to(int fd, const char *format, va_list arguments) {
    char buffer[1024];
    int length = vsnprintf(buffer, sizeof buffer, format, arguments);
    write(fd, buffer, length < (int)sizeof buffer ? (size_t)length : sizeof buffer - 1);
    return length;
}

int printf(const char *format, ...) {
    va_list arguments;
    va_start(arguments, format);
    int length = print_to(1, format, arguments);
    va_end(arguments);
    return length;
}

int eprintf(const char *format, ...) {
    va_list arguments;
    va_start(arguments, format);
    int length = print_to(2, format, arguments);
    va_end(arguments);
    return length;
}

int puts(const char *text) {
    write(1, text, strlen(text));
    write(1, "\n", 1);
    return 0;
}

int putchar(int character) {
    char c = (char)character;
    write(1, &c, 1);
    return character;
}

long write_all(int fd, const void *buffer, size_t count) {
    const char *bytes = buffer;
    size_t done = 0;
    while (done < count) {
        ssize_t wrote = write(fd, bytes + done, count - done);
        if (wrote < 0) return wrote;
        if (wrote == 0) return -NoSpace;
        done += (size_t)wrote;
    }
    return (long)count;
}

long read_full(int fd, void *buffer, size_t count) {
    char *bytes = buffer;
    size_t done = 0;
    while (done < count) {
        ssize_t got = read(fd, bytes + done, count - done);
        /* A pipe whose writers are gone says BrokenPipe once it is empty: its end. */
        if (got == 0 || got == -BrokenPipe) break;
        if (got < 0) return got;
        done += (size_t)got;
    }
    return (long)done;
}
