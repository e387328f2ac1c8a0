"""The crash-safe campaign store: round trips, determinism, kills, failures and bad files."""

import errno
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from mblkit import __version__
from mblkit.campaign.store import (
    CampaignStore,
    Record,
    StoreError,
    StoreMismatchError,
)

# Shared with the child processes of the kill test: a record is a pure function of (p, i).
RECORD_SOURCE = '''
import numpy as np

CONFIG = "[campaign]\\nname = 'test'\\nseed = 7\\n"
HASH = "cafe0123"
POINTS = [{"L": 8, "W": 1.5}, {"L": 10, "W": [2.0, 3.0]}]
META = {"command": "mblkit run test.toml"}
HIST_BINS = 4000


def make_record(p, i):
    rng = np.random.default_rng([7, p, i])
    L = 3 + p
    return {
        "scalars": {"gap_ratio": rng.uniform(), "purity": rng.uniform(0.5, 1.0)},
        "arrays": {"polarisation": rng.normal(size=L),
                   "pairs": rng.integers(0, 9, size=(2, 2))},
        "histograms": {"log_g": rng.integers(0, 50, size=HIST_BINS),
                       "tiny": np.array([i, 1], dtype=np.int32)},
        "seed": {"entropy": 7, "spawn_key": [p, i], "size": L},
    }
'''
_SHARED: dict = {}
exec(RECORD_SOURCE, _SHARED)
CONFIG, HASH, POINTS, META, make_record = (
    _SHARED[name] for name in ("CONFIG", "HASH", "POINTS", "META", "make_record"))

REALISATIONS = 10
ALL = [(p, i) for p in range(2) for i in range(REALISATIONS)]


def open_store(path, points=None, config_hash=None, **kwargs):
    return CampaignStore.open(path, CONFIG, config_hash or HASH, points or POINTS, META, **kwargs)


def abandon(store):
    """Drop a writable store as a killed process would: the lock freed, nothing consolidated."""
    store._lock.release()
    store._closed = True


def h5_contents(path):
    """Every attribute and dataset of an HDF5 file, as {name: (kind, value)}."""
    out = {}

    def visit(name, obj):
        for key, value in obj.attrs.items():
            out[f"{name}@{key}"] = value
        if isinstance(obj, h5py.Dataset):
            out[name] = (obj.dtype.str, obj.shape, obj[()])
        else:
            out[name] = "group"

    with h5py.File(path, "r") as f:
        visit("/", f)
        f.visititems(visit)
    return out


def assert_same_h5(a, b):
    ca, cb = h5_contents(a), h5_contents(b)
    assert sorted(ca) == sorted(cb)
    for key in ca:
        va, vb = ca[key], cb[key]
        if isinstance(va, tuple):
            assert va[:2] == vb[:2], key
            if va[2].dtype == object:  # variable-length strings
                assert list(va[2]) == list(vb[2]), key
            else:
                assert va[2].tobytes() == vb[2].tobytes(), key
        elif isinstance(va, np.ndarray | np.generic):
            assert np.array_equal(va, vb), key
        else:
            assert va == vb, key


def reference_store(path, failing=()):
    """All records committed in sorted order, consolidated once."""
    with open_store(path) as store:
        for p, i in ALL:
            if (p, i) in failing:
                store.record_failure(p, i, "diverged")
            else:
                store.commit(p, i, make_record(p, i))
    return path


def check_point(results, p, realisations):
    realisations = sorted(realisations)
    records = [make_record(p, i) for i in realisations]
    assert results.params == POINTS[p]
    assert results.realisations.dtype == np.int64
    np.testing.assert_array_equal(results.realisations, realisations)
    if not realisations:
        assert results.scalars == {} and results.histograms == {}
        return
    for name in ("gap_ratio", "purity"):
        np.testing.assert_array_equal(results.scalars[name],
                                      [r["scalars"][name] for r in records])
    for name in ("polarisation", "pairs"):
        np.testing.assert_array_equal(results.arrays[name],
                                      np.stack([r["arrays"][name] for r in records]))
    for name in ("log_g", "tiny"):
        assert results.histograms[name].dtype == np.int64
        np.testing.assert_array_equal(results.histograms[name],
                                      np.sum([r["histograms"][name] for r in records], axis=0))
    assert results.seeds == [r["seed"] for r in records]


