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
import math
import re
import shutil
import subprocess
import sys

EXPECTED_SELFTESTS = 38
# memblock and layout feed the recomputation of managed pages and VmallocTotal.
EXTRA = ["memblock", "layout"]
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
    script = "run=" + ",".join(["selftest"] + EXTRA + REPORTS + ["poweroff"])
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


# ---- Linux 6.1's numbers, recomputed from the firmware map ---------------------------------
# The kernel's zones, watermarks and reserves are recomputed here from the
# BIOS-e820 lines and memblock's reserved list with the formulas of Linux 6.1
# (mm/page_alloc.c, mm/khugepaged.c), then compared with what it printed.

PAGEBLOCK_PAGES = 1024          # pageblock_order 10 on i386 without PAE
LOWMEM_RESERVE_RATIO = [256, 32, 0, 0]


def e820_usable_pfns(boot):
    """Usable RAM as pfn ranges: each usable entry page-aligned inward, pfn 0 dropped (as Linux does)."""
    ranges = []
    for line in boot:
        m = re.match(r"BIOS-e820: \[mem 0x([0-9a-f]+)-0x([0-9a-f]+)\] usable", line)
        if m:
            start = max((int(m.group(1), 16) + 4095) >> 12, 1)
            end = min((int(m.group(2), 16) + 1) >> 12, 1 << 20)
            if end > start:
                ranges.append((start, end))
    return ranges


def parse_memblock(lines):
    """memblock's memory and reserved regions as byte ranges [start, end)."""
    regions = {"memory": [], "reserved": []}
    for line in lines:
        m = re.match(r" (memory|reserved)\[0x[0-9a-f]+\]\t\[0x([0-9a-f]+)-0x([0-9a-f]+)\], 0x([0-9a-f]+) bytes", line)
        if m:
            start, last, size = int(m.group(2), 16), int(m.group(3), 16), int(m.group(4), 16)
            if last + 1 - start != size:
                fail(f"memblock: size 0x{size:x} does not match [0x{start:x}-0x{last:x}]")
            regions[m.group(1)].append((start, last + 1))
    return regions


def overlap(a, b, c, d):
    return max(0, min(b, d) - max(a, c))


def free_pfns(memory, reserved):
    """Pages memblock hands to the buddy allocator: memory minus reserved, whole pages only
    (for_each_free_mem_range, PFN_UP(start)..PFN_DOWN(end))."""
    cuts = sorted(reserved)
    out = []
    for start, end in memory:
        pos = start
        for rs, re_ in cuts:
            if re_ <= pos or rs >= end:
                continue
            if rs > pos:
                out.append((pos, rs))
            pos = max(pos, re_)
        if pos < end:
            out.append((pos, end))
    return [((s + 4095) >> 12, e >> 12) for s, e in out if (e >> 12) > ((s + 4095) >> 12)]


