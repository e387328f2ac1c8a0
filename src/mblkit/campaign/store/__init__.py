"""Crash-safe campaign store: one HDF5 file plus a journal, written only by the driver process.

A campaign is a list of parameter points ``p = 0..P-1`` times realisations ``i``. Every finished
realisation gives a *record*: named scalars, small fixed-shape arrays, int64 histogram counts and
the description of its seed. Workers never write; the driver hands each record to
:meth:`CampaignStore.commit`.

Nothing lost, nothing doubled (DESIGN.md)
-----------------------------------------
* :meth:`~CampaignStore.commit` writes the record as one journal file
  ``<path>.journal/p{p:05d}_r{i:07d}.npz``: written to a temporary file in the journal directory,
  flushed and fsync'ed, renamed onto its final name (``os.replace``, atomic) and the directory
  fsync'ed. A SIGKILL at any moment leaves either no record or a complete one; a leftover temporary
  file (``.tmp-*``) is ignored, and removed when the store is next opened for writing.
  :meth:`~CampaignStore.record_failure` does the same with ``p{p:05d}_r{i:07d}.failed.json``.
* :meth:`~CampaignStore.consolidate` reads the HDF5 file and every journal file, writes a complete
  new HDF5 file ``<path>.tmp`` (fsync'ed), renames it over ``<path>`` and only then deletes the
  journal files it merged. A kill before the rename leaves the old file and the journal; a kill
  after it leaves journal files whose realisations are already stored, and those are skipped (a
  histogram is never counted twice, a row never duplicated) and deleted by the next consolidation.
* The HDF5 file is opened only inside each operation and is never modified in place.
* The content depends only on the set of records, not on the order of the commits nor on how many
  consolidations happened: rows are sorted by realisation index and histogram counts are int64.

HDF5 layout (``format_version = 1``)
------------------------------------
::

    /                       attrs: format = "mblkit-campaign", format_version = 1 (int64),
                                   config_hash (str), config (str, the config text),
                                   metadata (JSON str: mblkit, Python, NumPy, h5py and HDF5
                                   versions, plus everything passed to ``open`` at creation)
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

Journal files are internal: an ``.npz`` with a JSON ``header`` (point, realisation, seed, the
sorted names), the ``scalars`` as one float64 vector, and arrays ``a<k>`` / histograms ``h<k>``
in the order of the sorted names.
"""

from mblkit.campaign.store.core import CampaignStore
from mblkit.campaign.store.errors import StoreError, StoreMismatchError
from mblkit.campaign.store.layout import FORMAT, FORMAT_VERSION
from mblkit.campaign.store.records import PointResults, Record

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "CampaignStore",
    "PointResults",
    "Record",
    "StoreError",
    "StoreMismatchError",
]
