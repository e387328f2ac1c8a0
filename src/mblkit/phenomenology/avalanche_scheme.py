"""Monte Carlo of the full multi-scale avalanche scheme on finite chains (no ED).

Paper: ``shared/papers/multiscale-avalanche-scheme.txt``, main text "Multi-step diagonalization
scheme" (a-c) with Fig. 2, "Resonances and scales", "Large resonant spots" (Eq. 6) and SM A-B
(the rule of halted decay, Eq. 12). The scheme is followed at the level of stretches and
coupling norms, on an open chain of L sites (spacing a = 1) with L - 1 nearest-neighbour bonds:

1. *Bimodal couplings.* Each bond is resonant with probability eps, independently (drawn as
   u_b < eps from ``rng.random(L - 1)``, so runs at different eps or L with one generator state
   share their random numbers). A perturbative bond has norm g = eps / K, i.e. bare
   localisation length zeta_1 = -1 / log(eps / K), the mean field's zeta_1(eps) (SM C.1).
2. *Perturbative couplings.* Eliminating perturbative bonds generates couplings on longer
   stretches whose norms are products of the bond norms: the coupling from a source (the
   edge of a bare spot) to a site across n perturbative bonds has norm e^{-n / zeta_1}. The
   scheme keeps, for each side of the region being treated, this *debt* n (the number of
   perturbative bonds its coupling has crossed), so ||V|| = e^{-(n + 1) / zeta_1} for the
   next site out: the local localisation length is l / n over a collar of length l.
3. *Resonant spots*, maximal runs of k resonant bonds (sites b .. b + k, length k a), are
   diagonalised in order of increasing k (ties: left to right); each becomes an ergodic region
   of length l_E (bonds spanned) and Hilbert-space dimension e^{s l_E}, s = log(d_s) (Eq. 6's
   d_l = e^{s(a k + 2 l)} convention: a region's dimension counts its length, not its sites).
4. *Collars melt.* The site x next to a region E melts when G = ||V|| sqrt(d) >= 1 with d the
   dimension of E plus what is added (main text Eq. 6: e^{s(ak + 2l)/2} e^{-l / zeta} >= 1):
   log G = s (l_E + added) / 2 - (n + 1) / zeta_1. Both sides are tested together, counting
   both candidates in d (which reproduces Eq. 6 exactly for symmetric growth from a bare spot
   in clean material); if only one side passes jointly, it is retested alone.
5. *Rule of halted decay* (SM B, Eq. 12): a coupling does not decay across a thermal region
   treated before it, so crossing a treated region adds nothing to the debt (its own collar
   bonds included); bonds inside bare spots are resonant and cost nothing either.
6. *Finished regions.* When a region stops growing, its remaining perturbative couplings are
   eliminated (Fig. 2 e), so it has no couplings of its own any more; only the spot being
   treated (the active region) couples outwards. A region blocked by an untreated spot keeps
   its coupling to that spot, but that spot's own debt on that side is still 0 when its turn
   comes, so the kept coupling never decides anything and is not tracked.
7. *Fusion* (Fig. 2 c-d): when the next site belongs to a treated region F, the active region
   E fuses with it if s (l_E + 1 + l_F + added on the other side) / 2 >= (n_E + 1) / zeta_1;
   the fused region's debt on F's far side is n_E + 1 (the bond into F; F itself is free).
8. *Untreated spots block.* Perturbative couplings linking to a not yet diagonalised resonant
   spot are left untouched (main text b), so a growing region stops at a larger untreated
   spot; that spot, in its turn, tests fusion with the region.
9. *Avalanches to the end.* The active region grows, fusing whatever it reaches, until no
   neighbour passes; then the next spot is treated.

Where the paper is silent the choices are those above: ties in size treated left to right
(3), both sides tested jointly (4; ``joint_sides=False`` tests each side alone), elimination
of finished regions' couplings (6), blocking (8), and K = 1 by default (zeta_1 = -1 / log eps,
no extra constant; the mean-field eps_c(1) = 0.194). The chain is thermal when one region
spans all L sites; rho_th is the thermal fraction of sites (bare spots included).

Measured (K = 1, 100-200 chains per point): the apparent eps_c(L), where p(eps, L) = 1/2,
drifts down from 0.35 (L = 32) through 0.29 (100), 0.265 (316) and 0.246 (1000) to about 0.24
(L = 1e5); the mean field gives eps_c(1) = 0.194. At eps = 0.24, L = 1e5 (p ~ 0.4) the region
sizes follow p(l) ~ l^-2.5 over l = 4 .. 1024, inside the paper's 2 < tau < 3 for the full
scheme. For K = 10 the drift is 0.75 (L = 32) to 0.57 (L = 3e4) against a mean-field 0.33.
Property (ii) held for every chain tried (sites added at either end); property (i) holds on
average but not chain by chain (a spot that appears at larger eps can block a collar).
Lattice artefact of bimodal couplings: log G = s (integer) / 2 - (integer) / zeta_1 changes
sign for many configurations at once when 1 / (s zeta_1) crosses a simple rational, so the
mean rho_th jumps there, most visibly at eps = K / 4 (1 / zeta_1 = 2 s; at K = 1 and L = 1000,
rho_th goes from 0.52 to 0.94 across eps = 0.25).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from mblkit.phenomenology.avalanche_flow import check_eps, check_positive, entropy_density

DEFAULT_K = 1.0
SPOT_SIZE_EDGES = 2 ** np.arange(0, 31, dtype=np.int64)  # [1, 2), [2, 4), ... [2^29, 2^30)


@njit(cache=True, nogil=True)
def _find(parent: np.ndarray, r: int) -> int:
    while parent[r] != r:
        parent[r] = parent[parent[r]]
        r = parent[r]
    return r


@njit(cache=True, nogil=True)
def _grow(r: int, owner: np.ndarray, parent: np.ndarray, treated: np.ndarray,
          lo: np.ndarray, hi: np.ndarray, debt_l: np.ndarray, debt_r: np.ndarray,
          half_s: float, cost: float, joint: bool) -> bool:
    """Grow region root r until no neighbour melts or fuses; True if anything changed."""
    L = owner.size
    changed = False
    while True:
        length = hi[r] - lo[r]
        # right candidate: 0 none/blocked, 1 plain site, 2 treated region
        kind_r = 0
        add_r = 0
        need_r = 0
        f_r = -1
        if hi[r] < L - 1:
            o = owner[hi[r] + 1]
            if o < 0:
                kind_r, add_r, need_r = 1, 1, debt_r[r] + 1
            else:
                f_r = _find(parent, o)
                if treated[f_r]:
                    kind_r = 2
                    add_r = 1 + hi[f_r] - lo[f_r]
                    need_r = debt_r[r] + 1
        kind_l = 0
        add_l = 0
        need_l = 0
        f_l = -1
        if lo[r] > 0:
            o = owner[lo[r] - 1]
            if o < 0:
                kind_l, add_l, need_l = 1, 1, debt_l[r] + 1
            else:
                f_l = _find(parent, o)
                if treated[f_l]:
                    kind_l = 2
                    add_l = 1 + hi[f_l] - lo[f_l]
                    need_l = debt_l[r] + 1
        melt_r = False
        melt_l = False
        if kind_r and kind_l and joint:
            total = length + add_r + add_l
            pass_r = half_s * total - cost * need_r >= 0.0
            pass_l = half_s * total - cost * need_l >= 0.0
            if pass_r and pass_l:
                melt_r = True
                melt_l = True
            elif pass_r:
                melt_r = half_s * (length + add_r) - cost * need_r >= 0.0
            elif pass_l:
                melt_l = half_s * (length + add_l) - cost * need_l >= 0.0
        else:
            if kind_r:
                melt_r = half_s * (length + add_r) - cost * need_r >= 0.0
            if kind_l:
                melt_l = half_s * (length + add_l) - cost * need_l >= 0.0
        if not (melt_r or melt_l):
            return changed
        changed = True
        if melt_r:
            if kind_r == 1:
                hi[r] += 1
                owner[hi[r]] = r
                debt_r[r] += 1
            else:
                parent[f_r] = r
                hi[r] = hi[f_r]
                debt_r[r] += 1
        if melt_l:
            if kind_l == 1:
                lo[r] -= 1
                owner[lo[r]] = r
                debt_l[r] += 1
            else:
                parent[f_l] = r
                lo[r] = lo[f_l]
                debt_l[r] += 1


@njit(cache=True, nogil=True)
def _scheme_kernel(resonant: np.ndarray, half_s: float, cost: float, joint: bool
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Steps 3-8 of the module docstring on a bool array of L - 1 bonds.

    Returns (region of each site or -1, region lo, region hi, bare-spot orders); the
    region arrays list the final (root) regions in order along the chain.
    """
    n = resonant.size
    L = n + 1
    owner = np.full(L, -1, dtype=np.int64)
    # bare spots: maximal runs of resonant bonds
    spot_lo = np.empty(n, dtype=np.int64)
    spot_k = np.empty(n, dtype=np.int64)
    count = 0
    b = 0
    while b < n:
        if resonant[b]:
            start = b
            while b < n and resonant[b]:
                b += 1
            spot_lo[count] = start
            spot_k[count] = b - start
            count += 1
        else:
            b += 1
    spot_lo = spot_lo[:count]
    spot_k = spot_k[:count]
    parent = np.arange(count)
    treated = np.zeros(count, dtype=np.bool_)
    lo = spot_lo.copy()
    hi = spot_lo + spot_k
    debt_l = np.zeros(count, dtype=np.int64)
    debt_r = np.zeros(count, dtype=np.int64)
    for j in range(count):
        owner[lo[j]:hi[j] + 1] = j
    order = np.argsort(spot_k * (L + 1) + spot_lo)  # increasing order, ties left to right
    for j in order:
        treated[j] = True
        r = _find(parent, j)
        _grow(r, owner, parent, treated, lo, hi, debt_l, debt_r, half_s, cost, joint)
    roots = np.empty(count, dtype=np.int64)
    m = 0
    for j in range(count):
        if parent[j] == j:
            roots[m] = j
            m += 1
    roots = roots[:m]
    roots = roots[np.argsort(lo[roots])]
    site_region = np.full(L, -1, dtype=np.int64)
    for i in range(m):
        site_region[lo[roots[i]]:hi[roots[i]] + 1] = i
    return site_region, lo[roots], hi[roots], spot_k


