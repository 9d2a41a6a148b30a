/* fpustate: a program starts with the FPU and SSE state of a fresh CPU (ABI.md §3: every
 * register but rdi and rsi is 0): x87 control word 0x37F, MXCSR 0x1F80, every xmm register
 * zero. Then it leaves them dirty, so that a second run in the same boot shows whether any
 * of it leaked from one program to the next. */
#include <stdio.h>

static unsigned char state[512] __attribute__((aligned(16)));

int main(void) {
    __asm__ volatile("fxsave %0" : "=m"(state));
    unsigned fcw = state[0] | state[1] << 8;
    unsigned mxcsr = state[24] | state[25] << 8 | state[26] << 16 | (unsigned)state[27] << 24;
    int dirty_xmm = 0, dirty_st = 0;
    for (int i = 160; i < 416; i++) dirty_xmm |= state[i] != 0;
    for (int i = 32; i < 160; i++) dirty_st |= state[i] != 0;
    printf("fcw %#x, mxcsr %#x, xmm %s, st %s\n", fcw, mxcsr, dirty_xmm ? "dirty" : "zero", dirty_st ? "dirty" : "zero");
    /* Leave everything dirty for whoever runs next. */
    static const double junk[2] = { 3.25, -7.5 };
    unsigned odd_mxcsr = 0x7f00;
    unsigned short odd_fcw = 0x27f;
    __asm__ volatile(
        "movupd %0, %%xmm0\n" "movupd %0, %%xmm7\n" "movupd %0, %%xmm15\n"
        "ldmxcsr %1\n" "fldcw %2\n" "fld1\n" "fldpi\n"
        : : "m"(junk), "m"(odd_mxcsr), "m"(odd_fcw) : "xmm0", "xmm7", "xmm15");
    return fcw == 0x37f && mxcsr == 0x1f80 && !dirty_xmm && !dirty_st ? 0 : 1;
}
