"""Disordered spin-chain models: frozen parameter dataclasses with ``sample(rng)`` and a builder."""

from mblkit.models.brickwork import BrickworkCircuit
from mblkit.models.bubble import BubbleChain, BubbleRealisation
from mblkit.models.o3 import O3FloquetChain, O3HeisenbergChain
from mblkit.models.probe import ProbeFloquetChain, ProbeStaticChain
from mblkit.models.quantum_sun import QuantumSun, QuantumSunRealisation
from mblkit.models.spin_chain import SpinChain
from mblkit.models.xxz import XXZChain

__all__ = [
           "BrickworkCircuit",
           "BubbleChain",
           "BubbleRealisation",
           "O3FloquetChain",
           "O3HeisenbergChain",
           "ProbeFloquetChain",
           "ProbeStaticChain",
           "QuantumSun",
           "QuantumSunRealisation",
           "SpinChain",
           "XXZChain",
]