@dataclass(frozen=True)
class SchemeResult:
    """The end of the scheme on one chain (main text c, "End of the procedure"); lengths in
    bonds spanned, units of a.

    region : per site, the index of its ergodic region or -1 (localised); region_lo /
    region_hi : first and last site of each region, along the chain; spot_orders : orders k of
    the bare resonant spots (maximal runs of resonant bonds), along the chain.
    """

    L: int
    region: np.ndarray
    region_lo: np.ndarray
    region_hi: np.ndarray
    spot_orders: np.ndarray

    @property
    def thermal_sites(self) -> np.ndarray:
        """Bool mask of sites in an ergodic region."""
        return self.region >= 0

    @property
    def thermal_density(self) -> float:
        """rho_th(L): the fraction of sites in ergodic regions (main text, "General analysis")."""
        return float(np.count_nonzero(self.region >= 0)) / self.L

    @property
    def thermal(self) -> bool:
        """True when one ergodic region spans the whole chain (main text c, end of procedure)."""
        return bool(self.region_lo.size == 1 and self.region_lo[0] == 0
                    and self.region_hi[0] == self.L - 1)

    @property
    def region_lengths(self) -> np.ndarray:
        """Lengths of the ergodic regions, in bonds spanned (a bare spot of order k: k)."""
        return self.region_hi - self.region_lo


