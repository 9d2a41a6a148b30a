/* tar -c [-f ARCHIVE] [-C DIR] PATH...   archives PATHs (directories with all they hold)
 * tar -x [-f ARCHIVE] [-C DIR]           extracts an archive
 *
 * The archive is POSIX ustar (POSIX.1-1988, as GNU tar `--format=ustar` and busybox read and
 * write it), on ARCHIVE, or on standard output (-c) or input (-x) without -f or with `-f -`.
 * -C DIR works in DIR (the archive is opened first, where tar was started). Options may be
 * grouped, with or without the dash (`-cf a.tar`, `xf a.tar`); their values follow in order.
 *
 * An archive is a sequence of 512-byte blocks: for each file a header block, then its bytes
 * padded to whole blocks; two zero blocks end it, and the whole is padded with zeros to a
 * record of 20 blocks (10,240 bytes), as GNU tar writes it. A header holds, each in a fixed
 * field: the name (100 bytes, and a 155-byte prefix for longer paths: the full name is
 * PREFIX/NAME, split at a `/`), the mode, owner and times in octal (0644 for files, 0755 for
 * directories, owner 0 and time 0: the file system has none of them), the size in octal
 * (11 digits), the type (`0` file, `5` directory, whose name ends in `/`), `ustar\0` and
 * version `00`, and a checksum: the sum of the header's bytes, counting the checksum field
 * as eight spaces, in octal.
 *
 * -c archives each PATH as given, less any leading `/`, and a directory's entries after it in
 * the order the directory gives them. A file's bytes are not read but mapped (mmap of the
 * file, 16 MiB at a time, written to the archive from the mapping, then unmapped). A name that
 * does not fit (more than 100 bytes after the last `/` that leaves at most 155 before it) is
 * refused with a message, and so is everything under such a directory; the archive itself,
 * met on the way, is skipped. A new ARCHIVE replaces an old one (unlinked first: files do not
 * shrink).
 * -x makes directories (and any missing parents) and files, replacing a file that exists,
 * and writes their bytes. It reads ustar and GNU tar headers (`ustar  `), sizes in octal or
 * base 256, and refuses a name with a `..` component; entries of other types (links, pax
 * headers, devices) are skipped with a message. It stops at the first zero block.
 *
 * Errors go to standard error as `tar: NAME: ErrorName` for a system call that failed, or
 * `tar: NAME: what is wrong` for the archive; tar goes on with the next file where it can, and
 * exits with 1 at the end, 2 for a usage error. */
#include <dirent.h>
#include <fcntl.h>
#include <mman.h>
#include <stat.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <syscall.h>

#define BLOCK 512
#define RECORD (20 * BLOCK)
#define NAME_FIELD 100
#define PREFIX_FIELD 155
/* The longest name a header can hold: PREFIX/NAME. */
#define NAME_SPACE (PREFIX_FIELD + 1 + NAME_FIELD)
#define FILE_MODE 0644
#define DIRECTORY_MODE 0755
/* Files are mapped this much at a time, at this address. */
#define WINDOW (16ul << 20)
#define WINDOW_BASE 0x300000000ul
#define PAGE_SIZE 4096ul
/* The largest size 11 octal digits hold. */
#define LARGEST_SIZE 077777777777ul
#define MAX_DEPTH 1024

/* The header (POSIX.1-1988 ustar), 512 bytes. */
struct header {
    char name[NAME_FIELD], mode[8], uid[8], gid[8], size[12], mtime[12], checksum[8], type;
    char link_name[100], magic[6], version[2], user_name[32], group_name[32];
    char device_major[8], device_minor[8], prefix[PREFIX_FIELD], padding[12];
};
_Static_assert(sizeof(struct header) == BLOCK, "a ustar header is one block");

#define TYPE_FILE '0'
#define TYPE_OLD_FILE '\0'
#define TYPE_DIRECTORY '5'

static int errors;
static const char *archive_name; /* for messages: ARCHIVE, or the standard stream */

