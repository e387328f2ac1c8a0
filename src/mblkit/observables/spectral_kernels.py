"""numba kernel of :mod:`mblkit.observables.spectral`: one pass over a block of rows of the
matrix elements O_nm, binning the weights |O_nm|^2 by |omega_nm|.

Plain arrays only; bins are the ``params`` of :class:`mblkit.histograms.LogBins`; results are added
in place so that row blocks accumulate into the same arrays.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from mblkit.histograms import bin_index


@njit(cache=True, nogil=True)
def spectral_weight_rows(z: np.ndarray, row0: int, energies: np.ndarray, cluster: np.ndarray,
                         zone: float, params: np.ndarray, weights: np.ndarray,
                         row_norm: np.ndarray, row_degenerate: np.ndarray) -> None:
    """Accumulate rows ``row0 .. row0 + len(z) - 1`` of O_nm = z[n - row0, m].

    For every pair (n, m) with w = |O_nm|^2: ``row_norm[n]`` gets sum_m w; pairs in the same
    degeneracy cluster (``cluster[n] == cluster[m]``, the diagonal included) add w to
    ``row_degenerate[n]``; every other pair adds w to ``weights`` at the slot of
    |omega_nm| = |E_n - E_m|, wrapped into [0, zone / 2] when ``zone`` > 0 (quasienergies
    defined modulo ``zone`` = 2 pi / T).
    """
    n_rows, dim = z.shape
    half = 0.5 * zone
    for a in range(n_rows):
        n = row0 + a
        norm = 0.0
        degenerate = 0.0
        for m in range(dim):
            zr = z[a, m].real
            zi = z[a, m].imag
            w = zr * zr + zi * zi
            norm += w
            if cluster[n] == cluster[m]:
                degenerate += w
                continue
            omega = energies[n] - energies[m]
            if zone > 0.0:
                if omega > half:
                    omega -= zone
                elif omega <= -half:
                    omega += zone
            weights[bin_index(abs(omega), params)] += w
        row_norm[n] = norm
        row_degenerate[n] = degenerate
