"""Pure-Python twin of the compiled kernel ``ext/_kernel.pyx``: the readable oracle.

Same signature as ``deorbit._kernel.propagate_block`` and the same algorithm step by step,
written for reading rather than speed (about 1000 times slower). Select it with
``DEORBIT_PUREPYTHON=1``; the test suite runs against both backends.

The algorithm, per sample
-------------------------
0. The input is an osculating ECI state, or mean elements (``mean_input``); mean elements
   are turned into an osculating state by :func:`mean_to_osculating` when Cowell needs one.
1. Hybrid method only -- the mean-element phase:
   a. Osculating -> mean elements (:func:`numeric_mean`): propagate one orbit without drag
      and average a, (ex, ey) and i over it (skipped for mean-element input).
   b. Integrate the mean elements (a, ex, ey, i, raan, lambda) with the midpoint rule
      (:func:`mean_phase`), steps of at most ``mean_max_step_days`` (ending on a UTC day
      boundary when the density changes daily) and at most 2 km of decay, whose drag sees
      the time-mean density of the days they span (:meth:`Model.set_span`): J2 secular
      rates plus drag averaged over one orbit by the periodic trapezoidal rule in eccentric
      anomaly, 8 to 64 nodes by eccentricity (:func:`mean_rates`, :func:`quadrature_stride`);
      the eccentricity vector is carried in a frame turning with the J2 perigee rate, so
      that nothing but two angles varies fast.
   c. When the lowest altitude of the mean orbit falls below the hand-over altitude, convert
      the mean elements back to an osculating state (:func:`mean_to_osculating`: fixed-point
      iteration on the numerical mean) and continue with Cowell. If the stop epoch comes
      first, return the converted state there.
2. Cowell (:func:`cowell`): DOP853 on the Cartesian state with step-size control; after each
   accepted step whose end lies below the next target altitude, the crossing is located on
   the 7th-order dense output (Illinois method). The last target stops the sample.
"""
from __future__ import annotations

import math

from . import _tableaux as tb
from ._kernel_params import (
    DAY_EPS,
    EXP_INV_LN2,
    EXP_LN2_HI,
    EXP_LN2_LO,
    EXP_MAX_X,
    EXP_MIN_X,
    EXP_SHIFT,
    EXP_TAYLOR,
    MAX_STEPS,
    MEAN_MAX_DECAY_M,
    MIN_STEP_S,
    N_AVG_STEPS,
    N_MEAN_TO_OSC_ITER,
    N_QUAD_MAX,
    N_SPAN_MAX,
    POS_SCALE_M,
    QUAD_SCALE_M,
    ROOT_MAX_ITER,
    ROOT_TOL_S,
    ST_ENTERED,
    ST_HANDED_OVER,
    ST_HORIZON,
    ST_NUMERICAL_FAILURE,
    VEL_SCALE_M_S,
)
from .constants import (
    EARTH_RADIUS_M,
    EARTH_ROTATION_RAD_S,
    ECCENTRICITY_SQ,
    J2,
    J3,
    J4,
    MU_M3_S2,
    SECONDS_PER_DAY,
)

EPS_ELL = ECCENTRICITY_SQ / (1.0 - ECCENTRICITY_SQ)
COS_E = [math.cos(2.0 * math.pi * k / N_QUAD_MAX) for k in range(N_QUAD_MAX)]
SIN_E = [math.sin(2.0 * math.pi * k / N_QUAD_MAX) for k in range(N_QUAD_MAX)]


class Table:
    """The density table of a call: ln rho over (altitude, F10.7a, dF10.7, Ap) and an optional
    seasonal correction over (altitude, F10.7a, padded day-of-year nodes); see the kernel."""

    def __init__(self, alt_km, log_rho, ax_f, ax_d, ax_p, season_log, season_nodes, period):
        self.alt_km = [float(v) for v in alt_km]
        self.inv_dalt = [1.0 / (self.alt_km[k + 1] - self.alt_km[k])
                         for k in range(len(self.alt_km) - 1)]
        self.tab = [float(v) for v in log_rho]
        self.ax_f, self.ax_d, self.ax_p = ([float(v) for v in ax] for ax in (ax_f, ax_d, ax_p))
        self.sea = [float(v) for v in season_log] if len(season_log) else None
        self.ax_s = [float(v) for v in season_nodes]
        self.period = float(period)


def det_exp(x):
    """e^x as the compiled kernel takes it for the density, operation for operation
    (:data:`deorbit._kernel_params.EXP_TAYLOR` and the rest: k ln 2 + r, Estrin's scheme,
    times 2^k); within 2 ulp of e^x."""
    if not EXP_MIN_X <= x <= EXP_MAX_X:
        return x if x != x else (0.0 if x < EXP_MIN_X else math.inf)
    k = (x * EXP_INV_LN2 + EXP_SHIFT) - EXP_SHIFT
    r = (x - k * EXP_LN2_HI) - k * EXP_LN2_LO
    c = EXP_TAYLOR
    r2 = r * r
    r4 = r2 * r2
    r8 = r4 * r4
    u0 = (c[0] + c[1] * r) + (c[2] + c[3] * r) * r2 + ((c[4] + c[5] * r)
                                                         + (c[6] + c[7] * r) * r2) * r4
    u1 = (c[8] + c[9] * r) + (c[10] + c[11] * r) * r2 + (c[12] + c[13] * r) * r4
    return math.ldexp(u0 + u1 * r8, int(k))


def locate_node(nodes, x):
    """Segment and weight of x on nodes, clamped to the end nodes (one node: weight 0)."""
    n = len(nodes)
    if n == 1 or x <= nodes[0]:
        return 0, 0.0
    if x >= nodes[n - 1]:
        return n - 2, 1.0
    i = 0
    while nodes[i + 1] < x:
        i += 1
    return i, (x - nodes[i]) / (nodes[i + 1] - nodes[i])


