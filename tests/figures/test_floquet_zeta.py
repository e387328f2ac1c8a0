"""zeta/zeta_c from the p_Omega tail (mblkit.figures.floquet, resonant-energy-scales-floquet.txt
Eq. 5, Fig. 2) on synthetic per-realisation counts of a known Eq. 5 density with a finite-size
crossover: p = a Omega_0^a Omega^-(1+a), Omega_0 = 2^(-L/a), so that p ~ 2^-L at fixed Omega."""

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from mblkit.figures import floquet as fq
from mblkit.observables.resonances import ResonanceBins

A = 0.4
BINS = ResonanceBins()


def eq5_counts(rng, L, realisations=12, per_realisation=60_000, width=1.5, cutoff=1e-2):
    u = np.linspace(-L * np.log(2) / A - 40, np.log(50 * cutoff), 200001)
    t = u + L * np.log(2) / A
    q = np.exp(-A * t - np.exp(u) / cutoff - np.logaddexp(0, -t / width))
    cdf = np.concatenate([[0], np.cumsum(0.5 * (q[1:] + q[:-1]) * np.diff(u))])
    cdf /= cdf[-1]
    return np.array([BINS.omega.count(np.exp(np.interp(rng.random(per_realisation), cdf, u)))
                     for _ in range(realisations)])


def point(L, J, counts):
    return fq.ResonancePoint(L, J, counts.shape[0], {"omega": counts.sum(axis=0)},
                             {"omega": counts}, {}, {})


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(5)
    return fq.ResonanceData(BINS, [point(12, 0.02, eq5_counts(rng, 12)),
                                   point(14, 0.02, eq5_counts(rng, 14)),
                                   point(12, 0.04, eq5_counts(rng, 12))])


def test_zeta_is_found_at_both_sizes_and_a_lone_size_is_reported(data):
    estimates, failures = fq.zeta_estimates(data)
    assert [(e.L, e.J, e.partner_L) for e in estimates] == [(12, 0.02, 14), (14, 0.02, 12)]
    for e in estimates:
        assert e.error < 0.06 and abs(e.zeta_ratio - A) < 2 * e.error
        assert e.error >= e.statistical and e.systematic > 0
        assert e.window.decades >= fq.OMEGA_WINDOW_RULE["min_decades"]
        assert (e.fit.fit.lo, e.fit.fit.hi) == (e.window.lo, e.window.hi)
    assert len(failures) == 1 and "J = 0.04" in failures[0] and "second size" in failures[0]
    table = fq.format_zeta_table(estimates, failures)
    e = estimates[1]
    assert f"[{e.window.lo:.2e}, {e.window.hi:.2e}]" in table and f"{e.zeta_ratio:.3f}" in table
    assert "paper" in table and "no window" in table


def test_a_window_given_by_hand_is_used_and_carries_no_evidence(data):
    pt = data.at(0.02)[-1]
    e = fq.estimate_zeta(data, pt, window=(1e-6, 1e-3))
    assert e.window is None and (e.fit.fit.lo, e.fit.fit.hi) == (1e-6, 1e-3)
    assert e.fit.fit.bins_used == 30
    assert fq.fit_omega_tail(data, pt, (1e-6, 1e-3)).slope == pytest.approx(e.fit.slope)


def test_figure_2_draws_the_local_exponent_and_the_collapse_with_the_window(data):
    """Smoke test: Fig. 2 draws, with the chosen window in the titles and a lone size
    reported; the independent check is
    tests/figures/test_floquet_zeta.py::test_zeta_is_found_at_both_sizes_and_a_lone_size_is_reported
    (zeta/zeta_c recovered from counts of a known Eq. 5 density)."""
    fig = fq.figure_2(data)
    axes = np.array(fig.axes).reshape(4, 2)
    estimate = fq.estimate_zeta(data, data.at(0.02)[-1])
    assert f"{estimate.window.lo:.1e}" in axes[0, 0].get_title()
    assert "no power-law window at L = 12" in axes[0, 1].get_title()
    assert axes[1, 0].get_ylabel().startswith(r"$-d\ln p_\Omega")
    assert len(axes[1, 0].lines) >= 2 and len(axes[2, 0].lines) == 2
