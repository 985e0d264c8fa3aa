"""CPU time and memory of a process with its descendants: a worker's share must count."""
import os
import subprocess
import sys
import time

from rnnlab import proctree

# A child that starts a grandchild; the grandchild burns CPU, holds memory, then waits.
GRANDCHILD = ("import time\nblock = bytearray(200_000_000)\nblock[::4096] = b'x' * len(block[::4096])\n"
              "while time.process_time() < 0.6: pass\nprint('ready', flush=True)\ntime.sleep(120)\n")
CHILD = ("import subprocess, sys\np = subprocess.Popen([sys.executable, '-c', sys.argv[1]], stdout=sys.stdout)\n"
         "p.wait()\n")


def wait_for(proc, pattern: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    line = ""
    while time.monotonic() < deadline and pattern not in line:
        line = proc.stdout.readline()
    assert pattern in line, "the grandchild never got ready"


def test_a_grandchild_counts_in_cpu_time_and_memory_and_after_it_ended():
    own_cpu, own_rss = proctree.cpu_seconds(os.getpid()), proctree.rss_bytes(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", CHILD, GRANDCHILD], stdout=subprocess.PIPE, text=True)
    try:
        wait_for(child, "ready")
        below = proctree.descendants(os.getpid())
        assert child.pid in below and len(below) >= 2, below
        assert proctree.cpu_seconds(os.getpid()) - own_cpu >= 0.5
        assert proctree.rss_bytes(os.getpid()) - own_rss >= 150_000_000
        assert proctree.rss_bytes(child.pid) >= 150_000_000       # the child's own RSS is small: its grandchild's
    finally:
        for pid in proctree.descendants(child.pid):
            os.kill(pid, 9)
        child.wait(timeout=30)
    # Ended and waited for, their CPU time is in this process's children's time, still counted.
    assert proctree.cpu_seconds(os.getpid()) - own_cpu >= 0.5