class Model:
    """Per-sample force model: drag coefficient, gravity degree, altitude and density.

    The density of the current day is the ln-density profile ``prof`` over the table
    altitudes (:meth:`set_day`), interpolated log-linearly in altitude (:meth:`density`).
    """

    def __init__(self, half_drag_m2_kg, zonal_degree, ellipsoid, table, daily=((0, 0, 0, 0),),
                 day_offset=0.0, along=None, start_epoch_days=0.0):
        self.half_drag_m2_kg = half_drag_m2_kg
        self.zonal_degree = zonal_degree
        self.ellipsoid = ellipsoid
        self.table = table
        self.alt_km = None if table is None else table.alt_km
        self.daily = daily
        # Reference density mode (no table): along.density(epoch, r_eci, F10.7a, dF, Ap) at
        # the time t_eval (s after the start) of each drag evaluation; stage times are
        # t_step + C[s] h within a Cowell step.
        self.along = along
        self.t_step = self.t_eval = 0.0
        self.rows = None
        self.rebase(start_epoch_days, day_offset)   # start_epoch_days, day_offset, the day
        self.n_rhs = 0

    def rebase(self, start_epoch_days, day_offset):
        """Time the model from the epoch start_epoch_days (a propagation's start), day_offset
        days after the daily rows' first epoch: the day and its boundary."""
        self.start_epoch_days = start_epoch_days
        self.day_offset = day_offset
        day0 = min(math.floor(self.day_offset), len(self.daily) - 1)
        self.set_day(day0)
        self.next_break_s = ((day0 + 1 - self.day_offset) * SECONDS_PER_DAY
                             if day0 + 1 < len(self.daily) else math.inf)
        self.idx = 0

    @classmethod
    def static(cls, half_drag_m2_kg, zonal_degree, ellipsoid, alt_km, log_rho):
        """A model with a fixed density profile (tests and numerical means)."""
        return cls(half_drag_m2_kg, zonal_degree, ellipsoid,
                   Table(alt_km, log_rho, [0.0], [0.0], [0.0], [], [], 365.25))

    def set_day(self, day):
        """Enter daily row ``day``: the density interval is that one day."""
        self.day = day
        self._set_rows([(day, 1.0)])

    def row_of_day(self, d):
        """Daily row holding day number d (from row 0's start), clamped to the rows."""
        if d < 0.0:
            return 0
        if d >= len(self.daily) - 1:
            return len(self.daily) - 1
        return int(d)

    def set_span(self, t0, t1):
        """The density interval [t0, t1] (s after the start): its daily rows with the share
        of the time spent in each (rows past the last one repeat the last)."""
        if t1 <= t0 + MIN_STEP_S:
            self.set_day(self.row_of_day(math.floor(self.day_offset + t0 / SECONDS_PER_DAY)))
            return
        rows = []
        d = float(math.floor(self.day_offset + t0 / SECONDS_PER_DAY))
        d_end = self.day_offset + t1 / SECONDS_PER_DAY
        while d < d_end:
            start = (d - self.day_offset) * SECONDS_PER_DAY
            ov = min(t1, start + SECONDS_PER_DAY) - max(t0, start)
            row = self.row_of_day(d)
            if ov > MIN_STEP_S:  # (rounding slivers at the boundaries are not days)
                if rows and rows[-1][0] == row:
                    rows[-1][1] += ov
                elif len(rows) < N_SPAN_MAX:
                    rows.append([row, ov])
            d += 1.0
        rows = [(row, ov / (t1 - t0)) for row, ov in rows]
        if len(rows) == 1:
            rows = [(rows[0][0], 1.0)]
        self._set_rows(rows)

    def seek_day(self, t):
        """Enter the daily row holding time t, one day at a time from there (Cowell)."""
        day = self.row_of_day(math.floor(self.day_offset + t / SECONDS_PER_DAY + DAY_EPS))
        self.set_day(day)
        self.next_break_s = ((day + 1 - self.day_offset) * SECONDS_PER_DAY
                             if day + 1 < len(self.daily) else math.inf)

    def _row_profile(self, day):
        """ln rho of daily row ``day`` at every table altitude (multilinear in the indices)."""
        tb = self.table
        f, df, ap, doy = self.daily[day]
        fi, wf = locate_node(tb.ax_f, f)
        di, wd = locate_node(tb.ax_d, df)
        pi, wp = locate_node(tb.ax_p, ap)
        nf, nd, np_ = len(tb.ax_f), len(tb.ax_d), len(tb.ax_p)
        f1 = fi + 1 if nf > 1 else fi
        d1 = di + 1 if nd > 1 else di
        p1 = pi + 1 if np_ > 1 else pi
        t = tb.tab
        if tb.sea is not None:
            x = math.fmod(doy, tb.period)
            if x < 0.0:
                x += tb.period
            si, ws = locate_node(tb.ax_s, x)
            m = len(tb.ax_s) - 2
            s0, s1 = (si - 1 + m) % m, si % m
        prof = []
        for a in range(len(tb.alt_km)):
            jf = a * nf
            v = 0.0
            v += (1.0 - wf) * ((1.0 - wd) * ((1.0 - wp) * t[((jf + fi) * nd + di) * np_ + pi]
                                             + wp * t[((jf + fi) * nd + di) * np_ + p1])
                               + wd * ((1.0 - wp) * t[((jf + fi) * nd + d1) * np_ + pi]
                                       + wp * t[((jf + fi) * nd + d1) * np_ + p1]))
            v += wf * ((1.0 - wd) * ((1.0 - wp) * t[((jf + f1) * nd + di) * np_ + pi]
                                     + wp * t[((jf + f1) * nd + di) * np_ + p1])
                       + wd * ((1.0 - wp) * t[((jf + f1) * nd + d1) * np_ + pi]
                               + wp * t[((jf + f1) * nd + d1) * np_ + p1]))
            if tb.sea is not None:
                sea = tb.sea
                v += ((1.0 - wf) * ((1.0 - ws) * sea[(jf + fi) * m + s0]
                                    + ws * sea[(jf + fi) * m + s1])
                      + wf * ((1.0 - ws) * sea[(jf + f1) * m + s0]
                              + ws * sea[(jf + f1) * m + s1]))
            prof.append(v)
        return prof

    def _set_rows(self, rows):
        """Make ``rows`` [(daily row, time share)] the density interval: its ln-density
        profile is the row's for one row, else the log of the share-weighted mean density
        (kept if the interval is unchanged, e.g. a static table's single day)."""
        if rows == self.rows:
            return
        self.rows = rows
        if self.table is None:
            return
        if len(rows) == 1:
            prof = self._row_profile(rows[0][0])
        else:
            profiles = [(share, self._row_profile(row)) for row, share in rows]
            prof = []
            for a in range(len(self.table.alt_km)):
                acc = 0.0
                for share, p in profiles:
                    acc += share * math.exp(p[a])
                prof.append(math.log(acc))
        self.prof = prof
        self.slope = [(prof[a + 1] - prof[a]) * self.table.inv_dalt[a]
                      for a in range(len(prof) - 1)]

    def next_day(self, t):
        """Move to the next daily row if t has reached its start; True if it did."""
        if t < self.next_break_s:
            return False
        if self.day + 1 < len(self.daily):
            self.set_day(self.day + 1)
            self.next_break_s += SECONDS_PER_DAY
        else:
            self.next_break_s = math.inf
        return True

    # -- physics ------------------------------------------------------------------------
    def altitude_rs_km(self, r, s2):
        """Altitude (km) from radius r (m) and s2 = sin^2 of the geocentric latitude."""
        if self.ellipsoid:
            q = EPS_ELL * s2
            return (r - EARTH_RADIUS_M * (1.0 + q * (-0.5 + q * (0.375 - 0.3125 * q)))) * 1e-3
        return (r - EARTH_RADIUS_M) * 1e-3

    def altitude_km(self, y):
        r2 = y[0] * y[0] + y[1] * y[1] + y[2] * y[2]
        return self.altitude_rs_km(math.sqrt(r2), y[2] * y[2] / r2)

    def density(self, alt):
        """Density, kg/m^3: log-linear in altitude, end segments extrapolated."""
        i = self.idx
        n = len(self.alt_km)
        while i < n - 2 and alt > self.alt_km[i + 1]:
            i += 1
        while i > 0 and alt < self.alt_km[i]:
            i -= 1
        self.idx = i
        return det_exp(self.prof[i] + self.slope[i] * (alt - self.alt_km[i]))

    def drag_density(self, alt, x, y, z):
        """Density (kg/m^3) for the drag at ECI position (x, y, z) (m), altitude alt (km), at
        time t_eval: the day's table profile, or the along-trajectory model."""
        if self.along is None:
            return self.density(alt)
        epoch = self.start_epoch_days + self.t_eval / SECONDS_PER_DAY
        rho = 0.0
        for row, share in self.rows:  # the interval's time-mean, as with the table
            f107a, df, ap, _ = self.daily[row]
            rho += share * self.along.density(epoch, (x, y, z), f107a, df, ap)
        return rho

    def rhs(self, y, drag):
        """Time derivative of the ECI state: gravity (J2..J4) plus co-rotating drag."""
        self.n_rhs += 1
        x, yy, z = y[0], y[1], y[2]
        r2 = x * x + yy * yy + z * z
        rn = math.sqrt(r2)
        ir = 1.0 / rn
        ir2 = ir * ir
        mu_r3 = MU_M3_S2 * ir2 * ir
        s = z * ir
        s2 = s * s
        q = EARTH_RADIUS_M * EARTH_RADIUS_M * ir2
        kxy = kz = -mu_r3
        az0 = 0.0
        if self.zonal_degree >= 2:
            k = 1.5 * J2 * mu_r3 * q
            kxy += k * (5.0 * s2 - 1.0)
            kz += k * (5.0 * s2 - 3.0)
            if self.zonal_degree >= 3:
                k = 2.5 * J3 * mu_r3 * q * EARTH_RADIUS_M * ir
                kxy += k * s * (7.0 * s2 - 3.0)
                az0 = k * rn * (7.0 * s2 * s2 - 6.0 * s2 + 0.6)
                if self.zonal_degree >= 4:
                    k = 1.875 * J4 * mu_r3 * q * q
                    kxy += k * (1.0 - 14.0 * s2 + 21.0 * s2 * s2)
                    kz += k * (5.0 - 70.0 / 3.0 * s2 + 21.0 * s2 * s2)
        dy = [y[3], y[4], y[5], kxy * x, kxy * yy, kz * z + az0]
        if drag:
            vrx = y[3] + EARTH_ROTATION_RAD_S * yy
            vry = y[4] - EARTH_ROTATION_RAD_S * x
            vrz = y[5]
            vrel = math.sqrt(vrx * vrx + vry * vry + vrz * vrz)
            c = (-self.half_drag_m2_kg
                 * self.drag_density(self.altitude_rs_km(rn, s2), x, yy, z) * vrel)
            dy[3] += c * vrx
            dy[4] += c * vry
            dy[5] += c * vrz
        return dy


