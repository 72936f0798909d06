"""Deorbit operations: burns with execution errors and failures, and final-burn targeting.

The sequence a deorbit vehicle flies (NASA's plan for the ISS, DESIGN section 4): natural
decay to about 220 km, a few retrograde perigee-lowering burns about a day apart, then a
final burn timed so that the debris falls into the target area near Point Nemo. Burns are
impulsive, or finite with the vehicle's thrust (:func:`fire`: the USDV's burns last
minutes).

Targeting (:func:`target_final_burn`) is solved per sample, not assumed:

1. a calibration shot: burn at the start of the window, fly the station to breakup and a
   reference fragment to the ground as the engine's fragments fall (integrated to 10 km,
   then the terminal descent); this gives the in-plane angle from burn to impact and the
   flight time;
2. a scan of the window (every ``SCAN_STEP_S``) predicts the impact of a burn at each time
   by moving the calibration geometry along the orbit (J2-secular Keplerian motion, Earth
   rotation by GMST) and picks the time whose predicted impact is closest to the target
   (the nearest pass: :func:`_scan_window`, exact distances at a few candidate times found
   on approximate ones);
3. Newton iterations on the true propagation remove the along-track miss (the burn time
   moves the impact along the ground track at about the orbital ground speed); the
   fragment falls as the engine's fragments do (:func:`deorbit.fall.fall`), and the
   shots' coasts from the window start share their way to :data:`NEWTON_ANCHOR_S` before
   the scan's burn time.

All functions work on blocks: arrays over the samples that are still in the sequence.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np

from . import fall, fragments, frames, orbits
from .constants import EARTH_RADIUS_M, SECONDS_PER_DAY
from .ground.sphere import great_circle_distance_km
from .kernel import ENTRY_ALT_KM, FiniteBurn, Status, propagate
from .time import gmst_rad

if os.environ.get("DEORBIT_PUREPYTHON", "") not in ("", "0"):
    from . import _scan_reference as _scan
else:
    try:
        from . import _scan
    except ImportError:  # built without the compiled extensions
        from . import _scan_reference as _scan

SCAN_STEP_S = 20.0
#: Bound on the error of the scan's approximate distances, km (``_scan``: < 0.1 km).
SCAN_TOLERANCE_KM = 1.0
#: Longest segment of a finite burn between two of its impulses, s.
MAX_SEGMENT_S = 60.0
#: Continuing below the entry interface: the event altitude is set this far below the
#: sample's own altitude, km (the kernel wants the start above its event altitude).
INSIDE_MARGIN_KM = 0.05
NEWTON_ITERATIONS = 4
#: The Newton shots' coasts start from the station this long before the scan's burn time
#: (flown there once), s; a shot whose burn Newton moved earlier starts from the window's
#: start. The corrections add up to 200 s at most (4 x 100 samples of iss-2030).
NEWTON_ANCHOR_S = 600.0
#: Longest flight of a trial shot from its burn to breakup, days.
SHOT_DAYS = 5.0


def burn(state, dv_m_s, errors, dv_error_frac, pointing_error_deg):
    """Apply retrograde impulsive burns with execution errors.

    Parameters
    ----------
    state : ndarray (n, 6)
        ECI states just before the burns, m and m/s.
    dv_m_s : ndarray (n,)
        Nominal burn magnitudes, m/s, along -v.
    errors : ndarray (n, 3)
        Standard-normal draws: magnitude, and two pointing components (radial, normal).
    dv_error_frac, pointing_error_deg : float
        1-sigma magnitude error (fraction of dv) and pointing error per axis (deg).
    """
    # On the columns (x, y, z of n rows): a finite burn makes ~30 of these per block.
    r, v = state[:, :3].T, state[:, 3:].T
    t_hat = _unit(v)
    w_hat = _unit(_cross(r, v))
    n_hat = _cross(w_hat, t_hat)
    sig = np.radians(pointing_error_deg)
    e_n, e_w = errors[:, 1], errors[:, 2]
    direction = _unit([-t + sig * (e_n * n + e_w * w) for t, n, w in zip(t_hat, n_hat, w_hat)])
    mag = dv_m_s * (1.0 + dv_error_frac * errors[:, 0])
    out = state.copy()
    for k in range(3):
        out[:, 3 + k] += mag * direction[k]
    return out


def _cross(a, b):
    """Cross products of the rows of two column triples (x, y, z), as ``np.cross``."""
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def _unit(a):
    """The rows of a column triple divided by their norms, as ``np.linalg.norm``."""
    norm = np.sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2])
    return (a[0] / norm, a[1] / norm, a[2] / norm)


@dataclass(frozen=True, eq=False)
class Station:
    """The samples still in the sequence, as the burns see them (arrays over their rows).

    Attributes
    ----------
    bc_kg_m2, breakup_alt_km, density_scale : ndarray (n,)
        The station's ballistic coefficient, breakup altitude (km) and density-model scale.
    table : DensityTable, OrbitDensityTable or a tuple of either
        The station's density (a tuple: one per density model).
    space_weather : deorbit.kernel.DailyIndices, optional
        The rows' daily indices when ``table`` holds orbit tables.
    density_model : ndarray (n,) of int, optional
        The rows' density models, indices into a tuple ``table``.
    entry_alt_km : float
        Entry-interface altitude, km.
    rtol : float
        Cowell tolerance of the station's flights.
    history_days : ndarray, optional
        Altitude-history times to record along the flights, days after each row's
        ``history_origin_utc_days`` (n,) (see :func:`deorbit.kernel.propagate`).
    recorder : object, optional
        Sees every flight: ``recorder.flown(rows, result)`` after each propagation and
        ``recorder.entered(rows, entry_epoch_utc_days)`` with the entry-interface crossing
        of the rows that :meth:`coast` carried on to breakup (the engine's block records
        breakups, the history and the true 120 km crossing); None for trial shots.
    """

    bc_kg_m2: np.ndarray
    breakup_alt_km: np.ndarray
    density_scale: np.ndarray
    table: object
    space_weather: object = None
    density_model: np.ndarray | None = None
    entry_alt_km: float = ENTRY_ALT_KM
    rtol: float = 1e-9
    history_days: np.ndarray | None = None
    history_origin_utc_days: np.ndarray | None = None
    recorder: object = None

    def take(self, rows):
        """The station of ``rows`` (an index array or a mask), unrecorded."""
        return replace(
            self, bc_kg_m2=self.bc_kg_m2[rows], breakup_alt_km=self.breakup_alt_km[rows],
            density_scale=self.density_scale[rows],
            space_weather=None if self.space_weather is None else self.space_weather.take(rows),
            density_model=None if self.density_model is None else self.density_model[rows],
            history_origin_utc_days=(None if self.history_origin_utc_days is None
                                     else self.history_origin_utc_days[rows]),
            recorder=None)

    def density(self):
        """The per-row density arguments of ``propagate``."""
        return dict(density_scale=self.density_scale, space_weather=self.space_weather,
                    density_model=self.density_model)

    def trial_coast(self, epoch, state, until):
        """Cowell of every row from (epoch, state) to ``until`` or the entry interface, at
        the default tolerance and unrecorded: a trial shot's coast to its burn."""
        return propagate(epoch, state, self.bc_kg_m2, self.table, until, method="cowell",
                         entry_alt_km=self.entry_alt_km, **self.density())

    def fly(self, rows, epoch, state, until, entry_alt_km=None, burn=None):
        """Cowell for ``rows`` from (epoch, state) to breakup or ``until`` (with ``burn``, a
        :class:`deorbit.kernel.FiniteBurn`, flown first)."""
        history = {} if self.history_days is None else dict(
            history_days=self.history_days,
            history_origin_utc_days=self.history_origin_utc_days[rows])
        res = propagate(epoch, state, self.bc_kg_m2[rows], self.table, until, method="cowell",
                        entry_alt_km=self.entry_alt_km if entry_alt_km is None else entry_alt_km,
                        stop_alt_km=self.breakup_alt_km[rows],
                        rtol=self.rtol, burn=burn, **self.take(rows).density(), **history)
        if self.recorder is not None:
            self.recorder.flown(rows, res)
        return res

    def coast(self, rows, epoch, state, until):
        """:meth:`fly`, then the rows that crossed the entry interface on to breakup (no
        burn inside the atmosphere: :func:`finish_entries`); returns (status, epoch,
        state)."""
        status, t, y, entry = finish_entries(rows, self.fly(rows, epoch, state, until),
                                             self.fly)
        if self.recorder is not None:
            crossed = np.isfinite(entry) & (status == Status.ENTERED)
            self.recorder.entered(rows[crossed], entry[crossed])
        return status, t, y


