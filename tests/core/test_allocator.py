"""Importing the core fixes the allocator's thresholds, so a step's freed arrays are reused rather
than handed back to the system and faulted in again (sim.core.allocator)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sim.core.allocator import keep_freed_memory

# Frees a block that raises glibc's moving threshold, then 30 times over allocates, touches and
# frees 8 MB in 1 MB arrays; prints the page faults of the loop.
CHURN = """
import resource, sys
import numpy as np
if sys.argv[1] == "core":
    import sim.core
first = np.ones((3 << 20) // 8)
del first
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(30):
    arrays = [np.ones((1 << 20) // 8) for _ in range(8)]
    del arrays
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def page_faults(setting: str) -> int:
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", CHURN, setting], capture_output=True, text=True,
                         check=True, cwd=root, env={"PYTHONPATH": str(root)}).stdout
    return int(out)


@pytest.mark.skipif(not keep_freed_memory(), reason="needs glibc (Linux)")
def test_freed_arrays_are_reused_not_faulted_in_again_each_time():
    pages_8mb = (8 << 20) // 4096
    assert page_faults("plain") > 10 * pages_8mb  # glibc's default: the 8 MB comes back each time
    assert page_faults("core") < 2 * pages_8mb  # with the core imported: once
