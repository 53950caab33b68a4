"""Keep freed memory for reuse between steps (issue 14: speed at national scale).

A step allocates and frees many arrays of a few hundred kilobytes to a few megabytes. glibc's
default thresholds move with the sizes freed, so a change that drops one large temporary can
make the allocator hand the heap's top back to the system after each step and fault it in
again on the next: at 24,000 schools that cost more than whole rules (five times the page
faults of the run before; `benchmarks/bench_model.py`). Fixed thresholds make the cost stable
whatever the arrays' sizes. Where arrays live, not what they hold: results are unchanged.
"""

from __future__ import annotations

import ctypes
import sys

MMAP_THRESHOLD_BYTES = 4 << 20  # a block this large comes straight from the system, and goes back
TRIM_THRESHOLD_BYTES = 32 << 20  # free memory at the heap's top kept for reuse, at most
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt's parameter numbers (glibc's malloc.h)


def keep_freed_memory() -> bool:
    """Fix glibc's allocation thresholds for this process; False where there is no glibc."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # another C library (e.g. musl)
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
                and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES))