# --------------------------------------------------------------------------- round trip


def test_round_trip_is_independent_of_commit_order_and_consolidations(tmp_path):
    ref = reference_store(tmp_path / "ref.h5")
    order = list(ALL)
    np.random.default_rng(3).shuffle(order)
    path = tmp_path / "shuffled.h5"
    with open_store(path) as store:
        for k, (p, i) in enumerate(order):
            store.commit(p, i, Record(**make_record(p, i)))
            if k == 4:
                store.consolidate()
                assert len(os.listdir(store.journal_dir)) == 0
            if k == 7:  # HDF5 rows and journal records together
                for q in range(2):
                    done = {i for (pp, i) in order[:k + 1] if pp == q}
                    assert store.completed(q) == done
                    check_point(store.load_point(q), q, done)
    assert os.listdir(str(path) + ".journal") == []
    assert_same_h5(path, ref)

    store = CampaignStore.read(path)
    assert store.n_points == 2 and store.point_params(1) == POINTS[1]
    assert store.config_text == CONFIG and store.config_hash == HASH
    assert store.metadata["mblkit_version"] == __version__
    assert store.metadata["command"] == META["command"] and "h5py" in store.metadata
    for p in range(2):
        check_point(store.load_point(p), p, range(REALISATIONS))
    with h5py.File(path, "r") as f:
        assert f.attrs["format"] == "mblkit-campaign" and f.attrs["format_version"] == 4
        assert f["points/p00001/arrays/polarisation"].shape == (REALISATIONS, 4)
        assert f["points/p00000/histograms/log_g"].dtype == np.int64


def test_new_store_lists_points_without_results_and_read_sees_the_journal(tmp_path):
    path = tmp_path / "s.h5"
    store = open_store(path)
    assert path.is_file() and store.failures() == []
    check_point(CampaignStore.read(path).load_point(1), 1, [])
    store.commit(1, 3, make_record(1, 3))
    reader = CampaignStore.read(path)
    assert reader.completed(1) == {3} and reader.completed(0) == set()
    check_point(reader.load_point(1), 1, [3])
    with pytest.raises(StoreError, match="read-only"):
        reader.commit(1, 4, make_record(1, 4))
    assert os.listdir(store.journal_dir) == ["p00001_r0000003.npz"]  # read() moved nothing
    with h5py.File(path, "r") as f:
        assert f["points/p00000"].attrs["params"] == '{"L": 8, "W": 1.5}'
        assert f["points/p00001/realisations"].shape == (0,)


def test_duplicated_journal_record_is_not_counted_twice(tmp_path):
    path = tmp_path / "s.h5"
    store = open_store(path)
    for p, i in [(0, 1), (0, 4), (1, 2)]:
        store.commit(p, i, make_record(p, i))
    saved = tmp_path / "saved"
    shutil.copytree(store.journal_dir, saved)
    store.close()
    shutil.copy(path, tmp_path / "before.h5")
    # a kill after the HDF5 replace but before the journal deletions leaves the records behind
    for name in os.listdir(saved):
        shutil.copy(saved / name, store.journal_dir / name)
    store = open_store(path)
    assert store.completed(0) == {1, 4} and store.completed(1) == {2}
    check_point(store.load_point(0), 0, [1, 4])
    with pytest.raises(StoreError, match="already stored"):
        store.commit(0, 4, make_record(0, 4))
    store.close()
    assert os.listdir(store.journal_dir) == []
    assert_same_h5(path, tmp_path / "before.h5")
    check_point(CampaignStore.read(path).load_point(0), 0, [1, 4])