# -- DOP853 --------------------------------------------------------------------------------
def stage(m, y, K, s, h, drag):
    """Stage s of DOP853: f(y + h sum_j A[s][j] K[j])."""
    m.t_eval = m.t_step + tb.C[s] * h
    ytmp = list(y)
    for j in range(s):
        c = h * tb.A[s][j]
        if c != 0.0:
            for d in range(6):
                ytmp[d] += c * K[j][d]
    return m.rhs(ytmp, drag)


def dop_step(m, y, f0, h, rtol, drag):
    """One DOP853 step; returns (error norm, y_new, stages K[0..12])."""
    K = [f0]
    for s in range(1, 12):
        K.append(stage(m, y, K, s, h, drag))
    ynew = list(y)
    for j in range(12):
        c = h * tb.B[j]
        if c != 0.0:
            for d in range(6):
                ynew[d] += c * K[j][d]
    m.t_eval = m.t_step + h
    K.append(m.rhs(ynew, drag))
    e3 = [0.0] * 6
    e5 = [0.0] * 6
    for j in range(13):
        for d in range(6):
            e3[d] += tb.E3[j] * K[j][d]
            e5[d] += tb.E5[j] * K[j][d]
    err3 = err5 = 0.0
    for d in range(6):
        sc = max(abs(y[d]), abs(ynew[d]), POS_SCALE_M if d < 3 else VEL_SCALE_M_S)
        sc = 1.0 / (sc * rtol)
        err3 += (e3[d] * sc) * (e3[d] * sc)
        err5 += (e5[d] * sc) * (e5[d] * sc)
    if err5 == 0.0 and err3 == 0.0:
        return 0.0, ynew, K
    return abs(h) * err5 / math.sqrt((err5 + 0.01 * err3) * 6.0), ynew, K


