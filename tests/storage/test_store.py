"""sim/storage: run files are flushed to disk before they count, read back whole to count as done,
and a store that cannot be written is one clear line."""

from __future__ import annotations

import os

import pandas as pd
import pytest

from sim.storage import files
from sim.storage.store import Store, StoreError


def write_a_run(store: Store, run_id: str = "baseline-s0000-abc") -> pd.DataFrame:
    yearly = pd.DataFrame({"year": [0, 1], "mean_outcome": [0.0, 0.5], "run_id": run_id})
    store.write_run(run_id, yearly, pd.DataFrame({"partnership_id": [1]}), {"run_id": run_id})
    return yearly


def test_write_atomic_flushes_the_file_and_its_directory_before_and_after_the_rename(
        tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync

    def record(fd):
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", record)
    target = tmp_path / "out" / "table.txt"
    files.write_atomic(target, lambda tmp: open(tmp, "w").write("whole"))
    assert target.read_text() == "whole"
    assert len(synced) == 2
    assert synced[0].startswith(str(target.parent / ".table.txt."))  # the file, under its temp name
    assert synced[1] == str(target.parent)  # then the directory holding the new name
    assert list(target.parent.iterdir()) == [target]


def test_a_run_counts_as_done_only_if_its_file_reads_back_whole(tmp_path):
    store = Store(tmp_path)
    yearly = write_a_run(store)
    write_a_run(store, "pathfinder-s0000-def")
    assert store.done_run_ids() == {"baseline-s0000-abc", "pathfinder-s0000-def"}
    pd.testing.assert_frame_equal(store.read_runs(["baseline-s0000-abc"]), yearly)
    assert store.read_manifest("baseline-s0000-abc") == {"run_id": "baseline-s0000-abc"}

    (store.runs / "baseline-s0000-abc.parquet").write_bytes(b"")  # zero bytes
    whole = (store.runs / "pathfinder-s0000-def.parquet").read_bytes()
    (store.runs / "pathfinder-s0000-def.parquet").write_bytes(whole[:-20])  # truncated footer
    (store.runs / "other-s0000-xyz.parquet").write_bytes(b"PAR1 not really")
    assert store.done_run_ids() == set()


def test_a_parquet_file_without_the_run_manifest_is_not_a_finished_run(tmp_path):
    store = Store(tmp_path)
    store.runs.mkdir(parents=True)
    pd.DataFrame({"year": [0]}).to_parquet(store.runs / "stray-s0000-abc.parquet")
    assert store.done_run_ids() == set()


def test_prepare_creates_the_folders_of_a_writable_store(tmp_path):
    store = Store(tmp_path / "a" / "b")
    store.prepare()
    assert all(folder.is_dir() for folder in (store.runs, store.partnerships, store.failed))
    assert not any(store.root.glob(".write-check*"))


@pytest.mark.parametrize("make", ["file_in_the_way", "name_too_long"])
def test_a_store_that_cannot_be_written_is_one_line_naming_it(tmp_path, make):
    if make == "file_in_the_way":
        (tmp_path / "results").write_text("a file")
        root = tmp_path / "results" / "sweep"
    else:
        root = tmp_path / ("x" * 300)
    with pytest.raises(StoreError, match="cannot write the results store") as error:
        Store(root).prepare()
    assert str(root) in str(error.value) and "\n" not in str(error.value)