static void report(const char *name, long error) {
    eprintf("tar: %s: %s\n", name, strerror(error));
    errors++;
}
static void complain(const char *name, const char *what) {
    eprintf("tar: %s: %s\n", name, what);
    errors++;
}

/* ---- the archive as a stream of blocks ---- */

static int archive_fd;
static unsigned char stream[1 << 16];
static size_t stream_used, stream_filled; /* -x: bytes consumed and present; -c: pending */
static unsigned long written;              /* -c: bytes written to the archive */

/* -c: writes what is pending; exits on failure (an archive with a hole is worth nothing). */
static void flush(void) {
    long result = write_all(archive_fd, stream, stream_used);
    if (result < 0) {
        report(archive_name, result);
        exit(1);
    }
    written += stream_used;
    stream_used = 0;
}

static void put(const void *bytes, size_t count) {
    const unsigned char *from = bytes;
    while (count) {
        if (stream_used == sizeof stream) flush();
        size_t room = sizeof stream - stream_used, taken = count < room ? count : room;
        memcpy(stream + stream_used, from, taken);
        stream_used += taken;
        from += taken;
        count -= taken;
    }
}

static void put_zeros(size_t count) {
    static const unsigned char zeros[BLOCK];
    for (; count > BLOCK; count -= BLOCK) put(zeros, BLOCK);
    put(zeros, count);
}

/* -x: the next `*count` bytes at most (at least 1), or 0 at the end of the input. */
static const unsigned char *take(size_t *count) {
    if (stream_used == stream_filled) {
        long got = read_full(archive_fd, stream, sizeof stream);
        if (got < 0) {
            report(archive_name, got);
            exit(1);
        }
        stream_used = 0;
        stream_filled = (size_t)got;
        if (!got) return 0;
    }
    size_t available = stream_filled - stream_used;
    if (*count > available) *count = available;
    const unsigned char *bytes = stream + stream_used;
    stream_used += *count;
    return bytes;
}

/* -x: the next whole block, or 0 at the end (a partial block is an error). */
static const struct header *take_block(void) {
    static struct header block;
    size_t have = 0;
    while (have < BLOCK) {
        size_t count = BLOCK - have;
        const unsigned char *bytes = take(&count);
        if (!bytes) {
            if (have) complain(archive_name, "ends inside a block");
            return 0;
        }
        memcpy((char *)&block + have, bytes, count);
        have += count;
    }
    return &block;
}

/* ---- header fields ---- */

/* `value` in octal, right-aligned with leading zeros, then a NUL: `width` bytes in all. */
static void octal(char *field, size_t width, unsigned long value) {
    field[width - 1] = 0;
    for (size_t i = width - 1; i-- > 0; value >>= 3) field[i] = (char)('0' + (value & 7));
}

static unsigned long header_sum(const struct header *header, int is_signed) {
    const unsigned char *bytes = (const unsigned char *)header;
    unsigned long sum = 0;
    for (size_t i = 0; i < BLOCK; i++) {
        int inside = i >= offsetof(struct header, checksum) && i < offsetof(struct header, checksum) + sizeof header->checksum;
        unsigned char byte = inside ? ' ' : bytes[i];
        sum += is_signed ? (unsigned long)(long)(signed char)byte : byte;
    }
    return sum;
}

/* A numeric field: octal digits after optional spaces, or base 256 when the first byte has
 * its top bit set (GNU). Returns 0 and sets *ok to 0 when the field is not a number. */
static unsigned long number(const char *field, size_t width, int *ok) {
    unsigned long value = 0;
    size_t i = 0;
    if ((unsigned char)field[0] & 0x80) {
        value = (unsigned char)field[0] & 0x7f;
        for (i = 1; i < width; i++) value = value << 8 | (unsigned char)field[i];
        return value;
    }
    while (i < width && field[i] == ' ') i++;
    for (; i < width && field[i] >= '0' && field[i] <= '7'; i++) value = value << 3 | (unsigned long)(field[i] - '0');
    if (i < width && field[i] != ' ' && field[i] != 0) *ok = 0;
    return value;
}

