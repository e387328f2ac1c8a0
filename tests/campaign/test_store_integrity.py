"""What nothing may do to a campaign store: a second writer, foreign or damaged journal files,
flipped bits in the HDF5 file, full disks, planted links, other numerics, fewer realisations."""

import errno
import io
import json
import os
import shutil
import subprocess
import sys
import textwrap

import h5py
import numpy as np
import pytest
from test_store import (
    ALL,
    CONFIG,
    HASH,
    POINTS,
    abandon,
    assert_same_h5,
    check_point,
    make_record,
    open_store,
    reference_store,
)

import mblkit.campaign.store.files as files_module
from mblkit.campaign.store import CampaignStore, StoreError, StoreMismatchError
from mblkit.campaign.store.layout import DamagedStoreError
from mblkit.campaign.store.lock import StoreLockedError

# --------------------------------------------------------------------------- one writer


HOLDER = textwrap.dedent('''
    import sys, time
    from mblkit.campaign.store import CampaignStore
    store = CampaignStore.open(sys.argv[1], "[c]", "cafe0123", [{"L": 8, "W": 1.5},
                               {"L": 10, "W": [2.0, 3.0]}], {})
    print("LOCKED", flush=True)
    time.sleep(60)
''')


def test_second_writer_is_refused_naming_the_first_and_a_killed_holder_frees_the_lock(
        tmp_path):
    path = tmp_path / "s.h5"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "LOCKED"
        with pytest.raises(StoreLockedError) as info:
            open_store(path)
        message = str(info.value)
        assert f"pid {holder.pid}" in message and "host" in message and "started" in message
        assert "status, summary and plot work meanwhile" in message
        assert CampaignStore.read(path).completed(0) == set()  # readers are not locked out
    finally:
        holder.kill()  # SIGKILL: no chance to release anything
        holder.wait()
    with open_store(path) as store:  # the kernel released the dead holder's lock
        store.commit(0, 0, make_record(0, 0))
    assert CampaignStore.read(path).completed(0) == {0}


def test_one_writer_per_store_within_a_process_too(tmp_path):
    path = tmp_path / "s.h5"
    store = open_store(path)
    with pytest.raises(StoreLockedError, match="already open for writing in this process"):
        open_store(path)
    store.close()
    open_store(path).close()  # closing released it


def test_forked_children_do_not_keep_the_lock(tmp_path):
    path = tmp_path / "s.h5"
    store = open_store(path)
    ready, tell = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child sleeps holding copies of every descriptor the parent had
        import time
        os.write(tell, b"x")   # the at-fork hook has run by the time the child runs this
        time.sleep(3)
        os._exit(0)
    os.read(ready, 1)          # a loaded machine may not schedule the child at once
    os.close(ready)
    os.close(tell)
    try:
        store.close()
        open_store(path).close()  # the child's copy of the descriptor was closed at fork
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)