def dop_dense(m, y, ynew, h, K, drag):
    """Coefficients F[0..6] of the 7th-order dense output over the step just taken."""
    for s in range(13, 16):
        K.append(stage(m, y, K, s, h, drag))
    F = []
    F.append([ynew[d] - y[d] for d in range(6)])
    F.append([h * K[0][d] - F[0][d] for d in range(6)])
    F.append([2.0 * F[0][d] - h * (K[12][d] + K[0][d]) for d in range(6)])
    for s in range(4):
        row = [0.0] * 6
        for j in range(16):
            c = h * tb.D[s][j]
            if c != 0.0:
                for d in range(6):
                    row[d] += c * K[j][d]
        F.append(row)
    return F


def dop_eval(y, F, x):
    """Dense output at fraction x of the step."""
    out = []
    for d in range(6):
        v = 0.0
        for i in range(6, -1, -1):
            v += F[i][d]
            v *= x if (6 - i) % 2 == 0 else 1.0 - x
        out.append(y[d] + v)
    return out


def locate(m, y, F, h, target_km, g0, g1):
    """Fraction x of the step where the altitude equals target_km, and the state there."""
    a, b, ga, gb, x, side = 0.0, 1.0, g0, g1, 1.0, 0
    yout = None
    for _ in range(ROOT_MAX_ITER):
        x = (a * gb - b * ga) / (gb - ga)
        yout = dop_eval(y, F, x)
        gx = m.altitude_km(yout) - target_km
        if gx > 0.0:
            a, ga = x, gx
            if side == 1:
                gb *= 0.5
            side = 1
        else:
            b, gb = x, gx
            if side == -1:
                ga *= 0.5
            side = -1
        if (b - a) * abs(h) < ROOT_TOL_S or gx == 0.0:
            break
    return x, yout


def semi_major_axis_m(y):
    r = math.sqrt(y[0] * y[0] + y[1] * y[1] + y[2] * y[2])
    v2 = y[3] * y[3] + y[4] * y[4] + y[5] * y[5]
    return 1.0 / (2.0 / r - v2 / MU_M3_S2)


class History:
    """Altitude history: a value for every history time <= t, at the first step after it;
    and the Cowell phase's ephemeris: the state at every ephemeris time, from the dense
    output of the step that spans it. History times count from ``start_s`` before the
    start epoch, the other times from the start epoch."""

    def __init__(self, t_s, out, eph_t_s=(), eph_out=None, start_s=0.0):
        self.t_s = t_s
        self.out = out
        self.start_s = start_s
        self.i = 0
        self.eph_t_s = eph_t_s
        self.eph_out = eph_out
        self.i_eph = 0

    def record(self, t, sma_alt_km):
        """sma_alt_km for every history time <= t passed in this leg and not stored by an
        earlier leg of an arc (NaN)."""
        while self.i < len(self.t_s) and self.t_s[self.i] <= t + self.start_s:
            if math.isnan(self.out[self.i]):
                self.out[self.i] = sma_alt_km
            self.i += 1

    def wants_state(self, t):
        """True if an ephemeris time <= t is not yet recorded."""
        return self.i_eph < len(self.eph_t_s) and self.eph_t_s[self.i_eph] <= t

    def record_states(self, t0, y, F, h, t1, ynew):
        """The dense-output state of the step from t0 (state y, length h, end state ynew)
        at every ephemeris time <= t1 not yet recorded (at the step's end: ynew, exactly)."""
        while self.wants_state(t1):
            x = (self.eph_t_s[self.i_eph] - t0) / h
            self.eph_out[self.i_eph] = list(ynew) if x >= 1.0 else dop_eval(y, F, x)
            self.i_eph += 1

    def record_held(self, t, y):
        """State y at every ephemeris time <= t not yet recorded (the start, or a stop less
        than MIN_STEP_S after the last step)."""
        while self.wants_state(t):
            self.eph_out[self.i_eph] = list(y)
            self.i_eph += 1


