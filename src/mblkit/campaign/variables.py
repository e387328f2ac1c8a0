"""What every stored name means: long name, units, the observable that produces it, and whether
it is a diagnostic (a check of the numerics, not physics: drawn by ``mblkit plot --all`` only).

Energies are in units of the model's coupling J (XXZ, O(3) and bubble Hamiltonians), Floquet
quasienergies and |omega| in radians per period; S^z = sigma^z / 2; entropies in nats.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Variable:
    long_name: str
    units: str = ""
    observable: str | None = None
    diagnostic: bool = False


#: Stored scalars, arrays and histograms by name (histograms as stored, without ``hist_``).
VARIABLES: dict[str, Variable] = {
    "gap_ratio": Variable("gap ratio r", "", "gap_ratio"),
    "purity": Variable("single-site purity γ", "", "purity"),
    "purity_sites": Variable("single-site purity γ_i per site", "", "purity"),
    "purity_products": Variable("⟨γ_i γ_j⟩ over states", "", "purity"),
    "magnetisation": Variable("eigenstate magnetisation ⟨S^z_i⟩", "ħ", "magnetisation"),
    "half_chain_entropy": Variable("half-chain entanglement entropy", "nat", "entanglement"),
    "max_residual": Variable("largest eigenpair residual ‖Hv − Ev‖", "J", None, True),
    "max_residual_chain": Variable("largest chain eigenpair residual", "J", None, True),
    "sum_rule_error": Variable("sum-rule error max_n |Σ_m |z_nm|² − 1|", "", None, True),
    "row_norm_error": Variable("row-norm error of the probe spectral weights", "", None, True),
    "pairs": Variable("number of level pairs counted", "", "matrix_elements", True),
    "reference_states": Variable("states in the reference window", "", "matrix_elements",
                                 True),
    "reference_width": Variable("width of the reference window", "J", "matrix_elements"),
    "window_width": Variable("width of the energy windows", "J", "matrix_elements"),
    "v_sum": Variable("Σ |V_ba| over the windows", "J", "matrix_elements"),
    "v": Variable("|V_ba| between windows", "J", "matrix_elements"),
    "czz": Variable("probe autocorrelation C_zz(t)", "", "spectral"),
    "czz_inf": Variable("infinite-time autocorrelation [C_zz]", "", "spectral"),
    "czz_0": Variable("total spectral weight C_zz(0)", "", "spectral", True),
    "czz_times": Variable("times of C_zz(t)", "1/J", "spectral"),
    "s_weights": Variable("spectral weights of σ^z_P per |ω| bin", "", "spectral"),
    "res_omega": Variable("|ω| of resonant pairs", "rad", "resonances"),
    "res_z": Variable("|z_nm| = |⟨n|σ_j|m⟩|", "", "resonances"),
    "res_depolarisation": Variable("depolarisation", "", "resonances"),
    "res_x": Variable("resonance ratio x", "", "resonances"),
    "res_chi": Variable("fidelity susceptibility χ", "", "resonances"),
    "res_kappa": Variable("level curvature |κ|", "", "resonances"),
    "mean_depolarisation": Variable("mean depolarisation", "", "resonances"),
    "mean_z": Variable("⟨Z_mn⟩, n ≠ m", "", "resonances"),
    "mean_z3": Variable("⟨Z_np Z_pm Z_mn⟩, distinct", "", "resonances"),
    "thermal_density": Variable("thermal density ρ_th", ""),
    "thermal": Variable("thermal fraction p(ε, L)", ""),
    "n_regions": Variable("thermal regions per chain", ""),
    "n_spots": Variable("resonant spots per chain", ""),
    "largest_region": Variable("largest thermal region", "bonds"),
    "spot_size": Variable("thermal-region length l", "bonds"),
    "disorder": Variable("disorder of the realisation", ""),
}

#: Grid parameters by name.
PARAMETERS: dict[str, Variable] = {
    "L": Variable("chain length L", "sites"),
    "W": Variable("disorder strength W", "J"),
    "J": Variable("coupling J", "J"),
    "delta": Variable("anisotropy Δ", ""),
    "eps": Variable("resonance probability ε", ""),
    "n_goe": Variable("bubble size n_GOE", "spins"),
    "beta": Variable("coupling decay β", ""),
    "T": Variable("Floquet period T", "1/J"),
}


def describe(name: str) -> Variable:
    """The description of a stored name; ``res_omega_window<k>`` is |omega| in window k;
    ``res_<name>_counts`` the per-realisation counts of ``res_<name>``; unknown: the name."""
    if name in VARIABLES:
        return VARIABLES[name]
    if name.startswith("res_omega_window"):
        return Variable(f"|Ω| of resonances, |ω| window {name[len('res_omega_window'):]}",
                        "rad", "resonances")
    if name.startswith("res_") and name.endswith("_counts"):
        base = VARIABLES.get(name[:-len("_counts")])
        if base is not None:
            return Variable(f"counts of {base.long_name} per realisation", "", base.observable)
    return PARAMETERS.get(name, Variable(name))


def is_diagnostic(name: str) -> bool:
    """True for checks of the numerics (residuals, sum-rule errors, pair counts)."""
    return describe(name.removesuffix("_sem")).diagnostic
