// execve as a careless or hostile Linux program uses it: damaged programs, argument lists
// past the limits, bad pointers inside argv and envp. A small valid program (two segments,
// code that exits with 42) is written to a file in variants, each damaged one way, and a
// forked child execve's each; the parent prints, per case, the errno execve returned, or
// how the child ended (an exit status, or the signal that killed it once the old program
// was gone). Then the same for argument lists, with the valid program. Then "survived".
// Built by the system tests with this host's `cc -static`, and run here and on Apus.
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define BASE 0x400000UL
#define DATA 0x600000UL
#define CODE_OFFSET 0x100
#define DATA_OFFSET 0x180
#define FILE_SIZE 0x200
#define KERNEL 0xffff800000001000UL
#define RANDOM_CASES 32

// The valid program: an ELF header, a text segment (the whole file, read and execute) and a
// data segment (read and write, with a zeroed tail); its code is `exit(42)`, the rest of the
// text `hlt`, which a stray jump meets and faults on.
struct program {
    Elf64_Ehdr header;
    Elf64_Phdr segments[3];
    unsigned char rest[FILE_SIZE - sizeof(Elf64_Ehdr) - 3 * sizeof(Elf64_Phdr)];
};
static struct program valid;
static const unsigned char exit42[] = {0xbf, 42, 0, 0, 0, 0xb8, 60, 0, 0, 0, 0x0f, 0x05};

static void make_valid(void) {
    memset(&valid, 0xf4, sizeof valid);
    Elf64_Ehdr *h = &valid.header;
    memset(h, 0, sizeof *h);
    memcpy(h->e_ident, ELFMAG, SELFMAG);
    h->e_ident[EI_CLASS] = ELFCLASS64;
    h->e_ident[EI_DATA] = ELFDATA2LSB;
    h->e_ident[EI_VERSION] = EV_CURRENT;
    h->e_ident[EI_OSABI] = ELFOSABI_GNU;
    h->e_type = ET_EXEC;
    h->e_machine = EM_X86_64;
    h->e_version = EV_CURRENT;
    h->e_entry = BASE + CODE_OFFSET;
    h->e_phoff = sizeof(Elf64_Ehdr);
    h->e_ehsize = sizeof(Elf64_Ehdr);
    h->e_phentsize = sizeof(Elf64_Phdr);
    h->e_phnum = 2;
    valid.segments[0] = (Elf64_Phdr){.p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = 0, .p_vaddr = BASE,
                                     .p_paddr = BASE, .p_filesz = FILE_SIZE, .p_memsz = FILE_SIZE, .p_align = 0x1000};
    valid.segments[1] = (Elf64_Phdr){.p_type = PT_LOAD, .p_flags = PF_R | PF_W, .p_offset = DATA_OFFSET,
                                     .p_vaddr = DATA + DATA_OFFSET, .p_paddr = DATA + DATA_OFFSET, .p_filesz = 0x40,
                                     .p_memsz = 0x2000, .p_align = 0x1000};
    memset(&valid.segments[2], 0, sizeof valid.segments[2]);
    memcpy((unsigned char *)&valid + CODE_OFFSET, exit42, sizeof exit42);
}

// Prints how `child` ended: the errno it sent through `report` (execve failed), or its
// wait status.
static void finish(const char *name, pid_t child, int report) {
    int error = 0, status = 0;
    ssize_t got = read(report, &error, sizeof error);
    close(report);
    waitpid(child, &status, 0);
    if (got == sizeof error) printf("%s: %s\n", name, strerrorname_np(error));
    else if (WIFSIGNALED(status)) printf("%s: killed by SIG%s\n", name, sigabbrev_np(WTERMSIG(status)));
    else printf("%s: exit %d\n", name, WEXITSTATUS(status));
    fflush(stdout);
}

