// The kernel's entry: boot.S calls `apus_main` (below) on the boot stack, in long mode, with
// the boot page tables loaded. SwiftPM wants an executable to have top-level code; the
// kernel has no `argc`/`argv` to read, so this file's only statement hands over at once.

Kernel.boot()
