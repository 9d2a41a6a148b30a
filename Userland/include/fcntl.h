#ifndef FCNTL_H
#define FCNTL_H
#define O_RDONLY 0
#define O_WRONLY 1
#define O_RDWR 2
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2
#endif
