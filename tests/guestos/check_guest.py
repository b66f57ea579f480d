#!/usr/bin/env python3
"""Boot Pagoda's guest kernel, run its selftests and reports, check them.

The kernel runs on qemu-system-i386 (--runner qemu) or on Pagoda
(--runner pagoda) with a scripted command line (run=...). This script then
asserts that every selftest passed (and how many ran), that the zone layout
is the one Linux computes from the same firmware memory map, and that each
report parses as Linux 6.1 prints it: every line is parsed and printed again
with Linux's own format string, and must come out byte for byte the same.
Exit status 0 = pass, 1 = fail, 77 = skipped (runner not installed).
"""
import argparse
import re
import shutil
import subprocess
import sys

EXPECTED_SELFTESTS = 35
REPORTS = ["cat /proc/buddyinfo", "cat /proc/pagetypeinfo", "cat /proc/zoneinfo", "cat /proc/slabinfo",
           "cat /proc/meminfo", "cat /proc/vmstat", "free", "free -l"]
MAXMEM_PFN = 0x36BFE            # Debian 6.1 686: VMALLOC_END - PAGE_OFFSET - 128 MiB
MAX_DMA_PFN = 0x1000
ZONES = ["DMA", "Normal", "HighMem", "Movable"]
MEMINFO_ORDER = [
    "MemTotal", "MemFree", "MemAvailable", "Buffers", "Cached", "SwapCached", "Active", "Inactive",
    "Active(anon)", "Inactive(anon)", "Active(file)", "Inactive(file)", "Unevictable", "Mlocked",
    "HighTotal", "HighFree", "LowTotal", "LowFree", "SwapTotal", "SwapFree", "Zswap", "Zswapped",
    "Dirty", "Writeback", "AnonPages", "Mapped", "Shmem", "KReclaimable", "Slab", "SReclaimable",
    "SUnreclaim", "KernelStack", "PageTables", "SecPageTables", "NFS_Unstable", "Bounce",
    "WritebackTmp", "CommitLimit", "Committed_AS", "VmallocTotal", "VmallocUsed", "VmallocChunk",
    "Percpu", "HardwareCorrupted", "DirectMap4k", "DirectMap4M"]

errors = []


def fail(msg):
    errors.append(msg)


def run_guest(args):
    script = "run=" + ",".join(["selftest"] + REPORTS + ["poweroff"])
    if args.runner == "qemu":
        exe = shutil.which(args.qemu)
        if not exe:
            print(f"SKIP: {args.qemu} is not installed")
            sys.exit(77)
        cmd = [exe, "-kernel", args.kernel, "-m", str(args.mem), "-display", "none",
               "-serial", "stdio", "-monitor", "none", "-no-reboot",
               "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-append", script]
    else:
        cmd = [args.pagoda, "run", "--headless", "-m", str(args.mem), "-kernel", args.kernel,
               "-append", script]
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=args.timeout)
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode("latin-1")
        print(out[-3000:])
        print(f"FAIL: the guest did not power off within {args.timeout} s")
        sys.exit(1)
    return p.stdout.decode("latin-1").replace("\r\n", "\n")


def split_sections(out):
    """Output of each scripted command, keyed by the command line."""
    sections, current, boot = {}, None, []
    for line in out.split("\n"):
        if line.startswith("pagoda# "):
            current = line[len("pagoda# "):]
            sections[current] = []
        elif current is None:
            boot.append(line)
        else:
            sections[current].append(line)
    for k in sections:
        while sections[k] and sections[k][-1] == "":
            sections[k].pop()
    return boot, sections


def expected_layout(boot):
    """max_pfn and max_low_pfn as Linux derives them from the e820 map."""
    max_pfn = 0
    for line in boot:
        m = re.match(r"BIOS-e820: \[mem 0x([0-9a-f]+)-0x([0-9a-f]+)\] usable", line)
        if m:
            end = (int(m.group(2), 16) + 1) >> 12
            max_pfn = max(max_pfn, min(end, 1 << 20))
    if not max_pfn:
        fail("no BIOS-e820 usable line in the boot log")
    return max_pfn, min(max_pfn, MAXMEM_PFN)


