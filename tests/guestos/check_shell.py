#!/usr/bin/env python3
"""The guest shell's small promises (docs/guestos.md, "Reports"):

* numbers are taken whole: `alloc_pages x`, `kmalloc 100~`, `alloc_pages 1 12z`
  are refused with a message and allocate nothing;
* `cache_create` refuses a second cache of the same name;
* `vmalloc 0` says it returned NULL;
* `help` lists every command with its full synopsis (nothing cut off);
* WARN prints a path relative to src/guestos, never the host's checkout path;
* an oops prints 16-bit selectors and the panic powers off with status 1
  (exit status 3);
* typed input: Delete (ESC [ 3 ~) deletes under the cursor and PgUp
  (ESC [ 5 ~) types nothing.
Exit status 0 = pass, 1 = fail, 77 = skipped (runner not installed).
"""
import argparse
import re
import shutil
import subprocess
import sys

SCRIPT = ["alloc_pages x", "kmalloc 100~", "alloc_pages 1 12z", "cache_create foo 100", "cache_create foo 50",
          "cat /proc/slabinfo", "vmalloc 0", "help", "alloc_pages 11", "oops 0x10"]
COMMANDS = ["help", "cat", "free", "alloc_pages", "free_pages", "kmalloc", "kfree", "cache_create", "cache_alloc",
            "cache_free", "cache_shrink", "cache_destroy", "vmalloc", "vfree", "kmap", "mempool", "stress", "drain",
            "memblock", "layout", "selftest", "bench", "peek", "oops", "echo", "poweroff"]


def boot(args, append, stdin=None):
    if args.runner == "qemu":
        exe = shutil.which(args.qemu)
        if not exe:
            print(f"SKIP: {args.qemu} is not installed")
            sys.exit(77)
        cmd = [exe, "-kernel", args.kernel, "-m", "32", "-display", "none", "-serial", "stdio", "-monitor", "none",
               "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
        if append:
            cmd += ["-append", append]
    else:
        cmd = [args.pagoda, "run", "--headless", "-m", "32", "-kernel", args.kernel]
        if append:
            cmd += ["-append", append]
    p = subprocess.run(cmd, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=args.timeout)
    return p.returncode, p.stdout.decode("latin-1").replace("\r\n", "\n")


def sections(out):
    sec, cur = {}, None
    for line in out.split("\n"):
        if line.startswith("pagoda# "):
            cur = line[len("pagoda# "):]
            sec[cur] = []
        elif cur is not None:
            sec[cur].append(line)
    return sec


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runner", choices=["qemu", "pagoda"], default="qemu")
    ap.add_argument("--qemu", default="qemu-system-i386")
    ap.add_argument("--pagoda")
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--timeout", type=int, default=60)
    args = ap.parse_args()
    problems = []

    def want(cond, msg):
        if not cond:
            problems.append(msg)

    rc, out = boot(args, "run=" + ",".join(SCRIPT))
    sec = sections(out)
    for cmd, msg in [("alloc_pages x", "alloc_pages: 'x' is not a number"),
                     ("kmalloc 100~", "kmalloc: '100~' is not a number"),
                     ("alloc_pages 1 12z", "gfp: '12z' is not a number")]:
        want(sec.get(cmd) == [msg], f"{cmd}: printed {sec.get(cmd)}, want [{msg!r}]")
    want(len(sec.get("cache_create foo 100", [])) == 1 and sec["cache_create foo 100"][0].startswith("foo: object 100"),
         f"cache_create foo 100: {sec.get('cache_create foo 100')}")
    want(any("a cache named 'foo' exists already" in l for l in sec.get("cache_create foo 50", [])),
         f"second cache_create foo: {sec.get('cache_create foo 50')}")
    want(sum(1 for l in sec.get("cat /proc/slabinfo", []) if l.split()[:1] == ["foo"]) == 1,
         "slabinfo does not list exactly one cache foo")
    want(any(l.startswith("vmalloc(0) = NULL") for l in sec.get("vmalloc 0", [])),
         f"vmalloc 0: {sec.get('vmalloc 0')}")
    helptext = sec.get("help", [])
    listed = [l.split()[0] for l in helptext if l.startswith("  ") and not l.startswith("   ")]
    want(listed == COMMANDS, f"help lists {listed}")
    want(any(l.strip() == "cat /proc/{buddyinfo,pagetypeinfo,zoneinfo,slabinfo,meminfo,vmstat,vmallocinfo,cmdline}"
             for l in helptext), "help: the cat synopsis is cut off")
    warn = [l for l in sec.get("alloc_pages 11", []) if l.startswith("WARNING: at ")]
    want(len(warn) == 1 and re.match(r"WARNING: at mm/page_alloc\.c:\d+$", warn[0]) is not None,
         f"alloc_pages 11 warning {warn}, want 'WARNING: at mm/page_alloc.c:N'")
    oops = sec.get("oops 0x10", [])
    want(any(re.match(r"DS: [0-9a-f]{4} ES: [0-9a-f]{4} FS: [0-9a-f]{4} GS: [0-9a-f]{4}$", l) for l in oops)
         and any(re.match(r"EIP: [0-9a-f]{4}:[0-9a-f]{8} ", l) for l in oops),
         f"oops selectors not 16-bit: {[l for l in oops if l.startswith(('DS:', 'EIP:'))]}")
    want(rc == 3 and "Kernel panic - not syncing: Fatal exception" in out,
         f"the oops' panic exited with status {rc}, want 3")

    # Typed input: "echo abcd", two lefts, Delete, PgUp, Enter -> "abd".
    rc, out = boot(args, "", stdin=b"echo abcd\x1b[D\x1b[D\x1b[3~\x1b[5~\npoweroff\n")
    want("\nabd\n" in out, "Delete did not delete under the cursor (or PgUp typed something): "
         + repr(out[out.rfind("echo"):][:80]))
    want(rc == 1, f"poweroff from the typed shell exited with status {rc}, want 1")

    for p in problems:
        print("FAIL:", p)
    if problems:
        return 1
    print(f"PASS on {args.runner}: bad numbers refused, duplicate cache refused, vmalloc 0 explained, help whole, "
          "WARN path relative, oops selectors 16-bit, panic exit 3, Delete key deletes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
