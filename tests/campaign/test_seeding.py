import numpy as np

from mblkit.campaign import realisation_rng


def test_realisation_streams_are_reproducible_and_distinct():
    a = realisation_rng(7, 1, 2).uniform(size=4)
    np.testing.assert_array_equal(a, realisation_rng(7, 1, 2).uniform(size=4))
    assert not np.allclose(a, realisation_rng(7, 2, 1).uniform(size=4))
    assert not np.allclose(a, realisation_rng(8, 1, 2).uniform(size=4))
