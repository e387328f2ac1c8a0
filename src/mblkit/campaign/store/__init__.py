"""Crash-safe campaign store: one HDF5 file plus a journal, written only by the driver process.

A campaign is a list of parameter points ``p = 0..P-1`` times realisations ``i``. Every finished
realisation gives a *record*: named scalars, small fixed-shape arrays, int64 histogram counts and
the description of its seed. Workers never write; the driver hands each record to
:meth:`CampaignStore.commit`.

The package, one job per module: :mod:`.records` (records, their validation, merging rows),
:mod:`.journal` (one file per realisation), :mod:`.layout` (the HDF5 file, checksums),
:mod:`.files` (durable and safe file operations), :mod:`.lock` (one writer), :mod:`.errors`,
and :mod:`.core` (:class:`CampaignStore`: opening, queries, commits, consolidation).

Nothing lost, nothing doubled, nothing foreign (DESIGN.md)
----------------------------------------------------------
* One writer: :meth:`~CampaignStore.open` takes an exclusive ``flock`` on ``<path>.lock`` for
  as long as the store is open (:mod:`.lock`); a second writer is refused naming the first
  (pid, host, start). The kernel releases the lock when its holder dies, so nothing stale is
  left by a crash. Readers (:meth:`~CampaignStore.read`) take no lock.
* :meth:`~CampaignStore.commit` writes the record as one journal file
  ``<path>.journal/p{p:05d}_r{i:07d}.npz``: written to a temporary file in the journal directory,
  flushed and fsync'ed, renamed onto its final name (``os.replace``, atomic) and the directory
  fsync'ed. A SIGKILL at any moment leaves either no record or a complete one; a leftover temporary
  file (``.tmp-*``) is ignored, and removed when the store is next opened for writing.
  :meth:`~CampaignStore.record_failure` does the same with ``p{p:05d}_r{i:07d}.failed.json``.
  Every journal file carries the config hash and its (point, realisation); a file that does not
  match (another campaign's, renamed) or is damaged (zip CRC-32) is refused, never merged.
* :meth:`~CampaignStore.consolidate` reads the HDF5 file (checksums verified) and every journal
  file, writes a complete new HDF5 file to a ``mkstemp`` temporary ``<name>.tmp-<random>``
  beside it (through its own descriptor: a planted link is never followed; fsync'ed), renames it
  over ``<path>`` and only then deletes the journal files it merged. A kill before the rename
  leaves the old file and the journal; a kill after it leaves journal files whose realisations
  are already stored, and those are skipped (a histogram is never counted twice, a row never
  duplicated) and deleted by the next consolidation. A full disk or another I/O error (h5py's
  RuntimeError included) is one :class:`StoreError`; the temporary is removed, nothing
  committed is lost.
* The HDF5 file is opened only inside each operation and is never modified in place.
* The content depends only on the set of records, not on the order of the commits nor on how many
  consolidations happened: rows are sorted by realisation index and histogram counts are int64.

HDF5 layout (``format_version = 2``)
------------------------------------
::

    /                       attrs: format = "mblkit-campaign", format_version = 2 (int64),
                                   config_hash (str), config (str, the config text),
                                   metadata (JSON str: mblkit, Python, NumPy, h5py and HDF5
                                   versions, plus everything passed to ``open`` at creation),
                                   numerics (JSON str: settings that change the numbers
                                   bitwise, e.g. {"blas_threads": 1}; a resume must match),
                                   header_sha256 (str, over the attributes above and every
                                   point's params)
    /points                 attr n_points (int64); one group per point, including points with no
                            finished realisation
    /points/p00000          attr params (JSON str, keys sorted)
        realisations        int64 (n,), the realisation indices, strictly increasing
        seeds               variable-length UTF-8 str (n,), row k the JSON text (keys sorted) of
                            the seed description of realisation realisations[k]
        scalars/<name>      float64 (n,)
        arrays/<name>       (n, *shape), the record's dtype (fixed per name)
        histograms/<name>   int64 (*shape), counts summed over the n realisations
    /failures               realisations that failed and have not succeeded since, sorted by
                            (point, realisation)
        point               int64 (m,)
        realisation         int64 (m,)
        message             variable-length UTF-8 str (m,)

Every dataset has an attribute ``sha256`` (:func:`.layout.digest`: SHA-256 of dtype, shape and
bytes; of the JSON list for strings), verified on every read; a mismatch is a
:class:`~.layout.DamagedStoreError` naming the point, and :meth:`CampaignStore.repair` empties
the damaged points. Format 1 (mblkit 0.1: no checksums, no numerics) is read, not resumed.

Journal files are internal: an ``.npz`` with a JSON ``header`` (config hash, point,
realisation, seed, the sorted names), the ``scalars`` as one float64 vector, and arrays ``a<k>``
/ histograms ``h<k>`` in the order of the sorted names.
"""

from mblkit.campaign.store.core import CampaignStore
from mblkit.campaign.store.errors import StoreError, StoreMismatchError
from mblkit.campaign.store.journal import ForeignRecordError
from mblkit.campaign.store.layout import FORMAT, FORMAT_VERSION, DamagedStoreError
from mblkit.campaign.store.lock import StoreLockedError
from mblkit.campaign.store.records import PointResults, Record

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "CampaignStore",
    "DamagedStoreError",
    "ForeignRecordError",
    "PointResults",
    "Record",
    "StoreError",
    "StoreLockedError",
    "StoreMismatchError",
]