def check_zone_ranges(boot, max_pfn, max_low):
    want = {"DMA": (0x1000, min(MAX_DMA_PFN, max_low) << 12),
            "Normal": (MAX_DMA_PFN << 12, max_low << 12) if max_low > MAX_DMA_PFN else None,
            "HighMem": (max_low << 12, max_pfn << 12) if max_pfn > max_low else None}
    got = {}
    for line in boot:
        m = re.match(r"  (\S+) +\[mem 0x([0-9a-f]{16})-0x([0-9a-f]{16})\]$", line)
        if m and m.group(1) in want:
            got[m.group(1)] = (int(m.group(2), 16), int(m.group(3), 16) + 1)
        m = re.match(r"  (\S+) +empty$", line)
        if m:
            got[m.group(1)] = None
    for zone, rng in want.items():
        if zone not in got:
            fail(f"Zone ranges: no line for {zone}")
        elif got[zone] != rng:
            fail(f"Zone ranges: {zone} is {got[zone]}, Linux computes {rng}")
    return got


def check_selftests(lines):
    passed = [l for l in lines if l.startswith("PASS ")]
    failed = [l for l in lines if l.startswith("FAIL ")]
    for l in failed:
        fail(l)
    if len(passed) != EXPECTED_SELFTESTS:
        fail(f"{len(passed)} selftests passed, expected {EXPECTED_SELFTESTS}")
    want = f"selftest: {EXPECTED_SELFTESTS} passed, 0 failed"
    if want not in lines:
        fail(f"summary line '{want}' missing")


def same(line, rendered, what):
    if line != rendered:
        fail(f"{what}: {line!r} is not Linux's {rendered!r}")


def check_buddyinfo(lines):
    free = {}
    for line in lines:
        m = re.match(r"Node (\d+), zone +(\S+) +((?:\d+ +)*)$", line)
        if not m:
            fail(f"buddyinfo: cannot parse {line!r}")
            continue
        counts = [int(x) for x in m.group(3).split()]
        if len(counts) != 11:
            fail(f"buddyinfo: {len(counts)} orders in {line!r}")
        same(line, "Node %d, zone %8s " % (int(m.group(1)), m.group(2)) + "".join("%6d " % c for c in counts),
             "buddyinfo")
        free[m.group(2)] = sum(c << o for o, c in enumerate(counts))
    if not free:
        fail("buddyinfo is empty")
    return free


MIGRATE_TYPES = ["Unmovable", "Movable", "Reclaimable", "HighAtomic"]


def check_pagetypeinfo(lines):
    """6.1 pagetypeinfo_show; returns {zone: [free blocks per order, all types]}."""
    want_head = ["Page block order: 10", "Pages per block:  1024", "",
                 "%-43s " % "Free pages count per migrate type at order" + "".join("%6d " % o for o in range(11))]
    if lines[:4] != want_head:
        fail(f"pagetypeinfo header {lines[:4]!r}")
        return {}
    per_zone, i = {}, 4
    while i < len(lines) and lines[i].startswith("Node    0, zone"):
        m = re.match(r"Node +(\d+), zone +(\S+), type +(\S+) +((?:>?\d+ +)*)$", lines[i])
        if not m:
            fail(f"pagetypeinfo: cannot parse {lines[i]!r}")
            i += 1
            continue
        vals = m.group(4).split()
        same(lines[i], "Node %4d, zone %8s, type %12s " % (int(m.group(1)), m.group(2), m.group(3))
             + "".join("%s%6d " % (">" if v.startswith(">") else "", int(v.lstrip(">"))) for v in vals),
             "pagetypeinfo")
        if m.group(3) not in MIGRATE_TYPES or len(vals) != 11:
            fail(f"pagetypeinfo: bad type or order count in {lines[i]!r}")
        tot = per_zone.setdefault(m.group(2), [0] * 11)
        for o, v in enumerate(vals[:11]):
            tot[o] += int(v.lstrip(">"))
        i += 1
    head2 = "%-23s" % "Number of blocks type " + "".join("%12s " % t for t in MIGRATE_TYPES)
    if lines[i:i + 2] != ["", head2]:
        fail(f"pagetypeinfo block-count header {lines[i:i + 2]!r}")
        return per_zone
    for line in lines[i + 2:]:
        m = re.match(r"Node (\d+), zone +(\S+) +((?:\d+ +)*)$", line)
        if not m or len(m.group(3).split()) != len(MIGRATE_TYPES):
            fail(f"pagetypeinfo: cannot parse {line!r}")
            continue
        same(line, "Node %d, zone %8s " % (int(m.group(1)), m.group(2))
             + "".join("%12d " % int(v) for v in m.group(3).split()), "pagetypeinfo")
        per_zone.setdefault("blocks", {})[m.group(2)] = sum(int(v) for v in m.group(3).split())
    return per_zone


