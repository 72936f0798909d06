"""Backtests of the solar-activity models (used by the tests and for VALIDATION.md).

``python -m deorbit.tools.solar_backtests`` prints the tables of VALIDATION.md, section "Solar
activity backtests" (about 2 minutes on a 2-core VM).

Monthly coverage
    A model conditioned on the record up to the day before a cutoff simulates daily F10.7
    from the cutoff on; the monthly means of each path give, per calendar month, the 5th
    and 95th percentiles (a 90 % band). The band "holds" a month when the recorded monthly
    mean of observed F10.7 lies within it. Only complete, entirely observed months count.
    The band is the model's, estimated from :data:`PATHS` paths: a band estimated from too
    few paths holds fewer months than the model's own (:func:`coverage_convergence`).

Rolling backtest
    The same from every 1 January and 1 July from 2008 to 2025 (35 cutoffs, 7-year horizons
    cut at the record's end): the four cutoffs above could be chosen to flatter a model;
    every date cannot.

Storm statistics
    Daily Ap median and 99th percentile per cycle phase class (minimum, rising, maximum,
    declining; :data:`deorbit.solar._cycles.PHASE_CLASSES`) of the simulated days, against
    the record: the days the model could see (its bootstrap pool, phases from its own
    template) and the whole record (phases from the model fitted to all of it).
"""

from __future__ import annotations

import copy

import numpy as np

from ..solar import _cycles as cy
from ..solar.stochastic import StochasticModel
from ..spaceweather import SpaceWeather, load_space_weather

__all__ = ["PATHS", "ap_after_cutoff", "ap_phase_statistics", "calibrate_likelihood_power",
           "coverage_convergence", "day_of", "main", "mid_median", "monthly_coverage",
           "observed_after", "record_ap_phase_statistics", "rolling_coverage",
           "without_ap_scaling"]

PHASE_NAMES = ("minimum", "rising", "maximum", "declining")
CUTOFFS = ("2008-01-01", "2014-01-01", "2019-01-01", "2023-01-01")
ROLLING_CUTOFFS = tuple(f"{y}-{m:02d}-01" for y in range(2008, 2026) for m in (1, 7))[:-1]

#: Paths per coverage backtest. The band's edges are quantiles estimated from the paths; when
#: a tail of the ensemble is made of a few percent of the paths (a late start of the next
#: cycle, at the 2008 cutoff), too few paths put the edge inside it at random, and the band
#: then misses more months than the model's own band. Mean over seeds 1-6 at the 2008 cutoff:
#: 0.74 with 250 paths, 0.79 with 500, 0.83 with 1000, 0.85 with 4000 and with 8000
#: (:func:`coverage_convergence`); 4000 paths take 1-2 s a cutoff.
PATHS = 4000


def day_of(iso: str) -> int:
    """Day index (days since 2000-01-01) of an ISO date."""
    return int((np.datetime64(iso, "D") - np.datetime64("2000-01-01", "D")).astype(np.int64))


def _month(day: np.ndarray) -> np.ndarray:
    return (np.datetime64("2000-01-01", "D") + day.astype("timedelta64[D]")).astype(
        "datetime64[M]"
    ).astype(np.int64)


def monthly_coverage(
    model,
    space_weather: SpaceWeather,
    cutoff: str,
    *,
    years: int = 7,
    n_paths: int = PATHS,
    seed: int = 1,
    level: float = 0.90,
) -> dict:
    """Coverage of the model's central band of monthly-mean F10.7 after ``cutoff``.

    Parameters
    ----------
    model : SolarActivityModel
        Conditioned on data before ``cutoff`` (e.g. ``StochasticModel(sw,
        condition_on_data_until=day_of(cutoff) - 1)``).
    space_weather : SpaceWeather
        The record to compare with.
    cutoff : str
        ISO date of the first forecast day (the 1st of a month).
    years : int
        Horizon, years (cut at the last complete observed month).
    n_paths, seed : int
        Number of paths and the seed of ``numpy.random.default_rng``.
    level : float
        Central band probability.

    Returns
    -------
    dict
        ``months`` (datetime64[M]), ``observed``, ``low``, ``median``, ``high`` (sfu),
        ``inside`` (bool), ``horizon_year`` (1-based), ``coverage`` (fraction of months),
        ``coverage_by_year`` (dict year -> (fraction, n months)).
    """
    first = day_of(cutoff)
    last_obs = int(space_weather.last_observed_day_j2000)
    # last complete observed month
    end_month = _month(np.array([last_obs + 1]))[0]  # its month is incomplete or next
    end_day = day_of(str(np.datetime64(int(end_month), "M"))) - 1
    end_day = min(end_day, day_of(str(np.datetime64(cutoff, "M") + 12 * years)) - 1)
    n = end_day - first + 1
    if n < 28:
        raise ValueError(f"no complete observed month after {cutoff}")
    paths = model.sample(np.random.default_rng(seed), first, n, n_paths)
    mon = _month(np.arange(first, first + n))
    um, inv = np.unique(mon, return_inverse=True)
    cnt = np.bincount(inv)
    sim = np.stack([np.bincount(inv, row) / cnt for row in paths.f107_sfu])
    i0 = first - int(space_weather.day_j2000[0])
    obs = np.bincount(inv, np.asarray(space_weather.f107_obs_sfu[i0 : i0 + n])) / cnt
    q = 100.0 * (1.0 - level) / 2.0
    low, med, high = np.percentile(sim, [q, 50.0, 100.0 - q], axis=0)
    inside = (obs >= low) & (obs <= high)
    year = np.arange(um.size) // 12 + 1
    by_year = {int(y): (float(inside[year == y].mean()), int((year == y).sum()))
               for y in np.unique(year)}
    return dict(
        months=um.astype("datetime64[M]"), observed=obs, low=low, median=med, high=high,
        inside=inside, horizon_year=year, coverage=float(inside.mean()),
        coverage_by_year=by_year,
    )


