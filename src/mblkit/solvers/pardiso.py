"""Sparse symmetric-indefinite LDL^T factorisation by MKL PARDISO (optional, via pypardiso).

Install with ``pip install mblkit[fast]`` (pulls in Intel MKL, x86-64 only). Only real matrices:
pypardiso passes float64 arrays. The factorisation uses PARDISO's real symmetric indefinite
type (mtype = -2) on the upper triangle, with its default Bunch-Kaufman pivoting, pivot
perturbation 1e-8 and iterative refinement. PARDISO's default (unsymmetric) type left residuals
~2e-4 in shift-invert at L = 18 and is not used.

One :class:`PardisoLDL` owns one PARDISO handle: it is used within one process (threads may each
own one; the handle is not shared), cannot be pickled (it holds pointers into MKL's memory), and
must be released with :meth:`PardisoLDL.free` or a ``with`` block (pypardiso itself never frees
it). MKL's thread count follows the BLAS limit in effect (threadpoolctl), so campaign workers
that limit BLAS threads limit PARDISO too.
"""

from __future__ import annotations

import ctypes
import warnings
from functools import cache

import numpy as np
import scipy.sparse as sp

INSTALL_ADVICE = ("install the optional extra: pip install 'mblkit[fast]' (pypardiso, Intel "
                  "MKL; x86-64 only)")

#: Below this dimension "auto" takes SuperLU, for the interior pairs and for inertia counts:
#: PARDISO's fixed cost (~0.3 s of analysis and thread start-up on an idle machine, 1.8 s
#: measured under load at dim 924; ~1 ms a solve) outweighs its faster factorisation
#: (measured, see benchmarks/bench_interior.py).
PARDISO_MIN_DIM = 5000

#: PARDISO matrix type: real symmetric indefinite.
MTYPE_REAL_SYMMETRIC_INDEFINITE = -2


@cache
def pardiso_available() -> bool:
    """True when pypardiso imports and finds MKL's runtime library."""
    try:
        import pypardiso  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


def _require() -> None:
    if not pardiso_available():
        raise ImportError(f"method 'pardiso' needs pypardiso, which is not importable: "
                          f"{INSTALL_ADVICE}")


def _blas_threads() -> int:
    """The smallest thread count among the loaded non-MKL BLAS libraries (0: no limit found)."""
    from threadpoolctl import threadpool_info

    counts = [i["num_threads"] for i in threadpool_info()
              if i.get("user_api") == "blas" and i.get("internal_api") != "mkl"]
    return min(counts) if counts else 0


@cache
def _intel_openmp() -> ctypes.CDLL | None:
    """Intel's OpenMP runtime as loaded by MKL (None if MKL uses another threading layer)."""
    from threadpoolctl import threadpool_info

    paths = [i["filepath"] for i in threadpool_info()
             if i.get("internal_api") == "openmp" and "iomp" in i["filepath"]]
    return ctypes.CDLL(paths[0]) if paths else None


class _Threads:
    """MKL threads for the calling thread only, restored afterwards (MKL's C interface), and
    Intel OpenMP's spin-wait after a parallel region turned off (kmp_set_blocktime(0)): with
    spinning threads, ARPACK's OpenBLAS work between two solves ran 2-3x slower."""

    def __init__(self, libmkl: ctypes.CDLL, threads: int) -> None:
        self.libmkl, self.threads, self.previous = libmkl, threads, 0

    def __enter__(self) -> None:
        self.previous = self.libmkl.MKL_Set_Num_Threads_Local(self.threads)
        iomp = _intel_openmp()
        if iomp is not None:
            iomp.kmp_set_blocktime(0)

    def __exit__(self, *exc) -> None:
        self.libmkl.MKL_Set_Num_Threads_Local(self.previous)


def shifted_upper(H: sp.spmatrix, sigma: float) -> sp.csr_matrix:
    """Upper triangle of H - sigma in CSR with every diagonal entry stored (PARDISO needs them,
    zeros included) and sorted indices."""
    H = sp.csr_matrix(H)
    n = H.shape[0]
    strict = sp.triu(H, k=1, format="coo")
    diag = H.diagonal() - sigma
    rows = np.concatenate([strict.row, np.arange(n)])
    cols = np.concatenate([strict.col, np.arange(n)])
    vals = np.concatenate([strict.data, diag])
    upper = sp.csr_matrix((vals, (rows, cols)), shape=(n, n))  # sums duplicates, keeps zeros
    upper.sort_indices()
    return upper


class PardisoLDL:
    """LDL^T factorisation of the real symmetric ``H - sigma``; :meth:`solve` applies its
    inverse. Use as a context manager or call :meth:`free`."""

    def __init__(self, H: sp.spmatrix, sigma: float = 0.0) -> None:
        _require()
        if np.iscomplexobj(H.data if sp.issparse(H) else H):
            raise ValueError("PARDISO (through pypardiso) takes real matrices only; H is "
                             "complex: use method='superlu'")
        from pypardiso import PyPardisoSolver

        self.shape = H.shape
        self._matrix = shifted_upper(H, sigma)
        self._solver = PyPardisoSolver(mtype=MTYPE_REAL_SYMMETRIC_INDEFINITE)
        self._solver.libmkl.MKL_Get_Max_Threads()  # loads MKL's threading layer
        self._threads = _Threads(self._solver.libmkl, _blas_threads())
        self._freed = False
        with self._threads:
            self._solver.factorize(self._matrix)

    @property
    def inertia(self) -> tuple[int, int, int]:
        """(positive, negative, perturbed) pivots of the factorisation (PARDISO iparm 22, 23,
        14): with no perturbed pivot, the number of eigenvalues of H above and below sigma."""
        get = self._solver.get_iparm
        return int(get(22)), int(get(23)), int(get(14))

    def solve(self, b: np.ndarray) -> np.ndarray:
        """(H - sigma)^-1 b for a vector or a block of columns."""
        if self._freed:
            raise RuntimeError("this PARDISO factorisation was freed")
        with self._threads, warnings.catch_warnings():
            warnings.simplefilter("ignore", sp.SparseEfficiencyWarning)
            x = self._solver.solve(self._matrix, np.asarray(b, dtype=np.float64))
        return x.reshape(np.shape(b))

    def free(self) -> None:
        """Release PARDISO's memory for this factorisation (idempotent)."""
        if not self._freed:
            self._solver.free_memory(everything=True)
            self._freed = True

    def __enter__(self) -> PardisoLDL:
        return self

    def __exit__(self, *exc) -> None:
        self.free()

    def __reduce__(self):
        raise TypeError("a PardisoLDL holds pointers into MKL's memory and cannot be pickled; "
                        "factorise inside the worker process")
