"""Figures of the multi-scale avalanche scheme: they draw what the physics functions compute,
the paper's reference lines sit where they should, and they render headless."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from matplotlib.figure import Figure

from mblkit.figures.multiscale import (
    phase_diagram,
    spot_size_distribution,
    thermal_probability_mean_field,
    thermal_probability_scheme,
)
from mblkit.phenomenology.avalanche_finite_size import thermal_probability
from mblkit.phenomenology.avalanche_flow import critical_eps, localisation_length
from mblkit.phenomenology.avalanche_scheme import apparent_critical_eps, scan_thermal_probability


def renders(fig: Figure) -> bool:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=40)
    return buffer.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"


def test_phase_diagram_draws_the_flow():
    """Smoke test: the phase diagram draws zeta(eps) as localisation_length computes it, with
    the reference lines at 1/s and 1/eps_c, and renders; the independent check is
    tests/phenomenology/test_avalanche_flow.py::test_fixed_points_of_the_flow
    (and ::test_critical_scaling_eq18 for zeta)."""
    K = 1.0
    x = np.linspace(1.0, 12.0, 40)
    fig = phase_diagram(K, x)
    axes = fig.get_axes()
    assert len(axes) == 4
    eps_c = float(critical_eps(K))
    zeta_line = axes[0].get_lines()[0]
    xs, ys = zeta_line.get_data()
    np.testing.assert_allclose(ys, localisation_length(1 / xs, K))
    assert np.all(xs > 1 / eps_c)  # zeta is finite only on the localised side
    # zeta_c = 1/s and 1/eps_c drawn as reference lines
    refs = [line.get_ydata()[0] for line in axes[0].get_lines()[1:]]
    assert any(r == pytest.approx(1 / math.log(2)) for r in refs)
    vlines = [line.get_xdata()[0] for line in axes[3].get_lines()[1:]]
    assert vlines[0] == pytest.approx(1 / eps_c)
    t_x = axes[3].get_lines()[0].get_xdata()
    assert np.all(t_x < 1 / eps_c)  # t_+ only on the thermal side
    assert renders(fig)
    with pytest.raises(ValueError, match="inv_eps"):
        phase_diagram(K, np.array([0.5, 2.0]))


def test_mean_field_thermal_probability_figure():
    """Smoke test: the figure draws thermal_probability as it computes it, and renders; the
    independent check is
    tests/phenomenology/test_avalanche_flow.py::test_thermal_probability_equals_enumeration."""
    K = 1.0
    eps = np.linspace(0.1, 0.3, 5)
    fig = thermal_probability_mean_field(K, eps, L=(10, 100), L_max=300)
    left, right = fig.get_axes()
    drawn = left.get_lines()[1].get_ydata()
    np.testing.assert_allclose(drawn, [float(thermal_probability(e, 100, K)) for e in eps])
    assert len(right.get_lines()) == 4 and right.get_xscale() == "log"
    assert renders(fig)
    with pytest.raises(ValueError, match="L_max"):
        thermal_probability_mean_field(K, eps, L_max=2)


def test_scheme_thermal_probability_figure():
    """Smoke test: the figure draws the scan and its apparent eps_c drift as
    apparent_critical_eps computes it, and renders; the independent check is
    tests/phenomenology/test_avalanche_scheme.py::test_apparent_critical_eps_interpolates
    (and ::test_limits_eps_zero_and_one)."""
    eps = np.linspace(0.1, 0.4, 7)
    scan = scan_thermal_probability(eps, [30, 200], n_samples=10, seed=2)
    fig = thermal_probability_scheme(scan, eps_c_mean_field=float(critical_eps(1.0)))
    left, right = fig.get_axes()
    assert len(left.containers) == 2
    drift = right.get_lines()[0].get_ydata()
    np.testing.assert_allclose(drift, [apparent_critical_eps(eps, scan.p[i]) for i in range(2)])
    assert renders(fig)


def test_spot_size_distribution_is_l_minus_3_on_log_axes():
    scan = scan_thermal_probability([0.24], [3000], n_samples=4, seed=3)
    fig = spot_size_distribution(1.0, scan)
    ax = fig.get_axes()[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    mean_field = ax.get_lines()[0]
    x, y = (np.asarray(v, dtype=float) for v in mean_field.get_data())
    slope = np.polyfit(np.log(x[-8:]), np.log(y[-8:]), 1)[0]
    assert -3.1 < slope < -2.8
    assert any("full scheme" in line.get_label() for line in ax.get_lines())
    assert renders(fig)
