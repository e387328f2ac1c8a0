"""Full ED that computes only what is measured (issue 17): ``eigh(H, subset=(lo, hi))`` and the
Hamiltonian task's :func:`mblkit.campaign.ed_tasks.solve_plan`.

Planted defects these tests were run against (each made the tests named fail, then was
reverted): ``Spectrum.columns`` one column off (``start - vector_start + 1``): the three record
tests, the column-map and the default-window tests; ``solve_plan`` window one level up
(``lo + 1, hi + 1``): the three record tests (purities of a shifted window) and the plan test;
``subset_pairs`` taking T's columns ``lo + 1 .. hi`` (dstevd branch): the residual check raised
VerificationError in the record and column-map tests, and the tridiagonal-solver tests failed.
"""

import numpy as np
import pytest
import scipy.sparse as sp

import mblkit.campaign.ed_tasks as ed_tasks
import mblkit.solvers.dense as dense_module
from mblkit.campaign.config import parse_config
from mblkit.campaign.tasks import run_realisation
from mblkit.models import XXZChain
from mblkit.observables import central_window
from mblkit.solvers import Spectrum, VerificationError, dense_memory, eigh

CONFIG = """
name = "subset"
seed = 5
realisations = 1
output = "x.h5"

[model]
name = "{model}"
params = {params}
grid = {{ L = [{L}], W = [5.0] }}

[solver]
method = "full"
store_energies = true
{observables}
"""

ALL = """
[[observables]]
name = "gap_ratio"
fraction = 0.6

[[observables]]
name = "purity"
fraction = 0.5

[[observables]]
name = "magnetisation"
fraction = 0.3
bins = 40

[[observables]]
name = "entanglement"
fraction = 0.4
"""


def config(L, model="xxz", params="{ J = 1.0, delta = 1.0 }", observables=ALL):
    return parse_config(CONFIG.format(model=model, params=params, L=L, observables=observables))


def overlaps(a, b):
    """|<a_n|b_n>| per column: 1 for the same eigenvectors up to a phase."""
    return np.abs(np.sum(a.conj() * b, axis=0))


def solved(monkeypatch, cfg, wins):
    """The record of realisation 0, with the window solved apart (wins) or not, and the
    arguments ``eigh`` was called with."""
    calls = []
    original = ed_tasks.eigh

    def spy(H, **kwargs):
        calls.append(kwargs)
        return original(H, **kwargs)

    monkeypatch.setattr(ed_tasks, "subset_wins", lambda dim, k: wins)
    monkeypatch.setattr(ed_tasks, "eigh", spy)
    record = run_realisation(cfg, 0, 0)
    monkeypatch.undo()
    return record, calls


def assert_same_record(a, b, atol=1e-10):
    for kind in ("scalars", "arrays"):
        assert sorted(a[kind]) == sorted(b[kind])
        for name in a[kind]:
            if name == "max_residual":
                continue
            np.testing.assert_allclose(a[kind][name], b[kind][name], rtol=0, atol=atol,
                                       err_msg=f"{kind} {name}")
    assert sorted(a["histograms"]) == sorted(b["histograms"])
    for name in a["histograms"]:
        # a value within rounding of a bin edge could change bins; none does here
        np.testing.assert_array_equal(a["histograms"][name], b["histograms"][name], name)


@pytest.mark.parametrize("L, model, params", [
    (10, "xxz", "{ J = 1.0, delta = 1.0 }"),
    (12, "xxz", "{ J = 1.0, delta = 1.0 }"),
    (10, "o3", "{ J = 1.0 }"),  # complex Hermitian
])
def test_measured_record_equals_full_ed(monkeypatch, L, model, params):
    cfg = config(L, model, params)
    measured, calls = solved(monkeypatch, cfg, True)
    full, full_calls = solved(monkeypatch, cfg, False)
    dim = len(full["arrays"]["energies"])
    window = central_window(dim, 0.5)  # purity's, the widest vector window
    assert calls == [{"vectors": True, "subset": (window.start, window.stop)}]
    assert full_calls == [{"vectors": True, "subset": None}]
    assert 0 < window.start and window.stop < dim
    assert_same_record(measured, full)
    assert measured["scalars"]["max_residual"] < 1e-10


