#!/usr/bin/env python3
"""Read the real guest-info block (docs/guest-info.md) from outside the guest.

Boots the bundled kernel under `pagoda debug` with 32 MiB, lets it run a
script (drain the per-CPU lists, print buddyinfo, zoneinfo and slabinfo),
then reads guest physical memory with the monitor's `xp` the way the UI
does. The same boot is repeated, each pass reading what the previous one
pointed at: (1) the address the kernel printed, (2) the block, (3) mem_map,
the zones, the slab list head and the kernel's data, (4) the slab pages.
Checks: the header fields; the zones against zoneinfo; every frame
classified by the documented algorithm, whose PG_buddy heads per zone and
order must equal buddyinfo's counts exactly (so free frames add up to
zoneinfo's "pages free"); no PG_pcp page after `drain`; and the slab list,
walked through the published offsets, names exactly slabinfo's caches.
Exit status 0 = pass, 1 = fail.
"""
import argparse
import re
import struct
import subprocess
import sys

MEM = 32
SCRIPT = "run=drain,cat /proc/buddyinfo,cat /proc/zoneinfo,cat /proc/slabinfo"
RUN = 30000000                  # instructions: boot + script is about 1 M at 32 MiB
XP_MAX = 4096                   # dwords per xp command


def boot(args, reads):
    """Boot, run, then read each (phys, bytes) range; returns (serial text, {phys: dword})."""
    cmds = [f"continue {RUN}"]
    for phys, n in reads:
        words = (n + 3) // 4
        for off in range(0, words, XP_MAX):
            cmds.append(f"xp/{min(XP_MAX, words - off)}d 0x{phys + off * 4:x}")
    cmds.append("quit")
    p = subprocess.run([args.pagoda, "debug", "-m", str(MEM), "-kernel", args.kernel, "-append", SCRIPT],
                       input="\n".join(cmds) + "\n", stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, errors="replace", timeout=args.timeout)
    mem = {}
    for line in p.stdout.split("\n"):
        m = re.match(r"([0-9a-f]{8}): ((?:[0-9a-f]{8} ?)+)$", line.strip())
        if m:
            base = int(m.group(1), 16)
            for i, w in enumerate(m.group(2).split()):
                mem[base + 4 * i] = int(w, 16)
    return p.stdout, mem


def u32(mem, addr):
    if addr not in mem:
        raise KeyError(f"phys 0x{addr:x} was not read")
    return mem[addr]


def cstr(mem, addr, n):
    raw = b"".join(struct.pack("<I", u32(mem, addr + i)) for i in range(0, n, 4))
    return raw.split(b"\0")[0].decode("latin-1")


