#!/usr/bin/env python3
"""Wrap a flat 32-bit payload (linked at 0x100000) into a bzImage: a boot
sector and setup code whose header follows the Linux x86 boot protocol
2.15 (Documentation/arch/x86/boot.rst), then the payload as the
protected-mode kernel. The real-mode setup code is never run (Pagoda uses
the 32-bit entry), so it is a jump and zeros.
usage: mkbzimage.py PAYLOAD.ELF PAYLOAD.BIN OUT.bzImage"""
import struct, sys

SETUP_SECTS = 4                       # setup code = (4 + 1) * 512 bytes
KERNEL_AT = 0x100000

def image_end(elf):
    """End of the loaded image (code, data and bss) from the ELF program headers."""
    phoff, = struct.unpack_from("<I", elf, 28)
    phentsize, phnum = struct.unpack_from("<HH", elf, 42)
    end = 0
    for i in range(phnum):
        p_type, _, _, paddr, _, memsz = struct.unpack_from("<IIIIII", elf, phoff + i * phentsize)
        if p_type == 1:
            end = max(end, paddr + memsz)
    return end

def main():
    elf = open(sys.argv[1], "rb").read()
    payload = open(sys.argv[2], "rb").read()
    init_size = (image_end(elf) - KERNEL_AT + 0xFFF) & ~0xFFF
    setup = bytearray((SETUP_SECTS + 1) * 512)
    struct.pack_into("<B", setup, 0x1F1, SETUP_SECTS)            # setup_sects
    struct.pack_into("<H", setup, 0x1F2, 1)                      # root_flags: read-only
    struct.pack_into("<I", setup, 0x1F4, (len(payload) + 15) // 16)  # syssize (16-byte units)
    struct.pack_into("<H", setup, 0x1FA, 0xFFFF)                 # vid_mode: normal
    struct.pack_into("<H", setup, 0x1FE, 0xAA55)                 # boot_flag
    setup[0x200:0x202] = b"\xEB\x66"                             # jump over the header
    setup[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", setup, 0x206, 0x020F)                 # protocol 2.15
    struct.pack_into("<B", setup, 0x211, 0x01)                   # loadflags: LOADED_HIGH
    struct.pack_into("<I", setup, 0x214, KERNEL_AT)              # code32_start
    struct.pack_into("<I", setup, 0x22C, 0x37FFFFFF)             # initrd_addr_max
    struct.pack_into("<I", setup, 0x230, 0x1000)                 # kernel_alignment
    struct.pack_into("<I", setup, 0x238, 2047)                   # cmdline_size
    struct.pack_into("<Q", setup, 0x258, KERNEL_AT)              # pref_address
    struct.pack_into("<I", setup, 0x260, init_size)              # init_size
    with open(sys.argv[3], "wb") as f:
        f.write(setup)
        f.write(payload)

main()
