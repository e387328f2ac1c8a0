"""The analysis of ``ergodic-bubble-inclusions.txt`` on campaign stores: purity vs distance
from the bubble, the L vs L + 2 gap-ratio crossings, the Pearson purity correlation (Eq. 7),
the gamma_0 fit (SM C) and the band width beta that maximises the gap ratio (SM A).

Two stores enter: one of model "bubble" (chain of L sites + GOE bubble) and one of model
"xxz", the bubble-less reference (the paper compares with the chain of L + 2 sites, Figs. 2-5
and 9, or of L sites, Figs. 4 and 8). Both must store the observables "gap_ratio" and/or
"purity" with ``sites = "all"`` (and "magnetisation" for Fig. 7).

Geometry (conventions of :mod:`mblkit.models.bubble`): chain sites 0 and L-1 touch the bubble,
so site i lies at distance d_i = min(i, L-1-i) from it (d = 0 next to it, up to floor((L-1)/2)).
The reference chain of N sites stands for the bubble system with the bubble replaced by spins:

* periodic: all N sites are equivalent on average; gamma_XXZ averages over all of them, and
  C(r) pairs every site o with o + r (mod N);
* open: the ends 0 and N-1 play the bubble; gamma_XXZ averages the sites 1..N-2, and C(r)
  pairs site 1 with 1 + r and N-2 with N-2-r.

Averages are over realisations first (the states of one realisation share the disorder), with
the standard error of the mean over realisations. Everything here returns plain numbers and
arrays; :mod:`mblkit.figures.bubble` draws them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mblkit.campaign.config import parse_config
from mblkit.campaign.store import CampaignStore
from mblkit.models.bubble import PAPER_BETA
from mblkit.phenomenology.bubble_avalanche import AvalancheFit, fit_avalanche_model, purity_model
from mblkit.stats import (
    Correlation,
    Feature,
    OffsetExponentialFit,
    crossing,
    fit_offset_exponential,
    peak,
    pooled_pearson,
)


@dataclass(frozen=True)
class BubblePoint:
    """One parameter point of a bubble or reference campaign.

    ``purity``: (n, L) per-realisation state means of gamma_i; ``products``: (n, L, L) state
    means of gamma_i gamma_j; ``gap_ratio``: (n,); ``magnetisation``: (L, bins) counts of
    <S^z_i> on [-1/2, 1/2] summed over realisations. Absent observables are None.
    """

    model: str
    params: dict
    n: int
    gap_ratio: np.ndarray | None
    purity: np.ndarray | None
    products: np.ndarray | None
    magnetisation: np.ndarray | None

    @property
    def L(self) -> int:
        return int(self.params["L"])

    @property
    def W(self) -> float:
        return float(self.params["W"])

    @property
    def n_goe(self) -> int:
        return int(self.params.get("n_goe", 4))

    @property
    def beta(self) -> float:
        beta = self.params.get("beta")
        return float(PAPER_BETA[self.n_goe] if beta is None else beta)

    @property
    def boundary(self) -> str:
        return str(self.params.get("boundary", "open"))


def load_points(path: str | Path) -> list[BubblePoint]:
    """Every point with at least one realisation of a "bubble" or "xxz" campaign store."""
    store = CampaignStore.read(Path(path))
    config = parse_config(store.config_text)
    if config.model.name not in ("bubble", "xxz"):
        raise ValueError(f"{path} holds model {config.model.name!r}; the bubble analysis "
                         f"reads 'bubble' and 'xxz' campaigns")
    for spec in config.observables:
        if spec.name in ("purity", "magnetisation") and spec.sites != "all":
            raise ValueError(f"{path}: observable {spec.name!r} has sites = {spec.sites!r}; "
                             f"the bubble analysis needs sites = 'all'")
    points = []
    for p in range(store.n_points):
        res = store.load_point(p)
        if not res.n_realisations:
            continue
        points.append(BubblePoint(config.model.name, res.params, res.n_realisations,
                                  res.scalars.get("gap_ratio"),
                                  res.arrays.get("purity_sites"),
                                  res.arrays.get("purity_products"),
                                  res.histograms.get("magnetisation")))
    return points


def select(points: list[BubblePoint], **params) -> list[BubblePoint]:
    """The points whose parameters equal ``params`` (L, W, n_goe, beta, ...)."""
    def matches(point: BubblePoint) -> bool:
        for key, value in params.items():
            have = getattr(point, key) if key in ("n_goe", "beta") else point.params.get(key)
            if have is None or not np.isclose(float(have), float(value)):
                return False
        return True

    return [p for p in points if matches(p)]


def only(points: list[BubblePoint], **params) -> BubblePoint:
    """The one point with ``params``; ValueError naming what is there otherwise."""
    found = select(points, **params)
    if len(found) != 1:
        have = sorted({(p.L, p.W) for p in points})
        raise ValueError(f"{len(found)} points match {params}; the store has (L, W) = {have}")
    return found[0]


def _mean_sem(per_realisation: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(per_realisation, dtype=float)
    n = x.shape[0]
    sem = x.std(axis=0, ddof=1) / np.sqrt(n) if n > 1 else np.full(x.shape[1:], np.nan)
    return x.mean(axis=0), sem


def _need(point: BubblePoint, what: str) -> np.ndarray:
    value = getattr(point, what)
    if value is None:
        raise ValueError(f"the point L = {point.L}, W = {point.W} of model {point.model!r} has "
                         f"no stored {what}: add the observable to the campaign")
    return value


def distances(L: int) -> np.ndarray:
    """Distance of each chain site to the bubble, min(i, L-1-i)."""
    i = np.arange(L)
    return np.minimum(i, L - 1 - i)


def purity_vs_distance(point: BubblePoint) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(d, mean gamma, sem) at each distance d = 0..floor((L-1)/2) from the bubble (Fig. 3);
    the two sites at one distance are averaged within each realisation first."""
    purity = _need(point, "purity")
    d = distances(point.L)
    per_distance = np.stack([purity[:, d == k].mean(axis=1) for k in range(d.max() + 1)], 1)
    mean, sem = _mean_sem(per_distance)
    return np.arange(d.max() + 1), mean, sem


