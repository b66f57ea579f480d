#!/usr/bin/env python3
"""Boot the guest kernel on qemu-system-i386 and on Pagoda with the same RAM
and the same script, and compare the two serial logs with each other.

Each machine's top of RAM must match -m: max_pfn is mem * 256 - 32 on both
(the top 128 KiB reserved, as SeaBIOS does; Pagoda's map does the same since
commit 4de688c).

Documented differences (docs/guestos.md, "QEMU vs Pagoda"):
  T. "selftest: took N TSC cycles": QEMU's TSC runs in real time, Pagoda's
     counts guest instructions. Always ignored.
  R. BIOS-e820 reserved entries that are not RAM (SeaBIOS's 0xfffc0000 BIOS
     flash). Always ignored: no usable range depends on them.
  P. Pagoda's own "pagoda: guest wrote the exit port ..." line.
  L. Where each loader puts the multiboot info and memory map: memblock's
     reserved entries below 1 MiB (all inside the reserved low 1 MiB, so no
     page count depends on them) and the numbering of the entries.
The two logs must be identical line for line once T, R, P and L are removed.
(Before 4de688c Pagoda's map left the top 128 KiB usable and this test
allowed exactly that difference; now nothing else is allowed.)
Exit status 0 = pass, 1 = fail, 77 = skipped (QEMU not installed).
"""
import argparse
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_guest  # noqa: E402

TOP_RESERVE_PAGES = 32          # SeaBIOS's 128 KiB


def usable(log):
    return [(int(a, 16), int(b, 16)) for a, b in
            re.findall(r"(?m)^BIOS-e820: \[mem 0x([0-9a-f]+)-0x([0-9a-f]+)\] usable$", log)]


def normalise(log):
    out = []
    for line in log.split("\n"):
        if re.match(r"selftest: took \d+ TSC cycles$", line) or line.startswith("pagoda: guest wrote the exit port"):
            continue                                              # T, P
        m = re.match(r"BIOS-e820: \[mem 0x([0-9a-f]+)-0x[0-9a-f]+\] reserved$", line)
        if m and int(m.group(1), 16) >= 0xFFF00000:
            continue                                              # R
        m = re.match(r" reserved\[0x[0-9a-f]+\]\t\[0x[0-9a-f]+-0x([0-9a-f]+)\](.*)$", line)
        if m:
            if int(m.group(1), 16) < 0x100000:
                continue                                          # L
            line = " reserved[i]\t[" + line.split("\t[", 1)[1]
        if line.startswith(" reserved.cnt"):
            continue                                              # L
        out.append(line)
    while out and out[-1] == "":
        out.pop()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qemu", default="qemu-system-i386")
    ap.add_argument("--pagoda", required=True)
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--mem", type=int, default=256)
    ap.add_argument("--timeout", type=int, default=300)
    args = ap.parse_args()
    logs = {}
    for runner in ["qemu", "pagoda"]:
        args.runner = runner
        logs[runner] = check_guest.run_guest(args)
    problems = []

    def fail(msg):
        problems.append(msg)

    ram_pages = args.mem << 8
    tops = {}
    for runner, log in logs.items():
        u = usable(log)
        top = max(((b + 1) >> 12 for _, b in u), default=0)
        tops[runner] = top
        if top != ram_pages - TOP_RESERVE_PAGES:
            fail(f"{runner}: top usable pfn 0x{top:x} with -m {args.mem}, expected "
                 f"0x{ram_pages - TOP_RESERVE_PAGES:x} (all RAM but the firmware's top 128 KiB)")
        if f"selftest: {check_guest.EXPECTED_SELFTESTS} passed, 0 failed" not in log:
            fail(f"{runner}: not every selftest passed")

    nq, np_ = normalise(logs["qemu"]), normalise(logs["pagoda"])
    for i, (a, b) in enumerate(zip(nq, np_)):
        if a != b:
            fail(f"line {i + 1} differs: qemu {a!r}, pagoda {b!r}")
            break
    else:
        if len(nq) != len(np_):
            fail(f"qemu printed {len(nq)} lines, pagoda {len(np_)}")

    for p in problems:
        print("FAIL:", p)
    if problems:
        return 1
    print(f"PASS at {args.mem} MiB: QEMU and Pagoda agree line for line (modulo T, R, P, L); "
          f"top pfn 0x{tops['qemu']:x} on both")
    return 0


if __name__ == "__main__":
    sys.exit(main())