def test_records_are_validated(tmp_path):
    store = open_store(tmp_path / "s.h5")
    store.commit(0, 0, make_record(0, 0))
    bad = make_record(0, 1)
    bad["arrays"]["polarisation"] = np.zeros(5)
    with pytest.raises(ValueError, match="polarisation"):
        store.commit(0, 1, bad)
    bad = make_record(0, 1)
    bad["histograms"]["log_g"] = bad["histograms"]["log_g"].astype(float)
    with pytest.raises(ValueError, match="integer counts"):
        store.commit(0, 1, bad)
    with pytest.raises(ValueError, match="out of range"):
        store.commit(2, 0, make_record(0, 0))
    store.close()
    bad = make_record(0, 1)
    del bad["scalars"]["purity"]
    with pytest.raises(ValueError, match="scalars"):
        open_store(tmp_path / "s.h5").commit(0, 1, bad)


# --------------------------------------------------------------------------- failures


def test_failures_are_kept_until_the_realisation_succeeds(tmp_path):
    path = tmp_path / "s.h5"
    store = open_store(path)
    store.record_failure(0, 1, "ARPACK did not converge")
    store.record_failure(1, 2, "residual 1e-3 too large")
    assert store.failures() == [(0, 1, "ARPACK did not converge"),
                                (1, 2, "residual 1e-3 too large")]
    store.consolidate()
    assert CampaignStore.read(path).failures() == store.failures()
    store.commit(0, 1, make_record(0, 1))
    store.record_failure(1, 2, "failed again")
    assert store.failures() == [(1, 2, "failed again")]
    assert CampaignStore.read(path).failures() == [(1, 2, "failed again")]
    with pytest.raises(StoreError, match="already stored"):
        store.record_failure(0, 1, "late")
    store.close()
    assert CampaignStore.read(path).failures() == [(1, 2, "failed again")]
    with h5py.File(path, "r") as f:
        np.testing.assert_array_equal(f["failures/point"][()], [1])
        np.testing.assert_array_equal(f["failures/realisation"][()], [2])
        assert list(f["failures/message"].asstr()[()]) == ["failed again"]


# --------------------------------------------------------------------------- bad files


def valid_store_bytes(tmp_path):
    (tmp_path / "valid").mkdir()
    return reference_store(tmp_path / "valid" / "s.h5").read_bytes()


@pytest.mark.parametrize("kind", ["text", "random", "truncated", "foreign_hdf5"])
def test_foreign_or_damaged_file_is_refused_and_untouched(tmp_path, kind):
    path = tmp_path / "out.h5"
    if kind == "text":
        path.write_text("[campaign]\nname = 'oops, a config'\n")
    elif kind == "random":
        path.write_bytes(np.random.default_rng(1).bytes(5000))
    elif kind == "truncated":
        path.write_bytes(valid_store_bytes(tmp_path)[:100])
    else:
        with h5py.File(path, "w") as f:
            f["x"] = np.arange(3)
    content = path.read_bytes()
    for attempt in (lambda: open_store(path), lambda: CampaignStore.read(path)):
        with pytest.raises(StoreError, match="is not an mblkit campaign store") as info:
            attempt()
        assert str(path) in str(info.value)
        assert path.read_bytes() == content
    assert not [n for n in os.listdir(tmp_path) if n.startswith("out.h5.")]


def test_config_mismatch_is_refused_and_untouched(tmp_path):
    path = reference_store(tmp_path / "s.h5")
    content = path.read_bytes()
    with pytest.raises(StoreMismatchError, match="another config") as info:
        open_store(path, config_hash="beef")
    assert "restore" in str(info.value) and "another output path" in str(info.value)
    with pytest.raises(StoreMismatchError, match="parameter points"):
        open_store(path, points=POINTS[:1])
    assert path.read_bytes() == content


