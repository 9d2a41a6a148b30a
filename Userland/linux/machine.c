/* The disk of a Linux machine, for a program run as its `/init` (include/linux_machine.h). */
#include <fcntl.h>
#include <linux_machine.h>
#include <stdio.h>
#include <string.h>
#include <syscall.h>
#include "linux_abi.h"

/* How long to wait for the disk's device node after its driver is loaded: 200 tries 10 ms
 * apart. */
#define DEVICE_TRIES 200
#define DEVICE_WAIT_NANOSECONDS 10000000L
/* The folder of the modules, and the most it may hold. */
#define MODULE_FOLDER "/modules"
#define MAXIMUM_MODULES 32
#define MODULE_NAME_SPACE 64

int linux_is_init(void) { return syscall6(LINUX_GETPID, 0, 0, 0, 0, 0, 0) == 1; }

static long report(const char *step, long result) {
    if (result < 0) printf("linux_machine: %s failed: errno %ld\n", step, -result);
    return result;
}

static long make_folder(const char *path) {
    long result = syscall6(LINUX_MKDIR, (long)path, LINUX_DIRECTORY_MODE, 0, 0, 0, 0);
    return result == -FileExist ? 0 : result;
}

static long mount(const char *source, const char *target, const char *type) {
    long made = make_folder(target);
    if (made < 0) return made;
    return syscall6(LINUX_MOUNT, (long)source, (long)target, (long)type, 0, 0, 0);
}

/* Loads the modules of MODULE_FOLDER in name order; a module already there is fine. */
static long load_modules(void) {
    static char names[MAXIMUM_MODULES][MODULE_NAME_SPACE];
    static char records[8192];
    int count = 0;
    long folder = syscall6(LINUX_OPEN, (long)MODULE_FOLDER, O_RDONLY | LINUX_O_DIRECTORY, 0, 0, 0, 0);
    if (folder == -NoSuchEntry) return 0; /* no modules: the drivers are built in */
    if (folder < 0) return folder;
    long got;
    while ((got = syscall6(LINUX_GETDENTS64, folder, (long)records, sizeof records, 0, 0, 0)) > 0) {
        for (long at = 0; at < got;) {
            const struct linux_dirent64 *record = (const struct linux_dirent64 *)(records + at);
            at += record->length;
            if (record->name[0] == '.' || strlen(record->name) >= MODULE_NAME_SPACE || count == MAXIMUM_MODULES) continue;
            strcpy(names[count++], record->name);
        }
    }
    syscall6(LINUX_CLOSE, folder, 0, 0, 0, 0, 0);
    if (got < 0) return got;
    for (int i = 1; i < count; i++)
        for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char swap[MODULE_NAME_SPACE];
            strcpy(swap, names[j]); strcpy(names[j], names[j - 1]); strcpy(names[j - 1], swap);
        }
    for (int i = 0; i < count; i++) {
        char path[sizeof MODULE_FOLDER + MODULE_NAME_SPACE + 1];
        snprintf(path, sizeof path, "%s/%s", MODULE_FOLDER, names[i]);
        long fd = syscall6(LINUX_OPEN, (long)path, O_RDONLY, 0, 0, 0, 0);
        if (fd < 0) return fd;
        long loaded = syscall6(LINUX_FINIT_MODULE, fd, (long)"", 0, 0, 0, 0);
        syscall6(LINUX_CLOSE, fd, 0, 0, 0, 0, 0);
        if (loaded < 0 && loaded != -FileExist) {
            printf("linux_machine: loading %s failed: errno %ld\n", names[i], -loaded);
            return loaded;
        }
    }
    return 0;
}

/* Waits until `device` can be opened (its driver found the device and devtmpfs has its node). */
static long wait_for(const char *device) {
    struct { long seconds, nanoseconds; } pause = { 0, DEVICE_WAIT_NANOSECONDS };
    long fd = -NoSuchEntry;
    for (int try = 0; try < DEVICE_TRIES; try++) {
        fd = syscall6(LINUX_OPEN, (long)device, O_RDONLY, 0, 0, 0, 0);
        if (fd >= 0) {
            syscall6(LINUX_CLOSE, fd, 0, 0, 0, 0, 0);
            return 0;
        }
        if (fd != -NoSuchEntry && fd != -LINUX_ENXIO) return fd;
        syscall6(LINUX_NANOSLEEP, (long)&pause, 0, 0, 0, 0, 0);
    }
    return fd;
}

long linux_mount_disk(const char *device, const char *type, const char *directory) {
    long result;
    if ((result = report("mounting devtmpfs on /dev", mount("devtmpfs", "/dev", "devtmpfs"))) < 0) return result;
    if ((result = report("mounting proc on /proc", mount("proc", "/proc", "proc"))) < 0) return result;
    if ((result = report("loading the modules", load_modules())) < 0) return result;
    if ((result = report("waiting for the disk", wait_for(device))) < 0) return result;
    if ((result = report("mounting the disk", mount(device, directory, type))) < 0) return result;
    return report("entering the disk", chdir(directory));
}

long linux_unmount_disk(const char *directory) {
    chdir("/");
    return report("unmounting the disk", syscall6(LINUX_UMOUNT2, (long)directory, 0, 0, 0, 0, 0));
}

long linux_drop_caches(void) {
    syscall6(LINUX_SYNC, 0, 0, 0, 0, 0, 0);
    ssize_t fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
    if (fd < 0) return report("opening /proc/sys/vm/drop_caches", fd);
    /* 3: free the page cache, and the dentries and inodes (Documentation/admin-guide/sysctl/vm.rst). */
    ssize_t written = write((int)fd, "3", 1);
    close((int)fd);
    return report("dropping the caches", written < 0 ? written : 0);
}
