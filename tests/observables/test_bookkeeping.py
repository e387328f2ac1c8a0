"""Brute-force references for the bookkeeping of the observables (issue 14): the entanglement
cut and the gap-ratio window. Each would fail if the cut moved by one site or the window by one
level."""

import numpy as np
import pytest

from mblkit.observables import entanglement_entropies, gap_ratio, half_chain_entropy
from mblkit.observables.levels import mean_gap_ratio
from mblkit.spins import SpinBasis

LN2 = np.log(2.0)


def singlet_product(L, pairs):
    """Product of singlets (|ud> - |du>)/sqrt(2) on ``pairs`` (i, j), other sites down; bit i
    of the basis integer is site i, bit 1 = up."""
    psi = np.zeros(2**L)
    for s in range(2**L):
        amp = 1.0
        paired = {i for p in pairs for i in p}
        if any((s >> i) & 1 for i in range(L) if i not in paired):
            continue
        for i, j in pairs:
            bi, bj = (s >> i) & 1, (s >> j) & 1
            amp *= (1 if bi else -1) / np.sqrt(2) if bi != bj else 0.0
        psi[s] = amp
    return psi


def crossing(pairs, cut):
    return sum((i < cut) != (j < cut) for i, j in pairs)


CHAINS = [(8, [(0, 7), (1, 4), (2, 3), (5, 6)]),      # crossings 1 2 3 2 1 2 1
          (7, [(0, 4), (1, 2), (3, 6)]),              # odd L: site 5 stays down
          (6, [(0, 1), (2, 5), (3, 4)])]


@pytest.mark.parametrize("L, pairs", CHAINS)
def test_bell_pairs_across_every_cut(L, pairs):
    """S(sites 0..c-1) = (number of singlets across the cut) ln 2, for every c, in the full
    space and in the sector (a singlet holds one up spin)."""
    psi = singlet_product(L, pairs)
    assert np.linalg.norm(psi) == pytest.approx(1.0)
    n_up = len(pairs)
    sector = SpinBasis(L, n_up=n_up)
    psi_sector = psi[sector.states]
    assert np.linalg.norm(psi_sector) == pytest.approx(1.0)
    for cut in range(1, L):
        expected = crossing(pairs, cut) * LN2
        for basis, state in ((SpinBasis(L), psi), (sector, psi_sector)):
            s_vn, s_2 = entanglement_entropies(state, basis, range(cut))
            assert s_vn[0] == pytest.approx(expected, abs=1e-12), (basis.n_up, cut)
            assert s_2[0] == pytest.approx(expected, abs=1e-12)   # flat Schmidt spectrum
        # the complement has the same entropy; a scattered subsystem counts its own crossings
        s_rest = entanglement_entropies(psi, SpinBasis(L), range(cut, L))[0][0]
        assert s_rest == pytest.approx(expected, abs=1e-12)
    half = L // 2
    got = half_chain_entropy(np.stack([psi_sector, psi_sector], axis=1), sector)
    np.testing.assert_allclose(got, crossing(pairs, half) * LN2, atol=1e-12)
    assert crossing(pairs, half) != crossing(pairs, half + 1)   # a moved cut would show
    assert crossing(pairs, half) != crossing(pairs, half - 1)


def test_bell_pairs_of_a_scattered_subsystem():
    psi = singlet_product(8, [(0, 7), (1, 4), (2, 3), (5, 6)])
    for sub, n_cross in (((0, 1), 2), ((0, 7), 0), ((1, 2, 5), 3), ((2, 3, 5, 6), 0)):
        s = entanglement_entropies(psi, SpinBasis(8), sub)[0][0]
        assert s == pytest.approx(n_cross * LN2, abs=1e-12), sub


def brute_mean_ratio(energies, fraction):
    """<r> by explicit loops: levels with sorted index in [N(1-f)/2, N(1+f)/2), ratios of
    consecutive triples lying wholly in that window."""
    e = sorted(energies)
    n = len(e)
    lo, hi = int(np.floor(n * (1 - fraction) / 2)), int(np.ceil(n * (1 + fraction) / 2))
    rs = []
    for i in range(n - 2):
        if lo <= i and i + 2 < hi:
            a, b = e[i + 1] - e[i], e[i + 2] - e[i + 1]
            rs.append(min(a, b) / max(a, b))
    return float(np.mean(rs))


@pytest.mark.parametrize("n", [9, 10, 37, 200])
@pytest.mark.parametrize("fraction", [0.3, 0.5, 0.77, 1.0])
def test_gap_ratio_window_against_loops(rng, n, fraction):
    """Levels with very unequal gaps (each ratio distinct), so a window shifted by one level or
    one ratio too many or too few changes the mean."""
    e = np.cumsum(10 ** rng.uniform(-3, 0, n))
    rng.shuffle(e)
    assert mean_gap_ratio(e, fraction) == pytest.approx(brute_mean_ratio(e, fraction),
                                                        rel=1e-13)
    r = gap_ratio(e)
    s = np.sort(e)
    for i in (0, n // 2, n - 3):
        d1, d2 = s[i + 1] - s[i], s[i + 2] - s[i + 1]
        assert r[i] == pytest.approx(min(d1, d2) / max(d1, d2), rel=1e-13)