def cowell(m, t, y, t_end, rtol, targets, t_hit, hist, steps):
    """Integrate until the last target altitude or t_end; returns (status, t, y, steps)."""
    h = 60.0
    k = 0
    m.t_eval = t
    f0 = m.rhs(y, True)
    hist.record_held(t, y)
    while True:
        if steps >= MAX_STEPS:
            return ST_NUMERICAL_FAILURE, t, y, steps
        if m.next_day(t):  # new daily indices: new density from here on
            m.t_eval = t
            f0 = m.rhs(y, True)
        # Steps end on day boundaries, so that each sees one day's density.
        last = at_break = False
        t_stop = t_end if t_end <= m.next_break_s else m.next_break_s
        if t + h >= t_stop:
            h = t_stop - t
            last = t_stop == t_end
            at_break = not last
        if h < MIN_STEP_S:
            if last:
                hist.record_held(t_end, y)
                return ST_HORIZON, t_end, y, steps
            if at_break:
                t = t_stop
                continue
            return ST_NUMERICAL_FAILURE, t, y, steps
        m.t_step = t
        err, ynew, K = dop_step(m, y, f0, h, rtol, True)
        steps += 1
        if not math.isfinite(err):
            h *= 0.2
            continue
        if err > 1.0:
            h *= max(0.9 / math.sqrt(math.sqrt(math.sqrt(err))), 0.2)   # 0.9 err^(-1/8)
            continue
        alt0 = m.altitude_km(y)
        alt1 = m.altitude_km(ynew)
        F = None
        if alt1 <= targets[k]:
            F = dop_dense(m, y, ynew, h, K, True)
            while k < len(targets) and alt1 <= targets[k]:
                x, yev = locate(m, y, F, h, targets[k], alt0 - targets[k], alt1 - targets[k])
                t_hit[k] = t + x * h
                k += 1
            if k == len(targets):
                hist.record_states(t, y, F, h, t_hit[k - 1], ynew)
                t = t_hit[k - 1]
                hist.record(t, (semi_major_axis_m(yev) - EARTH_RADIUS_M) * 1e-3)
                return ST_ENTERED, t, yev, steps
        if hist.wants_state(t + h):
            hist.record_states(t, y, dop_dense(m, y, ynew, h, K, True) if F is None else F, h,
                               t + h, ynew)
        t = t_stop if (last or at_break) else t + h
        y = ynew
        f0 = K[12]
        hist.record(t, (semi_major_axis_m(y) - EARTH_RADIUS_M) * 1e-3)
        if last:
            return ST_HORIZON, t, y, steps
        fac = 10.0 if err == 0.0 else 0.9 / math.sqrt(math.sqrt(math.sqrt(err)))
        h *= min(fac, 10.0)


# -- mean elements ---------------------------------------------------------------------------
def _node_frame(inc, raan):
    """Unit vectors to the ascending node (n), 90 deg ahead in the plane (m), and normal (h)."""
    cO, sO, ci, si = math.cos(raan), math.sin(raan), math.cos(inc), math.sin(inc)
    return (cO, sO, 0.0), (-sO * ci, cO * ci, si), (sO * si, -cO * si, ci)


def state_to_elements(y):
    """Non-singular elements (a, ex, ey, i, raan, lambda) of an ECI state."""
    rx, ry, rz, vx, vy, vz = y
    hx, hy, hz = ry * vz - rz * vy, rz * vx - rx * vz, rx * vy - ry * vx
    hn = math.sqrt(hx * hx + hy * hy + hz * hz)
    r = math.sqrt(rx * rx + ry * ry + rz * rz)
    v2 = vx * vx + vy * vy + vz * vz
    inc = math.acos(hz / hn)
    raan = math.atan2(hx, -hy)
    (nx, ny, _), (mx, my, mz), _ = _node_frame(inc, raan)
    evx = (vy * hz - vz * hy) / MU_M3_S2 - rx / r
    evy = (vz * hx - vx * hz) / MU_M3_S2 - ry / r
    evz = (vx * hy - vy * hx) / MU_M3_S2 - rz / r
    ex = evx * nx + evy * ny
    ey = evx * mx + evy * my + evz * mz
    u = math.atan2(rx * mx + ry * my + rz * mz, rx * nx + ry * ny)
    e = math.sqrt(ex * ex + ey * ey)
    w = math.atan2(ey, ex)
    f = u - w
    E = 2.0 * math.atan2(math.sqrt(1.0 - e) * math.sin(0.5 * f),
                         math.sqrt(1.0 + e) * math.cos(0.5 * f))
    return [1.0 / (2.0 / r - v2 / MU_M3_S2), ex, ey, inc, raan, w + E - e * math.sin(E)]


def elements_to_state(el):
    """ECI state of non-singular elements (Keplerian: no short-period terms)."""
    a, ex, ey, inc, raan, lam = el
    e = math.sqrt(ex * ex + ey * ey)
    w = math.atan2(ey, ex)
    M = lam - w
    E = M
    for _ in range(20):
        E -= (E - e * math.sin(E) - M) / (1.0 - e * math.cos(E))
    cE, sE = math.cos(E), math.sin(E)
    f = math.atan2(math.sqrt(1.0 - e * e) * sE, cE - e)
    p = a * (1.0 - e * e)
    r = a * (1.0 - e * cE)
    u = w + f
    cu, su = math.cos(u), math.sin(u)
    (nx, ny, _), (mx, my, mz), _ = _node_frame(inc, raan)
    smp = math.sqrt(MU_M3_S2 / p)
    vr = smp * e * math.sin(f)
    vt = smp * (1.0 + e * math.cos(f))
    return [r * (cu * nx + su * mx), r * (cu * ny + su * my), r * su * mz,
            vr * (cu * nx + su * mx) + vt * (-su * nx + cu * mx),
            vr * (cu * ny + su * my) + vt * (-su * ny + cu * my),
            vr * su * mz + vt * cu * mz]


def j2_perigee_rate(a, e, inc):
    """Secular J2 rate of the argument of perigee, rad/s."""
    p = a * (1.0 - e * e)
    n = math.sqrt(MU_M3_S2 / (a * a * a))
    ci = math.cos(inc)
    return 0.75 * n * J2 * (EARTH_RADIUS_M / p) * (EARTH_RADIUS_M / p) * (5.0 * ci * ci - 1.0)


