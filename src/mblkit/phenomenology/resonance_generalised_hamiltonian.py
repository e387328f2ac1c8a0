"""Generalised Hamiltonian resonance model: varrho(v) at a fixed energy difference (data, model).

Paper: ``shared/papers/resonance-model-crossover.txt``. Sec. IV A builds the generalised RM for
the Floquet case (Eqs. 94-102) and says "the calculation presented in Sec. III for the
Hamiltonian RM can be similarly generalised"; this module does it. Derivation (ours):

In the Hamiltonian RM a state |E_a up> resonates with |E_b down> when |E_a - E_b + h| < |V_ba|
(Eq. 74), and the rate at range r is q(e, r) = 2 rho(e, r) v(r) (Eq. 76), with rho(e, r) the
density of partner states per unit energy *at the reference's energy* (Eq. 80). With a general
distribution p(v|r) of matrix elements (Eq. 94) the expected number of resonances through
elements >= v is therefore 2 int_v^inf v' varrho(v') dv' with

    varrho(v) = sum_r p(v|r) rho(E_a + omega_0, r)
              = sum_b delta(v - |V_ba|) delta(omega_0 - (E_b - E_a)), averaged over a,

the distribution of matrix elements *at fixed energy difference* omega_0 (the resonant one:
E_b - E_a = h for Eq. 74) weighted by the partner density of states there. This is Eq. 97 with
the second window placed at E_a + omega_0; Eqs. 100-102 then hold unchanged (with the factor 2
of Eq. 41, :mod:`mblkit.phenomenology.resonance_generalised`): F(v), p(v), [S(omega)] and
[C_zz] = F(0) follow from :func:`~mblkit.phenomenology.resonance_generalised.no_resonance_fraction`
and its siblings applied to that varrho. What is Hamiltonian is the energy dependence of
varrho: a reference state at an atypical local energy sees a smaller density of partners
(Fig. 6). Two readings, the two ``energy`` options of
:mod:`mblkit.phenomenology.resonance_hamiltonian`:

* typical (Eq. 89): varrho of a reference at the centre of the partner distribution
  (:func:`model_density` with ``offset=0``; in data, reference states from the middle of the
  spectrum only);
* averaged: varrho averaged over the reference states' local energies, which is what pooling
  all reference states of a window measures (:func:`density_at_energy_difference`); it gives
  the mean resonance rate, exact to first order where the depletion of f is negligible
  (r << Lambda).

Neither includes the diffusion of the local energies of the unhybridised states with range
(Eqs. 84-88), which matters at r >~ Lambda (:mod:`mblkit.phenomenology.loss_diffusion`).

Fed with the model's own density of Eqs. 77 and 80 (:func:`model_density`), the generalised
model reproduces the closed forms: F(v) = F_1(r_v) of Eq. 91 and [S(omega)] of Eq. 93 with
r_v = log(J/v)/k, at the resonance length those equations give, pi (zeta_c W / 8J)^2 (a quarter
of the printed Eq. 83; ``form="derived"`` in :mod:`~mblkit.phenomenology.resonance_hamiltonian`).
"""

from __future__ import annotations

import math

import numpy as np

from mblkit.phenomenology import _resonance_checks as chk
from mblkit.phenomenology import resonance_floquet as floquet
from mblkit.phenomenology.resonance_generalised import (
    BinnedMatrixElementDensity,
    RangeMatrixElementDensity,
    density_from_histogram,
    log_edges,
)

FORMS = ("derived", "printed")
"""Normalisation of the model density: Eq. 80 as it stands, or halved so that 2 rho v is Eq. 82
with the printed Lambda of Eq. 83."""


def _form_factor(form: str) -> float:
    if form not in FORMS:
        raise ValueError(f"form={form!r} is not allowed: choose one of {FORMS}")
    return 1.0 if form == "derived" else 0.5


def _partner_density(r: np.ndarray, offset: float, W: float, *, averaged: bool,
                     h: float) -> np.ndarray:
    """rho(e, r) of Eq. 80 (s_e = W sqrt(2r), the convention of Eq. 82), or its average.

    ``offset`` = e - e_sigmabar, the reference's local energy from the partner-sector centre.
    Averaged: over e ~ N(e_sigma, s_e^2), e_sigma - e_sigmabar = h, which gives
    4 exp(2r/zeta_c) / (zeta_c sqrt(2 pi 2 s_e^2)) exp(-h^2 / (4 s_e^2)).
    """
    s2 = 2.0 * W ** 2 * r
    growth = 4.0 * np.exp(2.0 * r / floquet.ZETA_C) / floquet.ZETA_C
    if averaged:
        return growth * np.exp(-h ** 2 / (4.0 * s2)) / np.sqrt(2.0 * math.pi * 2.0 * s2)
    return growth * np.exp(-offset ** 2 / (2.0 * s2)) / np.sqrt(2.0 * math.pi * s2)