/* Splits `full` into the header's name and prefix; 0 when it does not fit. */
static int set_name(struct header *header, const char *full) {
    size_t length = strlen(full), split = 0;
    if (length > NAME_FIELD) {
        /* The first `/` that leaves at most 100 bytes (and at least one) after it. */
        for (split = 1; split < length; split++)
            if (full[split] == '/' && length - split - 1 <= NAME_FIELD && length - split - 1 > 0) break;
        if (split >= length || split > PREFIX_FIELD) return 0;
        memcpy(header->prefix, full, split);
        split++;
    }
    memcpy(header->name, full + split, length - split);
    return 1;
}

/* ---- tar -c ---- */

static uint64_t archive_ino; /* the archive's own inode, when it is a file; else 0 */
/* The path being archived: room for an operand's leading `/`s and a full ustar name. */
static char path[4096];
static struct level { int fd; size_t length; } levels[MAX_DEPTH];

/* Writes the header of `name` (with its `/` for a directory); 0 when it did not fit. */
static int put_header(const char *name, char type, unsigned long size) {
    struct header header;
    memset(&header, 0, sizeof header);
    if (!set_name(&header, name)) {
        complain(name, "name too long for a ustar header, not archived");
        return 0;
    }
    octal(header.mode, sizeof header.mode, type == TYPE_DIRECTORY ? DIRECTORY_MODE : FILE_MODE);
    octal(header.uid, sizeof header.uid, 0);
    octal(header.gid, sizeof header.gid, 0);
    octal(header.size, sizeof header.size, size);
    octal(header.mtime, sizeof header.mtime, 0);
    header.type = type;
    memcpy(header.magic, "ustar", 6);
    memcpy(header.version, "00", 2);
    octal(header.device_major, sizeof header.device_major, 0);
    octal(header.device_minor, sizeof header.device_minor, 0);
    octal(header.checksum, 7, header_sum(&header, 0));
    header.checksum[7] = ' ';
    put(&header, sizeof header);
    return 1;
}

/* Archives the regular file at `path` of `size` bytes as `name`: its header, then its bytes
 * from a mapping of the file, a window at a time. */
static void archive_file(const char *name, unsigned long size) {
    if (size > LARGEST_SIZE) { complain(name, "larger than a ustar header can say, not archived"); return; }
    /* An empty file has nothing to map (and KeOS maps no empty file). */
    ssize_t fd = size ? open(path, O_RDONLY) : -1;
    if (size && fd < 0) { report(path, fd); return; }
    if (!put_header(name, TYPE_FILE, size)) { if (fd >= 0) close((int)fd); return; }
    flush();
    unsigned long done = 0;
    while (done < size) {
        unsigned long length = size - done < WINDOW ? size - done : WINDOW;
        void *window = mmap((void *)WINDOW_BASE, length, PROT_READ, (int)fd, (off_t)done);
        if ((long)window < 0) {
            /* The header promised the bytes: an archive without them is no archive. */
            report(path, (long)window);
            exit(1);
        }
        long result = write_all(archive_fd, window, length);
        munmap(window);
        if (result < 0) { report(archive_name, result); exit(1); }
        written += length;
        done += length;
    }
    if (fd >= 0) close((int)fd);
    put_zeros((BLOCK - size % BLOCK) % BLOCK);
}

/* Archives the file or directory at `operand`, and everything under a directory (entered one
 * level at a time with an open fd per level, so that no recursion uses the stack). Its name in
 * the archive is its path without the leading `/`s. */