// execve(path, argv, envp) in a child, reported by `finish`.
static void run(const char *name, const char *path, char **argv, char **envp) {
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) { printf("%s: no pipe\n", name); return; }
    pid_t child = fork();
    if (child == 0) {
        close(report[0]);
        alarm(10); // on Linux a stray program cannot hang the test; alarm survives execve
        execve(path, argv, envp);
        int error = errno;
        write(report[1], &error, sizeof error);
        _exit(127);
    }
    close(report[1]);
    finish(name, child, report[0]);
}

// Writes the first `size` bytes of `program` to the file `elf` and execve's it.
static void try_program(const char *name, const void *program, size_t size) {
    int fd = open("elf", O_WRONLY | O_CREAT | O_TRUNC, 0755);
    if (fd < 0 || write(fd, program, size) != (ssize_t)size || close(fd) != 0) { printf("%s: cannot write\n", name); return; }
    char *argv[] = {"elf", 0}, *envp[] = {0};
    run(name, "elf", argv, envp);
}

// A copy of the valid program, for one case to damage.
static struct program damaged;
static void start_damage(void) { damaged = valid; }
static void try_damaged(const char *name) { try_program(name, &damaged, sizeof damaged); }

static unsigned long long state = 0x9e3779b97f4a7c15ULL;
static unsigned long long next_random(void) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

static void damaged_programs(void) {
    try_program("valid", &valid, sizeof valid);
    try_program("empty file", &valid, 0);
    try_program("header cut short", &valid, 40);
    try_program("program headers cut short", &valid, sizeof(Elf64_Ehdr) + 20);
    try_program("text segment past the end of the file", &valid, CODE_OFFSET + 0x20);

    start_damage(); damaged.header.e_ident[EI_CLASS] = ELFCLASS32; try_damaged("32-bit class");
    start_damage(); damaged.header.e_ident[EI_DATA] = ELFDATA2MSB; try_damaged("big-endian");
    start_damage(); damaged.header.e_machine = EM_AARCH64; try_damaged("another machine");
    start_damage(); damaged.header.e_type = ET_REL; try_damaged("relocatable object");
    start_damage(); damaged.header.e_phentsize = 55; try_damaged("program header size 55");
    start_damage(); damaged.header.e_phnum = 0; try_damaged("no program headers");
    start_damage(); damaged.header.e_phnum = 0xffff; try_damaged("65535 program headers");
    start_damage(); damaged.header.e_phnum = 100; try_damaged("100 program headers past the end");
    start_damage(); damaged.header.e_phoff = 0xffffffffffffff00UL; try_damaged("program header offset near 2^64");
    start_damage(); damaged.header.e_phoff = 1UL << 40; try_damaged("program header offset past the end");
    start_damage(); damaged.segments[0].p_type = PT_NOTE; damaged.segments[1].p_type = PT_NOTE; try_damaged("no loadable segment");

    start_damage(); damaged.segments[1].p_offset = 1UL << 40; try_damaged("data offset past the end of the file");
    start_damage(); damaged.segments[1].p_offset = 0xfffffffffffff180UL; try_damaged("data offset wrapping around");
    start_damage(); damaged.segments[1].p_filesz = 0x100; damaged.segments[1].p_memsz = 0x80; try_damaged("file size above memory size");
    start_damage(); damaged.segments[1].p_vaddr = BASE + DATA_OFFSET; try_damaged("overlapping segments");
    start_damage(); damaged.segments[1].p_vaddr = KERNEL + DATA_OFFSET; try_damaged("segment at a kernel address");
    start_damage(); damaged.segments[1].p_vaddr = 0x0000900000000180UL; try_damaged("segment at a non-canonical address");
    start_damage(); damaged.segments[1].p_vaddr = 0x7ffffffff180UL; try_damaged("segment across the top of the user half");
    start_damage(); damaged.segments[1].p_memsz = 0xfffffffffffff000UL; try_damaged("memory size wrapping around");
    start_damage(); damaged.segments[1].p_memsz = 1UL << 46; try_damaged("64 TiB of memory size");

    start_damage(); damaged.header.e_entry = 0x1000; try_damaged("entry outside every segment");
    start_damage(); damaged.header.e_entry = DATA + DATA_OFFSET; try_damaged("entry in the data segment");
    start_damage(); damaged.header.e_entry = KERNEL; try_damaged("entry at a kernel address");
    start_damage(); damaged.segments[0].p_flags = PF_R; try_damaged("text not executable");

    // An interpreter that is not there: the program names one in PT_INTERP.
    start_damage();
    damaged.header.e_phnum = 3;
    static const char interpreter[] = "/nonexistent/ld.so";
    memcpy(damaged.rest + 0x60, interpreter, sizeof interpreter);
    unsigned long at = (unsigned char *)damaged.rest + 0x60 - (unsigned char *)&damaged;
    damaged.segments[2] = (Elf64_Phdr){.p_type = PT_INTERP, .p_flags = PF_R, .p_offset = at, .p_vaddr = BASE + at,
                                       .p_filesz = sizeof interpreter, .p_memsz = sizeof interpreter, .p_align = 1};
    try_damaged("interpreter requested");

    // Random damage to the headers (a fixed seed): one to four bytes of the first 176 each.
    for (int index = 0; index < RANDOM_CASES; index++) {
        start_damage();
        int bytes = 1 + next_random() % 4;
        for (int b = 0; b < bytes; b++) {
            unsigned long long r = next_random();
            ((unsigned char *)&damaged)[r % (sizeof(Elf64_Ehdr) + 2 * sizeof(Elf64_Phdr))] = r >> 32;
        }
        char name[32];
        snprintf(name, sizeof name, "random damage %d", index);
        try_damaged(name);
    }
}