def check_zoneinfo(lines):
    zones, cur, i = {}, None, 0
    fields = ["pages free", "boost", "min", "low", "high", "spanned", "present", "managed", "cma"]
    while i < len(lines):
        line = lines[i]
        m = re.match(r"Node (\d+), zone +(\S+)$", line)
        if m:
            same(line, "Node %d, zone %8s" % (int(m.group(1)), m.group(2)), "zoneinfo")
            cur = zones.setdefault(m.group(2), {"order": len(zones)})
            i += 1
            continue
        if cur is None:
            fail(f"zoneinfo: text before the first zone: {line!r}")
            break
        m = re.match(r"      (\S+) +(\d+)$", line)
        if line == "  per-node stats" or line == "  pagesets":
            pass
        elif m:
            same(line, "      %-12s %d" % (m.group(1), int(m.group(2))), "zoneinfo stat")
        elif re.match(r"  pages free +\d+$", line):
            cur["pages free"] = int(line.split()[-1])
            same(line, "  pages free     %d" % cur["pages free"], "zoneinfo")
        elif re.match(r"        (boost|min|low|high|spanned|present|managed|cma) +\d+$", line):
            k, v = line.split()
            cur[k] = int(v)
            same(line, "        %-8s %d" % (k, int(v)), "zoneinfo")
        elif line.startswith("        protection: ("):
            vals = [int(x) for x in line[len("        protection: ("):-1].split(", ")]
            if len(vals) != 4:
                fail(f"zoneinfo: protection has {len(vals)} entries, i386 has 4")
            same(line, "        protection: (" + ", ".join("%d" % v for v in vals) + ")", "zoneinfo")
            cur["protection"] = vals
        elif re.match(r"    cpu: \d+$", line):
            pass
        elif re.match(r"              (count: |high:  |batch: )\d+$", line):
            k = line.split()[0].rstrip(":")
            cur["pcp_" + k] = int(line.split()[-1])
        elif re.match(r"  node_unreclaimable:  \d+$", line):
            pass
        elif re.match(r"  start_pfn:           \d+$", line):
            cur["start_pfn"] = int(line.split()[-1])
        else:
            fail(f"zoneinfo: unexpected line {line!r}")
        i += 1
    if list(zones) != ZONES:
        fail(f"zoneinfo zones {list(zones)}, expected {ZONES}")
    for name, z in zones.items():
        for f in fields:
            if f not in z:
                fail(f"zoneinfo {name}: no '{f}' line")
        if z.get("present") and ("start_pfn" not in z or "pcp_batch" not in z):
            fail(f"zoneinfo {name}: populated zone without pagesets/start_pfn")
        if z.get("min", 0) > z.get("low", 0) or z.get("low", 0) > z.get("high", 0):
            fail(f"zoneinfo {name}: watermarks out of order")
        if z.get("present", 0) > z.get("spanned", 0) or z.get("managed", 0) > z.get("present", 0):
            fail(f"zoneinfo {name}: managed <= present <= spanned does not hold")
    return zones


def check_slabinfo(lines):
    if lines[:2] != ["slabinfo - version: 2.1",
                     "# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab>"
                     " : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs>"
                     " <num_slabs> <sharedavail>"]:
        fail(f"slabinfo header is {lines[:2]!r}")
    names = set()
    for line in lines[2:]:
        m = re.match(r"(\S+) +(\d+) +(\d+) +(\d+) +(\d+) +(\d+) : tunables +(\d+) +(\d+) +(\d+)"
                     r" : slabdata +(\d+) +(\d+) +(\d+)$", line)
        if not m:
            fail(f"slabinfo: cannot parse {line!r}")
            continue
        v = [int(x) for x in m.groups()[1:]]
        same(line, "%-17s %6d %6d %6d %4d %4d : tunables %4d %4d %4d : slabdata %6d %6d %6d"
             % tuple([m.group(1)] + v), "slabinfo")
        if v[0] > v[1] or v[1] != v[3] * v[9]:
            fail(f"slabinfo {m.group(1)}: active/num objects inconsistent")
        names.add(m.group(1))
    for size in ["8", "16", "32", "64", "96", "128", "192", "256", "512", "1k", "2k", "4k", "8k"]:
        for prefix in ["kmalloc-", "dma-kmalloc-"]:
            if prefix + size not in names:
                fail(f"slabinfo: no {prefix}{size}")