def _burn_to_breakup(epoch, state, dv_m_s, duration_s, station):
    """A nominal burn at ``epoch`` (no execution errors), then the station to breakup:
    (breakup epoch, breakup state, reached) per row."""
    t, y, at_breakup = fire(epoch, state, dv_m_s, np.zeros((epoch.size, 3)), 0.0, 0.0,
                            duration_s, station)
    brk_t, brk_y = t.astype(np.float64), y.astype(np.float64)
    ok = at_breakup.copy()
    fly = ~ok
    if fly.any():
        st = station.fly(np.flatnonzero(fly), t[fly], y[fly], t[fly] + SHOT_DAYS)
        brk_t[fly], brk_y[fly] = st.end_epoch_utc_days, st.end_state_eci
        ok[fly] = st.status == Status.ENTERED
    return brk_t, brk_y, ok


def fire(epoch, state, dv_m_s, errors, dv_error_frac, pointing_error_deg, duration_s,
         station):
    """A retrograde burn starting at ``epoch``: impulsive, or finite over ``duration_s``.

    A finite burn is split into N equal impulses (N = duration / ``MAX_SEGMENT_S``, rounded
    up, per sample) at the middles of N equal segments, each along the then current -v with
    the sample's execution errors, the orbit propagated between them: thrust spread over
    the arc, gravity losses included to O(segment^2). The kernel flies the whole arc in one
    call (:class:`deorbit.kernel.FiniteBurn`: each leg between impulses as a propagation of
    its own; a leg that crosses the entry interface flies on to breakup, no burn inside the
    atmosphere).

    Parameters
    ----------
    epoch, state : ndarray (n,), (n, 6)
    dv_m_s : ndarray (n,)
        Burn sizes, m/s.
    errors, dv_error_frac, pointing_error_deg
        As in :func:`burn`.
    duration_s : float or ndarray (n,)
        Burn durations, s (0: impulsive).
    station : Station
        The rows' station: :meth:`Station.fly` flies the finite burn; status ENTERED means
        the station reached breakup (the epoch and state returned are the breakup ones).

    Returns
    -------
    epoch, state, at_breakup : ndarray (n,), (n, 6), bool (n,)
        After the burn; rows that reached breakup during it keep their breakup epoch/state.
    """
    n = epoch.size
    dur = np.broadcast_to(np.asarray(duration_s, dtype=np.float64), (n,))
    if not np.any(dur > 0):
        return (epoch, burn(state, dv_m_s, errors, dv_error_frac, pointing_error_deg),
                np.zeros(n, bool))
    arc = FiniteBurn(np.maximum(1, np.ceil(dur / MAX_SEGMENT_S)).astype(np.int64), dur,
                     dv_m_s, errors, dv_error_frac, pointing_error_deg)
    res = station.fly(np.arange(n), epoch, state, epoch + dur / SECONDS_PER_DAY,
                      burn=arc)
    return res.end_epoch_utc_days, res.end_state_eci, res.status == Status.ENTERED


