/* forkbomb: forks until the kernel refuses (the process limit: NoMemory), with every child
 * waiting on a pipe; then lets them all go and waits until the last has ended (a second
 * pipe breaks when no child holds it any more), and forks once more to show the room is
 * back. */
#include <stdio.h>
#include <syscall.h>

int main(void) {
    int hold[2], gone[2];
    pipe(hold);
    pipe(gone);
    int children = 0, result;
    char byte;
    while ((result = fork()) > 0) children++;
    if (result == 0) {
        close(hold[1]);
        close(gone[0]);
        read(hold[0], &byte, 1); /* waits until the parent closes its write end: BrokenPipe */
        return 0;                /* ending closes gone[1] */
    }
    printf("forked %d children, then %d\n", children, result);
    close(hold[1]);
    close(gone[1]);
    long last = read(gone[0], &byte, 1);
    printf("every child ended (read: %ld)\n", last);
    int again = fork();
    if (again == 0) return 0;
    printf("fork after they ended: %s\n", again > 0 ? "works" : "fails");
    return 0;
}
