#!/usr/bin/env python3
"""`pagoda debug --gdb PORT`: a tiny gdb remote-protocol client over
127.0.0.1 reads the registers at the multiboot entry, single-steps,
detaches, and the guest then runs on to its exit port.
Usage: gdb.py PAGODA HELLO_ELF"""
import socket, subprocess, sys, time

pagoda, hello = sys.argv[1], sys.argv[2]

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port

def packet(sock, data):
    frame = "$%s#%02x" % (data, sum(data.encode()) & 0xFF)
    sock.sendall(frame.encode())
    buf = b""
    while True:   # skip the '+' ack, read up to '#xx'
        buf += sock.recv(4096)
        i = buf.find(b"$")
        j = buf.find(b"#", i + 1) if i >= 0 else -1
        if j >= 0 and len(buf) >= j + 3:
            sock.sendall(b"+")
            return buf[i + 1:j].decode()

def reg(g, n):   # register n of a 'g' reply: 8 hex digits, little-endian
    return int.from_bytes(bytes.fromhex(g[8 * n:8 * n + 8]), "little")

port = free_port()
p = subprocess.Popen([pagoda, "debug", "--gdb", str(port), hello],
                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
fail = []
waiting = p.stderr.readline()
print(waiting, end="")
if waiting.strip() != "pagoda: waiting for gdb on 127.0.0.1:%d (target remote :%d)" % (port, port):
    fail.append("unexpected first stderr line")
sock = socket.create_connection(("127.0.0.1", port), timeout=30)
print("? ->", packet(sock, "?"))
g = packet(sock, "g")
eax, ebx, esp, eip = reg(g, 0), reg(g, 3), reg(g, 4), reg(g, 8)
print("eax %08x ebx %08x esp %08x eip %08x" % (eax, ebx, esp, eip))
if (eax, ebx, esp) != (0x2BADB002, 0x8000, 0x7000):
    fail.append("entry registers are not the multiboot hand-over state")
s = packet(sock, "s")
eip2 = reg(packet(sock, "g"), 8)
print("s ->", s, "eip %08x" % eip2)
if not s.startswith(("S05", "T05")) or eip2 == eip:
    fail.append("a step did not stop with SIGTRAP after moving EIP")
print("D ->", packet(sock, "D"))
sock.close()
out, err = p.communicate(timeout=60)
print(out, err, "exit", p.returncode)
if p.returncode != 1 or "hello from a pagoda test image" not in out:
    fail.append("after the detach the guest did not run on to its exit port (exit 1)")
if "pagoda: guest wrote the exit port (status 1)" not in err:
    fail.append("no stop report")
for f in fail:
    print("FAIL:", f)
sys.exit(1 if fail else 0)