def finish_entries(rows, res, fly):
    """Rows that crossed the entry interface but stopped (at their stop epoch) above breakup
    fly on to breakup: a burn does not go on inside the atmosphere.

    ``fly(rows, epoch, state, until, entry_alt_km)`` propagates to breakup. Returns
    (status, epoch, state, entry epoch) with those rows ENTERED at breakup.
    """
    status, t, y = res.status.copy(), res.end_epoch_utc_days.copy(), res.end_state_eci.copy()
    entry = res.entry_epoch_utc_days
    inside = (status == Status.HORIZON) & np.isfinite(entry)
    for i in np.flatnonzero(inside):  # one at a time: the event altitude is the row's own
        alt = float(frames.altitude_km(y[i : i + 1, :3])[0])
        more = fly(rows[i : i + 1], t[i : i + 1], y[i : i + 1], t[i : i + 1] + 1.0,
                   alt - INSIDE_MARGIN_KM)
        status[i], t[i], y[i] = more.status[0], more.end_epoch_utc_days[0], more.end_state_eci[0]
    return status, t, y, entry


def _plane_angle(r_from, r_to, w_hat):
    """Signed angle from r_from to r_to about the orbit normal w_hat, rad in (-pi, pi]."""
    c = np.einsum("ij,ij->i", r_from, r_to)
    s = np.einsum("ij,ij->i", np.cross(r_from, r_to), w_hat)
    return np.arctan2(s, c)


