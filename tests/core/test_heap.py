"""core.faq.heap: freed build scratch must leave the process (checked in a fresh interpreter,
because the allocator setting is process-wide)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_SCRIPT = r"""
import sys
sys.path.insert(0, sys.argv[1])
import numpy as np
from core.faq.heap import keep_large_blocks_returnable
def rss_mb():
    with open("/proc/self/status") as fh:
        return next(int(l.split()[1]) for l in fh if l.startswith("VmRSS:")) / 1024
if sys.argv[2] == "tuned":
    assert keep_large_blocks_returnable()
big = np.ones(30 << 20, np.uint8); del big  # untuned, this raises glibc's mmap threshold to 30 MB
before = rss_mb()
blocks = [np.ones(2 << 20, np.uint8) for _ in range(40)]  # 80 MB of 2 MB arrays, like a build's scratch
pinned = [np.ones(4096, np.uint8) for _ in range(40)]
del blocks
print(rss_mb() - before)
"""


def _retained_mb(mode: str) -> float:
    out = subprocess.run([sys.executable, "-c", _SCRIPT, str(ROOT), mode], capture_output=True, text=True,
                         check=True)
    return float(out.stdout.strip())


def test_freed_multi_megabyte_arrays_leave_the_process() -> None:
    # untuned glibc keeps all 80 MB here
    assert _retained_mb("tuned") < 8
