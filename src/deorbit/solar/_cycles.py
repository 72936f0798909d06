"""Solar-cycle template: Hathaway's cycle function in F10.7, its fit to the record, the
statistics of past cycles, and cycle phases.

The smooth level of the adjusted (1 AU) F10.7 is modelled as a base plus one Hathaway
function per cycle (Hathaway, Wilson & Reichmann 1994, Solar Phys. 151, 177)::

    T(t) = B + sum_k H_k(t),   H_k(t) = A_k / g* * (x / b_k)^3 / (exp((x / b_k)^2) - c),
    x = t - t0_k (years, H = 0 for x < 0),  b_k = R_k / u*,  c = 0.71

parametrised here by the start ``t0`` (the function's zero, near the sunspot minimum), the
peak excess ``A`` over the base (sfu) and the rise time ``R`` (years from t0 to the peak of
the single-cycle function; ``u* = 1.0813``, ``g* = 0.5038`` are where the function of
``u = x / b`` peaks and its peak value, for c = 0.71). Consecutive cycles overlap, as in the
Sun. ``P_k = t0_{k+1} - t0_k`` is the cycle period (years).
"""

from __future__ import annotations

import math

import numpy as np

DAYS_PER_YEAR = 365.25
DAYS_PER_MONTH = DAYS_PER_YEAR / 12.0
C_HATHAWAY = 0.71


def _peak_constants(c: float) -> tuple[float, float]:
    """u* (peak of u^3 / (exp(u^2) - c)) and the peak value g*, by bisection on the derivative."""
    lo, hi = 0.5, 3.0
    f = lambda q: 3.0 * (math.exp(q) - c) - 2.0 * q * math.exp(q)  # noqa: E731
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        if f(lo) * f(mid) <= 0:
            hi = mid
        else:
            lo = mid
    u = math.sqrt(0.5 * (lo + hi))
    return u, u**3 / (math.exp(u * u) - c)


U_PEAK, G_PEAK = _peak_constants(C_HATHAWAY)

#: Weak physical bounds on a cycle (used to truncate the prior): peak excess A (sfu above the
#: base), rise time R (years), period P (years). Cycles 1-24 of the sunspot record had
#: periods of 9.0 to 13.7 years and rise times of 2.7 to 6.3 years; the largest cycle of the
#: sunspot record since 1755 (19) peaked about 177 sfu above the base in the fit here, and the
#: upper bound on A is about 1.4 times that.
BOUNDS = {"A": (15.0, 250.0), "R": (2.0, 7.0), "P": (8.0, 15.0)}
# the bounds of (ln A, ln R, P): lower row, upper row
_LOG_BOUNDS = np.array([[math.log(BOUNDS["A"][k]), math.log(BOUNDS["R"][k]), BOUNDS["P"][k]]
                        for k in (0, 1)])


def hathaway(t_day: np.ndarray, t0_day, amp, rise_yr) -> np.ndarray:
    """Hathaway cycle function (sfu above the base), broadcasting over all arguments.

    Parameters
    ----------
    t_day : array_like
        Times, day index (days since 2000-01-01).
    t0_day : array_like
        Cycle start, day index.
    amp : array_like
        Peak excess A, sfu.
    rise_yr : array_like
        Rise time R from start to peak, years.
    """
    b = np.asarray(rise_yr) / U_PEAK
    u = np.maximum((np.asarray(t_day) - t0_day) / DAYS_PER_YEAR, 0.0) / b
    u2 = np.minimum(u * u, 700.0)
    return np.asarray(amp) / G_PEAK * (u * u * u) / (np.exp(u2) - C_HATHAWAY)


def template(t_day: np.ndarray, base: float, cycles: np.ndarray) -> np.ndarray:
    """Template T(t) = base + sum of Hathaway functions, sfu.

    Parameters
    ----------
    t_day : numpy.ndarray
        Day indices, any shape ``S``.
    base : float
        Base level B, sfu.
    cycles : numpy.ndarray, shape (..., n_cycles, 3)
        (t0 day, A sfu, R years) per cycle; leading axes broadcast against ``S[:-1]``
        (e.g. cycles of shape (n_samples, k, 3) with t_day of shape (n_samples, n_t)).
    """
    t = np.asarray(t_day, dtype=np.float64)[..., None]
    cyc = np.asarray(cycles, dtype=np.float64)
    h = hathaway(t, cyc[..., None, :, 0], cyc[..., None, :, 1], cyc[..., None, :, 2])
    return base + h.sum(axis=-1)


