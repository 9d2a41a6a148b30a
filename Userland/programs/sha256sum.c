/* sha256sum [FILE...]: prints the SHA-256 digest of each FILE (standard input when there is
 * none, or for `-`) as GNU coreutils' sha256sum does, byte for byte:
 *
 *     HASH  NAME          64 lowercase hex digits, two spaces, the name as given
 *     \HASH  NA\\ME\nX    a name holding `\` or a newline: the line starts with `\` and
 *                         those two are written `\\` and `\n`
 *
 * SHA-256 is FIPS 180-4: the message is taken in blocks of 64 bytes, padded with one 1 bit,
 * zeros, and its length in bits as a 64-bit big-endian number, so that the padding fits in the
 * last block when at most 55 bytes are left, and takes one more block otherwise.
 *
 * Errors go to standard error as `sha256sum: FILE: ErrorName` (a directory is IsDirectory:
 * reading it fails); the other files are still summed, and the status is then 1. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <syscall.h>

#define BLOCK 64
#define DIGEST 32

struct sha256 {
    uint32_t state[8];
    uint64_t length;        /* bytes hashed so far */
    unsigned char pending[BLOCK];
    size_t pending_length;  /* bytes of `pending` in use */
};

/* The first 32 bits of the fractional parts of the cube roots of the first 64 primes. */
static const uint32_t round_constants[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* The first 32 bits of the fractional parts of the square roots of the first 8 primes. */
static const uint32_t initial_state[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

static uint32_t rotate(uint32_t x, int bits) { return x >> bits | x << (32 - bits); }

static void compress(uint32_t state[8], const unsigned char *block) {
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)block[4 * i] << 24 | (uint32_t)block[4 * i + 1] << 16 | (uint32_t)block[4 * i + 2] << 8 | block[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = rotate(w[i - 15], 7) ^ rotate(w[i - 15], 18) ^ w[i - 15] >> 3;
        uint32_t s1 = rotate(w[i - 2], 17) ^ rotate(w[i - 2], 19) ^ w[i - 2] >> 10;
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = h + (rotate(e, 6) ^ rotate(e, 11) ^ rotate(e, 25)) + ((e & f) ^ (~e & g)) + round_constants[i] + w[i];
        uint32_t t2 = (rotate(a, 2) ^ rotate(a, 13) ^ rotate(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g; g = f; f = e; e = d + t1;
        d = c; c = b; b = a; a = t1 + t2;
    }
    state[0] += a; state[1] += b; state[2] += c; state[3] += d;
    state[4] += e; state[5] += f; state[6] += g; state[7] += h;
}

static void sha256_start(struct sha256 *hash) {
    memcpy(hash->state, initial_state, sizeof initial_state);
    hash->length = 0;
    hash->pending_length = 0;
}

static void sha256_add(struct sha256 *hash, const unsigned char *bytes, size_t count) {
    hash->length += count;
    if (hash->pending_length) {
        size_t taken = BLOCK - hash->pending_length < count ? BLOCK - hash->pending_length : count;
        memcpy(hash->pending + hash->pending_length, bytes, taken);
        hash->pending_length += taken;
        bytes += taken;
        count -= taken;
        if (hash->pending_length < BLOCK) return;
        compress(hash->state, hash->pending);
        hash->pending_length = 0;
    }
    for (; count >= BLOCK; bytes += BLOCK, count -= BLOCK) compress(hash->state, bytes);
    memcpy(hash->pending, bytes, count);
    hash->pending_length = count;
}

static void sha256_finish(struct sha256 *hash, unsigned char digest[DIGEST]) {
    uint64_t bits = hash->length * 8;
    unsigned char padding[2 * BLOCK];
    /* One 1 bit, zeros up to 8 bytes short of a block's end, then the length. */
    size_t padded = hash->pending_length < BLOCK - 8 ? BLOCK - hash->pending_length : 2 * BLOCK - hash->pending_length;
    memset(padding, 0, sizeof padding);
    padding[0] = 0x80;
    for (int i = 0; i < 8; i++) padding[padded - 1 - i] = (unsigned char)(bits >> (8 * i));
    sha256_add(hash, padding, padded);
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 4; j++) digest[4 * i + j] = (unsigned char)(hash->state[i] >> (24 - 8 * j));
}

static unsigned char buffer[1 << 16];

/* Hashes everything `fd` holds; returns 0 or the error that stopped the reading. */
static long hash_file(int fd, unsigned char digest[DIGEST]) {
    struct sha256 hash;
    sha256_start(&hash);
    for (;;) {
        ssize_t count = read(fd, buffer, sizeof buffer);
        /* Standard input from a pipe whose writers are gone ends with BrokenPipe. */
        if (count == 0 || count == -BrokenPipe) break;
        if (count < 0) return count;
        sha256_add(&hash, buffer, (size_t)count);
    }
    sha256_finish(&hash, digest);
    return 0;
}

/* GNU's line: a name with `\` or a newline is escaped, and the line then starts with `\`. */
static void print_line(const unsigned char digest[DIGEST], const char *name) {
    static char line[2 * DIGEST + 4 + 2 * 4096 + 2];
    static const char hex[] = "0123456789abcdef";
    int escaped = strchr(name, '\\') || strchr(name, '\n');
    size_t at = 0;
    if (escaped) line[at++] = '\\';
    for (int i = 0; i < DIGEST; i++) {
        line[at++] = hex[digest[i] >> 4];
        line[at++] = hex[digest[i] & 15];
    }
    line[at++] = ' ';
    line[at++] = ' ';
    for (const char *c = name; *c; c++) {
        if (at + 3 > sizeof line) {
            write_all(1, line, at);
            at = 0;
        }
        if (escaped && *c == '\\') { line[at++] = '\\'; line[at++] = '\\'; }
        else if (escaped && *c == '\n') { line[at++] = '\\'; line[at++] = 'n'; }
        else line[at++] = *c;
    }
    line[at++] = '\n';
    write_all(1, line, at);
}

int main(int argc, char **argv) {
    static char *standard_input[] = { "-" };
    char **names = argc > 1 ? argv + 1 : standard_input;
    int count = argc > 1 ? argc - 1 : 1;
    int failed = 0;
    for (int i = 0; i < count; i++) {
        int is_input = strcmp(names[i], "-") == 0;
        ssize_t fd = is_input ? 0 : open(names[i], O_RDONLY);
        unsigned char digest[DIGEST];
        long result = fd < 0 ? fd : hash_file((int)fd, digest);
        if (!is_input && fd >= 0) close((int)fd);
        if (result < 0) {
            eprintf("sha256sum: %s: %s\n", names[i], strerror(result));
            failed = 1;
            continue;
        }
        print_line(digest, names[i]);
    }
    return failed;
}
