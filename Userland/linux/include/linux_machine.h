/* What a program run as Linux's `/init` (process 1 of a machine `apus bench --linux` boots)
 * does to reach the machine's disk, which no one else is there to do: the kernel gives `/init`
 * an initramfs and nothing mounted.
 *
 * The disk is the machine's virtio block device (/dev/vda), holding an ext4 file system the
 * tool made with the host's mkfs.ext4; the drivers it needs are kernel modules in the
 * initramfs's /modules, which the tool names so that their order is the order to load them
 * in (each after the modules it depends on). */
#ifndef LINUX_MACHINE_H
#define LINUX_MACHINE_H

/* True in process 1, the /init of a machine (not when the program runs on a host). */
int linux_is_init(void);

/* Mounts devtmpfs on /dev and proc on /proc, loads every module in /modules (in name order),
 * waits for `device` to appear, mounts it on `directory` as `type` with the file system's
 * default options, and makes `directory` the current directory. Returns 0, or a negative
 * Linux errno of the step that failed, after printing which step it was. */
long linux_mount_disk(const char *device, const char *type, const char *directory);

/* Unmounts what `linux_mount_disk` mounted on `directory` (writing everything back first). */
long linux_unmount_disk(const char *directory);

/* Writes every dirty page and inode back (sync), then drops the page cache, the dentries and
 * the inodes (/proc/sys/vm/drop_caches): the next read of a file comes from the disk. */
long linux_drop_caches(void);

#endif