// `count` pointers to `string`, then NULL.
static char **vector(char *string, int count) {
    char **v = malloc((count + 1) * sizeof *v);
    for (int i = 0; i < count; i++) v[i] = string;
    v[count] = 0;
    return v;
}

static char *filled(size_t length) {
    char *s = malloc(length + 1);
    memset(s, 'a', length);
    s[length] = 0;
    return s;
}

static void argument_lists(void) {
    char *none[] = {0};
    char *hundred = filled(100), *page = filled(4096);
    run("1,000 arguments of 100 bytes", "elf", vector(hundred, 1000), none);
    run("an argument of 131,071 bytes", "elf", vector(filled(131071), 1), none);
    run("an argument of 131,072 bytes", "elf", vector(filled(131072), 1), none);
    run("two arguments of 100 KiB", "elf", vector(filled(100 << 10), 2), none);
    run("5,000 empty arguments", "elf", vector("", 5000), none);
    run("8 MiB of arguments", "elf", vector(filled(100 << 10), 80), none);
    run("8 MiB of environment", "elf", none, vector(filled(100 << 10), 80));
    run("2,048 environment strings of a page", "elf", none, vector(page, 2048));
    run("argv NULL", "elf", 0, none);

    // Bad pointers: the vectors themselves, a string in them, the path.
    char *bad_string[] = {"elf", (char *)1, 0}, *kernel_string[] = {"elf", (char *)KERNEL, 0};
    run("argv at address 1", "elf", (char **)1, none);
    run("argv at a kernel address", "elf", (char **)KERNEL, none);
    run("envp at a kernel address", "elf", none, (char **)KERNEL);
    run("an argument at address 1", "elf", bad_string, none);
    run("an environment string at a kernel address", "elf", none, kernel_string);
    run("path NULL", 0, none, none);

    // A vector with no NULL before an unmapped page, a string with no NUL before one.
    char *pages = mmap(0, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(pages + 4096, 4096);
    char **unterminated = (char **)pages;
    for (int i = 0; i < 4096 / 8; i++) unterminated[i] = "elf";
    run("argv running into an unmapped page", "elf", unterminated, none);
    memset(pages, 'a', 4096);
    char *endless[] = {"elf", pages + 4000, 0};
    run("an argument running into an unmapped page", "elf", endless, none);
    run("path running into an unmapped page", pages + 4000, none, none);
}

int main(void) {
    make_valid();
    damaged_programs();
    argument_lists();
    unlink("elf");
    printf("survived\n");
    return 0;
}