def check_meminfo(lines):
    info, order = {}, []
    for line in lines:
        m = re.match(r"([A-Za-z0-9_()]+): +(\d+) kB$", line)
        if not m:
            fail(f"meminfo: cannot parse {line!r}")
            continue
        same(line, "%-16s%8d kB" % (m.group(1) + ":", int(m.group(2))), "meminfo")
        info[m.group(1)] = int(m.group(2))
        order.append(m.group(1))
    known = [f for f in MEMINFO_ORDER if f in info]
    if order != known:
        fail(f"meminfo fields out of Linux's order: {order}")
    for f in ["MemTotal", "MemFree", "MemAvailable", "HighTotal", "HighFree", "LowTotal", "LowFree",
              "Slab", "SReclaimable", "SUnreclaim", "PageTables", "VmallocTotal", "VmallocUsed"]:
        if f not in info:
            fail(f"meminfo: no {f}")
    if info.get("MemFree") != info.get("HighFree", 0) + info.get("LowFree", 0):
        fail("meminfo: MemFree != HighFree + LowFree")
    if info.get("MemTotal") != info.get("HighTotal", 0) + info.get("LowTotal", 0):
        fail("meminfo: MemTotal != HighTotal + LowTotal")
    if info.get("Slab") != info.get("SReclaimable", 0) + info.get("SUnreclaim", 0):
        fail("meminfo: Slab != SReclaimable + SUnreclaim")
    return info


def check_vmstat(lines):
    for line in lines:
        if not re.match(r"[a-z0-9_]+ \d+$", line):
            fail(f"vmstat: cannot parse {line!r}")
    if not lines or not lines[0].startswith("nr_free_pages ") or lines[-1] != "nr_unstable 0":
        fail("vmstat must start with nr_free_pages and end with 'nr_unstable 0'")
    names = [l.split()[0] for l in lines]
    if len(set(names)) != len(names):
        fail("vmstat: a name appears twice")
    return {l.split()[0]: int(l.split()[1]) for l in lines if " " in l}


def check_free(lines, low_high):
    header = "               total        used        free      shared  buff/cache   available"
    if not lines or lines[0] != header:
        fail(f"free header {lines[:1]!r}")
        return
    rows = ["Mem:", "Low:", "High:", "Swap:"] if low_high else ["Mem:", "Swap:"]
    if [l.split()[0] for l in lines[1:]] != rows:
        fail(f"free rows {[l.split()[0] for l in lines[1:]]}, expected {rows}")
    for line in lines[1:]:
        parts = line.split()
        vals = [int(x) for x in parts[1:]]
        same(line, "%-9s%11d" % (parts[0], vals[0]) + "".join(" %11d" % v for v in vals[1:]), "free")


def check_output(out, mem, runner):
    """All checks on one serial log; returns the list of problems."""
    errors.clear()
    boot, sec = split_sections(out)
    for cmd in ["selftest"] + REPORTS + ["poweroff"]:
        if cmd not in sec:
            fail(f"no output section for '{cmd}' (did the guest crash?)")
    if errors:
        return list(errors)
    max_pfn, max_low = expected_layout(boot)
    ranges = check_zone_ranges(boot, max_pfn, max_low)
    check_selftests(sec["selftest"])
    buddy_lines = sec["cat /proc/buddyinfo"]
    buddy_free = check_buddyinfo(buddy_lines)
    types = check_pagetypeinfo(sec["cat /proc/pagetypeinfo"])
    for line in buddy_lines:
        m = re.match(r"Node \d+, zone +(\S+) +((?:\d+ +)*)$", line)
        if m and types.get(m.group(1)) != [int(x) for x in m.group(2).split()]:
            fail(f"{m.group(1)}: pagetypeinfo's free blocks per order do not add up to buddyinfo's")
    zones = check_zoneinfo(sec["cat /proc/zoneinfo"])
    check_slabinfo(sec["cat /proc/slabinfo"])
    mem_info = check_meminfo(sec["cat /proc/meminfo"])
    vm = check_vmstat(sec["cat /proc/vmstat"])
    check_free(sec["free"], False)
    check_free(sec["free -l"], True)
    if "reboot: Power down" not in sec["poweroff"]:
        fail("poweroff did not report 'reboot: Power down'")

    # Cross-checks between reports, as they hold on Linux.
    for name, z in zones.items():
        if z.get("present") and buddy_free.get(name) != z.get("pages free"):
            fail(f"{name}: buddyinfo holds {buddy_free.get(name)} pages, zoneinfo says {z.get('pages free')} free")
    if mem_info.get("MemTotal") != 4 * sum(z.get("managed", 0) for z in zones.values()):
        fail("MemTotal != 4 * sum of managed pages")
    if mem_info.get("HighTotal") != 4 * zones.get("HighMem", {}).get("managed", 0):
        fail("HighTotal != 4 * HighMem managed")
    if vm.get("nr_free_pages", -1) * 4 != mem_info.get("MemFree"):
        fail("vmstat nr_free_pages * 4 != MemFree")
    for name, z in zones.items():
        if z.get("present"):
            nblocks = len(range(z["start_pfn"], z["start_pfn"] + z["spanned"], 1024))
            if types.get("blocks", {}).get(name) != nblocks:
                fail(f"{name}: pagetypeinfo counts {types.get('blocks', {}).get(name)} pageblocks, span has {nblocks}")
    if zones.get("DMA", {}).get("spanned") != min(MAX_DMA_PFN, max_low) - 1:
        fail("DMA spanned pages do not start at pfn 1")
    for name in ["DMA", "Normal", "HighMem"]:
        r = ranges.get(name)
        z = zones.get(name, {})
        if r and z.get("spanned") != (r[1] - max(r[0], 0x1000)) >> 12:
            fail(f"{name}: zoneinfo spanned {z.get('spanned')} disagrees with the Zone ranges line")
    if not errors:
        print(f"PASS: guest at {mem} MiB on {runner}: {EXPECTED_SELFTESTS} selftests passed; "
              f"max_pfn 0x{max_pfn:x}, max_low_pfn 0x{max_low:x}; reports parse as Linux 6.1's")
    return list(errors)


