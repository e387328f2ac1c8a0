"""Figures of the resonance-model paper (Figs. 2, 9, 11, 12): they build, render, and plot the
library's numbers (checked on one curve each), at reduced resolution to stay fast."""

import io
import math

import numpy as np
import pytest
from matplotlib.figure import Figure

from mblkit.figures import resonance_model as fm
from mblkit.phenomenology import loss_diffusion as ld
from mblkit.phenomenology import resonance_finite_size as fs
from mblkit.phenomenology import resonance_floquet as rf


def _render(fig: Figure) -> None:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=40)
    assert buf.getbuffer().nbytes > 1000


def test_figure_2_panels_and_theta_curve():
    fig = fm.figure_2(n_zeta=40)
    assert len(fig.axes) == 6
    line = fig.axes[0].lines[0]
    inv_z, theta = line.get_xdata(), line.get_ydata()
    assert np.allclose(theta, [rf.theta0(1 / x) for x in inv_z])
    jump = fig.axes[0].lines[2]  # the point theta_c at 1/zeta_c
    assert jump.get_ydata()[0] == pytest.approx(rf.ZETA_C / (2 * 20.0))
    _render(fig)


def test_figure_9_curves_are_eq120_and_the_inset_eq116():
    L_values = (5, 20)
    fig = fm.figure_9(L_values=L_values, w_over_wc=np.linspace(0.5, 1.5, 11))
    ax = fig.axes[0]
    x, y = ax.lines[0].get_xdata(), ax.lines[0].get_ydata()
    assert np.allclose(y, fs.probe_entropy(10.0 * x, L=5, W_c=10.0, J=1.0))
    inset = ax.child_axes[0]
    assert np.allclose(inset.lines[0].get_ydata(),
                       fs.w_delta(np.array(L_values, float), delta=0.01, W_c=10.0, J=1.0))
    _render(fig)


def test_figure_11_is_lambda_p_from_the_solver_and_sampler_needs_rng():
    x = np.logspace(-1, 2, 7)
    fig = fm.figure_11(Lambdas=(2.0,), r_over_lambda=x, n_cells=201)
    sol = ld.solve_loss_diffusion(ld.ResonanceLossDiffusion(Lambda=2.0), 2.0 * x, n_cells=201)
    assert np.allclose(fig.axes[0].lines[0].get_ydata(), 2.0 * sol.p)
    _render(fig)
    with pytest.raises(ValueError, match="rng"):
        fm.figure_11(Lambdas=(2.0,), r_over_lambda=x, n_cells=201, n_paths=100)
    fig = fm.figure_11(Lambdas=(2.0,), r_over_lambda=x, n_cells=201, n_paths=200,
                       rng=np.random.default_rng(0))
    assert len(fig.axes[0].containers) == 1  # the sampler's error bars


def test_figure_12_snapshots_integrate_to_F():
    fig = fm.figure_12(r_values=np.array([0.5, 50.0]), n_cells=201)
    ax = fig.axes[0]
    x = ax.lines[0].get_xdata()
    dx = x[1] - x[0]
    F = ld.solve_loss_diffusion(ld.ResonanceLossDiffusion(Lambda=1.0), np.array([0.5, 50.0]),
                                n_cells=201).F
    for line, f in zip(ax.lines[:2], F, strict=True):
        assert np.sum(line.get_ydata()) * dx == pytest.approx(f, rel=1e-10)
    gauss = ax.lines[2].get_ydata()
    assert np.sum(gauss) * dx == pytest.approx(1.0, rel=1e-6)
    assert math.isclose(gauss.max(), 1 / math.sqrt(2 * math.pi), rel_tol=1e-3)
    _render(fig)