def _model(zeta: float, J: float, W: float, L: float, form: str, *, averaged: bool,
           offset: float, h: float) -> RangeMatrixElementDensity:
    k = floquet.matrix_element_decay_rate(zeta)
    J = chk.positive("J", J)
    W = chk.positive("W", W)
    L = chk.system_size(L)
    factor = _form_factor(form)

    def rho(r: np.ndarray) -> np.ndarray:
        r = np.maximum(r, np.finfo(float).tiny)
        return factor * _partner_density(r, offset, W, averaged=averaged, h=h)

    return RangeMatrixElementDensity(rho=rho, J=J, k=k, r_max=L / 2.0)


def model_density(*, zeta: float, J: float, W: float, L: float, offset: float = 0.0,
                  form: str = "derived") -> RangeMatrixElementDensity:
    """varrho(v) of the Hamiltonian RM for a reference at local energy e = e_sigmabar + offset.

    rho(e, r) dr = varrho(v) dv with v(r) = J exp(-k r) (Eq. 77) and rho of Eq. 80 (s_e =
    W sqrt(2r), as Eq. 82 uses), coarse-grained over the ranges like Eq. 98:
    varrho(v) = rho(e, r_v) / (k v), r_v = log(J/v)/k, on [v(L/2), J]. ``offset=0`` is the
    typical reference of Eq. 89. ``form="derived"`` (default: the model's own varrho, Eqs. 77
    and 80 as they stand) reproduces Eqs. 91 and 93 at Lambda = pi (zeta_c W / 8J)^2;
    ``form="printed"`` halves rho, which gives them at the printed Eq. 83.
    """
    return _model(zeta, J, W, L, form, averaged=False, offset=chk.real("offset", offset), h=0.0)


def model_density_averaged(*, zeta: float, J: float, W: float, L: float, h: float,
                           form: str = "derived") -> RangeMatrixElementDensity:
    """:func:`model_density` averaged over the loss-free local energy of the reference.

    The reference's local energy is N(e_sigma, s_e^2) with e_sigma - e_sigmabar = h (Eqs. 66,
    79), so rho averages to 4 exp(2r/zeta_c) exp(-h^2 / (4 s_e^2)) / (zeta_c sqrt(4 pi s_e^2)):
    1/sqrt(2) of the typical one at r >> h^2/W^2. At h = 0 it reproduces Eq. 91 with
    Lambda -> 2 Lambda (``energy="averaged"`` of
    :mod:`~mblkit.phenomenology.resonance_hamiltonian`).
    This is what a measurement pooling all reference states of a window sees.
    """
    return _model(zeta, J, W, L, form, averaged=True, offset=0.0, h=chk.real("h", h))


def density_at_energy_difference(v: np.ndarray, omega: np.ndarray, *, omega_0: float,
                                 window: float, n_reference: float,
                                 weights: np.ndarray | None = None,
                                 edges: np.ndarray | None = None,
                                 bins_per_decade: int = 10) -> BinnedMatrixElementDensity:
    """Measured varrho(v) at fixed energy difference: sum_b delta(v - |V_ba|) delta(omega_0 -
    omega_ba), averaged over the reference states a (module docstring; Eq. 97 with the partner
    window at E_a + omega_0).

    ``v``, ``omega``: |V_ba| and E_b - E_a of the sampled pairs (same shape), over
    ``n_reference`` reference states (all their partners, or a uniform sample of them with
    ``weights`` = partners per sample); pairs with |omega - omega_0| <= window / 2 count, so
    varrho = (weighted count per v bin) / (n_reference * window * bin width): the normalised
    distribution of |V_ba| at that energy difference times the partner density of states there.
    ``window`` must be small on the scale over which the density of states changes, and large
    enough to hold many pairs. Bins: log-spaced, ``bins_per_decade``, spanning the non-zero
    elements in the window, or ``edges``. Pooling reference states of different energies gives
    the energy-averaged varrho.
    """
    v = chk.nonnegative_array("v", v).ravel()
    omega = chk.real_array("omega", omega).ravel()
    if omega.shape != v.shape:
        raise ValueError(f"omega has {omega.size} entries but v has {v.size}: one per pair")
    omega_0 = chk.real("omega_0", omega_0)
    window = chk.positive("window", window)
    n_ref = chk.positive("n_reference", n_reference)
    w = np.ones_like(v) if weights is None else chk.nonnegative_array("weights", weights).ravel()
    if w.shape != v.shape:
        raise ValueError(f"weights has {w.size} entries but v has {v.size}: one per pair")
    inside = (np.abs(omega - omega_0) <= window / 2.0) & (v > 0)
    if not np.any(inside):
        raise ValueError(f"no pair with a non-zero element lies within window={window!r} of "
                         f"omega_0={omega_0!r}: widen the window")
    vin, win = v[inside], w[inside]
    if edges is None:
        edges = log_edges(vin, bins_per_decade)
    edges = np.asarray(edges, dtype=np.float64)
    counts, _ = np.histogram(vin, bins=edges, weights=win)
    if counts.sum() <= 0:
        raise ValueError("no weighted pair of the window falls inside edges")
    # rho P(v | omega_0): P from the pairs in the window, rho = their weight / (n_ref window)
    total = max(float(win.sum()), float(counts.sum()))  # equal up to summation order
    rho = total / (n_ref * window)
    return density_from_histogram(edges, counts, density_of_states=rho, total_count=total)
