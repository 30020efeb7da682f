#!/usr/bin/env python3
# The disk's own floor for the append-to-tail target (issue 12 item 3), without Millrace: what a
# journal writer at 10 MiB/s would see from the disk alone. Writes 200 KiB (page-aligned, so the
# same buffer works with O_DIRECT) at increasing offsets of a preallocated, durable 256 MiB file,
# then fdatasync, every 15 ms, for SECONDS; optionally next to a background writer that writes an
# 8 MiB file with O_DIRECT + fsync every 0.8 s (like segment flushes at 10 MiB/s).
#
# Prints the fdatasync latency p50/p99/p99.9/max and every call over 50 ms, and an estimate of the
# p99 a record would see: records arrive evenly, and a record that arrives during a call of d ms
# waits for it, so the fraction of records that wait more than x ms is about sum(max(0, d - x)) /
# run time; the estimate is the smallest x where that fraction is at most 1 %.
#
# Usage: python3 fsync-probe.py SECONDS buffered|direct [--background] [--dir DIR]
import mmap
import os
import sys
import threading
import time

seconds = float(sys.argv[1])
mode = sys.argv[2]
background = "--background" in sys.argv
directory = sys.argv[sys.argv.index("--dir") + 1] if "--dir" in sys.argv else "/tmp"
if mode not in ("buffered", "direct"):
    sys.exit("mode must be buffered or direct")

MiB = 1 << 20
size = 256 * MiB
write_len = 200 * 1024
path = os.path.join(directory, f"fsync-probe-{os.getpid()}.jnl")

zeros = mmap.mmap(-1, MiB)
fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
for _ in range(size // MiB):
    os.write(fd, zeros)
os.fsync(fd)
os.close(fd)
fd = os.open(path, os.O_RDWR | (os.O_DIRECT if mode == "direct" else 0))
buf = mmap.mmap(-1, write_len)
buf.write(os.urandom(write_len))
data = memoryview(buf)

stop = threading.Event()


def background_writer():
    seg = mmap.mmap(-1, 8 * MiB)
    seg.write(os.urandom(8 * MiB))
    i = 0
    while not stop.is_set():
        p = os.path.join(directory, f"fsync-probe-{os.getpid()}-seg-{i % 8}")
        f = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_DIRECT, 0o644)
        os.write(f, seg)
        os.fsync(f)
        os.close(f)
        i += 1
        stop.wait(0.8)
    for j in range(8):
        try:
            os.unlink(os.path.join(directory, f"fsync-probe-{os.getpid()}-seg-{j}"))
        except FileNotFoundError:
            pass


bg = threading.Thread(target=background_writer) if background else None
if bg:
    bg.start()
lat, slow = [], []
t0 = time.time()
pos = 0
try:
    while time.time() - t0 < seconds:
        s = time.perf_counter()
        os.pwritev(fd, [data], pos)
        os.fdatasync(fd)
        d = time.perf_counter() - s
        lat.append(d * 1000)
        if d > 0.05:
            slow.append((round(time.time() - t0, 1), round(d * 1000)))
        pos += write_len
        if pos + write_len > size:
            pos = 0
        time.sleep(0.015)
finally:
    stop.set()
    if bg:
        bg.join()
    os.close(fd)
    os.unlink(path)

elapsed_ms = (time.time() - t0) * 1000
s = sorted(lat)
n = len(s)
x = 0
while sum(max(0.0, d - x) for d in lat) / elapsed_ms > 0.01:
    x += 1
print(
    f"{mode}{' + background 8 MiB O_DIRECT writes' if background else ''}, {seconds:.0f} s: "
    f"{n} fdatasync calls, p50 {s[n // 2]:.2f} p99 {s[int(n * 0.99)]:.2f} "
    f"p99.9 {s[int(n * 0.999)]:.1f} max {s[-1]:.1f} ms; over 50 ms (s into the run, ms): {slow}; "
    f"estimated record p99 {x} ms"
)