class _Track(NamedTuple):
    """What the predicted impact track of each row needs (arrays broadcast against the
    scan times): the burn state's plane angles (rad) and J2-secular rates (rad/s), the
    calibration shot's in-plane angle ``du`` (rad) and fall time ``fall_s`` (s), and the
    window's start epoch (UTC days since J2000)."""

    inc: np.ndarray
    raan: np.ndarray
    u0: np.ndarray
    udot: np.ndarray
    odot: np.ndarray
    du: np.ndarray
    fall_s: np.ndarray
    epoch: np.ndarray

    @classmethod
    def of(cls, state, epoch, du, fall_s):
        inc, raan, u0 = orbits.plane_angles(state)
        udot, odot = orbits.circular_j2_rates(orbits.semi_major_axis_m(state), inc)
        return cls(inc, raan, u0, udot, odot, du, fall_s, epoch)

    def at(self, rows):
        """The rows' values, flat (one per scan point)."""
        return _Track(*(a[rows] for a in self))

    def column(self):
        """The values as columns (n, 1), against a row of scan times."""
        return _Track(*(a[:, None] for a in self))


def _impact_lat_lon(tr, dt_s):
    """Predicted impact lat/lon (deg) of burns at ``tr.epoch + dt_s`` (broadcast).

    The orbit moves with its J2-secular node and argument-of-latitude rates; the impact lies
    ``du`` further along the orbit and ``fall_s`` later, as in the calibration shot.
    Elementwise: a point's value does not depend on the others computed with it.
    """
    u = tr.u0 + tr.udot * dt_s + tr.du
    om = tr.raan + tr.odot * dt_s
    ci, si = np.cos(tr.inc), np.sin(tr.inc)
    x = np.cos(om) * np.cos(u) - np.sin(om) * ci * np.sin(u)
    y = np.sin(om) * np.cos(u) + np.cos(om) * ci * np.sin(u)
    z = si * np.sin(u)
    t_imp = tr.epoch + (dt_s + tr.fall_s) / SECONDS_PER_DAY
    pos = np.stack(np.broadcast_arrays(x, y, z), -1) * EARTH_RADIUS_M
    lat, lon, _ = frames.eci_to_geodetic(pos, t_imp)
    return lat, lon


def _gmst_rate_rad_s(epoch_utc_days):
    """Rate of :func:`deorbit.time.gmst_rad`, rad/s."""
    t = np.asarray(epoch_utc_days, dtype=np.float64) / 36525.0
    sec_per_century = (876600.0 * 3600.0 + 8640184.812866) + 2 * 0.093104 * t - 3 * 6.2e-6 * t**2
    return sec_per_century / 36525.0 / SECONDS_PER_DAY * 2.0 * np.pi / SECONDS_PER_DAY


def _approx_scan_km(tr, n_times, target_lat_deg, target_lon_deg):
    """Approximate distances (n, n_times), km, of the scan's predicted impacts from the
    target (``_scan.approx_distance_km``: within ``SCAN_TOLERANCE_KM`` of the exact)."""
    t0 = tr.epoch + tr.fall_s / SECONDS_PER_DAY
    lam0 = tr.raan - gmst_rad(t0) - np.radians(target_lon_deg)
    lat_t = np.radians(target_lat_deg)
    out = np.empty((tr.epoch.size, n_times))
    _scan.approx_distance_km(
        *(np.ascontiguousarray(a, dtype=np.float64) for a in (
            tr.u0 + tr.du, tr.udot, lam0, tr.odot - _gmst_rate_rad_s(t0), np.sin(tr.inc),
            np.cos(tr.inc))),
        SCAN_STEP_S, n_times, float(np.sin(lat_t)), float(np.cos(lat_t)), out)
    return out


