/* deadlock: a parent and its child each wait to read a pipe that only the other could
 * write, and neither ever writes. No one can wake them: the kernel ends both (status -1)
 * and says why, instead of hanging. */
#include <stdio.h>
#include <syscall.h>

int main(void) {
    int to_parent[2], to_child[2];
    char byte;
    pipe(to_parent);
    pipe(to_child);
    int child = fork();
    if (child == 0) {
        read(to_child[0], &byte, 1);
        return 0;
    }
    printf("parent and child both wait to read\n");
    read(to_parent[0], &byte, 1);
    return 0;
}
