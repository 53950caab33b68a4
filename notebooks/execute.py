"""Run the notebooks top to bottom from a fresh kernel and save executed copies, with their
figures, to ``outputs/notebooks/`` (the committed notebooks stay without outputs).

    .venv/bin/python notebooks/execute.py            # every notebook, full size
    .venv/bin/python notebooks/execute.py 1_why_benefits_take_time.ipynb --small
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "outputs" / "notebooks"


def execute(path: Path, small: bool = False, timeout_s: int = 600) -> nbformat.NotebookNode:
    """Execute the notebook at ``path`` in a fresh ``python3`` kernel; return it with outputs.

    ``small``: set ``SIM_NOTEBOOK_SMALL=1`` so the notebook runs at test size.
    """
    notebook = nbformat.read(path, as_version=4)
    env = dict(os.environ, SIM_NOTEBOOK_SMALL="1" if small else "0")
    client = NotebookClient(notebook, timeout=timeout_s, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute(env=env)  # the kernel's environment
    return notebook


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="notebook file names (default: all)")
    parser.add_argument("--small", action="store_true", help="test size (SIM_NOTEBOOK_SMALL=1)")
    args = parser.parse_args()
    paths = [HERE / name for name in args.names] or sorted(HERE.glob("*.ipynb"))
    OUT.mkdir(parents=True, exist_ok=True)
    for path in paths:
        start = time.perf_counter()
        notebook = execute(path, small=args.small)
        nbformat.write(notebook, OUT / path.name)
        print(f"{path.name}: {time.perf_counter() - start:.0f} s -> {OUT / path.name}")


if __name__ == "__main__":
    main()