def _nearest_pass(dist):
    """Scan index of the pass nearest the target, per row of exact distances (n, m): the
    nearest local minimum; an edge of the window is no pass (the timing there cannot remove
    the along-track miss), unless no pass lies inside it."""
    interior = np.full(dist.shape, np.inf)
    is_min = (dist[:, 1:-1] <= dist[:, :-2]) & (dist[:, 1:-1] <= dist[:, 2:])
    interior[:, 1:-1] = np.where(is_min, dist[:, 1:-1], np.inf)
    return np.where(np.isfinite(interior).any(axis=1), np.argmin(interior, axis=1),
                    np.argmin(dist, axis=1))


def _scan_window(tr, dt, target_lat_deg, target_lon_deg):
    """:func:`_nearest_pass` of the scan times ``dt`` (s, every ``SCAN_STEP_S`` from 0),
    with the exact distances of a few candidate times per row only.

    The approximate distances (:func:`_approx_scan_km`, error < tol = ``SCAN_TOLERANCE_KM``)
    bound the choice: every exact local minimum is within 2 tol of its neighbours in them;
    a time more than 2 tol below both neighbours is surely one, so the best pass is at most
    tol above the lowest such time's approximate distance plus tol. The candidates are the
    times meeting both bounds; their exact distances and their neighbours' decide as
    :func:`_nearest_pass` does. A row where no candidate is an exact minimum (no surely
    minimal time, and no pass inside the window; or a bound broken) is scanned exactly.
    The result is the exhaustive scan's, bit for bit (``tests/test_scan.py``).
    """
    n, m = tr.epoch.size, dt.size
    a = _approx_scan_km(tr, m, target_lat_deg, target_lon_deg)
    tol = SCAN_TOLERANCE_KM
    mid, left, right = a[:, 1:-1], a[:, :-2], a[:, 2:]
    sure = (mid + 2 * tol < left) & (mid + 2 * tol < right)
    bound = np.where(sure, mid, np.inf).min(axis=1) + 2 * tol
    cand = (mid <= left + 2 * tol) & (mid <= right + 2 * tol) & (mid <= bound[:, None])
    rows, cols = np.nonzero(cand)
    cols = cols + 1
    pts_r = np.concatenate([rows, rows, rows])
    pts_c = np.concatenate([cols - 1, cols, cols + 1])
    d = _exact_distance_km(tr, pts_r, dt[pts_c], target_lat_deg, target_lon_deg)
    k = rows.size
    d_left, d_mid, d_right = d[:k], d[k:2 * k], d[2 * k:]
    is_min = (d_mid <= d_left) & (d_mid <= d_right)
    best = np.full(n, -1, dtype=np.int64)
    best_d = np.full(n, np.inf)
    for r, c, v in zip(rows[is_min], cols[is_min], d_mid[is_min]):  # ascending c per row
        if v < best_d[r]:
            best[r], best_d[r] = c, v
    for r in np.flatnonzero(best < 0):  # rare: decide on the exhaustive scan of the row
        one = tr.at(np.array([r])).column()
        lat, lon = _impact_lat_lon(one, dt)
        best[r] = _nearest_pass(great_circle_distance_km(lat, lon, target_lat_deg,
                                                         target_lon_deg))[0]
    return best


def _exact_distance_km(tr, rows, dt_s, target_lat_deg, target_lon_deg):
    """Exact distances, km, of the predicted impacts of burns at ``dt_s`` (k,) of ``rows``
    (k,) from the target: the exhaustive scan's values at those points."""
    lat, lon = _impact_lat_lon(tr.at(rows), dt_s)
    return great_circle_distance_km(lat, lon, target_lat_deg, target_lon_deg)