def _check_L(L: int) -> int:
    if isinstance(L, bool) or not isinstance(L, int | np.integer) or L < 1:
        raise ValueError(f"L={L!r} is not allowed: the number of sites must be an integer >= 1")
    return int(L)


def run_scheme(resonant: np.ndarray, eps: float, *, K: float = DEFAULT_K, d_s: float = 2.0,
               joint_sides: bool = True) -> SchemeResult:
    """The scheme (main text a-c, Fig. 2, Eq. 6, SM B; module docstring steps 2-9) on a
    given pattern of resonant bonds.

    resonant : bool array of the L - 1 bonds (bond b joins sites b and b + 1); eps sets the
    perturbative bond norm eps / K (zeta_1 = -1 / log(eps / K)), K > 0, d_s >= 2 states per
    site. Deterministic: no random numbers.
    """
    bonds = np.asarray(resonant)
    if bonds.ndim != 1 or bonds.dtype != np.bool_:
        raise ValueError(f"resonant must be a 1-D bool array of bonds, got dtype {bonds.dtype} "
                         f"and shape {bonds.shape}")
    e = float(check_eps(eps))
    check_positive("K", K)
    half_s = entropy_density(d_s) / 2.0
    cost = math.inf if e == 0.0 else math.log(K) - math.log(e)  # 1 / zeta_1
    region, lo, hi, orders = _scheme_kernel(bonds, half_s, cost, bool(joint_sides))
    return SchemeResult(bonds.size + 1, region, lo, hi, orders)