static void archive_path(const char *operand) {
    size_t skip = 0, length = strlen(operand);
    while (operand[skip] == '/') skip++;
    if (length + 2 > sizeof path) { complain(operand, "name too long for a ustar header, not archived"); return; }
    strcpy(path, operand);
    int depth = -1;
    for (;;) {
        struct stat st;
        int result = stat(path, &st);
        if (result < 0) report(path, result);
        else if (archive_ino && st.ino == archive_ino) complain(path, "is the archive, skipped");
        else if (st.type != FILE_TYPE_DIRECTORY) archive_file(path + skip, st.size);
        else {
            /* A directory: its header names it with a `/` (`/` itself has none), then its
             * entries follow. */
            if (path[length - 1] != '/') { path[length++] = '/'; path[length] = 0; }
            int fits = length == skip || put_header(path + skip, TYPE_DIRECTORY, 0);
            ssize_t fd = fits ? open(path, O_RDONLY) : -1;
            if (fits && fd < 0) report(path, fd);
            if (fd >= 0 && depth + 1 == MAX_DEPTH) { report(path, -TooManyOpenFile); close((int)fd); fd = -1; }
            if (fd >= 0) levels[++depth] = (struct level){ (int)fd, length };
        }
        /* The next entry: of the innermost directory with one left. */
        for (;;) {
            if (depth < 0) return;
            struct dirent entry;
            ssize_t count = readdir(levels[depth].fd, &entry, 1);
            path[levels[depth].length] = 0;
            if (count < 0) report(path, count);
            if (count <= 0) {
                close(levels[depth--].fd);
                continue;
            }
            if (dirent_is_dot(&entry)) continue;
            length = levels[depth].length + strlen(entry.name);
            if (length + 2 > sizeof path) {
                eprintf("tar: %s%s: name too long for a ustar header, not archived\n", path, entry.name);
                errors++;
                continue;
            }
            strcpy(path + levels[depth].length, entry.name);
            break;
        }
    }
}

static void create_archive(char **paths, int count) {
    for (int i = 0; i < count; i++) archive_path(paths[i]);
    put_zeros(2 * BLOCK);
    unsigned long total = written + stream_used;
    put_zeros((RECORD - total % RECORD) % RECORD);
    flush();
}

/* ---- tar -x ---- */

/* Makes every missing directory above `name` (cut at each `/` and put back). */
static void make_parents(char *name) {
    for (char *slash = name; (slash = strchr(slash + 1, '/')) != 0;) {
        if (slash[-1] == '/') continue;
        *slash = 0;
        mkdir(name);
        *slash = '/';
    }
}

/* Makes the directory `name`; a directory already there is kept. */
static void extract_directory(char *name) {
    int result = mkdir(name);
    if (result == -NoSuchEntry) { make_parents(name); result = mkdir(name); }
    struct stat st;
    if (result == -FileExist && stat(name, &st) == 0 && st.type == FILE_TYPE_DIRECTORY) result = 0;
    if (result < 0) report(name, result);
}

/* Opens `name` as a new empty file for writing (replacing a file there); fd or error. */
static long new_file(char *name) {
    int result = create(name);
    if (result == -NoSuchEntry) { make_parents(name); result = create(name); }
    struct stat st;
    if (result == -FileExist && stat(name, &st) == 0) {
        if (st.type == FILE_TYPE_DIRECTORY) return -IsDirectory;
        result = unlink(name);
        if (result == 0) result = create(name);
    }
    return result < 0 ? result : open(name, O_WRONLY);
}

/* Passes over the next `size` bytes of the archive and their padding, writing them to `fd`
 * unless it is negative. Returns 0, or the write error (the bytes are still passed over). */
static long extract_bytes(int fd, unsigned long size) {
    unsigned long left = size + (BLOCK - size % BLOCK) % BLOCK, data = size;
    long failure = 0;
    while (left) {
        size_t count = left < sizeof stream ? left : sizeof stream;
        const unsigned char *bytes = take(&count);
        if (!bytes) { complain(archive_name, "ends inside a file"); exit(1); }
        size_t useful = count < data ? count : data;
        if (fd >= 0 && useful && !failure) {
            long result = write_all(fd, bytes, useful);
            if (result < 0) failure = result;
        }
        data -= useful;
        left -= count;
    }
    return failure;
}

/* True when `name` has a `..` component. */
static int climbs(const char *name) {
    for (const char *c = name; (c = strchr(c, '.')) != 0; c++)
        if ((c == name || c[-1] == '/') && c[1] == '.' && (c[2] == '/' || c[2] == 0)) return 1;
    return 0;
}