def test_gap_ratio_alone_solves_no_vectors(monkeypatch):
    only = config(10, observables='[[observables]]\nname = "gap_ratio"\nfraction = 0.6\n')
    record, calls = solved(monkeypatch, only, True)
    assert calls == [{"vectors": False, "subset": None}]
    both, _ = solved(monkeypatch, config(10), False)
    assert record["scalars"]["gap_ratio"] == pytest.approx(both["scalars"]["gap_ratio"],
                                                           abs=1e-12)
    np.testing.assert_array_equal(record["histograms"]["gap_ratio"],
                                  both["histograms"]["gap_ratio"])
    np.testing.assert_allclose(record["arrays"]["energies"], both["arrays"]["energies"],
                               rtol=0, atol=1e-10)


def test_solve_plan(monkeypatch):
    monkeypatch.setattr(ed_tasks, "subset_wins", lambda dim, k: True)
    assert ed_tasks.solve_plan(config(12), 924) == (True, (231, 693))  # purity's, the widest
    assert ed_tasks.solve_plan(config(12), 4000) == (True, (1000, 3000))
    whole = config(12, observables='[[observables]]\nname = "purity"\nfraction = 1.0\n')
    assert ed_tasks.solve_plan(whole, 924) == (True, None)
    plugin = config(12, observables=ALL + '\n[[observables]]\nname = "plugin_observables:'
                    'level_count"\n')
    assert ed_tasks.solve_plan(plugin, 4000) == (True, None)  # a plugin may read any column
    monkeypatch.setattr(ed_tasks, "subset_wins", lambda dim, k: False)
    assert ed_tasks.solve_plan(config(12), 4000) == (True, None)


