"""numba kernels of the solvers: verification passes over eigenvectors, on plain arrays."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def csr_residual_norms(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray,
                       vectors: np.ndarray, energies: np.ndarray) -> np.ndarray:
    """||H v_n - E_n v_n|| for each column of ``vectors``, H given by its CSR arrays.

    One pass over the nonzeros per column, no temporaries: O(nnz * n_columns).
    """
    n_rows = indptr.shape[0] - 1
    out = np.empty(vectors.shape[1])
    for n in range(vectors.shape[1]):
        total = 0.0
        for row in range(n_rows):
            acc = -energies[n] * vectors[row, n]
            for p in range(indptr[row], indptr[row + 1]):
                acc += data[p] * vectors[indices[p], n]
            total += acc.real**2 + acc.imag**2
        out[n] = np.sqrt(total)
    return out