def numeric_mean(m, y0):
    """Mean elements: (a, ex, ey, i) averaged over one orbit without drag; see the kernel."""
    el_mean = state_to_elements(y0)
    T = 2.0 * math.pi * math.sqrt(el_mean[0] * el_mean[0] * el_mean[0] / MU_M3_S2)
    h = T / N_AVG_STEPS
    y = list(y0)
    s = [0.0] * 4
    f0 = m.rhs(y, False)
    for _ in range(N_AVG_STEPS):
        el = state_to_elements(y)
        for d in range(4):
            s[d] += el[d]
        _, y, K = dop_step(m, y, f0, h, 1.0, False)
        f0 = K[12]
    s = [v / N_AVG_STEPS for v in s]
    dw = 0.0
    if m.zonal_degree >= 2:
        dw = -0.5 * T * j2_perigee_rate(s[0], math.sqrt(s[1] * s[1] + s[2] * s[2]), s[3])
    c, sn = math.cos(dw), math.sin(dw)
    el_mean[0:4] = [s[0], c * s[1] - sn * s[2], sn * s[1] + c * s[2], s[3]]
    return el_mean


def mean_to_osculating(m, el_mean):
    """Osculating state whose numerical mean equals el_mean (fixed-point iteration)."""
    y = elements_to_state(el_mean)
    for _ in range(N_MEAN_TO_OSC_ITER):
        mm = numeric_mean(m, y)
        el = state_to_elements(y)
        for d in range(4):
            el[d] += el_mean[d] - mm[d]
        y = elements_to_state(el)
    return y


def frozen_eccentricity(m, a, inc):
    """e_f = -(J3 / 2 J2)(R_e / a) sin i (0 without J3)."""
    if m.zonal_degree < 3:
        return 0.0
    return -0.5 * J3 / J2 * EARTH_RADIUS_M / a * math.sin(inc)


def quadrature_stride(a, e):
    """Stride through the N_QUAD_MAX nodes of the orbit-averaging rule (see the kernel):
    8, 16, 32 or 64 equally spaced eccentric anomalies as x = a e / QUAD_SCALE_M grows."""
    x = a * e / QUAD_SCALE_M
    if x <= 1.2:
        return 8
    if x <= 7.0:
        return 4
    if x <= 18.0:
        return 2
    return 1


def mean_rates(m, z):
    """Orbit-averaged rates of z = (a, ex', ey', i, raan, lambda, psi) (per s) and the lowest
    altitude (km); (ex, ey) = (0, e_f) + R(psi)(ex', ey'): the eccentricity vector turns at
    the J2 perigee rate about the J2/J3 frozen point (see the kernel)."""
    a, inc, raan = z[0], z[3], z[4]
    cpsi, spsi = math.cos(z[6]), math.sin(z[6])
    ef = frozen_eccentricity(m, a, inc)
    ex, ey = cpsi * z[1] - spsi * z[2], ef + spsi * z[1] + cpsi * z[2]
    e = math.sqrt(ex * ex + ey * ey)
    cw, sw = (ex / e, ey / e) if e > 0.0 else (1.0, 0.0)
    eta = math.sqrt(1.0 - e * e)
    p = a * eta * eta
    n = math.sqrt(MU_M3_S2 / (a * a * a))
    ci, si = math.cos(inc), math.sin(inc)
    (nx, ny, _), (mx, my, mz), (hx, hy, hz) = _node_frame(inc, raan)
    kj = dr0 = dr2 = 0.0
    if m.zonal_degree >= 2:
        kj = J2 * (EARTH_RADIUS_M / p) * (EARTH_RADIUS_M / p)
        dr0 = -0.75 * J2 * EARTH_RADIUS_M * EARTH_RADIUS_M / a * (3.0 * ci * ci - 1.0)
        dr2 = 0.25 * J2 * EARTH_RADIUS_M * EARTH_RADIUS_M / a * si * si
    wdot = 0.75 * n * kj * (5.0 * ci * ci - 1.0)
    de_x = de_y = 0.0
    rates = [0.0, 0.0, 0.0, 0.0, -1.5 * n * kj * ci,
             wdot + n * (1.0 + 0.75 * kj * eta * (3.0 * ci * ci - 1.0)), wdot]
    smp = math.sqrt(MU_M3_S2 / p)
    hmag = math.sqrt(MU_M3_S2 * p)
    k_a, inv_mu, inv_h = 2.0 * a * a / MU_M3_S2, 1.0 / MU_M3_S2, 1.0 / hmag
    inv_hs = inv_h / si if si > 1e-9 else 0.0
    min_alt = math.inf
    stride = quadrature_stride(a, e)
    inv_n = stride / N_QUAD_MAX
    for k in range(0, N_QUAD_MAX, stride):
        den = 1.0 - e * COS_E[k]
        inv_den = 1.0 / den
        cf = (COS_E[k] - e) * inv_den
        sf = eta * SIN_E[k] * inv_den
        cu = cw * cf - sw * sf
        su = sw * cf + cw * sf
        r = a * den + dr0 + dr2 * (cu * cu - su * su)
        ux, uy, uz = cu * nx + su * mx, cu * ny + su * my, su * mz
        rx, ry, rz = r * ux, r * uy, r * uz
        alt = m.altitude_rs_km(r, uz * uz)
        min_alt = min(min_alt, alt)
        if m.half_drag_m2_kg == 0.0:
            continue
        tx, ty, tz = -su * nx + cu * mx, -su * ny + cu * my, cu * mz
        vr = smp * e * sf
        vt = smp * (1.0 + e * cf)
        vx, vy, vz = vr * ux + vt * tx, vr * uy + vt * ty, vr * uz + vt * tz
        wx, wy, wz = vx + EARTH_ROTATION_RAD_S * ry, vy - EARTH_ROTATION_RAD_S * rx, vz
        vrel = math.sqrt(wx * wx + wy * wy + wz * wz)
        c = -m.half_drag_m2_kg * m.drag_density(alt, rx, ry, rz) * vrel
        adx, ady, adz = c * wx, c * wy, c * wz
        w = inv_n * den
        rates[0] += w * k_a * (vx * adx + vy * ady + vz * adz)
        hvx, hvy, hvz = ry * vz - rz * vy, rz * vx - rx * vz, rx * vy - ry * vx
        cx, cy, cz = ry * adz - rz * ady, rz * adx - rx * adz, rx * ady - ry * adx
        dex = (ady * hvz - adz * hvy) + (vy * cz - vz * cy)
        dey = (adz * hvx - adx * hvz) + (vz * cx - vx * cz)
        dez = (adx * hvy - ady * hvx) + (vx * cy - vy * cx)
        de_x += w * inv_mu * (dex * nx + dey * ny)
        de_y += w * inv_mu * (dex * mx + dey * my + dez * mz)
        W = adx * hx + ady * hy + adz * hz
        rates[3] += w * r * cu * W * inv_h
        rates[4] += w * r * su * W * inv_hs
    de_y += ef / a * rates[0]
    rates[1] = cpsi * de_x + spsi * de_y
    rates[2] = -spsi * de_x + cpsi * de_y
    return rates, min_alt