def test_a_symlinked_lock_file_is_refused(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    os.symlink(victim, tmp_path / "s.h5.lock")
    with pytest.raises(StoreError, match="symbolic link"):
        open_store(tmp_path / "s.h5")
    assert victim.read_text() == "precious"


# --------------------------------------------------------------------------- journal marks


def _journal_file(store, p, i):
    return store.journal_dir / f"p{p:05d}_r{i:07d}.npz"


def test_journal_record_of_another_campaign_is_refused_not_merged(tmp_path):
    other = tmp_path / "other.h5"
    with CampaignStore.open(other, CONFIG, "beef0000", POINTS, {}) as foreign:
        foreign.commit(0, 3, make_record(0, 3))
        stolen = _journal_file(foreign, 0, 3).read_bytes()
    path = tmp_path / "s.h5"
    store = open_store(path)
    store.commit(0, 1, make_record(0, 1))
    abandon(store)  # a kill, leaving the journal
    _journal_file(store, 0, 3).write_bytes(stolen)
    with pytest.raises(StoreError, match="belongs to another campaign") as info:
        open_store(path)
    assert "p00000_r0000003.npz" in str(info.value) and "move it out" in str(info.value)
    reader = CampaignStore.read(path)
    with pytest.raises(StoreError, match="another campaign"):
        reader.load_point(0)
    assert any("another campaign" in m for m in reader.problems())


def test_journal_record_renamed_to_another_realisation_is_refused(tmp_path):
    path = tmp_path / "s.h5"
    store = open_store(path)
    store.commit(0, 1, make_record(0, 1))
    abandon(store)
    os.rename(_journal_file(store, 0, 1), _journal_file(store, 0, 2))
    with pytest.raises(StoreError, match="holds point 0, realisation 1"):
        open_store(path)


def test_damaged_journal_record_is_named(tmp_path):
    path = tmp_path / "s.h5"
    store = open_store(path)
    store.commit(1, 4, make_record(1, 4))
    abandon(store)
    file = _journal_file(store, 1, 4)
    data = bytearray(file.read_bytes())
    data[len(data) // 2] ^= 0x10  # one flipped bit inside an array: the zip CRC catches it
    file.write_bytes(bytes(data))
    reader = CampaignStore.read(path)
    with pytest.raises(StoreError, match=r"p00001_r0000004\.npz is damaged"):
        reader.load_point(1)
    assert [m for m in reader.problems() if "p00001_r0000004.npz is damaged" in m]


def test_a_journal_record_deleted_during_the_run_does_not_stop_the_merge(tmp_path):
    path = tmp_path / "s.h5"
    store = open_store(path)
    for p, i in [(0, 0), (0, 1), (1, 0)]:
        store.commit(p, i, make_record(p, i))
    _journal_file(store, 0, 1).unlink()  # someone deletes a committed record
    store.close()
    assert store.lost == [(0, 1)]
    reader = CampaignStore.read(path)
    check_point(reader.load_point(0), 0, [0])
    check_point(reader.load_point(1), 1, [0])


# --------------------------------------------------------------------------- checksums


def _flip_one_bit(path, dataset):
    with h5py.File(path, "r") as f:
        offset = f[dataset].id.get_offset()
        assert offset is not None, dataset  # contiguous storage: the bytes lie at offset
    data = bytearray(path.read_bytes())
    data[offset + 3] ^= 0x04
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("dataset", ["points/p00001/scalars/gap_ratio",
                                     "points/p00001/histograms/log_g",
                                     "points/p00001/arrays/polarisation"])
def test_a_flipped_bit_in_the_data_is_caught_naming_the_point(tmp_path, dataset):
    path = reference_store(tmp_path / "s.h5")
    _flip_one_bit(path, dataset)
    reader = CampaignStore.read(path)
    check_point(reader.load_point(0), 0, range(10))  # the other point is intact
    with pytest.raises(DamagedStoreError) as info:
        reader.load_point(1)
    message = str(info.value)
    assert "point 1" in message and dataset.split("p00001/")[1] in message
    assert "mblkit repair" in message and info.value.point == 1
    with pytest.raises(DamagedStoreError):
        open_store(path)  # a writer refuses before any work
    assert len(reader.problems()) == 1
    assert CampaignStore.repair(path) == [1]  # empties point 1, keeps point 0
    reader = CampaignStore.read(path)
    assert reader.problems() == []
    check_point(reader.load_point(0), 0, range(10))
    assert reader.completed(1) == set()
    with open_store(path) as store:  # recompute point 1: the store equals an undamaged one
        for i in range(10):
            store.commit(1, i, make_record(1, i))
    assert_same_h5(path, reference_store(tmp_path / "ref.h5"))


def test_a_changed_parameter_attribute_is_caught(tmp_path):
    path = reference_store(tmp_path / "s.h5")
    with h5py.File(path, "r+") as f:
        f["points/p00000"].attrs["params"] = '{"L": 8, "W": 1.6}'
    with pytest.raises(DamagedStoreError, match="the header"):
        CampaignStore.read(path)


def test_every_dataset_carries_a_checksum(tmp_path):
    path = reference_store(tmp_path / "s.h5", failing=[(0, 2)])
    names = []
    with h5py.File(path, "r") as f:
        f.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
        missing = [n for n in names if "sha256" not in f[n].attrs]
    assert len(names) > 10 and missing == []


# --------------------------------------------------------------------------- temporaries


def test_a_planted_link_at_a_temporary_name_is_never_followed(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    path = tmp_path / "s.h5"
    links = ["s.h5.tmp", "s.h5.tmp-abc", "s.h5.journal/.tmp-abc.part"]
    with open_store(path) as store:  # links planted while the run writes
        for name in links:  # the old predictable name, a guess, a journal temporary
            os.symlink(victim, tmp_path / name)
        store.commit(0, 0, make_record(0, 0))
        store.consolidate()
        store.commit(0, 1, make_record(0, 1))
    assert victim.read_text() == "precious" and not os.path.islink(path)
    open_store(path).close()  # the next writer removes the links, never their target
    assert victim.read_text() == "precious"
    assert sorted(os.listdir(tmp_path)) == ["s.h5", "s.h5.journal", "s.h5.lock", "victim.txt"]
    assert os.listdir(tmp_path / "s.h5.journal") == []


def test_temporaries_have_unpredictable_names_and_the_store_keeps_its_mode(tmp_path,
                                                                          monkeypatch):
    seen = []
    real = files_module.tempfile.mkstemp

    def spy(*args, **kwargs):
        fd, name = real(*args, **kwargs)
        seen.append(os.path.basename(name))
        return fd, name

    monkeypatch.setattr(files_module.tempfile, "mkstemp", spy)
    path = tmp_path / "s.h5"
    with open_store(path) as store:
        store.commit(0, 0, make_record(0, 0))
        store.consolidate()
        path.chmod(0o640)
        store.commit(0, 1, make_record(0, 1))
    h5_temps = [n for n in seen if n.startswith("s.h5.tmp-")]
    assert len(h5_temps) == 3 and len(set(h5_temps)) == 3
    assert all(len(n) > len("s.h5.tmp-") + 5 for n in h5_temps)
    assert (path.stat().st_mode & 0o777) == 0o640


# --------------------------------------------------------------------------- full disks


class _FullDisk(io.RawIOBase):
    """A file that takes ``room`` bytes, then fails as a full disk does."""

    def __init__(self, fd, room, fdopen):
        self._file = fdopen(fd, "w+b", buffering=0)
        self.room = room

    def write(self, data):
        if self._file.tell() + len(data) > self.room:
            raise OSError(errno.ENOSPC, "No space left on device")
        return self._file.write(data)

    def fileno(self):
        return self._file.fileno()

    def seek(self, *args):
        return self._file.seek(*args)

    def tell(self):
        return self._file.tell()

    def read(self, *args):
        return self._file.read(*args)

    def readinto(self, buffer):
        return self._file.readinto(buffer)

    def truncate(self, *args):
        return self._file.truncate(*args)

    def flush(self):
        if not self._file.closed:
            self._file.flush()

    def readable(self):
        return True

    def writable(self):
        return True

    def seekable(self):
        return True

    def close(self):
        if not self.closed:
            super().close()
            self._file.close()


def _full_disk(monkeypatch, room):
    real = os.fdopen

    def fdopen(fd, mode="r", *args, **kwargs):
        return _FullDisk(fd, room, real) if mode == "w+b" else real(fd, mode, *args, **kwargs)

    monkeypatch.setattr(files_module.os, "fdopen", fdopen)


@pytest.mark.parametrize("room", [0, 2000, 20000, 60000])
def test_full_disk_while_writing_the_hdf5_file_keeps_everything(tmp_path, monkeypatch, room):
    path = tmp_path / "s.h5"
    store = open_store(path)
    for i in range(4):
        store.commit(0, i, make_record(0, i))
    store.consolidate()
    for i in range(4, 7):
        store.commit(1, i, make_record(1, i))
    before, journal = path.read_bytes(), sorted(os.listdir(store.journal_dir))
    _full_disk(monkeypatch, room)
    with pytest.raises(StoreError, match="disk is full") as info:
        store.consolidate()
    assert info.value.__cause__ is None and "\n" not in str(info.value)
    monkeypatch.undo()
    assert path.read_bytes() == before and sorted(os.listdir(store.journal_dir)) == journal
    assert sorted(os.listdir(tmp_path)) == ["s.h5", "s.h5.journal", "s.h5.lock"]
    store.close()
    check_point(CampaignStore.read(path).load_point(1), 1, [4, 5, 6])


def test_full_disk_at_store_creation_leaves_nothing_half_made(tmp_path, monkeypatch):
    _full_disk(monkeypatch, 1000)
    with pytest.raises(StoreError, match="disk is full: could not create the campaign store"):
        open_store(tmp_path / "s.h5")
    monkeypatch.undo()
    assert [n for n in os.listdir(tmp_path) if n != "s.h5.lock"] == []
    open_store(tmp_path / "s.h5").close()  # and the lock was released


def test_h5py_runtime_errors_of_a_full_disk_are_mapped(tmp_path, monkeypatch):
    import mblkit.campaign.store.core as core_module

    store = open_store(tmp_path / "s.h5")
    store.commit(0, 0, make_record(0, 0))

    def failing(*args, **kwargs):
        raise RuntimeError("Can't decrement id ref count (file write failed: time = x, "
                           "errno = 28, error message = 'No space left on device')")

    monkeypatch.setattr(core_module, "write_h5", failing)
    with pytest.raises(StoreError, match="disk is full"):
        store.consolidate()
    monkeypatch.undo()
    store.close()


def _tmpfs(path, size):
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a tmpfs needs root")
    path.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                          capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")


def test_a_really_full_disk_at_every_stage_then_resume_equals_uninterrupted(tmp_path):
    """A 1 MiB tmpfs filled to several levels: every failure is one StoreError, no temporary is
    left, and after freeing the space the resumed store equals an uninterrupted one."""
    disk = tmp_path / "disk"
    _tmpfs(disk, "1m")
    try:
        ref = reference_store(tmp_path / "ref.h5")
        stages = set()
        for free_kb in (1, 30, 60, 120, 250, 400):
            for name in os.listdir(disk):
                (shutil.rmtree if (disk / name).is_dir() else os.unlink)(disk / name)
            filler = disk / "filler"
            filler.write_bytes(b"")
            while shutil.disk_usage(disk).free > free_kb * 1024:
                with open(filler, "ab") as f:
                    f.write(b"\0" * min(4096, shutil.disk_usage(disk).free - free_kb * 1024))
            path = disk / "s.h5"
            try:
                with open_store(path) as store:
                    for p, i in ALL:
                        store.commit(p, i, make_record(p, i))
                        if i % 4 == 3:
                            store.consolidate()
                stages.add("none")
            except StoreError as err:
                assert "disk is full" in str(err) and "\n" not in str(err)
                stages.add(str(err).split("could not ")[1].split(" ")[0])
            assert not [n for n in os.listdir(disk) if ".tmp" in n]
            filler.unlink()
            if path.exists():
                with open_store(path) as store:
                    for p, i in ALL:
                        if i not in store.completed(p):
                            store.commit(p, i, make_record(p, i))
                assert_same_h5(path, ref)
        assert {"create", "commit", "consolidate"} <= stages, stages
    finally:
        subprocess.run(["umount", str(disk)], check=False)


# --------------------------------------------------------------------------- identity


def test_other_numerics_are_refused_naming_them(tmp_path):
    path = tmp_path / "s.h5"
    with open_store(path, numerics={"blas_threads": 1}) as store:
        store.commit(0, 0, make_record(0, 0))
    before = path.read_bytes()
    with pytest.raises(StoreMismatchError, match=r"blas_threads = 1 \(this run: 4\)"):
        open_store(path, numerics={"blas_threads": 4})
    assert path.read_bytes() == before
    open_store(path, numerics={"blas_threads": 1}).close()
    assert CampaignStore.read(path).numerics == {"blas_threads": 1}


def test_fewer_realisations_than_stored_are_refused_and_the_text_kept(tmp_path):
    path = tmp_path / "s.h5"
    with open_store(path) as store:
        for i in range(12):
            store.commit(0, i, make_record(0, i))
    before = path.read_bytes()
    with pytest.raises(StoreMismatchError, match="realisations = 4 is below") as info:
        CampaignStore.open(path, CONFIG.replace("7", "8"), HASH, POINTS, {}, realisations=4)
    assert "realisations >= 12" in str(info.value)
    assert path.read_bytes() == before
    CampaignStore.open(path, CONFIG, HASH, POINTS, {}, realisations=12).close()


def test_a_store_of_format_1_is_read_but_not_resumed(tmp_path):
    path = reference_store(tmp_path / "s.h5")
    with h5py.File(path, "r+") as f:  # what mblkit 0.1 wrote: no checksums, version 1
        f.attrs["format_version"] = np.int64(1)
        del f.attrs["header_sha256"], f.attrs["numerics"]
        f.visititems(lambda n, o: o.attrs.__delitem__("sha256")
                     if isinstance(o, h5py.Dataset) else None)
    reader = CampaignStore.read(path)
    assert reader.format_version == 1
    check_point(reader.load_point(1), 1, range(10))
    with pytest.raises(StoreError, match="older mblkit"):
        open_store(path)


def test_lock_file_describes_the_writer(tmp_path):
    path = tmp_path / "s.h5"
    with open_store(path):
        info = json.loads((tmp_path / "s.h5.lock").read_text())
    assert info["pid"] == os.getpid() and info["host"] and info["started"] > 0