def test_subset_rule_is_the_measured_one():
    from mblkit.solvers.dense import SUBSET_MAX_FRACTION, SUBSET_MIN_DIM

    assert dense_module.subset_wins(SUBSET_MIN_DIM, SUBSET_MIN_DIM // 2)
    assert not dense_module.subset_wins(SUBSET_MIN_DIM - 1, SUBSET_MIN_DIM // 2)
    assert not dense_module.subset_wins(10000, int(SUBSET_MAX_FRACTION * 10000) + 1)


def test_spectrum_columns_map_global_levels(rng):
    """The columns of a window are the eigenvectors of the levels they are said to be."""
    model = XXZChain(L=10, W=5.0)
    H = model.hamiltonian(model.sample(rng), 5)
    full = eigh(H)
    lo, hi = 60, 190
    part = eigh(H, subset=(lo, hi))
    assert part.vector_start == lo and part.vectors.shape == (H.shape[0], hi - lo)
    np.testing.assert_allclose(part.energies, full.energies, rtol=0, atol=1e-11)
    for levels in (slice(lo, hi), slice(lo, lo + 1), slice(hi - 1, hi), slice(100, 150)):
        np.testing.assert_allclose(overlaps(part.columns(levels), full.columns(levels)), 1.0,
                                   atol=1e-10)
    assert part.columns(slice(70, 70)).shape == (H.shape[0], 0)
    for outside in (slice(lo - 1, hi), slice(lo, hi + 1), slice(0, 5)):
        with pytest.raises(ValueError, match="not all computed"):
            part.columns(outside)
    with pytest.raises(ValueError, match="no eigenvectors"):
        eigh(H, vectors=False).columns(slice(0, 3))
    # Davis-Kahan bounds hold for the computed pairs (gaps include the neighbours outside),
    # against full ED's vectors, which carry their own bounds
    a, b = part.vectors, full.vectors[:, lo:hi]
    phase = np.sum(b.conj() * a, axis=0)
    distance = np.linalg.norm(a - b * (phase / np.abs(phase)), axis=0)  # 2 sin(angle / 2)
    assert np.all(distance <= part.vector_errors + full.vector_errors[lo:hi] + 1e-14)


@pytest.mark.parametrize("solver", dense_module.TRIDIAGONAL_SOLVERS)
@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_subset_pairs_every_tridiagonal_solver(rng, solver, dtype):
    n = 200
    a = rng.normal(size=(n, n)) + (1j * rng.normal(size=(n, n)) if dtype == np.complex128 else 0)
    a = (a + a.conj().T).astype(dtype)
    energies, vectors = np.linalg.eigh(a)
    got, columns, method = dense_module.subset_pairs(np.asfortranarray(a), 40, 130, solver)
    np.testing.assert_allclose(got, energies, rtol=0, atol=1e-11)
    np.testing.assert_allclose(overlaps(columns, vectors[:, 40:130]), 1.0, atol=1e-10)
    assert method.startswith("lapack-sytrd-stem" if "stemr" in solver else "lapack-sytrd")


@pytest.mark.parametrize("sparse", [True, False])
def test_a_defective_eigenvector_in_the_window_is_caught(rng, monkeypatch, sparse):
    model = XXZChain(L=10, W=5.0)
    H = model.hamiltonian(model.sample(rng), 5)
    H = H if sparse else H.toarray()
    original = dense_module.back_transform

    def corrupted(reduced, tau, z, *args):
        original(reduced, tau, z, *args)
        z[:, 7] = z[:, 8]  # a wrong (and non-orthogonal) eigenvector
    monkeypatch.setattr(dense_module, "back_transform", corrupted)
    with pytest.raises(VerificationError, match="residual"):
        eigh(H, subset=(50, 200))


def test_a_window_one_level_off_is_caught(rng, monkeypatch):
    """Vectors of levels lo+1..hi paired with the energies of lo..hi-1: the residuals."""
    model = XXZChain(L=10, W=5.0)
    H = model.hamiltonian(model.sample(rng), 5)
    original = dense_module.subset_pairs

    def shifted(a, lo, hi, *args):
        return original(a, lo + 1, hi + 1, *args)
    monkeypatch.setattr(dense_module, "subset_pairs", shifted)
    with pytest.raises(VerificationError, match="residual"):
        eigh(H, subset=(50, 200))


def test_an_eigenvalue_outside_the_window_is_checked(rng, monkeypatch):
    """All eigenvalues are returned, so all are checked: by the sum rules Tr H, Tr H^2."""
    model = XXZChain(L=10, W=5.0)
    H = model.hamiltonian(model.sample(rng), 5)
    original = dense_module.subset_pairs

    def wrong_level(*args):
        energies, vectors, method = original(*args)
        energies[0] -= 1e-4
        return energies, vectors, method
    monkeypatch.setattr(dense_module, "subset_pairs", wrong_level)
    with pytest.raises(VerificationError, match="sum rules"):
        eigh(H, subset=(50, 200))


def test_bad_subset_arguments():
    H = sp.diags(np.arange(10.0)).tocsr()
    for bad in ((3, 3), (-1, 4), (2, 11), (5, 2), ("a", 3), 4):
        with pytest.raises(ValueError, match="subset="):
            eigh(H, subset=bad)
    with pytest.raises(ValueError, match="vectors=False"):
        eigh(H, vectors=False, subset=(2, 5))
    with pytest.raises(ValueError, match="driver='evd' is not allowed with subset"):
        eigh(H, driver="evd", subset=(2, 5))
    with pytest.raises(ValueError, match="solver='qr'"):
        dense_module.subset_pairs(np.eye(3, order="F"), 0, 2, "qr")


def test_memory_estimate_follows_the_subset():
    """Real: no saving (SciPy's dstemr / dstevd wrappers allocate T's N x N eigenvectors
    whatever k is; the window is then transformed in place), the same peak as evr / evd.
    Complex: the k complex columns come on top."""
    for dim in (12870, 3432):
        window = central_window(dim, 0.5)
        half = (window.start, window.stop)
        real = dense_memory(dim, np.float64, subset=half)
        assert real <= dense_memory(dim, np.float64)
        assert real == dense_memory(dim, np.float64, subset=(0, dim))
        complex_half = dense_memory(dim, np.complex128, subset=half)
        assert complex_half - dense_memory(dim, np.complex128, subset=(0, 1)) == \
            (half[1] - half[0] - 1) * 16 * dim
    assert dense_memory(3432, np.float64, subset=(858, 2574)) > 2 * 8 * 3432**2  # dstevd's


def test_spectrum_default_window_is_all_vectors():
    s = Spectrum(np.arange(3.0), np.eye(3), 0.0, 0.0, "test")
    np.testing.assert_array_equal(s.columns(slice(1, 3)), np.eye(3)[:, 1:3])