def mean_phase(m, t, el, t_end, handover_km, max_step_s, hist, steps):
    """Midpoint-rule steps on the mean elements (see the kernel); returns (0 for hand-over
    or a status, t, el, steps)."""
    z = list(el) + [0.0]
    z[2] -= frozen_eccentricity(m, el[0], el[3])
    while True:
        t_stop = t + max_step_s
        if len(m.daily) > 1:  # end on the last day boundary within reach
            b = (math.floor(m.day_offset + t_stop / SECONDS_PER_DAY + DAY_EPS)
                 - m.day_offset) * SECONDS_PER_DAY
            if b > t + MIN_STEP_S:
                t_stop = b
        if t_end < t_stop:
            t_stop = t_end
        m.set_span(t, t_stop)
        m.t_eval = t
        k1, min_alt = mean_rates(m, z)
        if min_alt < handover_km:
            st = 0
            break
        if t >= t_end:
            st = ST_HORIZON
            break
        if not math.isfinite(k1[0]) or z[0] <= 0.0:
            st = ST_NUMERICAL_FAILURE
            break
        h = t_stop - t
        if k1[0] != 0.0 and h > MEAN_MAX_DECAY_M / abs(k1[0]):
            h = MEAN_MAX_DECAY_M / abs(k1[0])
            m.set_span(t, t + h)
        m.t_eval = t + 0.5 * h
        k2, _ = mean_rates(m, [z[d] + 0.5 * h * k1[d] for d in range(7)])
        z = [z[d] + h * k2[d] for d in range(7)]
        t = t_stop if t_stop - (t + h) < MIN_STEP_S else t + h
        steps += 1
        hist.record(t, (z[0] - EARTH_RADIUS_M) * 1e-3)
    c, sn = math.cos(z[6]), math.sin(z[6])
    el = z[:6]
    el[1] = c * z[1] - sn * z[2]
    el[2] = frozen_eccentricity(m, z[0], z[3]) + sn * z[1] + c * z[2]
    m.seek_day(t)
    return st, t, el, steps


# -- block API ------------------------------------------------------------------------------
def leg(m, hist, first_day, origin, start, y, stop, rtol, targets, steps):
    """Cowell from (start, y) to the epoch stop, timed from its own start as a propagation
    of its own is; returns (status, end epoch, y, first target's crossing epoch or inf,
    steps)."""
    m.rebase(start, start - first_day)
    hist.i = 0
    hist.start_s = (start - origin) * SECONDS_PER_DAY
    t_hit = [math.inf, math.inf]
    hist.record(0.0, (semi_major_axis_m(y) - EARTH_RADIUS_M) * 1e-3)
    st, t, y, n = cowell(m, 0.0, y, (stop - start) * SECONDS_PER_DAY, rtol, targets, t_hit,
                         hist, 0)
    entry = start + t_hit[0] / SECONDS_PER_DAY if t_hit[0] != math.inf else math.inf
    return st, start + t / SECONDS_PER_DAY, y, entry, steps + n


def impulse(y, dv, err, dv_error_frac, sig):
    """y with a retrograde impulse dv (m/s) and its execution errors added: the operations
    of :func:`deorbit.operations.burn`."""
    vn = math.sqrt(y[3] * y[3] + y[4] * y[4] + y[5] * y[5])
    t = [y[3] / vn, y[4] / vn, y[5] / vn]
    h = [y[1] * y[5] - y[2] * y[4], y[2] * y[3] - y[0] * y[5], y[0] * y[4] - y[1] * y[3]]
    hn = math.sqrt(h[0] * h[0] + h[1] * h[1] + h[2] * h[2])
    w = [h[0] / hn, h[1] / hn, h[2] / hn]
    n = [w[1] * t[2] - w[2] * t[1], w[2] * t[0] - w[0] * t[2], w[0] * t[1] - w[1] * t[0]]
    d = [-t[k] + sig * (err[1] * n[k] + err[2] * w[k]) for k in range(3)]
    dn = math.sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2])
    mag = dv * (1.0 + dv_error_frac * err[0])
    return y[:3] + [y[3 + k] + mag * (d[k] / dn) for k in range(3)]


