"""Disordered spin-chain models: frozen parameter dataclasses with ``sample(rng)`` and a builder."""

from mblkit.models.o3 import O3HeisenbergChain
from mblkit.models.xxz import XXZChain

__all__ = ["O3HeisenbergChain", "XXZChain"]
