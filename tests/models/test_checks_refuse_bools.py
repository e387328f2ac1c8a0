"""Model parameters refuse booleans with the argument's name (issue 13, item 11): True is an int
in Python and would otherwise be taken as W = 1."""

import pytest

from mblkit.models import XXZChain


@pytest.mark.parametrize("kwargs, name", [({"W": True}, "W=True"), ({"W": False}, "W=False"),
                                          ({"W": 1.0, "J": True}, "J=True"),
                                          ({"W": 1.0, "delta": False}, "delta=False")])
def test_xxz_refuses_bools(kwargs, name):
    with pytest.raises(ValueError, match=name):
        XXZChain(L=6, **kwargs)


def test_xxz_accepts_numbers():
    assert XXZChain(L=6, W=1).W == 1
