"""The campaign store object: opening (with the writer lock), queries, commits and consolidation
(package docstring)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self, TypeVar

from mblkit.campaign.store.errors import StoreError, StoreMismatchError, disk_errors
from mblkit.campaign.store.files import (
    TMP_PREFIX,
    atomic_write,
    check_writable_dir,
    fsync_dir,
    remove_quietly,
    remove_temporaries,
    replace_file,
    unlink_if_present,
)
from mblkit.campaign.store.journal import (
    FAILURE_RE,
    RECORD_RE,
    check_record,
    decode_row,
    encode_failure,
    encode_row,
    failure_name,
    read_failure,
    record_name,
)
from mblkit.campaign.store.layout import (
    FORMAT_VERSION,
    PARAMETER_SEEDING_VERSION,
    DamagedStoreError,
    Header,
    default_metadata,
    read_failures,
    read_header,
    read_point,
    read_realisations,
    reading,
    write_h5,
)
from mblkit.campaign.store.lock import WriterLock
from mblkit.campaign.store.records import (
    PointData,
    PointResults,
    Record,
    Row,
    Schema,
    as_index,
    canonical_json,
    merge_rows,
    normalise_record,
)

_T = TypeVar("_T")


@dataclass
class Index:
    """Which realisations are where: HDF5 rows and failures, journal files."""

    stored: list[set[int]]
    stored_failures: dict[tuple[int, int], str]
    records: dict[tuple[int, int], Path] = field(default_factory=dict)
    failures: dict[tuple[int, int], tuple[Path, str]] = field(default_factory=dict)

    def completed(self, p: int) -> set[int]:
        return self.stored[p] | {i for (q, i) in self.records if q == p}

    def is_completed(self, p: int, i: int) -> bool:
        return i in self.stored[p] or (p, i) in self.records

    def open_failures(self) -> list[tuple[int, int, str]]:
        merged = dict(self.stored_failures)
        merged.update({key: msg for key, (_, msg) in self.failures.items()})
        return [(p, i, merged[(p, i)]) for (p, i) in sorted(merged)
                if not self.is_completed(p, i)]


def _numerics_difference(stored: str, given: str) -> str | None:
    """Which numerics (settings that change results bitwise) differ, in words."""
    a, b = json.loads(stored), json.loads(given)
    if a == b or not a:  # a store that recorded none (format 1) accepts any
        return None
    parts = [f"{key} = {a.get(key)!r} (this run: {b.get(key)!r})"
             for key in sorted(set(a) | set(b)) if a.get(key) != b.get(key)]
    return "; ".join(parts)


def _check_identity(path: Path, header: Header, config_hash: str, params: tuple[str, ...],
                    numerics: str) -> None:
    if header.version < 2:
        raise StoreError(f"the campaign store {path} was written by an older mblkit (store "
                         f"format {header.version}): this version reads it (status, summary, "
                         "plot, mblkit.open) but does not resume it; choose another output "
                         "path for a new run")
    if header.version < PARAMETER_SEEDING_VERSION:
        raise StoreError(f"the campaign store {path} has store format {header.version}, whose "
                         "realisations were seeded by the point's position in the grid; this "
                         f"mblkit (format {FORMAT_VERSION}) seeds them by the point's "
                         "parameters, so resuming would mix two seedings. It reads the store "
                         "(status, summary, plot, mblkit.open) but does not resume it; choose "
                         "another output path for a new run")
    if header.config_hash != config_hash:
        raise StoreMismatchError(
            f"the campaign store {path} was made from another config (config hash "
            f"{header.config_hash}, this config has {config_hash}); restore the config "
            "it was made from, or choose another output path")
    if header.params != params:
        raise StoreMismatchError(
            f"the campaign store {path} was made with other parameter points "
            f"({len(header.params)} points stored, {len(params)} given) although "
            "the config hash matches; restore the config it was made from, or choose "
            "another output path")
    difference = _numerics_difference(header.numerics, numerics)
    if difference:
        raise StoreMismatchError(
            f"the campaign store {path} was computed with {difference}. These settings change "
            "the numbers bitwise (LAPACK rounds differently with another thread count), so "
            "one store must not mix them: resume with the stored values, or choose another "
            "output path")


def _check_bins(path: Path, header: Header, bins: Sequence[str]) -> None:
    """A store never mixes histograms on different bins (e.g. after a default changed)."""
    if not header.bins or not bins or tuple(bins) == header.bins:
        return
    for p, (old, new) in enumerate(zip(header.bins, bins, strict=False)):
        a, b = json.loads(old), json.loads(new)
        names = sorted(n for n in set(a) | set(b) if a.get(n) != b.get(n))
        if names:
            raise StoreMismatchError(
                f"the campaign store {path} holds histograms {names} of point {p} on other "
                "bins than this mblkit would fill (a default changed?): adding counts on "
                "other bins would be wrong; run the mblkit version that wrote it (see "
                "mblkit.open(store).attrs['provenance']), or choose another output path")


class CampaignStore:
    """Crash-safe store of a campaign's results: an HDF5 file plus a journal (package docstring).

    Make one with :meth:`open` (the driver, for writing: it holds the store's lock until
    :meth:`close`) or :meth:`read` (read-only, e.g. for ``status`` and ``summary``; no lock, works
    alongside a writer). Used as a context manager, leaving it consolidates the journal.
    """

    def __init__(self, path: Path, header: Header, *, writable: bool,
                 lock: WriterLock | None = None) -> None:
        """Internal: use :meth:`open` or :meth:`read`."""
        self._path = path
        self._journal = Path(str(path) + ".journal")
        self._header = header
        self._writable = writable
        self._lock = lock
        self._closed = False
        self._schemas: dict[int, Schema] = {}
        self._cache: Index | None = None
        self._lost: list[tuple[int, int]] = []
        #: the writer's copy of the file's rows, verified once (it is the only writer)
        self._rows: tuple[list[PointData], dict[tuple[int, int], str]] | None = None
        self._dirty = False  # the header changed (note_run) and is not yet written

    # ------------------------------------------------------------------ construction

    @classmethod
    def open(cls, path: str | os.PathLike[str], config_text: str, config_hash: str,
             points: Sequence[Mapping[str, Any]], metadata: Mapping[str, Any], *,
             numerics: Mapping[str, Any] | None = None,
             realisations: int | None = None,
             bins: Sequence[Mapping[str, Any]] | None = None,
             resolved_config: Mapping[str, Any] | None = None,
             run: Mapping[str, Any] | None = None) -> Self:
        """Open the store at ``path`` for writing, creating it if it does not exist.

        Takes the store's exclusive lock (:class:`~mblkit.campaign.store.lock.StoreLockedError`
        if another process writes it), held until :meth:`close`. An existing file must be a
        campaign store (else :class:`StoreError`, the file untouched) made from the same config:
        same ``config_hash``, same point parameters and same ``numerics`` (settings that change
        the numbers bitwise, e.g. ``{"blas_threads": 1}``; else :class:`StoreMismatchError`).
        Its checksums and journal are verified before anything is written. ``realisations``,
        when given, must not be below what is stored (every stored index < realisations). If the
        hash matches but ``config_text`` differs (the hash leaves out what does not change
        results, such as the number of realisations), the stored text is replaced atomically.
        The directory must be writable (else :class:`StoreError`). ``metadata`` (JSON-able) is
        stored, with library versions, when the store is created.

        Format 3 (``/about``): ``bins``, one mapping per point of its histograms' bin
        descriptions (:mod:`mblkit.campaign.bins`), must equal the stored ones (a store never
        mixes bins; a format-2 store adopts them); ``resolved_config`` replaces the stored one;
        ``run`` (this run's provenance) is appended, and :meth:`note_run` adds to it.
        """
        path = Path(path)
        about = {"bins": tuple(canonical_json(dict(b), f"bins of point {p}")
                               for p, b in enumerate(bins or ())),
                 "resolved_config": canonical_json(dict(resolved_config or {}),
                                                   "resolved config"),
                 "run": canonical_json(dict(run), "provenance") if run is not None else None}
        param_texts = tuple(canonical_json(dict(params), f"parameters of point {p}")
                            for p, params in enumerate(points))
        numerics_text = canonical_json(dict(numerics or {}), "numerics")
        if os.path.lexists(path):  # refuse a foreign file before creating anything beside it
            _check_identity(path, read_header(path), config_hash, param_texts, numerics_text)
        check_writable_dir(path.parent, path)
        lock = WriterLock(path)
        try:
            return cls._open_locked(path, lock, str(config_text), str(config_hash), param_texts,
                                    numerics_text, metadata, realisations, about)
        except BaseException:
            lock.release()
            raise

    @classmethod
    def _open_locked(cls, path: Path, lock: WriterLock, config_text: str, config_hash: str,
                     param_texts: tuple[str, ...], numerics: str, metadata: Mapping[str, Any],
                     realisations: int | None, about: Mapping[str, Any] | None = None
                     ) -> Self:
        about = about or {"bins": (), "resolved_config": "{}", "run": None}
        runs = (about["run"],) if about["run"] else ()
        with disk_errors(f"remove the temporaries of {path}"):
            remove_temporaries(path)
        if os.path.lexists(path):
            header = read_header(path)
            _check_identity(path, header, config_hash, param_texts, numerics)
            store = cls(path, header, writable=True, lock=lock)
            store._prepare_journal()
            points, failures = store._verify_h5()
            store._cache = store._scan(verify=True)
            if realisations is not None:
                store._check_realisations(realisations)
            _check_bins(path, header, about["bins"])
            new = replace(header, config_text=config_text,
                          bins=about["bins"] or header.bins,
                          resolved_config=about["resolved_config"],
                          provenance=header.provenance + runs)
            if new != header:  # same hash: more realisations, comments; this run's provenance
                store._header = new
                with disk_errors(f"update the header of {path}"):
                    store._replace_h5(points, failures)
            return store
        journal = Path(str(path) + ".journal")
        if journal.is_dir() and any(RECORD_RE.match(n) or FAILURE_RE.match(n)
                                    for n in os.listdir(journal)):
            raise StoreError(f"found the journal {journal} but not its store {path}; move "
                             "the journal away or choose another output path")
        meta = {**default_metadata(), **dict(metadata)}
        header = Header(config_hash=config_hash, config_text=config_text,
                        metadata=canonical_json(meta, "metadata"), params=param_texts,
                        numerics=numerics, bins=tuple(about["bins"]),
                        resolved_config=about["resolved_config"], provenance=runs)
        store = cls(path, header, writable=True, lock=lock)
        with disk_errors(f"create the campaign store {path}"):
            store._replace_h5([PointData.empty(t) for t in param_texts], {})
        store._prepare_journal()
        store._cache = store._scan()
        return store

    @classmethod
    def grow(cls, path: str | os.PathLike[str], config_text: str, config_hash: str,
             points: Sequence[Mapping[str, Any]], *,
             numerics: Mapping[str, Any] | None = None,
             bins: Sequence[Mapping[str, Any]] | None = None) -> list[int]:
        """Rewrite the store for a grown grid: every stored point kept, by its parameters, at
        its place in the new list ``points``; the new points empty. Returns the new points'
        indices.

        The caller has checked that the two configs differ only in their grid
        (:func:`mblkit.campaign.tasks.grid_identity`); realisations are seeded by the point's
        parameters (format 4), so a kept point's results are those the grown config would
        compute. The journal is merged first; a grid that lacks a stored point is refused
        (:class:`StoreMismatchError`: a store never drops results), as are other ``numerics``
        and a store of a format before 4. Takes the writer lock for the rewrite.
        """
        path = Path(path)
        texts = tuple(canonical_json(dict(params), f"parameters of point {p}")
                      for p, params in enumerate(points))
        header = read_header(path)
        _check_identity(path, header, header.config_hash, header.params,
                        canonical_json(dict(numerics or {}), "numerics"))
        where = {text: k for k, text in enumerate(texts)}
        dropped = [text for text in header.params if text not in where]
        if dropped:
            raise StoreMismatchError(
                f"the campaign store {path} holds {len(dropped)} point(s) the new grid lacks, "
                f"e.g. {dropped[0]}: a store never drops results; keep every stored grid "
                "value (add values only), or choose another output path")
        new_bins = tuple(canonical_json(dict(b), f"bins of point {p}")
                         for p, b in enumerate(bins or ()))
        if header.bins and new_bins:
            _check_bins(path, header, tuple(new_bins[where[t]] for t in header.params))
        check_writable_dir(path.parent, path)
        lock = WriterLock(path)
        try:
            store = cls(path, header, writable=True, lock=lock)
            store._prepare_journal()
            store._cache = store._scan(verify=True)
            store.consolidate()
            old, failures = store._verify_h5()
            kept = {data.params: data for data in old}
            grown = [kept.get(text) or PointData.empty(text) for text in texts]
            moved = {(where[header.params[p]], i): message
                     for (p, i), message in failures.items()}
            store._header = replace(header, config_hash=str(config_hash),
                                    config_text=str(config_text), params=texts,
                                    bins=new_bins if header.bins else header.bins)
            with disk_errors(f"rewrite the campaign store {path} for the grown grid"):
                store._replace_h5(grown, moved)
            store._cache = None
            return [k for k, text in enumerate(texts) if text not in kept]
        finally:
            lock.release()

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> Self:
        """Open an existing store read-only; queries include the journal, nothing is moved."""
        path = Path(path)
        if not os.path.lexists(path):
            raise StoreError(f"there is no campaign store at {path}")
        return cls(path, read_header(path), writable=False)

    @classmethod
    def repair(cls, path: str | os.PathLike[str]) -> list[int]:
        """Empty the points whose data fail their checksums (and the failure list if it is
        damaged), keeping every other result; returns the emptied points. Running the config
        again then recomputes them. Takes the writer lock."""
        path = Path(path)
        header = read_header(path)  # a damaged header cannot be repaired: restore a backup
        if header.version < 2:
            raise StoreError(f"{path} has store format {header.version}, without checksums: "
                             "nothing to repair")
        check_writable_dir(path.parent, path)
        lock = WriterLock(path)
        try:
            store = cls(path, header, writable=True, lock=lock)
            damaged, points = [], []
            with reading(path) as f:
                for p in range(store.n_points):
                    try:
                        points.append(read_point(path, f, p))
                    except DamagedStoreError:
                        damaged.append(p)
                        points.append(PointData.empty(header.params[p]))
                try:
                    failures = read_failures(path, f)
                except DamagedStoreError:
                    failures = {}
            with disk_errors(f"rewrite the campaign store {path}"):
                store._replace_h5(points, failures)
            return damaged
        finally:
            lock.release()

    def _prepare_journal(self) -> None:
        """Create the journal directory and remove temporary files left by a kill."""
        with disk_errors(f"create the journal directory {self._journal}"):
            if os.path.islink(self._journal) or (os.path.lexists(self._journal)
                                                 and not self._journal.is_dir()):
                raise StoreError(f"{self._journal} should be the store's journal directory but is "
                                 "a file or a link; move it away or choose another output path")
            self._journal.mkdir(exist_ok=True)
            for name in os.listdir(self._journal):
                if name.startswith(TMP_PREFIX):
                    remove_quietly(self._journal / name)
            check_writable_dir(self._journal, self._path)

    def _verify_h5(self) -> tuple[list[PointData], dict[tuple[int, int], str]]:
        """Every point and the failures, checksums verified (DamagedStoreError otherwise).

        A writer reads and verifies the file once, at open, and then keeps what it wrote: it
        holds the lock, so the file changes only through it, and the merges need not re-read
        the whole store (readers and the next open verify the file as it is on disk)."""
        if self._writable and self._rows is not None:
            return list(self._rows[0]), dict(self._rows[1])
        with reading(self._path) as f:
            points = [read_point(self._path, f, p) for p in range(self.n_points)]
            failures = read_failures(self._path, f)
        if self._writable:
            self._rows = (list(points), dict(failures))
        return points, failures

    def _check_realisations(self, realisations: int) -> None:
        index = self._index()
        for p in range(self.n_points):
            done = index.completed(p)
            if done and max(done) >= realisations:
                raise StoreMismatchError(
                    f"realisations = {realisations} is below what the campaign store "
                    f"{self._path} holds (point {p} has realisation {max(done)}, {len(done)} "
                    f"stored): a store never drops results; set realisations >= "
                    f"{max(done) + 1}, or choose another output path")

    # ------------------------------------------------------------------ properties

    @property
    def path(self) -> Path:
        """The HDF5 file."""
        return self._path

    @property
    def journal_dir(self) -> Path:
        """The journal directory, ``<path>.journal``."""
        return self._journal

    @property
    def writable(self) -> bool:
        """True when opened with :meth:`open` and not closed."""
        return self._writable and not self._closed

    @property
    def config_text(self) -> str:
        """The text of the config the store was made from."""
        return self._header.config_text

    @property
    def config_hash(self) -> str:
        """The hash of the config the store was made from."""
        return self._header.config_hash

    @property
    def format_version(self) -> int:
        """The store format version of the file."""
        return self._header.version

    @property
    def metadata(self) -> dict[str, Any]:
        """Versions and whatever was passed to :meth:`open` when the store was created."""
        return json.loads(self._header.metadata)

    @property
    def numerics(self) -> dict[str, Any]:
        """The settings that change the numbers bitwise, e.g. ``{"blas_threads": 1}``."""
        return json.loads(self._header.numerics)

    @property
    def histogram_bins(self) -> list[dict[str, Any]]:
        """Per point, its histograms' bin descriptions (:mod:`mblkit.campaign.bins`); empty
        for stores written before format 3."""
        return [json.loads(t) for t in self._header.bins]

    @property
    def resolved_config(self) -> dict[str, Any]:
        """The config with every default filled in, as the last run resolved it ({} before
        format 3)."""
        return json.loads(self._header.resolved_config or "{}")

    @property
    def provenance(self) -> list[dict[str, Any]]:
        """One entry per run (:mod:`mblkit.campaign.provenance`), oldest first."""
        return [json.loads(t) for t in self._header.provenance]

    def note_run(self, **fields: Any) -> None:
        """Add ``fields`` to this run's provenance entry (written at the next consolidation)."""
        self._require_writable()
        if not self._header.provenance:
            return
        last = {**json.loads(self._header.provenance[-1]), **fields}
        self._header = replace(self._header, provenance=(
            *self._header.provenance[:-1], canonical_json(last, "provenance")))
        self._dirty = True

    @property
    def n_points(self) -> int:
        """Number of parameter points."""
        return len(self._header.params)

    @property
    def lost(self) -> list[tuple[int, int]]:
        """(point, realisation) of journal records that vanished before they were merged
        (deleted by someone else during the run); they are recomputed by the next run."""
        return list(self._lost)

    def point_params(self, p: int) -> dict[str, Any]:
        """The parameters of point ``p``."""
        return json.loads(self._header.params[self._check_point(p)])

    # ------------------------------------------------------------------ queries

    def completed(self, p: int) -> set[int]:
        """Realisation indices of point ``p`` that are stored (HDF5 file or journal)."""
        p = self._check_point(p)
        return self._query(lambda index: index.completed(p))

    def failures(self) -> list[tuple[int, int, str]]:
        """(point, realisation, message) of failed realisations that have not succeeded since."""
        return self._query(lambda index: index.open_failures())

    def load_point(self, p: int) -> PointResults:
        """Everything stored for point ``p`` (HDF5 file and journal), checksums and journal
        marks verified, without writing."""
        p = self._check_point(p)

        def load(index: Index) -> PointResults:
            with reading(self._path) as f:
                data = read_point(self._path, f, p)
            stored = set(data.realisations.tolist())
            rows = {i: decode_row(file, p, i, self.config_hash)
                    for (q, i), file in sorted(index.records.items())
                    if q == p and i not in stored}
            data = merge_rows(data, rows, p)
            return PointResults(
                params=json.loads(data.params), realisations=data.realisations,
                scalars=data.scalars, arrays=data.arrays, histograms=data.histograms,
                seeds=[json.loads(s) for s in data.seeds])

        return self._query(load)

    def problems(self) -> list[str]:
        """Everything that fails verification, one message each: damaged or foreign journal
        files, points or failure lists failing their checksums. Empty for a sound store."""
        found: list[str] = []
        try:
            index = self._scan()
        except StoreError as err:
            return [str(err)]
        for (p, i), file in sorted(index.records.items()):
            try:
                decode_row(file, p, i, self.config_hash)
            except FileNotFoundError:
                continue  # merged meanwhile
            except StoreError as err:
                found.append(str(err))
        try:
            with reading(self._path) as f:
                for p in range(self.n_points):
                    try:
                        read_point(self._path, f, p)
                    except DamagedStoreError as err:
                        found.append(str(err))
                try:
                    read_failures(self._path, f)
                except DamagedStoreError as err:
                    found.append(str(err))
        except StoreError as err:
            found.append(str(err))
        return found

    # ------------------------------------------------------------------ writing

    def commit(self, p: int, i: int, record: Record | Mapping[str, Any]) -> None:
        """Store the record of realisation ``i`` of point ``p`` durably (in the journal).

        Raises ValueError for a malformed record or one whose names, shapes or dtypes differ from
        the point's other realisations, and StoreError if the realisation is already stored or
        the write fails (a full disk included; what was committed before is kept).
        """
        self._require_writable()
        p = self._check_point(p)
        i = as_index(i, "realisation index")
        index = self._index()
        if index.is_completed(p, i):
            raise StoreError(f"realisation {i} of point {p} is already stored in {self._path}")
        row = normalise_record(record, f"(point {p}, realisation {i})")
        schema = Schema.of_row(row)
        expected = self._schema(p, index)
        if expected is not None and expected != schema:
            raise ValueError(f"record (point {p}, realisation {i}) has "
                             f"{expected.difference(schema)} unlike the point's other "
                             "realisations")
        name = record_name(p, i)
        with disk_errors(f"commit realisation {i} of point {p} to {self._journal}"):
            atomic_write(self._journal, name, encode_row(p, i, row, self.config_hash))
        index.records[(p, i)] = self._journal / name
        self._schemas[p] = schema

    def record_failure(self, p: int, i: int, message: str) -> None:
        """Record that realisation ``i`` of point ``p`` failed (until it succeeds)."""
        self._require_writable()
        p = self._check_point(p)
        i = as_index(i, "realisation index")
        index = self._index()
        if index.is_completed(p, i):
            raise StoreError(f"realisation {i} of point {p} is already stored in {self._path}; "
                             "it cannot be recorded as failed")
        message = str(message)
        name = failure_name(p, i)
        with disk_errors(f"record the failure of realisation {i} of point {p} in "
                         f"{self._journal}"):
            atomic_write(self._journal, name, encode_failure(p, i, message, self.config_hash))
        index.failures[(p, i)] = (self._journal / name, message)

    def consolidate(self) -> None:
        """Merge the journal into the HDF5 file (atomically replaced), then empty the journal.

        A journal record that vanished since it was committed (someone deleted it) is left out
        and listed in :attr:`lost`; everything else is merged."""
        self._require_writable()
        index = self._index()
        if not index.records and not index.failures and not self._dirty:
            return
        points, merged_failures = self._verify_h5()
        by_point: dict[int, dict[int, Row]] = {}
        for (p, i), file in sorted(index.records.items()):
            if i not in index.stored[p]:
                try:
                    by_point.setdefault(p, {})[i] = decode_row(file, p, i, self.config_hash)
                except FileNotFoundError:
                    self._lost.append((p, i))
                    del index.records[(p, i)]
        records, failures = dict(index.records), dict(index.failures)
        points = [merge_rows(points[p], by_point.get(p, {}), p) for p in range(self.n_points)]
        stored = [set(data.realisations.tolist()) for data in points]
        merged_failures.update({key: msg for key, (_, msg) in failures.items()})
        merged_failures = {(p, i): msg for (p, i), msg in merged_failures.items()
                           if i not in stored[p]}
        with disk_errors(f"consolidate the journal into {self._path}"):
            self._replace_h5(points, merged_failures)
            self._dirty = False
            index.stored = stored
            index.stored_failures = merged_failures
            for key, file in records.items():
                unlink_if_present(file)
                del index.records[key]
            for key, (file, _) in failures.items():
                unlink_if_present(file)
                del index.failures[key]
            fsync_dir(self._journal)

    def close(self) -> None:
        """Consolidate (when opened for writing) and release the lock; afterwards the store no
        longer writes."""
        try:
            if self._writable and not self._closed:
                self.consolidate()
        finally:
            self._closed = True
            if self._lock is not None:
                self._lock.release()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc is None:
            self.close()
            return
        try:
            self.close()
        except StoreError as error:  # keep the original exception; note why closing failed
            exc.add_note(f"closing the campaign store failed too: {error}")

    def __repr__(self) -> str:
        mode = "writable" if self.writable else "read-only"
        return f"CampaignStore({str(self._path)!r}, {self.n_points} points, {mode})"

    # ------------------------------------------------------------------ internals

    def _check_point(self, p: int) -> int:
        p = as_index(p, "point index")
        if p >= self.n_points:
            raise ValueError(f"point index {p} is out of range: the campaign has "
                             f"{self.n_points} points")
        return p

    def _require_writable(self) -> None:
        if not self._writable:
            raise StoreError(f"the campaign store {self._path} was opened read-only")
        if self._closed:
            raise StoreError(f"the campaign store {self._path} is closed")

    def _replace_h5(self, points: Sequence[PointData],
                    failures: Mapping[tuple[int, int], str]) -> None:
        """Write a complete new file next to the store and rename it over the store."""

        def write(handle: IO[bytes]) -> None:
            write_h5(handle, self._header, points, failures)

        replace_file(self._path, write)
        if self._writable:
            self._rows = (list(points), dict(failures))

    def _scan(self, verify: bool = False) -> Index:
        """Read the current state from disk: journal listing first, then the HDF5 index.
        ``verify``: also check every journal file's campaign mark (the writer, at open)."""
        records: dict[tuple[int, int], Path] = {}
        failure_files: dict[tuple[int, int], Path] = {}
        try:
            names = sorted(os.listdir(self._journal))
        except FileNotFoundError:
            names = []
        except OSError as exc:
            raise StoreError(f"cannot read the journal {self._journal}: {exc}") from None
        for name in names:
            if match := RECORD_RE.match(name):
                records[(int(match[1]), int(match[2]))] = self._journal / name
            elif match := FAILURE_RE.match(name):
                failure_files[(int(match[1]), int(match[2]))] = self._journal / name
        outside = sorted({p for p, _ in [*records, *failure_files] if p >= self.n_points})
        if outside:
            raise StoreError(f"journal files for points {outside} in {self._journal}, but the "
                             f"campaign has {self.n_points} points; move them away")
        if verify:
            for (p, i), file in records.items():
                check_record(file, p, i, self.config_hash)
        with reading(self._path) as f:
            stored = [set(read_realisations(self._path, f, p).tolist())
                      for p in range(self.n_points)]
            stored_failures = read_failures(self._path, f)
        failures = {key: (file, read_failure(file, *key, self.config_hash))
                    for key, file in failure_files.items()}
        return Index(stored, stored_failures, records, failures)

    def _index(self) -> Index:
        """The writer's cached index (it is the only writer), or a fresh scan when read-only."""
        if self._writable:
            if self._cache is None:
                self._cache = self._scan()
            return self._cache
        return self._scan()

    def _query(self, fn: Callable[[Index], _T]) -> _T:
        """Run a query; read-only stores retry when a concurrent consolidation moved files."""
        attempts = 1 if self._writable else 5
        for attempt in range(attempts):
            try:
                return fn(self._index())
            except FileNotFoundError:
                if attempt + 1 == attempts:
                    break
                time.sleep(0.05)
        raise StoreError(f"the campaign store {self._path} or its journal changed or vanished "
                         "while being read; try again")

    def _schema(self, p: int, index: Index) -> Schema | None:
        """Names, shapes and dtypes of point ``p``'s stored realisations, if it has any."""
        if p in self._schemas:
            return self._schemas[p]
        schema = None
        if index.stored[p]:
            with reading(self._path) as f:
                schema = read_point(self._path, f, p).schema()
        else:
            for key in sorted(key for key in index.records if key[0] == p):
                try:
                    schema = Schema.of_row(decode_row(index.records[key], *key,
                                                      self.config_hash))
                    break
                except FileNotFoundError:
                    self._lost.append(key)
                    del index.records[key]
        if schema is not None:
            self._schemas[p] = schema
        return schema