def rolling_coverage(space_weather: SpaceWeather, cutoffs=ROLLING_CUTOFFS, *,
                     seed: int = 1, n_paths: int = PATHS, before: str | None = None,
                     **model_parameters) -> dict:
    """:func:`monthly_coverage` of the stochastic model from each cutoff.

    Horizons are 7 years, cut at the record's last complete month or, with ``before``, at
    the whole years before that date; ``model_parameters`` go to :class:`StochasticModel`
    (default: its defaults).

    Returns
    -------
    dict
        ``by_cutoff``: cutoff -> (coverage, months, months below the band, months above);
        ``pooled``: the fraction of all months held. About a minute for the 35 default
        cutoffs.
    """
    by_cutoff, n_in, n_all = {}, 0, 0
    for c in cutoffs:
        years = 7 if before is None else min(7, (day_of(before) - day_of(c)) // 365)
        m = StochasticModel(space_weather, condition_on_data_until=day_of(c) - 1,
                            **model_parameters)
        r = monthly_coverage(m, space_weather, c, years=years, n_paths=n_paths, seed=seed)
        below = int((r["observed"] < r["low"]).sum())
        above = int((r["observed"] > r["high"]).sum())
        by_cutoff[c] = (r["coverage"], int(r["inside"].size), below, above)
        n_in += int(r["inside"].sum())
        n_all += int(r["inside"].size)
    return dict(by_cutoff=by_cutoff, pooled=n_in / n_all)


def coverage_convergence(model, space_weather: SpaceWeather, cutoff: str, *,
                         n_paths=(250, 500, 1000, 2000, 4000, 8000),
                         seeds=(1, 2, 3, 4, 5, 6)) -> dict:
    """Coverage of :func:`monthly_coverage` against the number of paths the band is
    estimated from: n_paths -> list of coverages, one per seed."""
    return {n: [monthly_coverage(model, space_weather, cutoff, n_paths=n, seed=s)["coverage"]
                for s in seeds] for n in n_paths}


def _stats(a: np.ndarray) -> tuple[float, float, int]:
    if a.size == 0:
        return (np.nan, np.nan, 0)
    return (float(np.median(a)), float(np.percentile(a, 99)), int(a.size))


def mid_median(a: np.ndarray) -> float:
    """Parzen's mid-median of integer-valued data such as daily Ap.

    The 0.5 point of the mid-distribution function F(x) - p(x) / 2, interpolated linearly
    between the data's distinct values (Parzen 2004, "Quantile probability and statistical
    data modeling", Statistical Science 19, 652). The plain median of an integer index
    moves in whole steps (one unit is 25 % at Ap 4); this one moves with the share of days
    on either side, so it can be compared with the median of a continuous simulation.
    """
    v, count = np.unique(np.asarray(a, dtype=np.float64), return_counts=True)
    p = count / count.sum()
    return float(np.interp(0.5, np.cumsum(p) - 0.5 * p, v))


def without_ap_scaling(model: StochasticModel) -> StochasticModel:
    """A copy of ``model`` whose bootstrap copies Ap unscaled (gamma = 0), all else equal:
    same paths of F10.7 for the same generator."""
    out = copy.copy(model)
    out.ap_amplitude_exponent = 0.0
    return out


def ap_phase_statistics(
    model: StochasticModel, *, years: int = 22, n_paths: int = 200, seed: int = 2
) -> dict:
    """Daily Ap median and 99th percentile per phase class: simulated vs the model's pool.

    Simulates ``years`` (two cycles) from the day after the model's conditioning date.

    Returns
    -------
    dict
        phase name -> dict(sim=(median, p99, n_days), pool=(median, p99, n_days)).
    """
    first = model.cutoff + 1
    paths, phase = model.sample_with_phase(
        np.random.default_rng(seed), first, int(years * 365.25), n_paths
    )
    cls = cy.phase_class(phase)
    pool_cls = cy.phase_class(model._phase_hist)
    out = {}
    for k, name in enumerate(PHASE_NAMES):
        out[name] = dict(
            sim=_stats(paths.ap[cls == k]), pool=_stats(model._ap[pool_cls == k])
        )
    out["all"] = dict(sim=_stats(paths.ap.ravel()), pool=_stats(model._ap))
    return out


def record_ap_phase_statistics(full_model: StochasticModel) -> dict:
    """Ap median and 99th percentile per phase over the model's whole record."""
    cls = cy.phase_class(full_model._phase_hist)
    out = {name: _stats(full_model._ap[cls == k]) for k, name in enumerate(PHASE_NAMES)}
    out["all"] = _stats(full_model._ap)
    return out


def observed_after(first_day: int, full_model: StochasticModel, years: int = 7):
    """The record's daily Ap and phase classes (of ``full_model``, fitted to the whole
    record) over ``years`` from ``first_day``, cut at the record's end."""
    last = min(first_day + int(years * 365.25), full_model.cutoff + 1)
    i = slice(first_day - full_model.first_record_day, last - full_model.first_record_day)
    return full_model._ap[i], cy.phase_class(full_model._phase_hist[i])


def ap_after_cutoff(
    model: StochasticModel, full_model: StochasticModel, *, years: int = 7,
    n_paths: int = 200, seed: int = 2,
) -> dict:
    """Out of sample: simulated vs observed daily Ap per phase over ``years`` after the cutoff.

    The observed days (to the end of the record) are classed by the phases of
    ``full_model`` (fitted to the whole record), the simulated ones by their own templates.
    """
    obs_ap, obs_cls = observed_after(model.cutoff + 1, full_model, years)
    paths, phase = model.sample_with_phase(np.random.default_rng(seed), model.cutoff + 1,
                                           obs_ap.size, n_paths)
    cls = cy.phase_class(phase)
    out = {}
    for k, name in enumerate(PHASE_NAMES):
        out[name] = dict(sim=_stats(paths.ap[cls == k]), obs=_stats(obs_ap[obs_cls == k]))
    out["all"] = dict(sim=_stats(paths.ap.ravel()), obs=_stats(obs_ap))
    return out


def calibrate_likelihood_power(
    space_weather: SpaceWeather, betas=(1.0, 0.5, 0.3), *, before: str = "2008-01-01"
) -> dict:
    """The pseudo-backtests that chose ``likelihood_power`` (record before ``before`` only).

    Cutoffs every 6 months from 1990-01 to 2006-07, horizons up to 7 years ending before
    ``before``, :data:`PATHS` paths, 4000 particles. Returns beta -> (pooled coverage, worst
    coverage, {cutoff: coverage}). About 30 s per beta.
    """
    cuts = [f"{y}-{m:02d}-01" for y in range(1990, 2007) for m in (1, 7)]
    out = {}
    for beta in betas:
        r = rolling_coverage(space_weather, cuts, before=before,
                             likelihood_power=beta, n_particles=4000)
        res = {c: v[0] for c, v in r["by_cutoff"].items()}
        out[beta] = (r["pooled"], min(res.values()), res)
    return out


def main() -> None:  # pragma: no cover - report generator
    """Print the backtest tables (markdown)."""
    sw = load_space_weather()
    full = StochasticModel(sw)
    print(f"Monthly-mean F10.7, 90 % band coverage ({PATHS} paths; seeds 1, 2, 3)\n")
    print("| cutoff | months | all | " + " | ".join(f"year {y}" for y in range(1, 8)) + " |")
    print("|---|---|---|" + "---|" * 7)
    models = {}
    for c in CUTOFFS:
        m = StochasticModel(sw, condition_on_data_until=day_of(c) - 1)
        models[c] = m
        res = [monthly_coverage(m, sw, c, seed=s) for s in (1, 2, 3)]
        cov = [r["coverage"] for r in res]
        n = res[0]["inside"].size
        cells = []
        for y in range(1, 8):
            if y in res[0]["coverage_by_year"]:
                vals = [r["coverage_by_year"][y][0] for r in res]
                cells.append("/".join(f"{v:.2f}" for v in vals))
            else:
                cells.append("-")
        print(f"| {c} | {n} | " + "/".join(f"{v:.2f}" for v in cov) + " | "
              + " | ".join(cells) + " |")
    conv = coverage_convergence(models[CUTOFFS[0]], sw, CUTOFFS[0])
    print(f"\nBand estimated from n paths: coverage from the {CUTOFFS[0]} cutoff, seeds 1-6\n")
    print("| paths | coverage, seeds 1-6 | mean |")
    print("|---|---|---|")
    for n, covs in conv.items():
        print(f"| {n} | " + " ".join(f"{v:.2f}" for v in covs) + f" | {np.mean(covs):.3f} |")
    roll = rolling_coverage(sw)
    print(f"\nRolling backtest (seed 1): every 1 January and 1 July 2008-2025; pooled coverage "
          f"{roll['pooled']:.3f}\n")
    print("| cutoff | months | coverage | below the band | above |")
    print("|---|---|---|---|---|")
    for c, (cov, n, below, above) in roll["by_cutoff"].items():
        print(f"| {c} | {n} | {cov:.2f} | {below} | {above} |")
    rec = record_ap_phase_statistics(full)
    print("\nDaily Ap median / 99th percentile per phase (simulated 22 years x 200 paths)\n")
    print("| conditioned until | " + " | ".join(PHASE_NAMES) + " | all |")
    print("|---|" + "---|" * 5)
    print("| whole record (1957-10 to 2026-10) | "
          + " | ".join(f"{rec[p][0]:.0f} / {rec[p][1]:.0f}" for p in (*PHASE_NAMES, "all"))
          + " |")
    for c, m in [*models.items(), ("2026-10-15 (all data)", full)]:
        st = ap_phase_statistics(m)
        cells = []
        for p in (*PHASE_NAMES, "all"):
            s, q = st[p]["sim"], st[p]["pool"]
            r = rec[p]
            cells.append(
                f"{s[0]:.1f} / {s[1]:.0f} (pool {q[0]:.0f} / {q[1]:.0f}; "
                f"vs record {s[0] / r[0] - 1:+.0%} / {s[1] / r[1] - 1:+.0%})"
            )
        print(f"| {c} | " + " | ".join(cells) + " |")
    print("\nOut of sample: daily Ap median / 99th percentile (days) over the 7 years after each"
          " cutoff (to 2026-10-15), simulated (200 paths) vs observed\n")
    print("| cutoff | Ap exponent gamma (whole cycles) | " + " | ".join(PHASE_NAMES) + " | all |")
    print("|---|---|" + "---|" * 5)
    for c, m in models.items():
        st = ap_after_cutoff(m, full)
        cells = []
        for p in (*PHASE_NAMES, "all"):
            s, o = st[p]["sim"], st[p]["obs"]
            cells.append(f"{s[0]:.1f} / {s[1]:.0f} vs {o[0]:.0f} / {o[1]:.0f} ({o[2]} d; "
                         f"{s[0] / o[0] - 1:+.0%} / {s[1] / o[1] - 1:+.0%})"
                         if o[2] else f"{s[0]:.1f} / {s[1]:.0f} vs - (0 d)")
        print(f"| {c} | {m.ap_amplitude_exponent:.2f} ({m.ap_amplitude_cycles}) | "
              + " | ".join(cells) + " |")
    print("\nThe same without the Ap amplitude scaling (gamma = 0, same paths otherwise), all"
          " phases\n")
    print("| cutoff | simulated | observed | difference |")
    print("|---|---|---|---|")
    for c, m in models.items():
        s, o = (ap_after_cutoff(without_ap_scaling(m), full)["all"][k] for k in ("sim", "obs"))
        print(f"| {c} | {s[0]:.1f} / {s[1]:.0f} | {o[0]:.0f} / {o[1]:.0f} | "
              f"{s[0] / o[0] - 1:+.0%} / {s[1] / o[1] - 1:+.0%} |")
    print("\nParzen mid-medians of the integer-valued observed Ap (plain median in brackets)\n")
    print("| days | " + " | ".join(PHASE_NAMES) + " | all |")
    print("|---|" + "---|" * 5)
    rows = {"whole record": (full._ap, cy.phase_class(full._phase_hist))}
    rows.update({f"7 years after {c}": observed_after(day_of(c), full) for c in models})
    for name, (ap, cls) in rows.items():
        cells = [ap[cls == k] for k in range(len(PHASE_NAMES))] + [ap]
        print(f"| {name} | " + " | ".join(
            f"{mid_median(a):.1f} ({np.median(a):.0f})" if a.size else "-" for a in cells)
            + " |")


if __name__ == "__main__":  # pragma: no cover
    main()