def spot_size_histogram(lengths: np.ndarray, edges: np.ndarray = SPOT_SIZE_EDGES) -> np.ndarray:
    """int64 counts of region lengths on the fixed bins [edges[j], edges[j+1]).

    The raw material of p(l) (main text regime (ii)); counts merge by addition.
    """
    counts, _ = np.histogram(np.asarray(lengths), bins=np.asarray(edges))
    return counts.astype(np.int64)


def spot_size_pdf(counts: np.ndarray, n_sites: int, edges: np.ndarray = SPOT_SIZE_EDGES
                  ) -> np.ndarray:
    """p(l): regions per unit chain length per unit l, from summed histogram counts.

    ``n_sites`` is the total number of sites that produced ``counts`` (L times the number of
    samples); same normalisation as
    :func:`mblkit.phenomenology.avalanche_finite_size.spot_size_density` (main text regime
    (ii): p(l) ~ l^-3 at criticality in the mean field).
    """
    return np.asarray(counts, dtype=np.float64) / (n_sites * np.diff(np.asarray(edges)))


def sample_chain(L: int, eps: float, rng: np.random.Generator, *, K: float = DEFAULT_K,
                 d_s: float = 2.0, joint_sides: bool = True,
                 size_edges: np.ndarray = SPOT_SIZE_EDGES) -> dict:
    """One chain of the full scheme (main text a-c, Fig. 2, SM A-B): draw the bonds from
    ``rng`` and run the scheme.

    Returns a campaign-shaped record (see :mod:`mblkit.campaign.tasks`):
    ``scalars``: thermal_density (rho_th), thermal (0/1), n_regions, n_spots,
    largest_region (bonds spanned); ``arrays``: resonant (uint8, L - 1 bonds), thermal_sites
    (uint8, L sites); ``histograms``: spot_size, int64 counts of region lengths on
    ``size_edges`` (default powers of two, 1 .. 2^30). The only random numbers are
    ``rng.random(L - 1)``; resonant bonds are those with u < eps.
    """
    L = _check_L(L)
    e = float(check_eps(eps))
    resonant = rng.random(L - 1) < e
    result = run_scheme(resonant, e, K=K, d_s=d_s, joint_sides=joint_sides)
    lengths = result.region_lengths
    return {
        "scalars": {"thermal_density": result.thermal_density,
                    "thermal": int(result.thermal),
                    "n_regions": int(lengths.size),
                    "n_spots": int(result.spot_orders.size),
                    "largest_region": int(lengths.max()) if lengths.size else 0},
        "arrays": {"resonant": resonant.astype(np.uint8),
                   "thermal_sites": result.thermal_sites.astype(np.uint8)},
        "histograms": {"spot_size": spot_size_histogram(lengths, size_edges)},
    }


@dataclass(frozen=True)
class ThermalScan:
    """p(eps, L) ("Finite-size scaling") and friends from the full scheme; arrays indexed
    [L index, eps index].

    p : fraction of thermal chains; p_sem : its binomial standard error; rho : mean rho_th;
    spot_counts : summed spot_size histograms [L, eps, bin]; edges : their bins.
    """

    eps: np.ndarray
    L: np.ndarray
    n_samples: int
    p: np.ndarray
    p_sem: np.ndarray
    rho: np.ndarray
    spot_counts: np.ndarray
    edges: np.ndarray

    def spot_pdf(self, i_L: int, i_eps: int) -> np.ndarray:
        """p(l) at (L[i_L], eps[i_eps]), normalised by :func:`spot_size_pdf`."""
        return spot_size_pdf(self.spot_counts[i_L, i_eps], int(self.L[i_L]) * self.n_samples,
                             self.edges)