def fly_arc(m, hist, y, epoch, stop, first_day, origin, n_seg, duration_s, dv, err,
            dv_error_frac, sig, targets, rtol, steps):
    """A finite burn from epoch, then a coast to the epoch stop (the compiled kernel's
    ``start_leg``/``next_leg`` in its lanes): n_seg impulses at the middles of n_seg equal
    segments, the orbit flown leg by leg, on to breakup from a leg that ends inside the
    atmosphere. Returns (status, end epoch, y, entry epoch or inf, steps)."""
    e, entry, st = epoch, math.inf, ST_HORIZON
    for k in range(n_seg + 1):
        until = epoch + (k + 0.5) / n_seg * duration_s / SECONDS_PER_DAY if k < n_seg else stop
        st, e, y, hit, steps = leg(m, hist, first_day, origin, e, y, until, rtol, targets,
                                   steps)
        if hit != math.inf:
            entry = hit
            if st == ST_HORIZON:   # inside the atmosphere at the leg's end: on to breakup
                st, e, y, _, steps = leg(m, hist, first_day, origin, e, y, e + 1.0, rtol,
                                         targets[-1:], steps)
        if st != ST_HORIZON:
            break
        if k < n_seg:
            y = impulse(y, dv / n_seg, err, dv_error_frac, sig)
    return st, e, y, entry, steps


def propagate_block(start_epoch_days, state0, drag_m2_kg, density_scale, stop_epoch_days,
                    stop_alt_km, entry_alt_km, handover_alt_km, hybrid,
                    stop_at_handover, mean_input,
                    mean_max_step_days, rtol, zonal_degree, ellipsoid, table_alt_km,
                    table_log_rho, table_row, axis_f107a, axis_df, axis_ap, season_log,
                    season_nodes,
                    season_period_days, daily, daily_row, daily_first_days, history_days,
                    history_origin_days, ephemeris_days, arc_segments, arc_duration_s,
                    arc_dv_m_s, arc_errors, arc_dv_error_frac, arc_pointing_rad, status,
                    end_epoch_days, entry_epoch_days, handover_epoch_days, end_state,
                    history_sma_alt_km, ephemeris_state, n_steps, n_rhs, along=None):
    """Propagate every sample of a block; same contract as ``_kernel.propagate_block``.

    ``along``, reference backend only: a density model evaluated at every drag evaluation's
    position and instant, ``along.density(epoch_utc_days, r_eci_m, f107a, df, ap)`` with the
    day's indices from ``daily`` (the table arguments are then ignored), e.g.
    :class:`deorbit.atmosphere.MsisAlongTrajectory`.
    """
    tables = [None] if along is not None else [
        Table(table_alt_km, log_rho, axis_f107a, axis_df, axis_ap, season, season_nodes,
              season_period_days)
        for log_rho, season in zip(table_log_rho, season_log)]
    hist_s = [float(v) * SECONDS_PER_DAY for v in history_days]
    eph_s = [float(v) * SECONDS_PER_DAY for v in ephemeris_days]
    for i in range(len(start_epoch_days)):
        m = Model(0.5 * float(drag_m2_kg[i]) * float(density_scale[i]), int(zonal_degree),
                  bool(ellipsoid), tables[int(table_row[i]) if along is None else 0],
                  [tuple(float(v) for v in row) for row in daily[daily_row[i]]],
                  float(start_epoch_days[i]) - float(daily_first_days[i]), along,
                  float(start_epoch_days[i]))
        row = [math.nan] * len(hist_s)
        eph_row = [[math.nan] * 6 for _ in eph_s]
        hist = History(hist_s, row, eph_s, eph_row,
                       (float(start_epoch_days[i]) - float(history_origin_days[i]))
                       * SECONDS_PER_DAY)
        targets = [float(entry_alt_km)]
        if stop_alt_km[i] < entry_alt_km:
            targets.append(float(stop_alt_km[i]))
        t_hit = [math.inf, math.inf]
        y = [float(v) for v in state0[i]]
        el = list(y)
        t = 0.0
        t_end = (float(stop_epoch_days[i]) - float(start_epoch_days[i])) * SECONDS_PER_DAY
        steps = 0
        st = 0
        if arc_segments[i] > 0:
            st, end, y, entry, steps = fly_arc(
                m, hist, y, float(start_epoch_days[i]), float(stop_epoch_days[i]),
                float(daily_first_days[i]),
                float(history_origin_days[i]), int(arc_segments[i]), float(arc_duration_s[i]),
                float(arc_dv_m_s[i]), [float(v) for v in arc_errors[i]],
                float(arc_dv_error_frac), float(arc_pointing_rad), targets, rtol, steps)
        else:
            if hybrid:
                if not mean_input:
                    el = numeric_mean(m, y)
                hist.record(0.0, (el[0] - EARTH_RADIUS_M) * 1e-3)
                st, t, el, steps = mean_phase(m, t, el, t_end, handover_alt_km,
                                              mean_max_step_days * SECONDS_PER_DAY, hist,
                                              steps)
                if (t > 0.0 or mean_input) and st != ST_NUMERICAL_FAILURE:
                    y = mean_to_osculating(m, el)
                if st == 0:
                    handover_epoch_days[i] = start_epoch_days[i] + t / SECONDS_PER_DAY
                    if stop_at_handover:
                        st = ST_HANDED_OVER
            else:
                if mean_input:
                    y = mean_to_osculating(m, el)
                hist.record(0.0, (semi_major_axis_m(y) - EARTH_RADIUS_M) * 1e-3)
            if st == 0:
                st, t, y, steps = cowell(m, t, y, t_end, rtol, targets, t_hit, hist, steps)
            end = start_epoch_days[i] + t / SECONDS_PER_DAY
            entry = (start_epoch_days[i] + t_hit[0] / SECONDS_PER_DAY if t_hit[0] != math.inf
                     else math.inf)
        status[i] = st
        end_epoch_days[i] = end
        if entry != math.inf:
            entry_epoch_days[i] = entry
        end_state[i, :] = y
        if len(hist_s):
            history_sma_alt_km[i, :] = row
        if len(eph_s):
            ephemeris_state[i, :, :] = eph_row
        n_steps[i] = steps
        n_rhs[i] = m.n_rhs
