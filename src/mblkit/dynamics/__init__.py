"""Matrix-free dynamics: term operators, time evolution (Chebyshev, Krylov, Floquet), quenches
from product states, infinite-temperature autocorrelations by typicality, KPM spectral
functions. What reaches sizes full ED cannot (DESIGN.md)."""

from mblkit.dynamics.evolve import (
    Evolution,
    Snapshot,
    conservation_limit,
    evolve,
    floquet_propagate,
    propagate,
)
from mblkit.dynamics.kpm import (
    CorrelationMoments,
    KPMSpectral,
    correlation_moments,
    jackson_kernel,
    kpm_spectral_function,
)
from mblkit.dynamics.krylov import spectral_bounds
from mblkit.dynamics.operator import AuxPart, TermOperator, term_operator
from mblkit.dynamics.quench import (
    QuenchResult,
    floquet_quench,
    log_times,
    neel_configuration,
    product_state,
    quench,
    random_configuration,
)
from mblkit.dynamics.typicality import (
    TypicalAutocorrelation,
    random_state,
    typical_autocorrelation,
)

__all__ = [
    "AuxPart",
    "CorrelationMoments",
    "Evolution",
    "KPMSpectral",
    "QuenchResult",
    "Snapshot",
    "TermOperator",
    "TypicalAutocorrelation",
    "conservation_limit",
    "correlation_moments",
    "evolve",
    "floquet_propagate",
    "floquet_quench",
    "jackson_kernel",
    "kpm_spectral_function",
    "log_times",
    "neel_configuration",
    "product_state",
    "propagate",
    "quench",
    "random_configuration",
    "random_state",
    "spectral_bounds",
    "term_operator",
    "typical_autocorrelation",
]
