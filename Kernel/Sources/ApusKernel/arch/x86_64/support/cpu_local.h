// The offsets of a CPU's own data (struct apus_cpu_local in include/X86_64Support.h), for
// the assembly that reaches it through GS: every entry from ring 3 runs `swapgs` first, so
// that GS's base is this CPU's area while the kernel runs (Intel SDM Vol. 2B, SWAPGS).
#define CPU_LOCAL_SELF              0
#define CPU_LOCAL_KERNEL_STACK      8
#define CPU_LOCAL_USER_RSP          16
#define CPU_LOCAL_INDEX             24
#define CPU_LOCAL_EXIT_PENDING      32

#define MSR_GS_BASE                 0xC0000101
#define MSR_KERNEL_GS_BASE          0xC0000102
