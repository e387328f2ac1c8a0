"""The seeding contract (mblkit.campaign.seeding, store format 4): a realisation's random numbers
depend on the campaign seed, the point's parameters and the realisation index only."""

import numpy as np
import pytest

from mblkit.campaign import realisation_rng
from mblkit.campaign.config import parse_config
from mblkit.campaign.seeding import canonical_params, point_key
from mblkit.campaign.tasks import run_realisation

XXZ = """
seed = 2026
realisations = 4
output = "x.h5"
[model]
name = "xxz"
params = {{ J = 1.0 }}
grid = {{ L = [8], W = {W} }}
[[observables]]
name = "gap_ratio"
"""

# computed once with the contract of the module docstring (numpy's SeedSequence and PCG64)
PARAMS = {"L": 8, "W": 2.0, "J": 1.0, "delta": 1.0, "boundary": "open"}
CANONICAL = '{"J":1.0,"L":8,"W":2.0,"boundary":"open","delta":1.0}'
KEY = 17236532834849675912
UNIFORMS = [0.06509336506343177, 0.7620216976779555, 0.9749366860106823]
FIELDS = [-1.739626539746273, 1.0480867907118219, 1.8997467440427291]  # W (2u - 1)


def test_the_contract_is_pinned_by_literal_values():
    assert canonical_params(PARAMS) == CANONICAL
    assert point_key(PARAMS) == KEY
    assert realisation_rng(2026, KEY, 3).random(3).tolist() == UNIFORMS


@pytest.mark.parametrize("grid, index", [("[2]", 0), ("[1, 2]", 1), ("[2, 0.5, 1]", 0),
                                         ("[0.5, 1, 2]", 2)])
def test_a_point_draws_the_same_disorder_wherever_it_sits_in_the_grid(grid, index):
    """W = 2 written as an integer is W = 2.0; its position and neighbours do not matter."""
    config = parse_config(XXZ.format(W=grid))
    record = run_realisation(config, index, 3)
    assert record["seed"] == {"entropy": 2026, "spawn_key": [KEY, 3]}
    assert record["arrays"]["disorder"][:3].tolist() == FIELDS


def test_realisation_streams_are_reproducible_and_distinct():
    """Smoke test: a stream equals itself when drawn again and differs when a key changes (it
    compares the function with itself); the independent check is
    tests/campaign/test_seeding.py::test_the_contract_is_pinned_by_literal_values."""
    a = realisation_rng(7, 1, 2).uniform(size=4)
    np.testing.assert_array_equal(a, realisation_rng(7, 1, 2).uniform(size=4))
    assert not np.allclose(a, realisation_rng(7, 2, 1).uniform(size=4))
    assert not np.allclose(a, realisation_rng(8, 1, 2).uniform(size=4))
    assert point_key({**PARAMS, "W": 2.5}) != KEY
    assert point_key(dict(reversed(list(PARAMS.items())))) == KEY
