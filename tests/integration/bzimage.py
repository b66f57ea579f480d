#!/usr/bin/env python3
"""`pagoda run -kernel fake.bzImage -initrd FILE -append TEXT`: the fake
bzImage (tests/images/bzimage) prints what the 32-bit boot protocol handed
it; every line is compared with what the Linux loader must produce for
this RAM size, initrd and command line (docs/cli.md, "What the loaders set up").
Mode "bad": the same image cut at the end of its setup code, and with
code32_start outside the loaded kernel, is refused with one line, exit 2.
usage: bzimage.py PAGODA FAKE_BZIMAGE WORKDIR [boot|bad]"""
import os, subprocess, sys

pagoda, bz, work = sys.argv[1:4]
mode = sys.argv[4] if len(sys.argv) > 4 else "boot"
os.makedirs(work, exist_ok=True)

def refused(path, want):
    p = subprocess.run([pagoda, "run", "--headless", path], stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=60)
    print(p.stderr + "exit %d" % p.returncode)
    ok = p.returncode == 2 and p.stderr == "pagoda: %s: %s\n" % (path, want) and not p.stdout
    if not ok:
        print("FAIL: want exit 2 and the one line [pagoda: %s: %s]" % (path, want))
    return ok

if mode == "bad":
    img = open(bz, "rb").read()
    setup_len = (img[0x1F1] + 1) * 512
    cut = os.path.join(work, "cut.bzImage")
    open(cut, "wb").write(img[:setup_len])
    far = os.path.join(work, "far-entry.bzImage")
    open(far, "wb").write(img[:0x214] + (0xFFFFFFF0).to_bytes(4, "little") + img[0x218:])
    prot = len(img) - setup_len
    ok = refused(cut, "truncated: the file ends with its %d bytes of setup code; the protected-mode "
                 "kernel that follows them is missing" % setup_len)
    ok &= refused(far, "code32_start 0xfffffff0 is outside the loaded kernel (0x100000-0x%x)"
                  % (0x100000 + prot))
    sys.exit(0 if ok else 1)

# an initrd of 300001 bytes (odd: no page multiple) from a fixed LCG
x, data = 12345, bytearray()
for _ in range(300001):
    x = (x * 1103515245 + 12345) & 0x7FFFFFFF
    data.append(x >> 16 & 0xFF)
initrd = os.path.join(work, "initrd.bin")
open(initrd, "wb").write(data)
h = 0x811C9DC5
for b in data:
    h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF

fail = []
def run(mib, cmdline):
    p = subprocess.run([pagoda, "run", "--headless", "-m", str(mib), "-kernel", bz, "-initrd", initrd,
                        "-append", cmdline], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=120)
    print(p.stdout + p.stderr + "exit %d" % p.returncode)
    lines = p.stdout.splitlines()
    ram = mib << 20
    top = ram - 0x20000                     # SeaBIOS's reserved 128 KiB
    rd_top = min(top, 0x36000000)           # the initrd stays in i386 lowmem
    want = [
        "fake bzImage: esi 00010000 ebx 00000000 ebp 00000000 edi 00000000 cs 10 ds 18",
        "header: HdrS version 020f type_of_loader ff loadflags 01 boot_flag aa55",
        "e820 entries: 6",
        "e820: 0000000000000000 000000000009fc00 1",
        "e820: 000000000009fc00 0000000000000400 2",
        "e820: 00000000000f0000 0000000000010000 2",
        "e820: 0000000000100000 %016x 1" % (top - 0x100000),
        "e820: %016x 0000000000020000 2" % top,
        "e820: 00000000fffc0000 0000000000040000 2",
        "cmd_line_ptr 00020000: [%s]" % cmdline,
        "ramdisk_image %08x ramdisk_size %d fnv1a %08x" % ((rd_top - len(data)) & ~0xFFF, len(data), h),
        "alt_mem_k %d" % ((ram >> 10) - 1024),
    ]
    if lines != want:
        for w in want:
            if w not in lines:
                fail.append("-m %d: missing line [%s]" % (mib, w))
        for l in lines:
            if l not in want:
                fail.append("-m %d: unexpected line [%s]" % (mib, l))
    if p.returncode != (0x21 << 1 | 1):
        fail.append("-m %d: exit status %d, want 67" % (mib, p.returncode))
    if not p.stderr.startswith("pagoda: guest wrote the exit port (status 67) at EIP 0x001"):
        fail.append("-m %d: no report line" % mib)

run(64, "console=ttyS0 root=/dev/ram0 hello=world")
run(1024, "a  b=c   quiet")
for f in fail:
    print("FAIL:", f)
sys.exit(1 if fail else 0)