def target_final_burn(epoch, state, window_s, dv_m_s, station, bc_ref, lower_table,
                      target_lat_deg, target_lon_deg, duration_s=0.0):
    """Burn epochs (n,) that put the reference fragment's impact nearest the target.

    Parameters
    ----------
    epoch, state : ndarray (n,), (n, 6)
        Start of the window (UTC days since J2000) and the ECI state there.
    window_s : float
        Length of the window searched, s.
    dv_m_s, bc_ref : ndarray (n,)
        Final-burn size and reference-fragment ballistic coefficient (nominal values:
        targeting knows no execution errors).
    station : Station
        The samples' station (unrecorded: the trial shots are not the flight).
    lower_table : DensityTable
        Density of the fragment's fall.
    duration_s : float or ndarray (n,)
        Final-burn durations (0: impulsive); the shots fly the same finite burn.
    target_lat_deg, target_lon_deg : float
        Aim point, deg.
    entry_alt_km : float
        The scenario's entry-interface altitude, km (``propagation.entry_alt_km``): where
        the shots' station crosses into the atmosphere.

    Returns
    -------
    burn_epoch : ndarray (n,)
        UTC days since J2000; NaN where the calibration shot did not reach the ground.
    miss_km : ndarray (n,)
        Distance from the nominal impact of the chosen burn to the aim point, km.
    """
    n = epoch.size
    bc_ref = np.broadcast_to(bc_ref, (n,)).astype(np.float64)
    dur = np.broadcast_to(np.asarray(duration_s, dtype=np.float64), (n,))
    # 1. calibration shot at the window start
    imp_t, imp_r = _shot(epoch, state, dv_m_s, dur, station, bc_ref, lower_table)
    ok = np.isfinite(imp_t)
    burn_epoch = np.full(n, np.nan)
    miss = np.full(n, np.nan)
    if not ok.any():
        return burn_epoch, miss
    e0, y0, it, ir = epoch[ok], state[ok], imp_t[ok], imp_r[ok]
    w_hat = np.cross(y0[:, :3], y0[:, 3:])
    w_hat /= np.linalg.norm(w_hat, axis=1, keepdims=True)
    du = _plane_angle(y0[:, :3], ir, w_hat)
    du = np.where(du < 0, du + 2 * np.pi, du)
    fall_s = (it - e0) * SECONDS_PER_DAY
    # 2. scan the window with the predicted ground track
    dt = np.arange(0.0, window_s + 0.5 * SCAN_STEP_S, SCAN_STEP_S)
    tr = _Track.of(y0, e0, du, fall_s)
    best = _scan_window(tr, dt, target_lat_deg, target_lon_deg)
    t_burn = e0 + dt[best] / SECONDS_PER_DAY
    # Along-track direction of the predicted impact track at the chosen time (per second).
    j = np.clip(best, 0, dt.size - 2)
    rows = np.arange(best.size)
    lat, lon = _impact_lat_lon(tr.at(np.concatenate([rows, rows])),
                               dt[np.concatenate([j, j + 1])])
    lat1, lon1, lat2, lon2 = lat[:rows.size], lon[:rows.size], lat[rows.size:], lon[rows.size:]
    track = _enu_step_km(lat1, lon1, lat2, lon2) / SCAN_STEP_S    # km/s, (m, 2)
    speed2 = np.einsum("ij,ij->i", track, track)
    # 3. Newton on the true propagation: remove the along-track miss.
    lo, hi = e0, e0 + window_s / SECONDS_PER_DAY
    sub = (dv_m_s[ok], dur[ok], station.take(ok), bc_ref[ok], lower_table)
    start = _Anchored.of(e0, y0, t_burn, sub[2])
    for _ in range(NEWTON_ITERATIONS):
        ilat, ilon = _shoot(*start.before(t_burn), t_burn, *sub)
        err = _enu_step_km(ilat, ilon, np.full_like(ilat, target_lat_deg),
                           np.full_like(ilon, target_lon_deg))
        along = np.einsum("ij,ij->i", err, track) / speed2       # seconds to move the burn
        good = np.isfinite(along)
        t_burn = np.where(good, np.clip(t_burn + along / SECONDS_PER_DAY, lo, hi), t_burn)
    ilat, ilon = _shoot(*start.before(t_burn), t_burn, *sub)
    burn_epoch[ok] = np.where(np.isfinite(ilat), t_burn, np.nan)
    miss[ok] = great_circle_distance_km(ilat, ilon, target_lat_deg, target_lon_deg)
    return burn_epoch, miss