def linux_numbers(spans, usable, free, thp):
    """Present, managed, watermarks, lowmem_reserve, pcp and min_free_kbytes as Linux 6.1 computes them.
    spans: {zone: (start_pfn, end_pfn) or None}."""
    z = {}
    for name in ZONES:
        s = spans.get(name)
        z[name] = {"present": sum(overlap(a, b, *s) for a, b in usable) if s else 0,
                   "managed": sum(overlap(a, b, *s) for a, b in free) if s else 0}
    populated = [n for n in ZONES if z[n]["present"]]
    # find_usable_zone_for_movable(): the highest populated zone; Movable is highmem only if that is HighMem.
    movable_zone = populated[-1] if populated else "DMA"
    highmem = {"DMA": False, "Normal": False, "HighMem": True, "Movable": movable_zone == "HighMem"}

    def nr_free_buffer_pages():        # zones usable by GFP_USER: DMA and Normal, managed - high
        return sum(max(0, z[n]["managed"] - z[n].get("high", 0)) for n in ["DMA", "Normal"])

    def setup_per_zone_wmarks(min_free_kbytes):
        pages_min = min_free_kbytes >> 2
        lowmem_pages = sum(z[n]["managed"] for n in ZONES if not highmem[n])
        for n in ZONES:
            managed = z[n]["managed"]
            tmp = pages_min * managed // lowmem_pages if lowmem_pages else 0
            z[n]["min"] = min(max(managed // 1024, 32), 128) if highmem[n] else tmp
            tmp = max(tmp >> 2, managed * 10 // 10000)         # watermark_scale_factor 10
            z[n]["low"] = z[n]["min"] + tmp
            z[n]["high"] = z[n]["low"] + tmp

    # init_per_zone_wmark_min(): int_sqrt(16 * lowmem kB), clamped; watermarks are still 0 here.
    min_free_kbytes = min(max(math.isqrt(nr_free_buffer_pages() * 4 * 16), 128), 262144)
    setup_per_zone_wmarks(min_free_kbytes)
    raised = None
    totalram = sum(z[n]["managed"] for n in ZONES)
    # khugepaged's set_recommended_min_free_kbytes(), applied by the kernel from 512 MiB unless "nothp".
    if thp and totalram >= 512 << 8:
        nr_zones = sum(1 for n in ["DMA", "Normal"] if z[n]["present"])
        rec = PAGEBLOCK_PAGES * nr_zones * 2 + PAGEBLOCK_PAGES * nr_zones * 3 * 3
        rec = min(rec, nr_free_buffer_pages() // 20) << 2
        if rec > min_free_kbytes:
            raised = (min_free_kbytes, rec)
            min_free_kbytes = rec
            setup_per_zone_wmarks(min_free_kbytes)
    for i, n in enumerate(ZONES):
        prot, acc = [0] * len(ZONES), 0
        ratio = LOWMEM_RESERVE_RATIO[i]
        for j in range(i + 1, len(ZONES)):
            acc += z[ZONES[j]]["managed"]
            prot[j] = acc // ratio if ratio and z[n]["managed"] else 0
        z[n]["protection"] = prot
    totalreserve = sum(min(max(z[n]["protection"][i:]) + z[n]["high"], z[n]["managed"])
                       for i, n in enumerate(ZONES))
    for n in ZONES:
        batch = max(min(z[n]["managed"] >> 10, 256) // 4, 1)
        batch = max(1, (1 << ((batch + batch // 2).bit_length() - 1)) - 1)
        z[n]["pcp_batch"] = batch
        z[n]["pcp_high"] = max(z[n]["low"], batch * 4)
    return {"zones": z, "min_free_kbytes": min_free_kbytes, "raised": raised,
            "totalreserve": totalreserve, "totalram": totalram}


def check_linux_numbers(boot, sec, ranges, zones, meminfo):
    spans = {}
    for n in ["DMA", "Normal", "HighMem"]:
        r = ranges.get(n)
        spans[n] = (max(r[0] >> 12, 1), r[1] >> 12) if r else None
    usable = e820_usable_pfns(boot)
    mb = parse_memblock(sec["memblock"])
    want_memory = [(s << 12, e << 12) for s, e in usable]
    if mb["memory"] != want_memory:
        fail(f"memblock.memory {[(hex(a), hex(b)) for a, b in mb['memory']]} is not the e820 usable RAM "
             f"{[(hex(a), hex(b)) for a, b in want_memory]}")
    thp = not any(l.startswith("Command line:") and re.search(r"(^| )nothp( |$)", l) for l in boot)
    want = linux_numbers(spans, usable, free_pfns(mb["memory"], mb["reserved"]), thp)
    printed = [int(l.split()[-1]) for l in boot if re.match(r"min_free_kbytes: \d+$", l)]
    if printed != [want["min_free_kbytes"]]:
        fail(f"boot printed min_free_kbytes {printed}, Linux 6.1 computes {want['min_free_kbytes']}")
    raised = [l for l in boot if l.startswith("raising min_free_kbytes")]
    want_raised = ([f"raising min_free_kbytes from {want['raised'][0]} to {want['raised'][1]} to help "
                    "transparent hugepage allocations"] if want["raised"] else [])
    if raised != want_raised:
        fail(f"THP raise line {raised}, expected {want_raised}")
    for n in ZONES:
        got, exp = zones.get(n, {}), want["zones"][n]
        keys = ["present", "managed", "min", "low", "high", "protection"]
        if exp["present"]:
            keys += ["pcp_batch", "pcp_high"]
        for k in keys:
            if got.get(k) != exp[k]:
                fail(f"zoneinfo {n} {k} is {got.get(k)}, Linux 6.1 computes {exp[k]} from the memory map")
    if meminfo.get("MemTotal") != 4 * want["totalram"]:
        fail(f"MemTotal {meminfo.get('MemTotal')} kB, the memory map minus memblock.reserved gives "
             f"{4 * want['totalram']} kB")
    # si_mem_available(): free - totalreserve_pages + what page cache and reclaimable slab give back.
    wmark_low = sum(z["low"] for z in want["zones"].values())
    pagecache = (meminfo.get("Active(file)", 0) + meminfo.get("Inactive(file)", 0)) // 4
    reclaimable = meminfo.get("KReclaimable", 0) // 4
    avail = meminfo.get("MemFree", 0) // 4 - want["totalreserve"]
    avail += pagecache - min(pagecache // 2, wmark_low)
    avail += reclaimable - min(reclaimable // 2, wmark_low)
    if meminfo.get("MemAvailable") != 4 * max(avail, 0):
        fail(f"MemAvailable {meminfo.get('MemAvailable')} kB, Linux 6.1 computes {4 * max(avail, 0)} kB "
             f"(totalreserve_pages {want['totalreserve']})")
    # vm_commit_limit(): overcommit_ratio 50, no swap, no hugetlb.
    if meminfo.get("CommitLimit") != 4 * (want["totalram"] * 50 // 100):
        fail(f"CommitLimit {meminfo.get('CommitLimit')} kB, expected {4 * (want['totalram'] * 50 // 100)} kB")
    return want


# ---- whole-report structure and cross-report sums --------------------------------------------
# Linux 6.1's item lists (include/linux/mmzone.h enum zone_stat_item / node_stat_item and
# mm/vmstat.c vmstat_text) for the Debian 686 config without NUMA, CMA counters included.
ZONE_STATS = ["nr_free_pages", "nr_zone_inactive_anon", "nr_zone_active_anon", "nr_zone_inactive_file",
              "nr_zone_active_file", "nr_zone_unevictable", "nr_zone_write_pending", "nr_mlock", "nr_bounce",
              "nr_free_cma"]
NODE_STATS = ["nr_inactive_anon", "nr_active_anon", "nr_inactive_file", "nr_active_file", "nr_unevictable",
              "nr_slab_reclaimable", "nr_slab_unreclaimable", "nr_isolated_anon", "nr_isolated_file",
              "workingset_nodes", "workingset_refault_anon", "workingset_refault_file",
              "workingset_activate_anon", "workingset_activate_file", "workingset_restore_anon",
              "workingset_restore_file", "workingset_nodereclaim", "nr_anon_pages", "nr_mapped",
              "nr_file_pages", "nr_dirty", "nr_writeback", "nr_writeback_temp", "nr_shmem",
              "nr_shmem_hugepages", "nr_shmem_pmdmapped", "nr_file_hugepages", "nr_file_pmdmapped",
              "nr_anon_transparent_hugepages", "nr_vmscan_write", "nr_vmscan_immediate_reclaim", "nr_dirtied",
              "nr_written", "nr_throttled_written", "nr_kernel_misc_reclaimable", "nr_foll_pin_acquired",
              "nr_foll_pin_released", "nr_kernel_stack", "nr_page_table_pages", "nr_sec_page_table_pages",
              "nr_swapcached"]
# The events this kernel counts: the head of 6.1's event list (pgpgin .. pglazyfreed), then the
# legacy last line. (6.1 goes on with pgrefill, pgsteal_* ... which this kernel has no source for.)
VM_EVENTS = ["pgpgin", "pgpgout", "pswpin", "pswpout", "pgalloc_dma", "pgalloc_normal", "pgalloc_high",
             "pgalloc_movable", "allocstall_dma", "allocstall_normal", "allocstall_high", "allocstall_movable",
             "pgskip_dma", "pgskip_normal", "pgskip_high", "pgskip_movable", "pgfree", "pgactivate",
             "pgdeactivate", "pglazyfree", "pgfault", "pgmajfault", "pglazyfreed"]
VMSTAT_ORDER = ZONE_STATS + NODE_STATS + ["nr_dirty_threshold", "nr_dirty_background_threshold"] + VM_EVENTS \
    + ["nr_unstable"]


def zoneinfo_key(line):
    """The item a zoneinfo line prints, for checking the order of the lines."""
    for pat, key in [(r"Node \d+, zone +\S+$", "zone"), (r"  per-node stats$", "per-node stats"),
                     (r"  pages free ", "pages free"), (r"        protection: ", "protection"),
                     (r"  pagesets$", "pagesets"), (r"    cpu: ", "cpu"), (r"  node_unreclaimable: ", "node_unreclaimable"),
                     (r"  start_pfn: ", "start_pfn")]:
        if re.match(pat, line):
            return key
    m = re.match(r" +(\S+?):? +\d+$", line)
    return m.group(1) if m else line


def check_zoneinfo_order(lines, zones):
    """6.1 zoneinfo_show_print(): per-node stats only under the node's first populated zone;
    unpopulated zones stop after protection; pagesets of the one CPU; no vm stats threshold (UP)."""
    want, first = [], True
    for name in ZONES:
        want.append("zone")
        populated = zones.get(name, {}).get("present", 0) > 0
        if populated and first:
            want += ["per-node stats"] + NODE_STATS
            first = False
        want += ["pages free", "boost", "min", "low", "high", "spanned", "present", "managed", "cma", "protection"]
        if populated:
            want += ZONE_STATS + ["pagesets", "cpu", "count", "high", "batch", "node_unreclaimable", "start_pfn"]
    got = [zoneinfo_key(l) for l in lines]
    if got != want:
        k = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
        fail(f"zoneinfo line {k + 1}: {lines[k] if k < len(lines) else 'end of report'!r}, "
             f"6.1 prints {want[k] if k < len(want) else 'nothing more'!r} there")


def zoneinfo_stats(lines):
    """Per-node stats (once) and per-zone stats, by name."""
    node, per_zone, cur, in_node = {}, {}, None, False
    for line in lines:
        m = re.match(r"Node \d+, zone +(\S+)$", line)
        if m:
            cur, in_node = per_zone.setdefault(m.group(1), {}), False
            continue
        if line == "  per-node stats":
            in_node = True
            continue
        m = re.match(r"      (\S+) +(\d+)$", line)
        if m and cur is not None:
            (node if in_node else cur)[m.group(1)] = int(m.group(2))
        elif not line.startswith("      "):
            in_node = False
    return node, per_zone


def check_vmstat_against(vm, zinfo_lines, meminfo):
    names = list(vm)
    if names != VMSTAT_ORDER:
        k = next((i for i, (a, b) in enumerate(zip(names, VMSTAT_ORDER)) if a != b),
                 min(len(names), len(VMSTAT_ORDER)))
        fail(f"vmstat item {k + 1} is {names[k] if k < len(names) else 'missing'!r}, "
             f"6.1 prints {VMSTAT_ORDER[k] if k < len(VMSTAT_ORDER) else 'nothing more'!r}")
    node, per_zone = zoneinfo_stats(zinfo_lines)
    for item in ZONE_STATS:
        total = sum(z.get(item, 0) for z in per_zone.values())
        if vm.get(item) != total:
            fail(f"vmstat {item} {vm.get(item)} != {total}, the sum over zoneinfo's zones")
    for item in NODE_STATS:
        if vm.get(item) != node.get(item):
            fail(f"vmstat {item} {vm.get(item)} != zoneinfo per-node {node.get(item)}")
    for item, field, scale in [("nr_slab_reclaimable", "SReclaimable", 4), ("nr_slab_unreclaimable", "SUnreclaim", 4),
                               ("nr_page_table_pages", "PageTables", 4), ("nr_kernel_stack", "KernelStack", 1),
                               ("nr_shmem", "Shmem", 4), ("nr_mapped", "Mapped", 4), ("nr_anon_pages", "AnonPages", 4),
                               ("nr_dirty", "Dirty", 4), ("nr_writeback", "Writeback", 4)]:
        if vm.get(item, 0) * scale != meminfo.get(field):
            fail(f"meminfo {field} {meminfo.get(field)} kB != vmstat {item} {vm.get(item)} x {scale}")


def check_free_against(lines, meminfo, what):
    """procps-ng 4.0 free: used = MemTotal - MemAvailable; buff/cache = Buffers + Cached + SReclaimable;
    Low/High rows from LowTotal/LowFree and HighTotal/HighFree; Swap: total, total - free, free."""
    g = meminfo.get
    want = {"Mem:": [g("MemTotal"), g("MemTotal", 0) - g("MemAvailable", 0), g("MemFree"), g("Shmem"),
                     g("Buffers", 0) + g("Cached", 0) + g("SReclaimable", 0), g("MemAvailable")],
            "Low:": [g("LowTotal"), g("LowTotal", 0) - g("LowFree", 0), g("LowFree")],
            "High:": [g("HighTotal"), g("HighTotal", 0) - g("HighFree", 0), g("HighFree")],
            "Swap:": [g("SwapTotal"), g("SwapTotal", 0) - g("SwapFree", 0), g("SwapFree")]}
    for line in lines[1:]:
        parts = line.split()
        if parts and parts[0] in want and [int(x) for x in parts[1:]] != want[parts[0]]:
            fail(f"{what} row {line!r}: meminfo gives {want[parts[0]]}")


def check_layout(lines, meminfo, max_low):
    """The virtual layout against Linux 6.1 i386 (docs/guestos.md) and VmallocTotal."""
    areas = {}
    for line in lines:
        m = re.match(r" +(\S+) *: 0x([0-9a-f]{8}) - 0x([0-9a-f]{8}) ", line)
        if m:
            areas[m.group(1)] = (int(m.group(2), 16), int(m.group(3), 16))
    lowmem_end = 0xC0000000 + (max_low << 12)
    want = {"lowmem": (0xC0000000, lowmem_end), "vmalloc": (lowmem_end + (8 << 20), 0xFEBFE000),
            "pkmap": (0xFEC00000, 0xFF000000), "fixmap": (0xFFFEE000, 0xFFFFF000)}
    for name, rng in want.items():
        if areas.get(name) != rng:
            fail(f"layout {name} {areas.get(name)}, Linux 6.1 has ({rng[0]:#x}, {rng[1]:#x})")
    if "vmalloc" in areas:
        total = (areas["vmalloc"][1] - areas["vmalloc"][0]) >> 10
        if meminfo.get("VmallocTotal") != total:
            fail(f"VmallocTotal {meminfo.get('VmallocTotal')} kB, the layout's vmalloc area is {total} kB")


def check_slab_total(slab_lines, meminfo):
    """Slab = the pages of every cache's slabs (no kmalloc above 8 KiB is live when the reports run)."""
    pages = 0
    for line in slab_lines[2:]:
        m = re.match(r"\S+ +\d+ +\d+ +\d+ +\d+ +(\d+) : tunables .* : slabdata +\d+ +(\d+) +\d+$", line)
        if m:
            pages += int(m.group(1)) * int(m.group(2))
    if meminfo.get("Slab") != 4 * pages:
        fail(f"meminfo Slab {meminfo.get('Slab')} kB, slabinfo's slabs hold {4 * pages} kB")


def check_output(out, mem, runner):
    """All checks on one serial log; returns the list of problems."""
    errors.clear()
    boot, sec = split_sections(out)
    for cmd in ["selftest"] + EXTRA + REPORTS + ["poweroff"]:
        if cmd not in sec:
            fail(f"no output section for '{cmd}' (did the guest crash?)")
    if errors:
        return list(errors)
    max_pfn, max_low = expected_layout(boot)
    # All of -m is RAM but the top 128 KiB the firmware keeps (SeaBIOS, and Pagoda's map likewise).
    if max_pfn != (mem << 8) - 32:
        fail(f"max_pfn 0x{max_pfn:x} with {mem} MiB of RAM: expected 0x{(mem << 8) - 32:x}")
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
    check_linux_numbers(boot, sec, ranges, zones, mem_info)
    check_zoneinfo_order(sec["cat /proc/zoneinfo"], zones)
    check_vmstat_against(vm, sec["cat /proc/zoneinfo"], mem_info)
    check_free_against(sec["free"], mem_info, "free")
    check_free_against(sec["free -l"], mem_info, "free -l")
    check_layout(sec["layout"], mem_info, max_low)
    check_slab_total(sec["cat /proc/slabinfo"], mem_info)
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
    # Reviewer 5's fourteen (review-5.md, item 3), written to apply at every memory size:
    (r"(?m)^(        min +\d+)\n(        low +\d+)$", r"\2\n\1"),                  # zoneinfo min/low swapped
    (r"(?m)^  per-node stats\n", ""),                                             # per-node header dropped
    (r"(?m)^(              count: +\d+)\n(              high:  +\d+)$", r"\2\n\1"),  # pagesets swapped
    (r"(?m)^(Mem: +\d+)( +\d+)", lambda m: m.group(1) + bump(m.group(2), 1000)),   # free used +1000
    (r"(?m)^(Low:)( +\d+)", lambda m: m.group(1) + bump(m.group(2), 7)),            # free -l Low total +7
    (r"(?m)^(pgpgin \d+)\n(pgpgout \d+)$", r"\2\n\1"),                            # vmstat lines swapped
    (r"(?m)^(Slab: +)(\d+)( kB\nSReclaimable: +)(\d+)",                            # Slab, SReclaimable +4
     lambda m: m.group(1) + bump(m.group(2), 4) + m.group(3) + bump(m.group(4), 4)),
    (r"(?m)^(VmallocTotal: +)(\d+)", lambda m: m.group(1) + bump(m.group(2), 4)),   # VmallocTotal +4
    (r"(?m)^(        min +)(\d+)$", lambda m: m.group(1) + bump(m.group(2), -1)),   # a min watermark -1
    (r"(?m)^(kmalloc-8 +)(\d+)( +)(\d+)",                                           # active > num objs
     lambda m: m.group(1) + bump(m.group(2), int(m.group(4)) + 1 - int(m.group(2))) + m.group(3) + m.group(4)),
    (r"(?m)^(Node 0, zone +DMA(?: +\d+){11}) $", r"\1"),                           # buddyinfo trailing space
    (r"protection: \(0, (\d+)", lambda m: "protection: (0, %d" % (int(m.group(1)) + 1)),  # lowmem_reserve
    (r"(?m)^(        managed +)(\d+)$", lambda m: m.group(1) + bump(m.group(2), -1)),  # DMA managed -1
    (r"(?m)^(Dirty: +\d+ kB)\n(Writeback: +\d+ kB)$", r"\2\n\1"),                  # meminfo order
    # And the values recomputed from the memory map:
    (r"(?m)^min_free_kbytes: (\d+)$", lambda m: "min_free_kbytes: %d" % (int(m.group(1)) + 4)),
    (r"(?m)^(MemAvailable: +)(\d+)", lambda m: m.group(1) + bump(m.group(2), 4)),
    (r"(?m)^(              batch: +)(\d+)$", lambda m: m.group(1) + str(int(m.group(2)) + 1)),
    (r"(pagoda# layout\n(?:.*\n)*?    vmalloc : 0x)([0-9a-f]{8})", lambda m: m.group(1) + "%08x" % (int(m.group(2), 16) + 4096)),
]


def bump(field, delta):
    """A number changed by delta, right-aligned in the field's width (so only the value differs)."""
    return str(int(field) + delta).rjust(len(field))


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