def test_unwritable_location_is_refused_at_open(tmp_path, monkeypatch):
    with pytest.raises(StoreError, match="does not exist"):
        open_store(tmp_path / "missing" / "s.h5")
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreError, match="not a directory"):
        open_store(tmp_path / "file" / "s.h5")
    (tmp_path / "ro").mkdir()
    path = reference_store(tmp_path / "ro" / "s.h5")
    content = path.read_bytes()
    if os.geteuid() != 0:
        (tmp_path / "ro").chmod(0o555)
    else:  # root writes anywhere: make the OS refuse new files in that directory
        real_open = os.open

        def refusing_open(file, flags, *args, **kwargs):
            if Path(file).parent == tmp_path / "ro" and flags & os.O_CREAT:
                raise PermissionError(errno.EACCES, "Permission denied", str(file))
            return real_open(file, flags, *args, **kwargs)

        monkeypatch.setattr(os, "open", refusing_open)
    try:
        with pytest.raises(StoreError, match="not writable"):
            open_store(path)
        with pytest.raises(StoreError, match="not writable"):
            open_store(tmp_path / "ro" / "new.h5")
    finally:
        (tmp_path / "ro").chmod(0o755)
    assert path.read_bytes() == content
    assert sorted(os.listdir(tmp_path / "ro")) == ["s.h5", "s.h5.journal", "s.h5.lock"]


def test_orphan_journal_is_refused(tmp_path):
    path = tmp_path / "s.h5"
    store = open_store(path)
    store.commit(0, 0, make_record(0, 0))
    abandon(store)
    path.unlink()
    with pytest.raises(StoreError, match="journal"):
        open_store(path)


def test_full_disk_keeps_everything_committed_before(tmp_path, monkeypatch):
    path = tmp_path / "s.h5"
    store = open_store(path)
    store.commit(0, 0, make_record(0, 0))
    store.consolidate()
    store.commit(0, 1, make_record(0, 1))
    h5_before = path.read_bytes()
    journal_before = sorted(os.listdir(store.journal_dir))

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(StoreError, match="disk is full") as info:
        store.commit(0, 2, make_record(0, 2))
    assert "everything committed before is kept" in str(info.value).lower()
    monkeypatch.undo()

    real_create = h5py.Group.create_dataset

    def full_while_writing(self, name, *args, **kwargs):
        if name == "histograms" or str(name).startswith("log_g"):
            raise OSError(errno.ENOSPC, "Can't write data (file write failed: errno = 28, "
                                        "error message = 'No space left on device')")
        return real_create(self, name, *args, **kwargs)

    monkeypatch.setattr(h5py.Group, "create_dataset", full_while_writing)
    with pytest.raises(StoreError, match="disk is full"):
        store.consolidate()
    monkeypatch.undo()

    assert path.read_bytes() == h5_before
    assert sorted(os.listdir(store.journal_dir)) == journal_before
    assert sorted(os.listdir(tmp_path)) == ["s.h5", "s.h5.journal", "s.h5.lock"]
    assert store.completed(0) == {0, 1}
    store.commit(0, 2, make_record(0, 2))
    store.close()
    check_point(CampaignStore.read(path).load_point(0), 0, [0, 1, 2])


# --------------------------------------------------------------------------- SIGKILL


CHILD_SOURCE = RECORD_SOURCE + textwrap.dedent('''
    import os, sys, time
    import h5py
    from mblkit.campaign.store import CampaignStore

    path, stop_at = sys.argv[1], sys.argv[2]
    ORDER, FAILING = eval(sys.argv[3]), eval(sys.argv[4])
    counts = {}

    def event(kind):
        counts[kind] = counts.get(kind, 0) + 1
        tag = f"{kind}:{counts[kind]}"
        print(tag, flush=True)
        if tag == stop_at:
            print("WAIT", flush=True)
            time.sleep(60)

    real_replace, real_unlink = os.replace, os.unlink
    real_create = h5py.Group.create_dataset

    def replace(src, dst, *args, **kwargs):
        kind = "h5replace" if str(dst).endswith(".h5") else "jreplace"
        event(kind + "-before")
        real_replace(src, dst, *args, **kwargs)
        event(kind + "-after")

    def unlink(file, *args, **kwargs):
        real_unlink(file, *args, **kwargs)
        if str(file).endswith((".npz", ".json")):
            event("unlink")

    def create_dataset(self, *args, **kwargs):
        result = real_create(self, *args, **kwargs)
        event("dataset")
        return result

    os.replace, os.unlink, h5py.Group.create_dataset = replace, unlink, create_dataset

    store = CampaignStore.open(path, CONFIG, HASH, POINTS, META)
    print("START", flush=True)
    n = 0
    for p, i in ORDER:
        if i in store.completed(p):
            continue
        if (p, i) in FAILING:
            store.record_failure(p, i, "diverged")
        else:
            store.commit(p, i, make_record(p, i))
        n += 1
        if n % 3 == 0:
            store.consolidate()
    store.close()
    print("DONE", flush=True)
''')


