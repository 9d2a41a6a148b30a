/// Where things live in every Apus address space.
///
/// ```
/// 0x0000_0000_0000_0000 ┬ user half: PML4 slots 0–255, each process its own
///                       │   (programs are linked at 0x40_1000; stack below 0x4748_0000)
/// 0x0000_5000_0000_0000 ├ kernel window: PML4 slot 160, supervisor-only, shared by every
///                       │   address space: the kernel heap at its start, the kernel image
///                       │   (code, data, stacks) in its last GiB, 0x507F_C000_0000
/// 0x0000_5080_0000_0000 ┤ user half continues
/// 0x0000_7FFF_FFFF_FFFF ┴ last user byte
///                         non-canonical hole (#GP)
/// 0xFFFF_8000_0000_0000 ┬ kernel half: PML4 slots 256–511, shared by every address space:
/// 0xFFFF_FFFF_FFFF_FFFF ┴   the direct map of all RAM
/// ```
///
/// Why a kernel window in the *lower* half: Embedded Swift on x86-64 treats the top bits of
/// an object pointer as spare bits (multi-payload enums keep their tags there, a `String`
/// keeps its discriminator there even for a literal) and never retains or releases a
/// negative pointer, so Swift heap objects and the string literals in the kernel image must
/// live at lower-half addresses. The kernel therefore takes one whole PML4 slot of the user
/// half for its heap and its image. It is mapped supervisor-only, is present in every
/// address space like the kernel half, is never freed with a process, and `mmap` and
/// `accessOK` treat it exactly like kernel memory. Slot 0 (the first 512 GiB, where programs
/// are linked) and slot 255 (just below the hole, where programs place high mappings) stay
/// free for programs.
public enum AddressSpaceLayout {
    /// The first address past the user half; not canonical itself.
    public static let userEnd = VirtualAddress(0x0000_8000_0000_0000)
    /// The first address of the kernel half.
    public static let kernelStart = VirtualAddress(0xFFFF_8000_0000_0000)

    /// The PML4 slot of the kernel window.
    public static let kernelWindowSlot = 160
    /// The kernel window: the 512 GiB that ``kernelWindowSlot`` covers, holding the kernel
    /// heap (from its start) and the kernel image (``kernelImageBase``).
    public static let kernelWindow = VirtualRange(
        start: VirtualAddress(UInt64(kernelWindowSlot) << PageGeometry.shift(ofLevel: 4)),
        end: VirtualAddress(UInt64(kernelWindowSlot + 1) << PageGeometry.shift(ofLevel: 4)))

    /// Where the kernel image is linked: the last GiB of the kernel window, virtual
    /// `kernelImageBase + p` for physical `p`.
    public static let kernelImageBase = VirtualAddress(kernelWindow.end.raw - (1 << 30))

    /// The first PML4 slot of the kernel half; slots from here to 511 are the kernel's.
    public static let firstKernelSlot = 256

    /// The whole user half, `[0, userEnd)`.
    public static let userHalf = VirtualRange(start: VirtualAddress(0), end: userEnd)

    /// True for PML4 slots that every address space shares with the kernel: the kernel half
    /// and the kernel window. A process's page table never allocates or frees anything there.
    @inlinable public static func isSharedSlot(_ slot: Int) -> Bool {
        slot >= firstKernelSlot || slot == kernelWindowSlot
    }

    /// True when a program may have a mapping anywhere in `range`: it lies inside the user
    /// half and does not touch the kernel window.
    @inlinable public static func isAvailableToPrograms(_ range: VirtualRange) -> Bool {
        userHalf.contains(range) && !range.overlaps(kernelWindow)
    }
}
