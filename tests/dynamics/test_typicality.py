"""C_zz(t) by typicality against the full-ED autocorrelation of mblkit.observables."""

import numpy as np

from mblkit.dynamics import term_operator, typical_autocorrelation
from mblkit.models import ProbeStaticChain, XXZChain
from mblkit.observables import autocorrelation
from mblkit.spins import apply

TIMES = np.array([0.0, 0.3, 1.0, 2.5, 6.0, 15.0, 40.0])


def _check_within_errors(typ, exact):
    dev = np.abs(typ.correlator - exact)
    assert np.all(dev[1:] <= 5.0 * typ.error[1:] + 1e-12), (dev, typ.error)
    assert abs(typ.correlator[0] - 1.0) < 1e-12  # O^2 = 1 for every sample


def test_site_autocorrelation_in_a_sector(rng):
    L = 10
    model = XXZChain(L, 1.5)
    h = model.sample(rng)
    basis = model.basis(L // 2)
    e, v = np.linalg.eigh(model.hamiltonian(h, L // 2).toarray())
    exact = autocorrelation(e, v, apply("z", [4], v, basis), TIMES).correlator
    typ = typical_autocorrelation(term_operator(model, h, L // 2), basis, "z", [4], TIMES,
                                  samples=12, rng=rng)
    _check_within_errors(typ, exact)
    # once C has decayed the sample spread is the typicality scale: for a Haar state
    # Var <r|A|r> = (Tr A^dag A / D - |Tr A / D|^2) / (D + 1) ~ 1 / D for the unitary
    # A = O(t) O, about half of it in the real part, so sd ~ (2 D)^-1/2
    sd = typ.samples[:, TIMES >= 2.5].std(axis=0, ddof=1) * np.sqrt(2 * basis.dim)
    assert np.all((sd > 0.4) & (sd < 1.6)), sd
    assert typ.imaginary < 5 * np.max(typ.error)


def test_probe_spin_full_space(rng):
    """The probe spin of resonance-model-crossover.txt Eq. 68 (site L, O = sigma^z_P)."""
    model = ProbeStaticChain(7, 2.0)
    v = model.sample(rng)
    basis = model.basis()
    e, vec = np.linalg.eigh(model.hamiltonian(v).toarray())
    ov = model.apply_sigma_z(vec.copy())
    exact = autocorrelation(e, vec, ov, TIMES).correlator
    typ = typical_autocorrelation(term_operator(model, v), basis, "z", [model.L], TIMES,
                                  samples=8, rng=rng)
    _check_within_errors(typ, exact)