static void extract_archive(void) {
    static char name[NAME_SPACE + 1];
    const struct header *header;
    while ((header = take_block()) != 0) {
        static const char zeros[BLOCK];
        if (memcmp(header, zeros, BLOCK) == 0) return;
        int ok = 1;
        unsigned long stored = number(header->checksum, sizeof header->checksum, &ok);
        if (!ok || (stored != header_sum(header, 0) && stored != header_sum(header, 1))) {
            complain(archive_name, "not a tar header (checksum)");
            exit(1);
        }
        unsigned long size = number(header->size, sizeof header->size, &ok);
        if (!ok) { complain(archive_name, "not a tar header (size)"); exit(1); }
        /* The name: PREFIX/NAME in a POSIX header; GNU headers use the prefix otherwise. */
        size_t at = 0;
        if (memcmp(header->magic, "ustar", 6) == 0 && header->prefix[0]) {
            for (size_t i = 0; i < PREFIX_FIELD && header->prefix[i]; i++) name[at++] = header->prefix[i];
            name[at++] = '/';
        }
        for (size_t i = 0; i < NAME_FIELD && header->name[i]; i++) name[at++] = header->name[i];
        name[at] = 0;
        char *relative = name;
        while (relative[0] == '/') relative++;
        int is_file = header->type == TYPE_FILE || header->type == TYPE_OLD_FILE;
        if (!relative[0] || climbs(relative)) {
            complain(name, "a name outside the current directory, skipped");
            extract_bytes(-1, size);
        } else if (header->type == TYPE_DIRECTORY) {
            extract_directory(relative);
            extract_bytes(-1, size);
        } else if (is_file) {
            long fd = new_file(relative);
            if (fd < 0) report(relative, fd);
            long result = extract_bytes((int)fd, size);
            if (result < 0) report(relative, result);
            if (fd >= 0) close((int)fd);
        } else {
            eprintf("tar: %s: entry of type '%c' not supported, skipped\n", relative, header->type);
            errors++;
            extract_bytes(-1, size);
        }
    }
}

/* ---- the command line ---- */

static int usage(void) {
    eprintf("usage: tar -c [-f ARCHIVE] [-C DIR] PATH... | tar -x [-f ARCHIVE] [-C DIR]\n");
    return 2;
}

int main(int argc, char **argv) {
    char mode = 0;
    const char *archive = 0, *directory = 0;
    int next = 1;
    /* Option groups: the first may go without its dash; values follow the group in order. */
    for (int group = 1; group < argc && (argv[group][0] == '-' || group == 1); group = next) {
        next = group + 1;
        for (const char *flag = argv[group] + (argv[group][0] == '-'); *flag; flag++) {
            if (*flag == 'c' || *flag == 'x') {
                if (mode && mode != *flag) return usage();
                mode = *flag;
            } else if (*flag == 'f' || *flag == 'C') {
                if (next >= argc) return usage();
                if (*flag == 'f') archive = argv[next++];
                else directory = argv[next++];
            } else {
                return usage();
            }
        }
    }
    if (!mode || (mode == 'c' && next >= argc) || (mode == 'x' && next < argc)) return usage();
    int to_stream = !archive || strcmp(archive, "-") == 0;
    archive_name = to_stream ? (mode == 'c' ? "standard output" : "standard input") : archive;
    archive_fd = mode == 'c' ? 1 : 0;
    if (!to_stream && mode == 'x') {
        ssize_t fd = open(archive, O_RDONLY);
        if (fd < 0) { report(archive, fd); return 1; }
        archive_fd = (int)fd;
    } else if (!to_stream) {
        int result = unlink(archive);
        if (result == 0 || result == -NoSuchEntry) result = create(archive);
        ssize_t fd = result < 0 ? result : open(archive, O_WRONLY);
        if (fd < 0) { report(archive, fd); return 1; }
        archive_fd = (int)fd;
        struct stat st;
        if (stat(archive, &st) == 0) archive_ino = st.ino;
    }
    if (directory) {
        int result = chdir(directory);
        if (result < 0) { report(directory, result); return 1; }
    }
    if (mode == 'c') create_archive(argv + next, argc - next);
    else extract_archive();
    if (archive_fd > 2) close(archive_fd);
    return errors ? 1 : 0;
}
