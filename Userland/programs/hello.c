/* The smallest program: one line on standard output. */
#include <stdio.h>

int main(void) {
    printf("Hello from Apus!\n");
    return 0;
}