def section(out, cmd):
    lines = out.replace("\r\n", "\n").split("\n")
    start = lines.index("pagoda# " + cmd) + 1
    end = start
    while end < len(lines) and not lines[end].startswith("pagoda# ") and not lines[end].startswith("Type 'help'"):
        end += 1
    return lines[start:end]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pagoda", required=True)
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--timeout", type=int, default=120)
    args = ap.parse_args()
    problems = []

    def want(cond, msg):
        if not cond:
            problems.append(msg)

    out, _ = boot(args, [])
    m = re.search(r"guest-info: struct pagoda_guest_info at phys 0x([0-9a-f]+)", out)
    if not m:
        print("FAIL: the kernel did not say where its guest-info block is\n" + out[-2000:])
        return 1
    gi = int(m.group(1), 16)
    # The kernel's .data through .bss (the boot-time caches live there), from the layout it printed.
    d = re.search(r"\.data : 0x([0-9a-f]{8}) - ", out)
    b = re.search(r"\.bss  : 0x[0-9a-f]{8} - 0x([0-9a-f]{8})", out)
    if not d or not b:
        print("FAIL: no .data/.bss lines in the boot log")
        return 1
    kdata = (int(d.group(1), 16) - 0xC0000000, int(b.group(1), 16) - int(d.group(1), 16))
    buddy = {}
    for line in section(out, "cat /proc/buddyinfo"):
        f = line.split()
        buddy[f[3]] = [int(x) for x in f[4:]]
    zinfo, cur = {}, None
    for line in section(out, "cat /proc/zoneinfo"):
        mz = re.match(r"Node 0, zone +(\S+)$", line)
        if mz:
            cur = zinfo.setdefault(mz.group(1), {})
        mz = re.match(r" +(pages free|spanned|present|managed|start_pfn:) +(\d+)$", line)
        if mz and cur is not None:
            cur[mz.group(1).rstrip(":")] = int(mz.group(2))
    slab_names = {line.split()[0] for line in section(out, "cat /proc/slabinfo")[2:] if line.strip()}

    # Pass 2: the block.
    _, mem = boot(args, [(gi, 308)])
    f = [u32(mem, gi + 4 * i) for i in range(77)]
    (magic, version, size, _gen, page_offset, mem_map, first_pfn, nr_pages, max_low, sizeof_page,
     off_flags, _off_ref, _off_map, off_private, _off_lru, off_slab_cache, _off_head, zshift, zmask,
     pg_reserved, pg_slab, pg_buddy, pg_head, pg_tail, pg_pgtable, pg_pcp) = f[:26]
    want(magic == 0x4E494750 and version == 1 and size == 308, f"header {magic:#x} v{version} size {size}")
    want(page_offset == 0xC0000000 and first_pfn == 0, f"page_offset {page_offset:#x}, first pfn {first_pfn}")
    want(nr_pages == (MEM << 8) - 32 and max_low == nr_pages, f"nr_pages {nr_pages:#x}, max_low_pfn {max_low:#x}")
    zones = []
    for i in range(f[31]):
        base = gi + 128 + 32 * i
        name = cstr(mem, base, 8)
        start, spanned, present, managed, zone_phys = (u32(mem, base + 8 + 4 * k) for k in range(5))
        zones.append((name, start, spanned, present, managed, zone_phys))
        z = zinfo.get(name, {})
        want(z.get("spanned") == spanned and z.get("present") == present and z.get("managed") == managed
             and (not present or z.get("start_pfn") == start),
             f"zone {name}: block says start {start} spanned {spanned} present {present} managed {managed}, "
             f"zoneinfo {z}")
    slab_head, off_list, off_name = f[64], f[65], f[66]
    off_free_area, sizeof_free_area, off_nr_free = f[72], f[73], f[74]

    # Pass 3: mem_map, the zones' free areas, the list head, the kernel's data and bss (the boot caches).
    reads = [(mem_map, nr_pages * sizeof_page), (slab_head, 8), kdata]
    reads += [(z[5] + off_free_area, 11 * sizeof_free_area) for z in zones]
    _, mem = boot(args, reads)
    free = {z[0]: [0] * 11 for z in zones}
    slab_caches, slab_frames, pcp = set(), set(), 0
    for pfn in range(nr_pages):
        page = mem_map + pfn * sizeof_page
        flags = u32(mem, page + off_flags)
        zone = zones[(flags >> zshift) & zmask][0]
        if flags & (1 << pg_buddy):
            order = u32(mem, page + off_private)
            if order < 11:
                free[zone][order] += 1
            else:
                problems.append(f"pfn {pfn:#x}: PG_buddy with order {order}")
        elif flags & (1 << pg_pcp):
            pcp += 1
        elif flags & (1 << pg_slab) or flags & (1 << pg_tail):
            slab_frames.add(pfn << 12)      # tails of slabs too: objects live on every page
            if not flags & (1 << pg_tail):
                slab_caches.add(u32(mem, page + off_slab_cache))
        _ = (pg_reserved, pg_head, pg_pgtable)     # classified as "not free" here
    want(pcp == 0, f"{pcp} PG_pcp pages after drain")
    for name, counts in free.items():
        if name in buddy:
            want(counts == buddy[name], f"{name}: PG_buddy heads per order {counts}, buddyinfo {buddy[name]}")
            want(sum(c << o for o, c in enumerate(counts)) == zinfo[name].get("pages free"),
                 f"{name}: free frames do not add up to zoneinfo's pages free")
    for z in zones:
        nr_free = [u32(mem, z[5] + off_free_area + o * sizeof_free_area + off_nr_free) for o in range(11)]
        if z[0] in buddy:
            want(nr_free == buddy[z[0]], f"{z[0]}: free_area nr_free {nr_free}, buddyinfo {buddy[z[0]]}")

    # Pass 4: the kmem_cache structs are objects in slab pages (or the boot caches in the kernel's
    # data): read every slab frame, then walk the list through the published offsets.
    pages = slab_frames
    want(all(((a - page_offset) & ~0xFFF) in pages or kdata[0] <= a - page_offset < kdata[0] + kdata[1]
             for a in slab_caches), "a slab's slab_cache points outside slab pages and kernel data")
    _, mem2 = boot(args, [(p, 4096) for p in sorted(pages)] + [kdata, (slab_head, 8)])
    names, node, seen = [], u32(mem2, slab_head), set()
    while node - page_offset != slab_head and len(names) < 200:
        cache = node - page_offset - off_list
        if cache in seen:
            problems.append("the slab list loops without reaching its head")
            break
        seen.add(cache)
        try:
            names.append(cstr(mem2, cache + off_name, 24))
            node = u32(mem2, node - page_offset)
        except KeyError as e:
            problems.append(f"slab list: {e} (a kmem_cache outside slab pages and kernel data)")
            break
    want(set(names) == slab_names and len(names) == len(slab_names),
         f"slab list walk names {len(names)} caches, slabinfo {len(slab_names)}: "
         f"{sorted(set(names) ^ slab_names)[:6]}")

    for p in problems:
        print("FAIL:", p)
    if problems:
        return 1
    print(f"PASS: guest-info block at {gi:#x} read through the monitor: header, {len(zones)} zones, "
          f"{nr_pages} struct pages classified (free blocks per order = buddyinfo), {len(names)} slab caches walked")
    return 0


if __name__ == "__main__":
    sys.exit(main())
