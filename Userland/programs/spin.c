/* spin: says so, then loops forever without a system call (for testing that stopping
 * `apus run` stops the machine). */
#include <stdio.h>

int main(void) {
    printf("spinning\n");
    for (;;) __asm__ volatile("" ::: "memory");
}