def _shot(epoch, state, dv_m_s, duration_s, station, bc_ref, lower_table):
    """Impact (epoch, ECI position) of the reference fragment after a nominal burn at epoch,
    as the engine's fragments fall: integrated to 10 km (:func:`deorbit.fall.to_terminal`),
    then the terminal descent's drift (:func:`deorbit.fragments.terminal_descent`; the 10 km
    point itself for a fragment still too fast for it). The impact is given at the 10 km
    epoch: the scan needs only its direction and the Earth's angle then. NaN where the
    station did not reach breakup or the fragment not 10 km."""
    brk_t, brk_y, ok = _burn_to_breakup(epoch, state, dv_m_s, duration_s, station)
    imp_epoch = np.full(epoch.size, np.nan)
    imp_r = np.full((epoch.size, 3), np.nan)
    if ok.any():
        fr = fall.to_terminal(brk_t[ok], brk_y[ok], bc_ref[ok], lower_table)
        down = fr.status == Status.ENTERED
        t, y = fr.end_epoch_utc_days[down], fr.end_state_eci[down]
        lat, lon, _, terminal = fragments.terminal_descent(y, t, bc_ref[ok][down],
                                                           lower_table)
        ground = frames.geodetic_to_eci(lat, lon, 0.0, t)
        rows = np.flatnonzero(ok)[down]
        imp_epoch[rows] = t
        imp_r[rows] = np.where(terminal[:, None], ground, y[:, :3])
    return imp_epoch, imp_r


class _Anchored(NamedTuple):
    """Where the Newton shots' coasts start: the window start (e0, y0) and the state at the
    anchor, :data:`NEWTON_ANCHOR_S` before the scan's burn time (the window start where the
    station did not get there)."""

    e0: np.ndarray
    y0: np.ndarray
    epoch: np.ndarray
    state: np.ndarray

    @classmethod
    def of(cls, e0, y0, t_burn, station):
        at = np.maximum(e0, t_burn - NEWTON_ANCHOR_S / SECONDS_PER_DAY)
        pre = station.trial_coast(e0, y0, at)
        there = (pre.status == Status.HORIZON)[:, None]
        return cls(e0, y0, np.where(there[:, 0], pre.end_epoch_utc_days, e0),
                   np.where(there, pre.end_state_eci, y0))

    def before(self, t_burn):
        """(epoch, state) to coast from to burns at t_burn: the anchor unless after them."""
        later = self.epoch > t_burn
        return (np.where(later, self.e0, self.epoch),
                np.where(later[:, None], self.y0, self.state))


def _shoot(epoch, state, t_burn, dv_m_s, duration_s, station, bc_ref, lower_table):
    """Nominal impact lat/lon (deg) of a burn at t_burn; NaN if the station enters first.

    The reference fragment falls from breakup as the engine's fragments do
    (:func:`deorbit.fall.fall`: integrated to 10 km, then the terminal descent), so the
    burn is aimed with the model that scores the impacts.
    """
    pre = station.trial_coast(epoch, state, t_burn)
    lat = np.full(epoch.size, np.nan)
    lon = np.full(epoch.size, np.nan)
    alive = pre.status == Status.HORIZON
    if alive.any():
        brk_t, brk_y, ok = _burn_to_breakup(t_burn[alive], pre.end_state_eci[alive],
                                            dv_m_s[alive], duration_s[alive],
                                            station.take(alive))
        la, lo = np.full(ok.size, np.nan), np.full(ok.size, np.nan)
        if ok.any():
            landed, la[ok], lo[ok], _ = fall.fall(brk_t[ok], brk_y[ok], bc_ref[alive][ok],
                                                  lower_table)
            bad = np.flatnonzero(ok)[~landed]
            la[bad], lo[bad] = np.nan, np.nan
        lat[alive], lon[alive] = la, lo
    return lat, lon


def _enu_step_km(lat1, lon1, lat2, lon2):
    """(east, north) displacement in km from point 1 to point 2 (local tangent plane)."""
    dlon = (np.asarray(lon2) - np.asarray(lon1) + 180.0) % 360.0 - 180.0
    r = EARTH_RADIUS_M * 1e-3
    east = np.radians(dlon) * r * np.cos(np.radians(0.5 * (np.asarray(lat1) + lat2)))
    north = np.radians(np.asarray(lat2) - lat1) * r
    return np.stack([east, north], -1)