# ---------------------------------------------------------------------------- monthly record
def monthly_means(day: np.ndarray, values: np.ndarray, min_days: int = 20):
    """Calendar-month means of daily values.

    Returns
    -------
    t_mid : numpy.ndarray
        Mean day index of each kept month.
    mean : numpy.ndarray
        Mean value.
    month : numpy.ndarray of int64
        Months since 1970-01.
    """
    month = (np.datetime64("2000-01-01", "D") + day.astype("timedelta64[D]")).astype(
        "datetime64[M]"
    ).astype(np.int64)
    um, inv = np.unique(month, return_inverse=True)
    cnt = np.bincount(inv)
    keep = cnt >= min_days
    mean = np.bincount(inv, values) / cnt
    t_mid = np.bincount(inv, day.astype(np.float64)) / cnt
    return t_mid[keep], mean[keep], um[keep]


def smooth13(x: np.ndarray) -> np.ndarray:
    """13-month running mean with half weights at the ends (NaN within 6 of each end)."""
    w = np.r_[0.5, np.ones(11), 0.5] / 12.0
    out = np.full(x.shape, np.nan)
    if x.size >= 13:
        out[6:-6] = np.convolve(x, w, mode="valid")
    return out


def detect_minima(t_mid: np.ndarray, month: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Dates (day index) of solar minima of the 13-month smoothed monthly means.

    A month is a minimum when its smoothed value is the lowest within 36 months either side
    (of the smoothed values available) and at least 12 smoothed months follow it, so that a
    minimum is only declared once the rise of the next cycle is seen. Of equal lowest values
    within 36 months (a flat stretch, e.g. months of zero sunspots) the first is the minimum.
    """
    if np.any(np.diff(month) != 1):
        raise ValueError("monthly means must be consecutive months")
    sm = smooth13(mean)
    valid = np.flatnonzero(np.isfinite(sm))
    out = []
    for i in valid:
        if i + 12 > valid[-1]:
            break
        lo, hi = max(valid[0], i - 36), min(valid[-1], i + 36)
        if (sm[i] == np.nanmin(sm[lo : hi + 1]) and sm[i] < np.nanmax(sm[i : hi + 1]) - 10.0
                and not (out and t_mid[i] - out[-1] < 36 * DAYS_PER_MONTH)):
            out.append(t_mid[i])
    return np.asarray(out)


# ---------------------------------------------------------------------------- least squares
def levenberg_marquardt(fun, p0: np.ndarray, *, max_iter: int = 200, tol: float = 1e-10):
    """Minimise ``sum(fun(p)**2)`` (Levenberg-Marquardt, forward-difference Jacobian).

    Returns
    -------
    p : numpy.ndarray
        The minimiser.
    jac : numpy.ndarray
        Jacobian of ``fun`` at ``p``.
    """
    p = np.asarray(p0, dtype=np.float64).copy()

    def jacobian(p, r):
        J = np.empty((r.size, p.size))
        for j in range(p.size):
            h = 1e-6 * max(1.0, abs(p[j]))
            q = p.copy()
            q[j] += h
            J[:, j] = (fun(q) - r) / h
        return J

    r = fun(p)
    cost = r @ r
    lam = 1e-3
    J = jacobian(p, r)
    for _ in range(max_iter):
        g = J.T @ r
        A = J.T @ J
        improved = False
        for _ in range(30):
            step = np.linalg.solve(A + lam * np.diag(np.diag(A) + 1e-12), -g)
            q = p + step
            rq = fun(q)
            cq = rq @ rq
            if np.isfinite(cq) and cq < cost:
                improved = True
                break
            lam *= 10.0
        if not improved:
            break
        done = cost - cq < tol * max(cost, 1e-30)
        p, r, cost = q, rq, cq
        lam = max(lam / 10.0, 1e-12)
        J = jacobian(p, r)
        if done:
            break
    return p, J


# ---------------------------------------------------------------------------- template fit
def fit_template(t_mid: np.ndarray, mean: np.ndarray, minima: np.ndarray):
    """Least-squares fit of the template to monthly means, in log.

    One Hathaway function per cycle: one before the first detected minimum and one starting
    near each minimum (first guesses from the 13-month smoothed peak of each interval; a
    cycle whose rise has lasted under 5 years starts from a typical one), a weak prior on
    each cycle's ln R (4.2 years, 0.5) and ln A (100 sfu, 1.5) that matters only for a
    cycle with little data.

    Parameters
    ----------
    t_mid : numpy.ndarray
        Mean day index of each month (consecutive months).
    mean : numpy.ndarray
        Monthly means, sfu (or a series on the same scale).
    minima : numpy.ndarray
        From :func:`detect_minima`, at least one.

    Returns
    -------
    base : float
        Base B, sfu.
    cycles : numpy.ndarray, shape (len(minima) + 1, 3)
        (t0 day, A sfu, R years) of each cycle.
    """
    sm = smooth13(mean)
    starts = [minima[0] - 11.0 * DAYS_PER_YEAR] + list(minima)
    guess = []
    for j, t0 in enumerate(starts):
        hi = starts[j + 1] if j + 1 < len(starts) else t_mid[-1] + 1
        sel = (t_mid >= max(t0, t_mid[0])) & (t_mid < hi) & np.isfinite(sm)
        if np.any(sel):
            i = np.flatnonzero(sel)[np.nanargmax(sm[sel])]
            amp = max(sm[i] - 68.0, 30.0)
            rise = float(np.clip((t_mid[i] - t0) / DAYS_PER_YEAR, 2.5, 6.0))
        else:
            amp, rise = 100.0, 4.2
        if j == len(starts) - 1 and (t_mid[-1] - t0) < 5 * DAYS_PER_YEAR:
            amp, rise = max(amp, 100.0), 4.2  # the rise is not over: start from typical
        guess.append((t0 - 0.3 * DAYS_PER_YEAR, amp, rise))
    guess = np.asarray(guess)
    y, t = np.log(mean), t_mid
    k = guess.shape[0]

    def unpack(p):
        cyc = np.empty((k, 3))
        cyc[:, 0] = p[1::3] * DAYS_PER_YEAR
        cyc[:, 1] = np.exp(p[2::3])
        cyc[:, 2] = np.exp(p[3::3])
        return math.exp(p[0]), cyc

    def resid(p):
        base, cyc = unpack(p)
        model = template(t, base, cyc)
        reg = np.concatenate([(p[3::3] - math.log(4.2)) / 0.5, (p[2::3] - math.log(100)) / 1.5])
        return np.concatenate([y - np.log(model), reg])

    p0 = np.empty(1 + 3 * k)
    p0[0] = math.log(68.0)
    p0[1::3] = guess[:, 0] / DAYS_PER_YEAR
    p0[2::3] = np.log(guess[:, 1])
    p0[3::3] = np.log(guess[:, 2])
    p, _ = levenberg_marquardt(resid, p0)
    return unpack(p)


def cycle_rows(cycles: np.ndarray, first_day: float, last_day: float) -> np.ndarray:
    """(ln A, ln R, P years) of each fitted cycle, NaN where the record does not settle it.

    A is counted when the cycle's peak lies between a year before ``first_day`` and a year
    before ``last_day``; R when the cycle also starts within the record; P when the next
    cycle started at least 3 years before ``last_day``. A value outside :data:`BOUNDS` is
    not counted (a fit that split or merged cycles, e.g. around the Dalton minimum).
    """
    cyc = np.asarray(cycles, dtype=np.float64)
    k = cyc.shape[0]
    table = np.full((k, 3), np.nan)
    for j in range(k):
        t0, amp, rise = cyc[j]
        peak = t0 + rise * DAYS_PER_YEAR
        if peak + DAYS_PER_YEAR <= last_day and peak >= first_day - DAYS_PER_YEAR:
            table[j, 0] = math.log(amp)
            if t0 >= first_day:
                table[j, 1] = math.log(rise)
        if t0 >= first_day and j + 1 < k and cyc[j + 1, 0] + 3 * DAYS_PER_YEAR <= last_day:
            table[j, 2] = (cyc[j + 1, 0] - t0) / DAYS_PER_YEAR
    value = np.column_stack([np.exp(table[:, 0]), np.exp(table[:, 1]), table[:, 2]])
    for col, name in enumerate("ARP"):
        lo, hi = BOUNDS[name]
        table[~((value[:, col] >= lo) & (value[:, col] <= hi)), col] = np.nan
    return table


# ---------------------------------------------------------------------------- statistics
# One-sided 95 % quantiles of Student's t, df = 1..30 (standard tables).
_T95 = [6.314, 2.920, 2.353, 2.132, 2.015, 1.943, 1.895, 1.860, 1.833, 1.812, 1.796, 1.782,
        1.771, 1.761, 1.753, 1.746, 1.740, 1.734, 1.729, 1.725, 1.721, 1.717, 1.714, 1.711,
        1.708, 1.706, 1.703, 1.701, 1.699, 1.697]


def predictive_inflation(n: int) -> float:
    """Variance factor making a normal's 90 % interval equal the Student-t predictive one.

    For a new value from a normal population whose mean and variance are estimated from
    ``n`` values, the predictive distribution is Student t with n - 1 degrees of freedom and
    scale s * sqrt(1 + 1/n). The factor is ``(t_{n-1, 0.95} / 1.645)^2 (1 + 1/n)``.
    """
    if n < 2:
        raise ValueError(f"need at least 2 cycles for a spread, got {n}")
    t = _T95[n - 2] if n - 1 <= len(_T95) else 1.645
    return (t / 1.6449) ** 2 * (1.0 + 1.0 / n)


class CyclePrior:
    """Joint normal prior of a cycle's (ln A, ln R, P) given the previous cycle's period.

    The cycles form a chain: a cycle's (ln A, ln R, P) and the period ``P_prev`` of the cycle
    before it are jointly normal, (P_prev, ln A, ln R, P), with P_prev distributed as P. So a
    long cycle tends to be followed by a weak one: the amplitude-period effect, the
    strongest of the relations between cycle parameters (Hathaway 2010, Living Rev. Sol. Phys.
    7, 1, sec. 4.7: r = -0.68 between a cycle's period and the next cycle's amplitude over
    sunspot cycles 1-22; Solanki et al. 2002, A&A 396, 1029). The sunspot and F10.7 cycles
    counted here give r = -0.62 before 2008 (21 pairs).

    Means and variances come from the cycles where each quantity is known; each variance is
    multiplied by :func:`predictive_inflation` of its count (small samples: wider). Pairwise
    correlations, within a cycle and between a period and the next cycle's values, are
    estimated on the cycles (pairs of consecutive cycles) where both are known and shrunk
    towards zero, ``r * n / (n + 4)`` (a prior worth four cycles of no correlation); the 4 x 4
    matrix is then made positive definite. Users keep cycles within :data:`BOUNDS` (the
    conditioning truncates, :meth:`clip` moves a drawn cycle onto them).

    Parameters
    ----------
    table : numpy.ndarray, shape (n_cycles, 3)
        (ln A, ln R, P years) of consecutive past cycles in time order, NaN where unknown.

    Attributes
    ----------
    mean, sd : numpy.ndarray, shape (3,)
        Marginal mean and (inflated) standard deviation of (ln A, ln R, P).
    corr, cov : numpy.ndarray, shape (3, 3)
        Marginal correlation and covariance within a cycle.
    lag_corr : numpy.ndarray, shape (3,)
        Correlation of P_prev with (ln A, ln R, P).
    mean4, cov4 : numpy.ndarray
        Mean and covariance of (P_prev, ln A, ln R, P).
    counts : numpy.ndarray, shape (3,)
        Cycles where each of (ln A, ln R, P) is known.
    lag_counts : numpy.ndarray, shape (3,)
        Consecutive pairs where P_prev and each of (ln A, ln R, P) are known.
    """

    names = ("lnA", "lnR", "P")

    def __init__(self, table: np.ndarray) -> None:
        table = np.asarray(table, dtype=np.float64)  # (n_cycles, 3) with NaN where unknown
        known = np.isfinite(table)
        self.counts = known.sum(axis=0)
        if np.any(self.counts < 2):
            missing = [n for n, c in zip(self.names, self.counts) if c < 2]
            raise ValueError(f"need at least 2 past cycles with {missing} known")
        self.mean = np.array([table[known[:, j], j].mean() for j in range(3)])
        sd = np.array([table[known[:, j], j].std(ddof=1) for j in range(3)])
        self.inflation = np.array([predictive_inflation(int(n)) for n in self.counts])
        sd = sd * np.sqrt(self.inflation)
        # (P_prev, lnA, lnR, P): correlations within a cycle, and of a period with the next
        # cycle's values (consecutive rows)
        corr4 = np.eye(4)
        self.pair_counts = np.zeros((3, 3), dtype=int)
        self.lag_counts = np.zeros(3, dtype=int)
        for i in range(3):
            for j in range(i + 1, 3):
                r, self.pair_counts[i, j] = _shrunk_corr(table[:, i], table[:, j])
                self.pair_counts[j, i] = self.pair_counts[i, j]
                corr4[i + 1, j + 1] = corr4[j + 1, i + 1] = r
            r, self.lag_counts[i] = _shrunk_corr(table[:-1, 2], table[1:, i])
            corr4[0, i + 1] = corr4[i + 1, 0] = r
        w, v = np.linalg.eigh(corr4)
        corr4 = (v * np.maximum(w, 0.05)) @ v.T
        d = np.sqrt(np.diag(corr4))
        corr4 = corr4 / np.outer(d, d)
        sd4 = np.concatenate([sd[2:], sd])
        self.sd = sd
        self.corr = corr4[1:, 1:]
        self.cov = self.corr * np.outer(sd, sd)
        self.lag_corr = corr4[0, 1:]
        self.mean4 = np.concatenate([self.mean[2:], self.mean])
        self.cov4 = corr4 * np.outer(sd4, sd4)
        # the next cycle given P_prev: mean + gain * (P_prev - mean P), covariance next_cov
        self._gain = self.cov4[1:, 0] / self.cov4[0, 0]
        self.next_cov = self.cov - np.outer(self._gain, self.cov4[0, 1:])
        self.table = table

    def conditional(self, idx_free, idx_given, given):
        """Mean and covariance of components of (P_prev, ln A, ln R, P) (indices 0-3) given
        others (normal theory); ``given`` may have leading axes."""
        f, g = list(idx_free), list(idx_given)
        S = self.cov4
        K = S[np.ix_(f, g)] @ np.linalg.inv(S[np.ix_(g, g)])
        mean = self.mean4[f] + (np.asarray(given) - self.mean4[g]) @ K.T
        cov = S[np.ix_(f, f)] - K @ S[np.ix_(g, f)]
        return mean, cov

    def next_mean(self, period_prev) -> np.ndarray:
        """Mean (..., 3) of the next cycle's (ln A, ln R, P) after a cycle of period
        ``period_prev`` (years, any shape); its covariance is ``next_cov``."""
        p = np.asarray(period_prev, dtype=np.float64)[..., None]
        return self.mean + (p - self.mean[2]) * self._gain

    @staticmethod
    def in_bounds(lnA, lnR, P) -> np.ndarray:
        """True where (A, R, P) lie within :data:`BOUNDS`."""
        x = np.stack(np.broadcast_arrays(lnA, lnR, P), axis=-1)
        return np.all((x >= _LOG_BOUNDS[0]) & (x <= _LOG_BOUNDS[1]), axis=-1)

    def next_residuals(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` draws (n, 3) of a cycle's departure from :meth:`next_mean`, normal with
        covariance ``next_cov``."""
        return rng.standard_normal((n, 3)) @ np.linalg.cholesky(self.next_cov).T

    @staticmethod
    def clip(x: np.ndarray) -> np.ndarray:
        """(..., 3) values of (ln A, ln R, P) moved to the nearest point within the bounds."""
        return np.clip(x, _LOG_BOUNDS[0], _LOG_BOUNDS[1])


def _shrunk_corr(x: np.ndarray, y: np.ndarray) -> tuple[float, int]:
    """Correlation of x and y where both are known, times n / (n + 4); 0 with n < 3."""
    both = np.isfinite(x) & np.isfinite(y)
    n = int(both.sum())
    if n < 3:
        return 0.0, n
    return float(np.corrcoef(x[both], y[both])[0, 1]) * n / (n + 4.0), n


# ---------------------------------------------------------------------------- phase
def cycle_extrema(base: float, cycles: np.ndarray, n_grid: int = 64):
    """Peak and minimum dates of each cycle of a template.

    Parameters
    ----------
    cycles : numpy.ndarray, shape (..., k, 3)
        (t0 day, A, R years), ordered in time.

    Returns
    -------
    minima, peaks : numpy.ndarray, shape (..., k)
        ``peaks[..., j]`` is the date of the maximum of cycle j alone (t0 + R);
        ``minima[..., j]`` the date of the lowest template value between the peaks of cycles
        j - 1 and j (computed from those two cycles; for j = 0, t0 of cycle 0).
    """
    cyc = np.asarray(cycles, dtype=np.float64)
    peaks = cyc[..., 0] + cyc[..., 2] * DAYS_PER_YEAR
    minima = np.empty_like(peaks)
    minima[..., 0] = cyc[..., 0, 0]
    if cyc.shape[-2] > 1:
        f = np.linspace(0.0, 1.0, n_grid)
        a, b = peaks[..., :-1], peaks[..., 1:]
        t = a[..., None] + (b - a)[..., None] * f  # (..., k-1, n_grid)
        prev, nxt = cyc[..., :-1, :], cyc[..., 1:, :]
        v = hathaway(t, prev[..., 0, None], prev[..., 1, None], prev[..., 2, None])
        v = v + hathaway(t, nxt[..., 0, None], nxt[..., 1, None], nxt[..., 2, None])
        j = np.argmin(v, axis=-1)
        minima[..., 1:] = np.take_along_axis(t, j[..., None], axis=-1)[..., 0]
    return minima, peaks


def cycle_of(t_day: np.ndarray, minima: np.ndarray) -> np.ndarray:
    """Index of the cycle each date falls in: the last whose minimum is at or before it
    (0 before the first minimum).

    Parameters
    ----------
    t_day : numpy.ndarray, shape (..., n)
        Dates.
    minima : numpy.ndarray, shape (..., k)
        From :func:`cycle_extrema`, increasing; leading axes broadcast with ``t_day``'s.
    """
    m = np.asarray(minima, dtype=np.float64)
    t = np.asarray(t_day, dtype=np.float64)
    j = (m[..., None, :] <= t[..., :, None]).sum(axis=-1) - 1
    return np.clip(j, 0, m.shape[-1] - 1)


def phase_of(t_day: np.ndarray, minima: np.ndarray, peaks: np.ndarray) -> np.ndarray:
    """Cycle phase in [0, 2): 0 at a minimum, 1 at the peak, linear in time between.

    Parameters
    ----------
    t_day : numpy.ndarray, shape (..., n)
        Dates.
    minima, peaks : numpy.ndarray, shape (..., k)
        From :func:`cycle_extrema`; leading axes match ``t_day``'s. Dates before the first
        minimum get phase 0; after the last peak, the phase runs from 1 at that rate of
        a 7-year decline, clipped below 2.
    """
    t = np.asarray(t_day, dtype=np.float64)
    k = minima.shape[-1]
    phase = np.zeros(t.shape)
    for j in range(k):
        m, p = minima[..., j, None], peaks[..., j, None]
        rising = (t >= m) & (t < p)
        phase = np.where(rising, (t - m) / np.maximum(p - m, 1.0), phase)
        m_next = minima[..., j + 1, None] if j + 1 < k else p + 7.0 * DAYS_PER_YEAR
        falling = (t >= p) & (t < m_next)
        phase = np.where(falling, 1.0 + (t - p) / np.maximum(m_next - p, 1.0), phase)
    late = t >= (peaks[..., -1, None] + 7.0 * DAYS_PER_YEAR)
    phase = np.where(late, 1.999, phase)
    return np.clip(phase, 0.0, 1.999)


#: Phase classes for the storm statistics (phase from :func:`phase_of`).
PHASE_CLASSES = {"minimum": (1.8, 0.2), "rising": (0.2, 0.7), "maximum": (0.7, 1.3),
                 "declining": (1.3, 1.8)}


def phase_class(phase: np.ndarray) -> np.ndarray:
    """Phase class index: 0 minimum, 1 rising, 2 maximum, 3 declining (:data:`PHASE_CLASSES`)."""
    ph = np.asarray(phase)
    out = np.zeros(ph.shape, dtype=np.int8)
    out[(ph >= 0.2) & (ph < 0.7)] = 1
    out[(ph >= 0.7) & (ph < 1.3)] = 2
    out[(ph >= 1.3) & (ph < 1.8)] = 3
    return out