def run_child(path, stop_at, order, failing):
    """Run the committing child; SIGKILL it at the event ``stop_at`` or after a delay."""
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD_SOURCE, str(path), stop_at, repr(order), repr(failing)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    try:
        if stop_at.startswith("after:"):
            while (line := proc.stdout.readline()) and line.strip() != "START":
                lines.append(line.strip())
            time.sleep(float(stop_at.split(":")[1]))
        else:
            while (line := proc.stdout.readline()) and line.strip() not in ("WAIT", "DONE"):
                lines.append(line.strip())
            lines.append(line.strip())
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
        _, err = proc.communicate()
    if stop_at.startswith("after:") or stop_at == "none":
        assert proc.returncode in (0, -signal.SIGKILL), err
    else:
        assert lines[-1] == "WAIT", (stop_at, lines, err)
        assert proc.returncode == -signal.SIGKILL
    return lines


def check_consistent(path, order, failing):
    """The stored realisations are exactly the successful ones of a prefix of ``order``."""
    store = open_store(path)
    done = {(p, i) for p in range(2) for i in store.completed(p)}
    prefixes = [{x for x in order[:k] if x not in failing} for k in range(len(order) + 1)]
    assert done in prefixes, done
    for p in range(2):
        check_point(store.load_point(p), p, [i for (q, i) in done if q == p])
    assert {(p, i) for p, i, _ in store.failures()} <= set(failing)
    assert not [n for n in os.listdir(store.journal_dir) if n.startswith(".tmp")]
    assert not [n for n in os.listdir(path.parent) if ".tmp" in n]
    abandon(store)
    return done


def finish_in_process(path, failing):
    with open_store(path) as store:
        for p, i in ALL:
            if i in store.completed(p):
                continue
            if (p, i) in failing:
                store.record_failure(p, i, "diverged")
            else:
                store.commit(p, i, make_record(p, i))


def test_sigkill_at_any_moment_loses_and_doubles_nothing(tmp_path):
    failing = [(1, 4)]
    order = list(ALL)
    np.random.default_rng(11).shuffle(order)
    ref = reference_store(tmp_path / "ref.h5", failing)
    path = tmp_path / "run" / "s.h5"
    path.parent.mkdir()
    stops = [
        "h5replace-before:1",  # creating the store: the first file is not in place yet
        "dataset:2",  # while writing the first file
        "jreplace-before:2",  # a journal file written but not renamed
        "dataset:25",  # in the middle of writing a consolidated file
        "h5replace-before:1",  # consolidated file complete, not yet renamed
        "h5replace-after:1",  # renamed, journal not yet emptied
        "unlink:2",  # journal partly emptied
        "after:0.01",  # at whatever moment these delays fall, in fresh stores
        "after:0.04",
        "after:0.1",
    ]
    seen = []
    for k, stop in enumerate(stops):
        if stop.startswith("after:"):
            path = tmp_path / f"timed{k}" / "s.h5"
            path.parent.mkdir()
        run_child(path, stop, order, failing)
        if not path.exists():  # killed before the store was created: nothing to check
            assert k < 2
            continue
        seen.append(check_consistent(path, order, failing))
        scratch = tmp_path / f"scratch{k}"
        shutil.copytree(path.parent, scratch)
        finish_in_process(scratch / "s.h5", failing)
        assert_same_h5(scratch / "s.h5", ref)
    assert len(seen) == len(stops) - 2 and len({frozenset(s) for s in seen}) >= 5
    run_child(path, "none", order, failing)
    assert os.listdir(str(path) + ".journal") == []
    assert_same_h5(path, ref)