# Small departures from Linux's output that the checks must notice.
MUTATIONS = [
    (r"(?m)^(Node 0, zone +Normal)  ", r"\1 "),              # buddyinfo column width
    (r"(?m)^MemTotal:  ", "MemTotal: "),                     # meminfo label padding
    (r"(?m)^(Node    0, zone +DMA, type +Movable) ", r"\1"),  # pagetypeinfo %6lu
    (r"(?m)^PASS (\S+).*$", r"FAIL \1: injected"),           # a failing selftest
    (r" : tunables  (\d+)", r" : tunables \1 "),              # slabinfo %4u
    (r"(?m)^        min      ", "        min     "),         # zoneinfo %-8s
    (r"(?m)^Mem:      ", "Mem:     "),                       # free %11s
    (r"(?m)^(  Normal   \[mem 0x0000000001000000)", r"\1 "),  # zone range
]


def self_test_mutations(out, mem, runner):
    import io
    import contextlib
    missed = []
    for pattern, repl in MUTATIONS:
        bad = re.sub(pattern, repl, out, count=1)
        if bad == out:
            missed.append(f"mutation {pattern!r} did not apply")
            continue
        with contextlib.redirect_stdout(io.StringIO()):
            problems = check_output(bad, mem, runner)
        if not problems:
            missed.append(f"mutation {pattern!r} was not detected")
    return missed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runner", choices=["qemu", "pagoda"], default="qemu")
    ap.add_argument("--qemu", default="qemu-system-i386")
    ap.add_argument("--pagoda")
    ap.add_argument("--kernel")
    ap.add_argument("--mem", type=int, default=256)
    ap.add_argument("--timeout", type=int, default=300)
    ap.add_argument("--log", help="write the guest's serial output here")
    ap.add_argument("--from-log", help="check this saved serial output instead of booting")
    ap.add_argument("--mutations", action="store_true",
                    help="also check that altered copies of the output are rejected")
    args = ap.parse_args()

    if not args.from_log and not args.kernel:
        ap.error("--kernel is required unless --from-log is given")
    if args.from_log:
        with open(args.from_log, encoding="latin-1") as f:
            out = f.read().replace("\r\n", "\n")
    else:
        out = run_guest(args)
    if args.log:
        with open(args.log, "w") as f:
            f.write(out)
    problems = check_output(out, args.mem, args.runner)
    if problems:
        if any(p.startswith("no output section") for p in problems):
            print(out[-4000:])
        for e in problems:
            print("FAIL:", e)
        print(f"guest at {args.mem} MiB on {args.runner}: {len(problems)} problem(s)")
        return 1
    if args.mutations:
        missed = self_test_mutations(out, args.mem, args.runner)
        for m in missed:
            print("FAIL:", m)
        if missed:
            return 1
        print(f"PASS: all {len(MUTATIONS)} altered copies of the output were rejected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