def reference_sites(point: BubblePoint) -> np.ndarray:
    """Sites of a reference chain that stand for the bubble system's chain (module docstring)."""
    return np.arange(point.L) if point.boundary == "periodic" else np.arange(1, point.L - 1)


def reference_purity(point: BubblePoint) -> tuple[float, float]:
    """gamma_XXZ of a bubble-less chain: mean over :func:`reference_sites` and realisations."""
    purity = _need(point, "purity")[:, reference_sites(point)].mean(axis=1)
    mean, sem = _mean_sem(purity[:, None])
    return float(mean[0]), float(sem[0])


def correlation_pairs(point: BubblePoint, r: int) -> list[tuple[int, int]]:
    """Site pairs at separation r whose purities Eq. 7 correlates (module docstring)."""
    L = point.L
    if point.model == "bubble":
        return [(0, r), (L - 1, L - 1 - r)]
    if point.boundary == "periodic":
        return [(o, (o + r) % L) for o in range(L)]
    return [(1, 1 + r), (L - 2, L - 2 - r)]


def purity_correlation(point: BubblePoint) -> tuple[np.ndarray, list[Correlation]]:
    """C(r) of Eq. 7 for r = 0..floor(L_chain / 2): Pearson coefficient of the purities of the
    site next to the bubble and the site r further, pooled over states and realisations
    (:func:`mblkit.stats.pooled_pearson`, jackknife errors)."""
    purity, products = _need(point, "purity"), _need(point, "products")
    chain = point.L if point.model == "bubble" else len(reference_sites(point))
    r = np.arange(chain // 2 + 1)
    return r, [pooled_pearson(purity, products, correlation_pairs(point, int(k))) for k in r]


def gap_ratio_curve(points: list[BubblePoint], **params
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(W, mean r, sem) of the points matching ``params`` (e.g. L = 12), ascending in W."""
    chosen = sorted(select(points, **params), key=lambda p: p.W)
    if not chosen:
        raise ValueError(f"no point matches {params}")
    stats = [_mean_sem(_need(p, "gap_ratio")[:, None]) for p in chosen]
    return (np.array([p.W for p in chosen]), np.array([m[0] for m, _ in stats]),
            np.array([s[0] for _, s in stats]))


def gap_ratio_crossings(points: list[BubblePoint], step: int = 2, **params
                        ) -> dict[tuple[int, int], Feature]:
    """W where the gap-ratio curves of L and L + step cross (Fig. 2 inset), for each pair of
    sizes present, with the parametric-bootstrap error of :func:`mblkit.stats.crossing`."""
    sizes = sorted({p.L for p in select(points, **params)})
    out = {}
    for L in sizes:
        if L + step not in sizes:
            continue
        w1, r1, e1 = gap_ratio_curve(points, L=L, **params)
        w2, r2, e2 = gap_ratio_curve(points, L=L + step, **params)
        common = np.intersect1d(w1, w2)
        a, b = np.isin(w1, common), np.isin(w2, common)
        out[(L, L + step)] = crossing(common, r1[a], e1[a], r2[b], e2[b])
    return out


@dataclass(frozen=True)
class DistanceFit:
    """gamma_XXZ - gamma_d = gamma_0 + A e^{-d / xi} at one point (SM C, Fig. 9).

    ``gamma0_error`` adds the reference's standard error (a common shift of every d) in
    quadrature to the fit's; ``fit`` keeps the full result."""

    d: np.ndarray
    difference: np.ndarray
    sigma: np.ndarray
    fit: OffsetExponentialFit
    gamma0: float
    gamma0_error: float


def fit_distance_decay(point: BubblePoint, reference: BubblePoint) -> DistanceFit:
    """Fit gamma_XXZ - gamma_d (reference: the bubble-less chain, L + 2 sites in the paper)."""
    d, gamma, sem = purity_vs_distance(point)
    g_xxz, g_err = reference_purity(reference)
    fit = fit_offset_exponential(d, g_xxz - gamma, sem)
    return DistanceFit(d, g_xxz - gamma, sem, fit, fit.offset,
                       float(np.hypot(fit.offset_error, g_err)))


@dataclass(frozen=True)
class AvalancheOverlay:
    """Eq. 6 fitted to one purity profile: (p, xi) in ``fit``, the model's gamma_d at the
    measured distances ``d`` in ``model``, and gamma_XXZ of the reference it used."""

    d: np.ndarray
    model: np.ndarray
    gamma_xxz: float
    fit: AvalancheFit


def fit_avalanche(point: BubblePoint, reference: BubblePoint, exponent: float | None = None
                  ) -> AvalancheOverlay:
    """Fit the avalanche model of Eq. 6 / SM D (p and xi free; n_GOE and L of the point;
    gamma_XXZ from the reference) to the purity profile, weighted by its standard errors.
    The model lives on sites: it is evaluated at the integer distances only. Ergodic term: the
    random-matrix 1/(d_eff + 2) by default, ``exponent=0.5`` for Eq. 6's printed d_eff^(-1/2)
    (:func:`mblkit.phenomenology.bubble_avalanche.purity_model`)."""
    d, gamma, sem = purity_vs_distance(point)
    g_xxz, _ = reference_purity(reference)
    fit = fit_avalanche_model(d, gamma, sem, g_xxz, point.n_goe, point.L, exponent)
    model = purity_model(d, fit.xi, fit.p, g_xxz, point.n_goe, point.L, exponent)
    return AvalancheOverlay(d, model, g_xxz, fit)


def best_beta(points: list[BubblePoint], **params) -> Feature:
    """Band width beta maximising the mean gap ratio over the points matching ``params``
    (e.g. n_goe = 4, W = 2.5, L = 10): SM A, Fig. 6."""
    chosen = sorted(select(points, **params), key=lambda p: p.beta)
    if len(chosen) < 3:
        raise ValueError(f"{len(chosen)} values of beta match {params}; a peak needs >= 3")
    stats = [_mean_sem(_need(p, "gap_ratio")[:, None]) for p in chosen]
    return peak([p.beta for p in chosen], [m[0] for m, _ in stats],
                [s[0] for _, s in stats])


def magnetisation_by_distance(point: BubblePoint) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """(bin centres of <S^z>, {d: probability density}) for the bubble chain (Fig. 7); for a
    reference chain, one curve {-1: density} over :func:`reference_sites`."""
    counts = _need(point, "magnetisation")
    bins = counts.shape[1]
    centres = -0.5 + (np.arange(bins) + 0.5) / bins
    if point.model == "bubble":
        d = distances(point.L)
        groups = {int(k): counts[d == k].sum(axis=0) for k in range(d.max() + 1)}
    else:
        groups = {-1: counts[reference_sites(point)].sum(axis=0)}
    return centres, {k: c * bins / c.sum() for k, c in groups.items()}
