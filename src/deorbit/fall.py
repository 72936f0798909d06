"""The fragments' fall: from the breakup state to the ground, and the density they fall
through.

Every fragment class of a sample falls once from the breakup state (:func:`fragment_impacts`):
integrated to ``fragments.TERMINAL_ALT_KM`` at :data:`FRAGMENT_RTOL`, then the analytic
terminal descent (:func:`deorbit.fragments.terminal_descent`), or integrated on for the heavy
pieces still too fast for it (:func:`fall`). The lower atmosphere is one NRLMSISE-00 profile
per process (:func:`fall_table`), also used for the station's last minutes and the final-burn
targeting's trial shots.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from . import fragments, frames, sampling
from .atmosphere import DensityTable
from .kernel import Status, propagate

__all__ = ["FRAGMENT_RTOL", "GLIDE_RTOL", "fall", "fall_table", "fragment_bc",
           "fragment_impacts", "reference_fragment_bc", "to_terminal"]

#: Top of the density table used for the fragments' fall, km.
FALL_TABLE_TOP_KM = 200.0
#: (F10.7a, F10.7, Ap) of the fall table when solar activity varies: a mid-cycle level.
FALL_TABLE_INDICES = (120.0, 120.0, 15.0)
#: DOP853 tolerance of the fragments' fall from breakup to fragments.TERMINAL_ALT_KM (the
#: terminal descent below is analytic). Against the whole fall at 1e-9, on a block of
#: iss-uncontrolled (700 falls): impact points move by 59 m (median), 0.65 km at most, and
#: impact speeds by 4.3 % at most, at a tenth of the cost (benchmarks/fall_accuracy.py);
#: population cells are ~25 km.
FRAGMENT_RTOL = 1e-4
#: DOP853 tolerance of the heavy fragments' last 10 km (still too fast for the terminal
#: descent): at FRAGMENT_RTOL their impact speeds erred by up to 70 % (its error control
#: watches the ECI position, ~6400 km); a few steps more make them exact to 1 %.
GLIDE_RTOL = 1e-7


@lru_cache(maxsize=16)
def _fall_profile(inc_deg, f107a, f107, ap):
    from .atmosphere import pymsis_orbit_mean_density

    alt = np.arange(0.0, FALL_TABLE_TOP_KM + 1.0, 2.0)
    rho = [pymsis_orbit_mean_density(h, f107a, f107, ap, inc_deg, n_lon=4, n_lt=4, n_u=12,
                                     day_of_year=80) for h in alt]
    return DensityTable(alt, rho, source="NRLMSISE-00 (pymsis) orbit-mean, 0-200 km")


def fall_table(scenario) -> DensityTable:
    """Density for the station's last minutes and the fragments' fall, 0-200 km.

    NRLMSISE-00 straight from pymsis (computed once per process) at the scenario's constant
    solar indices (else at ``FALL_TABLE_INDICES``), averaged over the latitudes of its orbit,
    four longitudes and local times, at the March equinox; below ~90 km solar activity
    hardly matters, and the station spends only minutes there.
    """
    s = scenario.solar
    inc = scenario.orbit.inclination_deg.support()[0]
    if s.model == "constant":
        return _fall_profile(float(inc), s.f107a_sfu, s.f107_sfu, s.ap)
    return _fall_profile(float(inc), *FALL_TABLE_INDICES)


def reference_fragment_bc(scenario):
    """Ballistic coefficient aimed at: the mass-weighted geometric mean of the class medians."""
    count, mass, _, median, _ = scenario.breakup.fragments.arrays()
    w = count * mass
    return float(np.exp(np.sum(w * np.log(median)) / np.sum(w)))


def fragment_bc(scenario, block_index, n):
    """Ballistic coefficients (n, K) of the fragment classes for the first n samples of a
    block, kg/m^2 (a stream of their own, so the other draws do not move them)."""
    return fragments.sample_classes(scenario.breakup.fragments, sampling.stream(
        scenario.monte_carlo.seed, block_index, "breakup.fragment_bc"),
        scenario.monte_carlo.block_size)[:n]


def fragment_impacts(scenario, brk_epoch, brk_state, x, block_index, n, lower):
    """Every fragment class falls once per sample from the breakup state to the ground.

    Returns per-sample (n, K) arrays: ``impact_lat_deg``, ``impact_lon_deg``,
    ``impact_speed_m_s`` (relative to the rotating Earth), ``fragment_count`` (pieces the
    class stands for: the model's counts scaled to the sampled surviving mass) and
    ``fragment_bc_kg_m2`` (the drawn ballistic coefficient).
    """
    model = scenario.breakup.fragments
    count, mass, _, _, _ = model.arrays()
    k = count.size
    bc = fragment_bc(scenario, block_index, n)
    surviving = x["vehicle.mass_kg"] * x["breakup.surviving_mass_fraction"]
    scale = surviving / model.mass_kg
    out = {"impact_lat_deg": np.full((n, k), np.nan), "impact_lon_deg": np.full((n, k), np.nan),
           "impact_speed_m_s": np.full((n, k), np.nan),
           "fragment_count": scale[:, None] * count[None, :], "fragment_bc_kg_m2": bc}
    broke = np.flatnonzero(np.isfinite(brk_epoch))
    if broke.size == 0:
        return out
    ep = np.repeat(brk_epoch[broke], k)
    st = np.repeat(brk_state[broke], k, axis=0)
    landed, lat, lon, speed = (a.reshape(-1, k) for a in fall(ep, st, bc[broke].ravel(),
                                                               lower))
    out["impact_lat_deg"][broke] = np.where(landed, lat, np.nan)
    out["impact_lon_deg"][broke] = np.where(landed, lon, np.nan)
    out["impact_speed_m_s"][broke] = np.where(landed, speed, np.nan)
    return out


def to_terminal(epoch, state, bc, lower, rtol=FRAGMENT_RTOL):
    """The first part of :func:`fall`: fragments from breakup down to
    fragments.TERMINAL_ALT_KM (status ENTERED there); a
    :class:`deorbit.kernel.PropagationResult`."""
    return propagate(epoch, state, bc, lower, epoch + 1.0, method="cowell",
                     entry_alt_km=fragments.TERMINAL_ALT_KM, rtol=rtol)


def fall(epoch, state, bc, lower, rtol=FRAGMENT_RTOL):
    """Fragments from breakup to the ground: integrated to fragments.TERMINAL_ALT_KM (at
    ``rtol``), then the terminal descent, or integrated on for those still too fast for it.
    Returns (landed, impact lat deg, impact lon deg, impact speed m/s relative to the
    ground)."""
    res = to_terminal(epoch, state, bc, lower, rtol)
    landed = res.status == Status.ENTERED
    lat, lon, speed, terminal = fragments.terminal_descent(
        res.end_state_eci, res.end_epoch_utc_days, bc, lower)
    on = np.flatnonzero(landed & ~terminal)
    if on.size:
        t, y = res.end_epoch_utc_days[on], res.end_state_eci[on]
        more = propagate(t, y, bc[on], lower, t + 1.0, method="cowell", entry_alt_km=0.0,
                         rtol=GLIDE_RTOL)
        landed[on] = more.status == Status.ENTERED
        lat[on], lon[on] = more.end_lat_deg, more.end_lon_deg
        speed[on] = np.linalg.norm(frames.ground_relative_velocity(more.end_state_eci),
                                   axis=1)
    return landed, lat, lon, speed
