#!/usr/bin/env python3
"""How much memory one build takes from the machine: runs a command and samples, four times a
second, every process it started (the build, its forked workers, Pagefind) from Linux's /proc.

    .venv/bin/python benchmarks/memory.py .venv/bin/ocop build --site SITE --output OUT --today 2026-11-28

Prints the peak of the processes' summed PSS (proportional set size: a page shared by forked
workers counts once in the sum, not once in each), when it happened, and the peak RSS of the
largest processes (what GNU time's "maximum resident set size" reports for the largest one), and
each process's PSS at the moment of the peak.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time


def descendants(pid: int) -> list[int]:
    found = [pid]
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                for child in f.read().split():
                    found += descendants(int(child))
    except OSError:
        pass
    return found


def memory(pid: int) -> tuple[int, int, str]:
    """(RSS KiB, PSS KiB, command line) of a process; zeros when it has ended."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            fields = {line.split(":")[0]: int(line.split()[1]) for line in f if line.split()[1].isdigit()}
        with open(f"/proc/{pid}/cmdline") as f:
            command = f.read().replace("\0", " ")[:60]
        return fields.get("Rss", 0), fields.get("Pss", 0), command
    except (OSError, IndexError):
        return 0, 0, ""


def main() -> None:
    started = time.monotonic()
    process = subprocess.Popen(sys.argv[1:])
    peak_sum, peak_at, peaks, at_peak = 0, 0.0, {}, []
    while process.poll() is None:
        total, now = 0, []
        for pid in descendants(process.pid):
            rss, pss, command = memory(pid)
            total += pss
            now.append((pss, pid, command))
            if rss > peaks.get(pid, (0, ""))[0]:
                peaks[pid] = (rss, command)
        if total > peak_sum:
            peak_sum, peak_at, at_peak = total, time.monotonic() - started, now
        time.sleep(0.25)
    print(f"exit {process.returncode} after {time.monotonic() - started:.1f} s; "
          f"peak of all processes together (PSS): {peak_sum // 1024} MiB at {peak_at:.0f} s")
    for pid, (rss, command) in sorted(peaks.items(), key=lambda item: -item[1][0])[:5]:
        print(f"  {rss // 1024:6d} MiB RSS  pid {pid}  {command}")
    print("at the peak:")
    for pss, pid, command in sorted(at_peak, reverse=True):
        print(f"  {pss // 1024:6d} MiB PSS  pid {pid}  {command}")


if __name__ == "__main__":
    main()