def scan_thermal_probability(eps: np.ndarray, L: np.ndarray, n_samples: int, seed: int, *,
                             K: float = DEFAULT_K, d_s: float = 2.0, joint_sides: bool = True,
                             size_edges: np.ndarray = SPOT_SIZE_EDGES) -> ThermalScan:
    """p(eps, L) of the full scheme (main text "Finite-size scaling"): run
    :func:`sample_chain` over a grid of eps and L, n_samples chains per point.

    Sample j at L[i] uses ``SeedSequence(seed, spawn_key=(i, j))`` for every eps (common random
    numbers: the same u_b at every eps, so curves in eps are smooth and monotone up to
    non-monotone samples); the spawn key follows DESIGN.md's (point, realisation) convention
    with the L index as the point.
    """
    eps_arr = check_eps(np.atleast_1d(eps), "eps")
    Ls = np.atleast_1d(np.asarray(L))
    for value in Ls:
        _check_L(int(value))
    if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 1:
        raise ValueError(f"n_samples={n_samples!r} is not allowed: it must be an integer >= 1")
    edges = np.asarray(size_edges)
    thermal = np.zeros((Ls.size, eps_arr.size))
    rho = np.zeros((Ls.size, eps_arr.size))
    counts = np.zeros((Ls.size, eps_arr.size, edges.size - 1), dtype=np.int64)
    for i, length in enumerate(Ls):
        for j in range(n_samples):
            u = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(i, j))).random(
                int(length) - 1)
            for m, e in enumerate(eps_arr):
                result = run_scheme(u < e, float(e), K=K, d_s=d_s, joint_sides=joint_sides)
                thermal[i, m] += result.thermal
                rho[i, m] += result.thermal_density
                counts[i, m] += spot_size_histogram(result.region_lengths, edges)
    p = thermal / n_samples
    return ThermalScan(eps_arr, Ls, n_samples, p, np.sqrt(p * (1 - p) / n_samples),
                       rho / n_samples, counts, edges)


def apparent_critical_eps(eps: np.ndarray, p: np.ndarray, level: float = 0.5) -> float:
    """The apparent eps_c(L): where p(eps, L) first reaches ``level``, by linear interpolation.

    eps ascending, p the matching probabilities; nan if p never crosses the level. The drift of
    this value with L is the finite-size drift of the transition (main text "Finite-size
    scaling"); level 1/2 by default (a choice: the paper names none).
    """
    x = np.asarray(eps, dtype=np.float64)
    y = np.asarray(p, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1 or np.any(np.diff(x) <= 0):
        raise ValueError("eps must be 1-D and strictly ascending, with p of the same shape")
    if not 0 < level < 1:
        raise ValueError(f"level={level!r} is not allowed: it must lie in (0, 1)")
    above = np.flatnonzero(y >= level)
    if above.size == 0:
        return math.nan
    j = int(above[0])
    if j == 0:
        return float(x[0]) if y[0] == level else math.nan
    return float(x[j - 1] + (level - y[j - 1]) * (x[j] - x[j - 1]) / (y[j] - y[j - 1]))


@dataclass(frozen=True)
class AvalancheChain:
    """Parameters of one finite chain of the full scheme: L sites, resonance probability eps
    per bond, bare-coupling constant K, local dimension d_s, joint or one-sided collar tests (the
    campaign model ``avalanche-scheme``; :func:`sample_chain` draws one realisation)."""

    L: int
    eps: float
    K: float = DEFAULT_K
    d_s: float = 2.0
    joint_sides: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.L, bool) or not isinstance(self.L, int) or self.L < 2:
            raise ValueError(f"L={self.L!r} is not allowed: an integer >= 2")
        if not isinstance(self.eps, int | float) or not 0 <= self.eps <= 1:
            raise ValueError(f"eps={self.eps!r} is not allowed: it must lie in [0, 1]")
        if not isinstance(self.K, int | float) or not self.K > 0:
            raise ValueError(f"K={self.K!r} is not allowed: it must be > 0")
        if not isinstance(self.d_s, int | float) or not self.d_s > 1:
            raise ValueError(f"d_s={self.d_s!r} is not allowed: it must be > 1")
