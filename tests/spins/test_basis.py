from math import comb

import numpy as np
import pytest

from mblkit.spins import SpinBasis


@pytest.mark.parametrize("L", [1, 4, 9])
def test_sector_dimensions_and_order(L):
    total = 0
    for n_up in range(L + 1):
        b = SpinBasis(L, n_up)
        assert b.dim == comb(L, n_up)
        expected = np.array([s for s in range(1 << L) if bin(s).count("1") == n_up])
        np.testing.assert_array_equal(b.states, expected)
        total += b.dim
    assert total == SpinBasis(L).dim == 2**L


def test_rank_is_position_in_sector():
    b = SpinBasis(14, 6)
    np.testing.assert_array_equal(b.index(b.states), np.arange(b.dim))
    full = SpinBasis(5)
    np.testing.assert_array_equal(full.index(full.states), np.arange(32))


def test_largest_chain_sector_ranks():
    b = SpinBasis(24, 12)
    assert b.dim == comb(24, 12)
    picks = np.array([0, 1, 12345, b.dim - 1])
    np.testing.assert_array_equal(b.index(b.states[picks]), picks)


def test_aux_dimension_multiplies():
    b = SpinBasis(6, 3, aux_dim=4)
    assert b.chain_dim == 20 and b.dim == 80


def test_sigma_z_table():
    b = SpinBasis(3, 1)  # states 001, 010, 100
    np.testing.assert_array_equal(b.sigma_z, [[1, -1, -1], [-1, 1, -1], [-1, -1, 1]])


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"L": 0}, "L=0"), ({"L": 25}, "L=25"), ({"L": 2.5}, "L=2.5"),
    ({"L": 4, "n_up": 5}, "n_up=5"), ({"L": 4, "n_up": -1}, "n_up=-1"),
    ({"L": 4, "aux_dim": 0}, "aux_dim=0"),
])
def test_bad_basis_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SpinBasis(**kwargs)


@pytest.mark.parametrize("kwargs, name", [({"n_up": True}, "n_up=True"),
                                          ({"n_up": False}, "n_up=False"),
                                          ({"aux_dim": True}, "aux_dim=True")])
def test_bools_are_not_integers_here(kwargs, name):
    """True would otherwise be taken as n_up = 1 (issue 13, item 11)."""
    with pytest.raises(ValueError, match=name):
        SpinBasis(6, **kwargs)
