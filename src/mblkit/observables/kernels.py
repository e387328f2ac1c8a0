"""numba kernels of the observables: the one streaming pass over Floquet matrix elements.

Kernels take plain arrays; bins are given as the ``params`` arrays of
:class:`mblkit.histograms.LogBins`, and counts are added in place so that blocks of rows, sites and
realisations accumulate into the same arrays.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from mblkit.histograms import bin_index


@njit(cache=True, nogil=True)
def resonance_rows(z: np.ndarray, row0: int, theta: np.ndarray, windows: np.ndarray,
                   p_omega: np.ndarray, p_z: np.ndarray, p_x: np.ndarray,
                   p_kappa: np.ndarray, h_omega: np.ndarray, h_omega_window: np.ndarray,
                   h_z: np.ndarray, h_x: np.ndarray, chi: np.ndarray, kappa: np.ndarray,
                   row_norm: np.ndarray, z_off: np.ndarray, keep_z: bool) -> None:
    """Accumulate the statistics of rows ``row0 .. row0 + len(z) - 1`` of z_nm = <n|sigma|m>.

    For every m != n, with omega = theta_n - theta_m wrapped to (-pi, pi] and Z = |z_nm|^2:
    Omega = |z omega| into ``h_omega`` and, by the window of |omega| (``windows`` ascending edges;
    |omega| outside every window is not counted there), into ``h_omega_window[:, w]``; Z into
    ``h_z``; x = Z / (2 sin(omega/2))^2 into ``h_x``; chi_n = sum_m x and
    kappa_n = (1/2) sum_m Z cot(omega/2) into ``chi`` and ``kappa``; sum_m Z (m = n included)
    into ``row_norm``; Z into ``z_off[n, m]`` if ``keep_z`` (its diagonal stays 0).
    An exactly degenerate pair (sin(omega/2) = 0) adds inf to chi and x's overflow and nothing
    to kappa, never NaN.
    """
    n_rows, dim = z.shape
    n_windows = windows.shape[0] - 1
    for a in range(n_rows):
        n = row0 + a
        chi_n = 0.0
        kappa_n = 0.0
        norm_n = 0.0
        for m in range(dim):
            zr = z[a, m].real
            zi = z[a, m].imag
            zz = zr * zr + zi * zi
            norm_n += zz
            if m == n:
                continue
            w = theta[n] - theta[m]
            if w > math.pi:
                w -= 2.0 * math.pi
            elif w <= -math.pi:
                w += 2.0 * math.pi
            aw = abs(w)
            b_omega = bin_index(math.sqrt(zz) * aw, p_omega)
            h_omega[b_omega] += 1
            for q in range(n_windows):
                if windows[q] <= aw < windows[q + 1]:
                    h_omega_window[b_omega, q] += 1
                    break
            h_z[bin_index(zz, p_z)] += 1
            s = math.sin(0.5 * w)
            if s != 0.0:
                x = zz / (4.0 * s * s)
                chi_n += x
                kappa_n += 0.5 * zz * math.cos(0.5 * w) / s
                h_x[bin_index(x, p_x)] += 1
            else:
                chi_n = math.inf
                h_x[h_x.shape[0] - 1] += 1
            if keep_z:
                z_off[n, m] = zz
        chi[n] = chi_n
        kappa[n] = kappa_n
        row_norm[n] = norm_n
