#!/usr/bin/env python3
"""Boot the guest kernel on qemu-system-i386 and on Pagoda with the same RAM
and the same script, and compare the two serial logs with each other.

Each machine's top of RAM must match -m: max_pfn is mem * 256 (all RAM
usable) or mem * 256 - 32 (the top 128 KiB reserved, as SeaBIOS does; always
so on QEMU).

Documented differences (docs/guestos.md, "QEMU vs Pagoda"):
  T. "selftest: took N TSC cycles": QEMU's TSC runs in real time, Pagoda's
     counts guest instructions. Always ignored.
  R. BIOS-e820 reserved entries that are not RAM (SeaBIOS's 0xfffc0000 BIOS
     flash). Always ignored: no usable range depends on them.
  P. Pagoda's own "pagoda: guest wrote the exit port ..." line.
  L. Where each loader puts the multiboot info and memory map: memblock's
     reserved entries below 1 MiB (all inside the reserved low 1 MiB, so no
     page count depends on them) and the numbering of the entries.
  S. Until Pagoda's firmware map reserves the top 128 KiB of RAM like
     SeaBIOS, Pagoda has 32 more usable pages at the top. Then, and only
     then: the top zone ends 0x20000 later and spans 32 more pages, and every
     number derived from the amount of RAM (managed, watermarks, MemTotal,
     free counts, mem_map's size, the selftests' page counts) may differ; the
     test says so when it allows it.
Without S the two logs must be identical line for line after T, R and P.
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


def zoneinfo(log):
    zones, cur = {}, None
    for line in log.split("\n"):
        m = re.match(r"Node 0, zone +(\S+)$", line)
        if m:
            cur = zones.setdefault(m.group(1), {})
        m2 = re.match(r"        (spanned|present|managed) +(\d+)$", line)
        if cur is not None and m2:
            cur[m2.group(1)] = int(m2.group(2))
    return zones


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
        allowed = [ram_pages - TOP_RESERVE_PAGES] if runner == "qemu" else [ram_pages, ram_pages - TOP_RESERVE_PAGES]
        if top not in allowed:
            fail(f"{runner}: top usable pfn 0x{top:x} with -m {args.mem}, expected one of {[hex(a) for a in allowed]}")
        if f"selftest: {check_guest.EXPECTED_SELFTESTS} passed, 0 failed" not in log:
            fail(f"{runner}: not every selftest passed")

    uq, up = usable(logs["qemu"]), usable(logs["pagoda"])
    top_differs = uq != up
    if top_differs:
        # Only S is allowed: same ranges except that Pagoda's last one ends 128 KiB later.
        if not (len(uq) == len(up) and uq[:-1] == up[:-1] and uq[-1][0] == up[-1][0]
                and up[-1][1] - uq[-1][1] == TOP_RESERVE_PAGES << 12):
            fail(f"the usable RAM differs beyond the documented top 128 KiB: qemu {uq}, pagoda {up}")
        print("NOTE: documented difference S in effect: Pagoda's firmware map does not reserve the top 128 KiB "
              "yet, so numbers derived from the amount of RAM are compared loosely")
        check_loosely(logs, fail)
    else:
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
    print(f"PASS at {args.mem} MiB: QEMU and Pagoda agree "
          + ("(modulo S: Pagoda's top 128 KiB)" if top_differs else "line for line (modulo T, R, P)")
          + f"; top pfn qemu 0x{tops['qemu']:x}, pagoda 0x{tops['pagoda']:x}")
    return 0


def check_loosely(logs, fail):
    """Under S: same selftests, same zone boundaries except the top end, same DMA zone, and the
    top zone larger by exactly the 32 pages on Pagoda."""
    def digits_out(line):
        return re.sub(r"\d+", "N", line)
    sel = {r: [digits_out(l) for l in log.split("\n") if re.match(r"(PASS|FAIL) ", l)] for r, log in logs.items()}
    if sel["qemu"] != sel["pagoda"] or not sel["qemu"]:
        fail("the selftest lines differ (numbers aside)")
    ranges = {r: re.findall(r"(?m)^  (\S+) +(\[mem 0x[0-9a-f]+-0x[0-9a-f]+\]|empty)$", log) for r, log in logs.items()}
    rq, rp = ranges["qemu"], ranges["pagoda"]
    top = max((i for i, (_, rng) in enumerate(rq) if rng != "empty"), default=-1)
    for i, (a, b) in enumerate(zip(rq, rp)):
        if i == top:
            ea = int(re.search(r"-0x([0-9a-f]+)\]", a[1]).group(1), 16)
            eb = int(re.search(r"-0x([0-9a-f]+)\]", b[1]).group(1), 16)
            if a[1].split("-")[0] != b[1].split("-")[0] or eb - ea != TOP_RESERVE_PAGES << 12:
                fail(f"top zone range: qemu {a}, pagoda {b}")
        elif a != b:
            fail(f"zone range differs: qemu {a}, pagoda {b}")
    zq, zp = zoneinfo(logs["qemu"]), zoneinfo(logs["pagoda"])
    names = [n for n, _ in rq]
    for n in zq:
        a, b = zq[n], zp.get(n, {})
        if n == "DMA" and a != b:
            fail(f"DMA spanned/present/managed differ: qemu {a}, pagoda {b}")
        delta = TOP_RESERVE_PAGES if top >= 0 and n == names[top] else 0
        for k in ["spanned", "present"]:
            if b.get(k, 0) - a.get(k, 0) != delta:
                fail(f"{n} {k}: qemu {a.get(k)}, pagoda {b.get(k)} (allowed difference {delta})")
        # 32 pages, give or take a page of mem_map and one of direct-map page tables.
        if abs(b.get("managed", 0) - a.get("managed", 0)) > TOP_RESERVE_PAGES + 2:
            fail(f"{n} managed: qemu {a.get('managed')}, pagoda {b.get('managed')}")


if __name__ == "__main__":
    sys.exit(main())
