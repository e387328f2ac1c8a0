"""Connected eigenstate correlations.

``multiscale-avalanche-scheme.txt`` Eq. 9:  Cor(O_0, O_l) = |<Psi| O_0 O_l |Psi> -
<Psi| O_0 |Psi> <Psi| O_l |Psi>|, for single-site Pauli operators (sigma^x, sigma^y, sigma^z).
"""

from __future__ import annotations

import numpy as np

from mblkit.spins import SpinBasis
from mblkit.spins.operators import expectation

PAULI = ("x", "y", "z")


def connected_correlation(vectors: np.ndarray, basis: SpinBasis, site_a: int, site_b: int,
                          op_a: str = "z", op_b: str = "z") -> np.ndarray | float:
    """Cor(sigma^{op_a}_{site_a}, sigma^{op_b}_{site_b}) of Eq. 9 for each state (column).

    Pauli operators (eigenvalues +-1); multiply by 1/4 for spin operators S = sigma / 2.
    In a U(1) sector only ``z`` acts inside the sector.
    """
    for name, op in (("op_a", op_a), ("op_b", op_b)):
        if op not in PAULI:
            raise ValueError(f"{name}={op!r} is not allowed: use one of {PAULI}")
    if site_a == site_b:
        raise ValueError(f"site_a and site_b must differ, both are {site_a}")
    joint = expectation(op_a + op_b, (site_a, site_b), vectors, basis)
    first = expectation(op_a, (site_a,), vectors, basis)
    second = expectation(op_b, (site_b,), vectors, basis)
    result = np.abs(joint - first * second)
    return float(result) if np.ndim(result) == 0 else result
