#!/usr/bin/env python3
"""run= scripts are all or nothing.

Boots the guest kernel three times (on qemu-system-i386 or on Pagoda):
  1. a script that just fits the kernel's 8 KiB command line (with the kernel
     path the loader puts first) runs to its last command and powers off
     cleanly (exit status 1 = isa-debug-exit's (0 << 1) | 1);
  2. a script one command longer than that fits is refused before any command
     runs, with a message and a failure power-off (status 3 = (1 << 1) | 1),
     instead of running the part that fitted and waiting in the shell;
  3. a script with a command longer than the shell's 255-byte line is refused
     the same way.
Exit status 0 = pass, 1 = fail, 77 = skipped (runner not installed).
"""
import argparse
import shutil
import subprocess
import sys

COMMAND_LINE_SIZE = 8192        # src/guestos/include/linux/kernel.h
LINE_MAX = 256                  # src/guestos/kernel/shell.c


def boot(args, script):
    if args.runner == "qemu":
        exe = shutil.which(args.qemu)
        if not exe:
            print(f"SKIP: {args.qemu} is not installed")
            sys.exit(77)
        cmd = [exe, "-kernel", args.kernel, "-m", "32", "-display", "none", "-serial", "stdio",
               "-monitor", "none", "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
               "-append", script]
    else:
        cmd = [args.pagoda, "run", "--headless", "-m", "32", "-kernel", args.kernel, "-append", script]
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=args.timeout)
    except subprocess.TimeoutExpired as e:
        return None, (e.stdout or b"").decode("latin-1")
    return p.returncode, p.stdout.decode("latin-1").replace("\r\n", "\n")


def script_of(n):
    return "run=" + ",".join("echo cmd%04d" % i for i in range(n)) + ",poweroff"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runner", choices=["qemu", "pagoda"], default="qemu")
    ap.add_argument("--qemu", default="qemu-system-i386")
    ap.add_argument("--pagoda")
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--timeout", type=int, default=60)
    args = ap.parse_args()
    problems = []

    # Both loaders pass "<kernel path> <append>" as the multiboot command line.
    room = COMMAND_LINE_SIZE - 1 - len(args.kernel) - 1
    n = 0
    while len(script_of(n + 1)) <= room:
        n += 1
    fits, too_long = script_of(n), script_of(n + 1)
    if len(fits) < 4096:
        problems.append(f"the largest script that fits is only {len(fits)} bytes")

    rc, out = boot(args, fits)
    lines = out.split("\n")
    echoed = [l for l in lines if l.startswith("cmd")]
    if rc != 1 or echoed != ["cmd%04d" % i for i in range(n)] or "reboot: Power down" not in lines:
        problems.append(f"a {len(fits)}-byte script ({n} commands): exit {rc}, {len(echoed)} of {n} commands ran"
                        + ("" if echoed == ["cmd%04d" % i for i in range(len(echoed))] else " (out of order)"))

    for what, script, msg in [
            (f"a {len(too_long)}-byte script (one command too many)", too_long, "the script was cut; not running it"),
            ("a command longer than the shell's line", "run=echo " + "x" * LINE_MAX + ",poweroff",
             "longer than the shell's 255-byte line")]:
        rc, out = boot(args, script)
        if rc is None:
            problems.append(f"{what}: the guest hung ({args.timeout} s) instead of powering off")
        elif rc != 3 or msg not in out or "reboot: Power down (failure status)" not in out:
            problems.append(f"{what}: exit {rc} (want 3), message {'present' if msg in out else 'missing'}")
        elif "pagoda# " in out:
            problems.append(f"{what}: part of the script ran before it was refused")

    for p in problems:
        print("FAIL:", p)
    if problems:
        return 1
    print(f"PASS on {args.runner}: a {len(fits)}-byte script runs all {n} commands; one command more, or a "
          f"command over {LINE_MAX - 1} bytes, is refused with exit status 3")
    return 0


if __name__ == "__main__":
    sys.exit(main())
