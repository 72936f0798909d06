"""``stochastic`` solar-activity model (the default): calibrated solar-cycle ensembles with a
phase-matched block bootstrap of the daily record.

Model
-----
Daily F10.7 adjusted to 1 AU is written ``F(d) = T(d) * exp(s(d)) * exp(r(d))`` and the
observed flux is ``F(d)`` times the Sun-Earth distance factor
(:func:`deorbit.solar._common.distance_factor`):

1. **Cycle template** ``T`` (:mod:`deorbit.solar._cycles`): a base plus one Hathaway
   function per solar cycle, fitted (least squares in log, monthly means) to every cycle of
   the record before the conditioning date. The cycle whose minimum was detected last
   (``L``, e.g. 25 in 2026) and the next two (their start, peak excess ``A`` and rise time
   ``R``) are uncertain. Their prior is the spread of the past cycles (joint normal in
   ln A, ln R and period P given the previous cycle's period, so that a long cycle tends to
   be followed by a weak one, widened for the number of cycles, see
   :class:`deorbit.solar._cycles.CyclePrior`): those of the F10.7 record from cycle 20 on,
   and cycles 0-19 of the monthly sunspot record 1749-1967 converted to F10.7
   (:mod:`deorbit.solar._sunspots`; the F10.7 era's cycles alone were the strong ones of
   the Modern Maximum, and a prior from them missed cycle 24 from most cutoffs between
   2010 and 2016, see VALIDATION.md); the data up to the conditioning date update
   it by importance sampling (proposal: Laplace approximation at the posterior mode mixed
   with the prior; likelihood: monthly log residuals as a heteroscedastic AR(1) with the
   parameters measured on the record, raised to the power ``likelihood_power`` = 0.5,
   calibrated on the record before 2008). Cycles after ``L + 1`` are drawn from the prior's
   chain, each given the period of the one before.
   Each sample path picks one weighted particle: the amplitude and timing of the rest of
   the current cycle and of the next are thus sampled jointly and conditioned on the data.
2. **Slow departures** ``s = ln(F81 / T)`` (``F81`` the centred 81-day mean): template misfit
   and months-long activity complexes; an AR(2) process on a monthly grid, fitted by
   Yule-Walker to the record's ``s / sigma_s(x)`` where ``sigma_s(x) = sqrt(a + b x)`` is its
   standard deviation as a function of the activity excess ``x = 1 - B / T``; it starts
   from the last two months of the record and is interpolated linearly to days.
3. **Daily variability, 27-day rotation and storms**: blocks of ``block_days`` (162) days of
   ``r = ln(F / F81)`` and of daily Ap are copied together from the record, from days of
   similar cycle phase (phase 0 at minimum, 1 at maximum, linear in time between; within
   +-0.125), and ``r`` is scaled by ``sigma_r(x_path) / sigma_r(x_record)``, clipped to
   [0.5, 2] (with the log-normal mean correction), so that its amplitude follows the
   sampled cycle. Ap is scaled by ``(A_path / A_source)^gamma``, ``A`` the peak excess of
   the cycle the block starts in (the sample's own cycle on the path), ``gamma`` the slope
   of ln(mean Ap) on ln A over the whole cycles of the record (0.78 from cycles 20-24; Ap
   follows the cycle's strength: cycle 24, the weakest of the record, had mean Ap 8 against
   15-16 for cycles 21-22), and capped at 400. The first block continues
   an analog: it starts after one of the ``analog_k`` (25) historical 27-day stretches of the
   same phase whose F10.7 (relative to its trailing 81-day mean) and log(1 + Ap) are closest
   to the last 27 observed days, so the rotation pattern carries on.
4. **Continuity**: days up to ``condition_on_data_until`` are the record's observed values;
   the 81-day means are computed from the joined daily path.

Everything fitted uses only data up to ``condition_on_data_until`` (the record after it is
cut away before any fit), so a backtest from a cutoff cannot see the future.

References
----------
- Hathaway, Wilson & Reichmann (1994), "The shape of the sunspot cycle", Solar Phys. 151,
  177-190.
- Hathaway (2015), "The solar cycle", Living Rev. Sol. Phys. 12, 4.
- Kuensch (1989), "The jackknife and the bootstrap for general stationary observations",
  Ann. Statist. 17, 1217 (block bootstrap).
- Tapping (2013), "The 10.7 cm solar radio flux (F10.7)", Space Weather 11, 394.
"""

from __future__ import annotations

import math

import numpy as np

from ..spaceweather import MODELLED, OBSERVED, SpaceWeather
from . import _cycles as cy
from . import _sunspots as ss
from ._common import (
    BURST_THRESHOLD_SFU,
    HALF_WINDOW,
    SolarPaths,
    centred_mean_81,
    check_setting,
    check_window,
    distance_factor,
    iso_day,
    observed_arrays,
    per_sample_generators,
)

__all__ = ["StochasticModel"]

_YEAR = cy.DAYS_PER_YEAR
_MONTH = cy.DAYS_PER_MONTH
_N_PHASE_BINS = 40
AP_MAX = 400.0
_PHASE_HALF_WIDTH = 0.125
_ANALOG_DAYS = 27
_FIT_SEED = 20231001  # fixed: the importance-sampling particles are part of the model


def _sigma_fit(x: np.ndarray, v: np.ndarray) -> tuple[float, float]:
    """Fit var(v | x) = a + b x by least squares on v^2; a, b >= small floors."""
    ok = np.isfinite(x) & np.isfinite(v)
    X = np.column_stack([np.ones(ok.sum()), x[ok]])
    a, b = np.linalg.lstsq(X, v[ok] ** 2, rcond=None)[0]
    return max(a, 1e-4), max(b, 0.0)


def _sigma(ab: tuple[float, float], x):
    return np.sqrt(ab[0] + ab[1] * np.clip(x, 0.0, 1.0))


def _cycle_number(t0_day: float) -> int:
    """Conventional solar-cycle number of a cycle starting at ``t0_day`` (for labels only)."""
    year = 2000.0 + t0_day / _YEAR
    return int(round((year - 1755.2) / 11.07)) + 1


class StochasticModel:
    """Calibrated stochastic solar activity (see the module docstring for the model).

    Parameters
    ----------
    space_weather : deorbit.spaceweather.SpaceWeather
        The record (observed section used; predictions ignored).
    condition_on_data_until : int, optional
        Last day (day index, inclusive) of the record that the model may see: for fitting
        and statistics, and as the observed part of every path. Defaults to the file's last
        observed day. Earlier values hide the later record (backtests). Allowed from the
        date where the record has at least two complete periods between minima (about 1990
        with the CelesTrak file) to the last observed day.
    block_days : int, optional
        Length of the bootstrap blocks, days (default 162: six solar rotations, which keeps
        the 27-day recurrence of flux and storms within a block; see VALIDATION.md for what
        is lost at the joins). Allowed 27..365.
    n_particles : int, optional
        Importance-sampling particles for the uncertain cycles (default 8000, >= 500).
    analog_k : int, optional
        Number of nearest historical analogs for the first block (default 25, >= 1).
    likelihood_power : float, optional
        Power (0 < beta <= 1) to which the likelihood of the record is raised when
        conditioning the uncertain cycles (a tempered likelihood, widening the posterior to
        allow for the template's misfit). Default 0.5, chosen by pseudo-backtests on the
        record before 2008 only (so no backtest window of VALIDATION.md is seen): 34 cutoffs
        every 6 months from 1990-01 to 2006-07, horizons up to 7 years ending before
        2008-01-01, 4000 paths, 4000 particles. Coverage of the 90 % band of monthly-mean
        F10.7, pooled / worst cutoff: beta = 1: 0.941 / 0.77 (1990-01); 0.7: 0.942 / 0.798;
        0.5: 0.946 / 0.83; 0.3: 0.950 / 0.86. The rule: the largest beta whose worst cutoff
        reaches 0.80.

    Attributes
    ----------
    cutoff : int
        ``condition_on_data_until``.
    base_sfu : float
        Template base B, sfu.
    fixed_cycles : numpy.ndarray, shape (k, 3)
        (t0 day, A sfu, R years) of the cycles held at their fit.
    cycle_table : numpy.ndarray
        (ln A, ln R, P) of the cycles the prior counts, NaN where a value is not: the
        sunspot record's cycles that started before the F10.7 record, then the F10.7
        record's fitted cycles.
    sunspot_conversion : tuple of float
        (intercept sfu, slope sfu per sunspot) turning the sunspot record into F10.7.
    prior : deorbit.solar._cycles.CyclePrior
        Prior of a new cycle.
    particles : numpy.ndarray, shape (n_particles, 7)
        (P_{L-1}, ln A_L, ln R_L, P_L, ln A_{L+1}, ln R_{L+1}, P_{L+1}); P in years.
    weights : numpy.ndarray
        Normalised importance weights; ``effective_sample_size`` is 1 / sum(w^2).
    ap_amplitude_exponent : float
        gamma of the Ap scaling (A_path / A_source)^gamma; fitted over
        ``ap_amplitude_cycles`` whole cycles of the record (0 with fewer than 3).
    """

    name = "stochastic"

    def __init__(
        self,
        space_weather: SpaceWeather,
        *,
        condition_on_data_until: int | None = None,
        block_days: int = 162,
        n_particles: int = 8000,
        analog_k: int = 25,
        likelihood_power: float = 0.5,
    ) -> None:
        obs = observed_arrays(space_weather)
        first, last = int(obs["day"][0]), int(obs["day"][-1])
        if condition_on_data_until is None:
            condition_on_data_until = last
        cut = condition_on_data_until
        if int(cut) != cut or not first + 30 * 365 <= cut <= last:
            raise ValueError(
                f"condition_on_data_until = {cut!r}: allowed a day index from "
                f"{first + 30 * 365} ({iso_day(first + 30 * 365)}, 30 years into the record) "
                f"to the last observed day {last} ({iso_day(last)})"
            )
        likelihood_power = check_setting("likelihood_power", likelihood_power, 0.0, 1.0,
                                         integer=False, lo_open=True)
        block_days = check_setting("block_days", block_days, 27, 365)
        n_particles = check_setting("n_particles", n_particles, 500, 10**6)
        analog_k = check_setting("analog_k", analog_k, 1, 10**4)
        self.space_weather = space_weather
        self.cutoff = int(cut)
        self.block_days = block_days
        self.analog_k = analog_k
        self.likelihood_power = likelihood_power
        self.first_record_day = first
        n = self.cutoff - first + 1
        self._day = obs["day"][:n]
        self._fo = obs["f107_obs"][:n]
        self._ap = obs["ap"][:n]
        fa = obs["f107_adj"][:n].astype(np.float64).copy()
        # Radio bursts: replace (as pymsis does for NRLMSISE-00) by the 81-day mean.
        burst = self._fo > BURST_THRESHOLD_SFU
        if np.any(burst):
            m = np.full(n, np.nan)
            m[HALF_WINDOW:-HALF_WINDOW] = centred_mean_81(fa)
            fa[burst] = np.where(np.isfinite(m[burst]), m[burst], np.median(fa))
        self._fa = fa
        self._ctr81 = np.full(n, np.nan)
        self._ctr81[HALF_WINDOW:-HALF_WINDOW] = centred_mean_81(fa)
        self._fit_cycles()
        self._fit_prior()
        self._condition(n_particles)
        self._fit_residual_processes()
        self._build_bootstrap_pool()

    # ------------------------------------------------------------------ construction
    def _fit_cycles(self) -> None:
        t_mid, mean, month = cy.monthly_means(self._day, self._fa)
        self._t_month, self._y_month, self._month = t_mid, np.log(mean), month
        minima = cy.detect_minima(t_mid, month, mean)
        if minima.size < 3:
            raise ValueError(
                f"condition_on_data_until = {self.cutoff} ({iso_day(self.cutoff)}): the "
                f"record before it shows {minima.size} solar minima; at least 3 are needed "
                "for the cycle statistics"
            )
        self.base_sfu, cycles = cy.fit_template(t_mid, mean, minima)
        self._lm_cycles = cycles
        self.minima_detected = minima
        self.cycle_numbers = [_cycle_number(float(c[0])) for c in cycles]
        resid_m = self._y_month - np.log(cy.template(t_mid, self.base_sfu, cycles))
        x_m = 1.0 - self.base_sfu / cy.template(t_mid, self.base_sfu, cycles)
        self._sigma_e = _sigma_fit(x_m, resid_m)
        u = resid_m / _sigma(self._sigma_e, x_m)
        self._phi_e = float(np.clip(np.corrcoef(u[:-1], u[1:])[0, 1], 0.0, 0.99))

    def _fit_prior(self) -> None:
        first, cut = self.first_record_day, self.cutoff
        own = self._lm_cycles[:, 0] >= first  # the cycles that start within the F10.7 record
        self.sunspot_conversion = ss.f107_conversion(self._month, np.exp(self._y_month))
        table = np.concatenate([ss.cycle_table(*self.sunspot_conversion, float(first)),
                                cy.cycle_rows(self._lm_cycles, first, cut)[own]])
        self.cycle_table = table
        try:
            self.prior = cy.CyclePrior(table)
        except ValueError as exc:
            raise ValueError(
                f"condition_on_data_until = {cut} ({iso_day(cut)}): too early for the cycle "
                f"statistics: {exc}"
            ) from None

    def _cycles_from(self, theta: np.ndarray) -> np.ndarray:
        """Cycles (..., k_fixed + 2, 3) from the open parameters theta (..., 7)."""
        fixed = self.fixed_cycles
        th = np.asarray(theta, dtype=np.float64)
        lead = th.shape[:-1]
        out = np.empty(lead + (fixed.shape[0] + 2, 3))
        out[..., : fixed.shape[0], :] = fixed
        t0_l = fixed[-1, 0] + th[..., 0] * _YEAR
        out[..., -2, 0] = t0_l
        out[..., -2, 1] = np.exp(th[..., 1])
        out[..., -2, 2] = np.exp(th[..., 2])
        out[..., -1, 0] = t0_l + th[..., 3] * _YEAR
        out[..., -1, 1] = np.exp(th[..., 4])
        out[..., -1, 2] = np.exp(th[..., 5])
        return out

    def _condition(self, n_particles: int) -> None:
        """Importance sampling of the open cycle parameters given the record.

        theta = (P_{L-1}, ln A_L, ln R_L, P_L, ln A_{L+1}, ln R_{L+1}, P_{L+1}), P in years.
        Prior: P_{L-1} from the prior conditional on cycle L-1's fitted (ln A, ln R) and
        cycle L-2's period; the vector of cycle L given P_{L-1}, that of cycle L+1 given P_L
        (the chain of :class:`deorbit.solar._cycles.CyclePrior`); all truncated to the bounds.
        Likelihood: the monthly log residuals since the peak of cycle L-1, standardised by
        their level-dependent sigma, as an AR(1) process (parameters from the fit residuals),
        raised to ``likelihood_power``.
        """
        prior = self.prior
        self.fixed_cycles = self._lm_cycles[:-1].copy()  # cycles up to L - 1
        prev = self.fixed_cycles[-1]
        win = self._t_month >= prev[0] + prev[2] * _YEAR
        t_w, y_w = self._t_month[win], self._y_month[win]
        base = self.base_sfu
        fixed_w = cy.template(t_w, base, self.fixed_cycles)  # fixed part of the template
        x_w = 1.0 - base / cy.template(t_w, base, self._lm_cycles)
        sig_w = _sigma(self._sigma_e, x_w)
        phi = self._phi_e
        beta = self.likelihood_power
        period_before = (prev[0] - self.fixed_cycles[-2, 0]) / _YEAR  # P_{L-2}
        m_p, c_p = prior.conditional([3], [0, 1, 2],
                                     [period_before, math.log(prev[1]), math.log(prev[2])])
        m_p, s_p = float(m_p[0]), float(math.sqrt(c_p[0, 0]))
        chol = np.linalg.cholesky(prior.next_cov)
        chol_inv = np.linalg.inv(chol)
        log_norm_prior = -math.log(s_p) - 2.0 * np.log(np.diag(chol)).sum()

        def whitened_data(theta):
            cyc = self._cycles_from(theta)[..., -2:, :]
            h = cy.hathaway(t_w, cyc[..., :, 0, None], cyc[..., :, 1, None], cyc[..., :, 2, None])
            u = (y_w - np.log(fixed_w + h.sum(axis=-2))) / sig_w
            innov = (u[..., 1:] - phi * u[..., :-1]) / math.sqrt(1.0 - phi * phi)
            return math.sqrt(beta) * np.concatenate([u[..., :1], innov], axis=-1)

        def whitened_prior(theta):
            w0 = (theta[..., :1] - m_p) / s_p
            w1 = (theta[..., 1:4] - prior.next_mean(theta[..., 0])) @ chol_inv.T
            w2 = (theta[..., 4:7] - prior.next_mean(theta[..., 3])) @ chol_inv.T
            return np.concatenate([w0, w1, w2], axis=-1)

        def log_target(theta):
            inside = (
                (theta[:, 0] >= cy.BOUNDS["P"][0]) & (theta[:, 0] <= cy.BOUNDS["P"][1])
                & prior.in_bounds(theta[:, 1], theta[:, 2], theta[:, 3])
                & prior.in_bounds(theta[:, 4], theta[:, 5], theta[:, 6])
            )
            out = np.full(theta.shape[0], -np.inf)
            w = np.concatenate([whitened_data(theta[inside]), whitened_prior(theta[inside])], 1)
            out[inside] = -0.5 * np.sum(w**2, axis=1)
            return out

        def draw_prior(n):
            th = np.empty((n, 7))
            th[:, 0] = m_p + s_p * rng.standard_normal(n)
            th[:, 1:4] = prior.next_mean(th[:, 0]) + rng.standard_normal((n, 3)) @ chol.T
            th[:, 4:7] = prior.next_mean(th[:, 3]) + rng.standard_normal((n, 3)) @ chol.T
            return th

        # mode (Levenberg-Marquardt on data + prior residuals) and Laplace covariance
        lm_last = self._lm_cycles[-1]
        theta0 = np.array([
            float(np.clip((lm_last[0] - prev[0]) / _YEAR, 8.5, 14.5)),
            math.log(lm_last[1]), math.log(lm_last[2]), prior.mean[2],
            prior.mean[0], prior.mean[1], prior.mean[2],
        ])
        theta_map, J = cy.levenberg_marquardt(
            lambda th: np.concatenate([whitened_data(th), whitened_prior(th)]), theta0
        )
        self.theta_map = theta_map
        # Adaptive importance sampling (population Monte Carlo): the first proposal is the
        # Laplace approximation at the mode (covariance x 1.5^2); each of three further rounds
        # uses the weighted mean and covariance (x 1.3^2) of the previous round's particles.
        # Every proposal is a mixture with 20 % of the (untruncated) prior, which keeps the
        # weights bounded where the posterior is wider than the Gaussian part.
        rng = np.random.default_rng(_FIT_SEED)
        center = theta_map
        prop_cov = 2.25 * np.linalg.inv(J.T @ J + 1e-9 * np.eye(7))
        for _ in range(4):
            n_mix = int(0.8 * n_particles)
            lchol = np.linalg.cholesky(prop_cov)
            theta = np.concatenate([
                center + rng.standard_normal((n_mix, 7)) @ lchol.T,
                draw_prior(n_particles - n_mix),
            ])
            sol = np.linalg.solve(lchol, (theta - center).T).T
            log_q = np.logaddexp(
                math.log(0.8) - 0.5 * np.sum(sol**2, axis=1) - np.log(np.diag(lchol)).sum(),
                math.log(0.2) - 0.5 * np.sum(whitened_prior(theta) ** 2, axis=1) + log_norm_prior,
            )
            logw = log_target(theta) - log_q
            wts = np.exp(logw - logw.max())
            wts /= wts.sum()
            center = wts @ theta
            d = theta - center
            prop_cov = 1.69 * ((d * wts[:, None]).T @ d) + 1e-10 * np.eye(7)
        self.particles = theta
        self.weights = wts
        self._cum_weights = np.cumsum(wts)
        self.effective_sample_size = float(1.0 / np.sum(wts**2))
        self.theta_mean = wts @ theta
        # departures of the cycles after L + 1 from the chain's mean (fixed seed: part of
        # the model)
        self._pool = prior.next_residuals(rng, 4096)

    def _fit_residual_processes(self) -> None:
        base = self.base_sfu
        cyc = self._cycles_from(self.theta_mean)
        day = self._day.astype(np.float64)
        T = cy.template(day, base, cyc)
        self._x_hist = 1.0 - base / T
        minima, peaks = cy.cycle_extrema(base, cyc)
        self._phase_hist = cy.phase_of(day, minima, peaks)
        self._fit_ap_scaling(day, cyc, minima)
        s = np.log(self._ctr81 / T)
        r = np.log(self._fa / self._ctr81)
        self._r_hist = r
        sig_hist = _sigma(_sigma_fit(self._x_hist, r), self._x_hist)
        self._q_hist = r / sig_hist  # standardised daily departure
        self._sig_hist = sig_hist
        # the path's sigma is clipped to [0.5, 2] sigma_record; exp(sigma_record^2 / 2)
        self._sig_hist_lo, self._sig_hist_hi = 0.5 * sig_hist, 2.0 * sig_hist
        self._half_var_hist = 0.5 * sig_hist * sig_hist
        self._sigma_s = _sigma_fit(self._x_hist, s)
        self._sigma_r = _sigma_fit(self._x_hist, r)
        z = s / _sigma(self._sigma_s, self._x_hist)
        # monthly grid ending at g0, the last day with a complete 81-day window
        g0 = self.cutoff - HALF_WINDOW
        self._g0 = g0
        first_ok = self.first_record_day + HALF_WINDOW
        n_nodes = int((g0 - first_ok) // _MONTH)
        nodes = g0 - _MONTH * np.arange(n_nodes)[::-1]
        zi = np.interp(nodes, day, np.nan_to_num(z))
        zi = zi - zi.mean()
        c0 = np.mean(zi * zi)
        r1 = np.mean(zi[1:] * zi[:-1]) / c0
        r2 = np.mean(zi[2:] * zi[:-2]) / c0
        phi1 = r1 * (1 - r2) / (1 - r1 * r1)
        phi2 = (r2 - r1 * r1) / (1 - r1 * r1)
        self.ar2 = (float(phi1), float(phi2))
        self._ar2_sigma = float(math.sqrt(max(1.0 - phi1 * r1 - phi2 * r2, 1e-6)))
        self._z_sd = float(math.sqrt(c0))

    def _fit_ap_scaling(self, day: np.ndarray, cyc: np.ndarray, minima: np.ndarray) -> None:
        """Exponent gamma of mean Ap against the cycle's peak excess A (Ap ~ A^gamma).

        Each day of the record belongs to the template cycle whose minimum last preceded it.
        Over the cycles the record holds whole (minimum to minimum, before the cutoff),
        gamma is the least-squares slope of ln(mean daily Ap) on ln A, clipped to [0, 1.5];
        0 (Ap unscaled) with fewer than 3 whole cycles. The CelesTrak record from 1957-10:
        3 whole cycles (20-22) before 2008, gamma 0.41; 4 before 2014 and 2019, 0.46;
        5 (20-24) from 2020, 0.78.
        """
        self._ln_amp_hist = np.log(cyc[cy.cycle_of(day, minima), 1])  # of each record day
        whole = [k for k in range(minima.size - 1)
                 if minima[k] >= day[0] and minima[k + 1] <= day[-1]]
        gamma = 0.0
        if len(whole) >= 3:
            ln_a = np.log(cyc[whole, 1])
            ln_ap = np.log([self._ap[(day >= minima[k]) & (day < minima[k + 1])].mean()
                            for k in whole])
            gamma = float(np.clip(np.polyfit(ln_a, ln_ap, 1)[0], 0.0, 1.5))
        self.ap_amplitude_exponent = gamma
        self.ap_amplitude_cycles = len(whole)

    def _build_bootstrap_pool(self) -> None:
        L = self.block_days
        n = self._day.size
        c = np.concatenate([[0.0], np.cumsum(np.nan_to_num(self._q_hist))])
        self._q_block_mean = np.full(n, np.nan)
        self._q_block_mean[: n - L + 1] = (c[L:] - c[: n - L + 1]) / L
        lo = HALF_WINDOW
        hi = n - HALF_WINDOW - L  # last usable block start (index), inclusive
        if hi - lo < 5 * 365:
            raise ValueError("record too short for the bootstrap pool")
        starts = np.arange(lo, hi + 1)
        ph = self._phase_hist[starts]
        centres = (np.arange(_N_PHASE_BINS) + 0.5) * 2.0 / _N_PHASE_BINS
        lists, analogs = [], []
        # analog matching vectors: F10.7 relative to trailing 81-day mean, and ln(1 + Ap)
        c = np.concatenate([[0.0], np.cumsum(self._fa)])
        trail = np.full(n, np.nan)
        trail[80:] = (c[81:] - c[:-81]) / 81.0
        rt = np.log(self._fa / trail)
        la = np.log1p(self._ap)
        sd_rt, sd_la = np.nanstd(rt), np.nanstd(la)
        recent = slice(n - _ANALOG_DAYS, n)
        pat_r, pat_a = rt[recent], la[recent]
        idx = np.arange(_ANALOG_DAYS)
        for cc in centres:
            dist = np.abs((ph - cc + 1.0) % 2.0 - 1.0)
            cand = starts[dist <= _PHASE_HALF_WIDTH]
            if cand.size == 0:
                cand = starts[np.argsort(dist)[:365]]
            lists.append(cand)
            # analog candidates: start >= 80 + 27 days so the pattern has a trailing mean
            ac = cand[cand >= 80 + _ANALOG_DAYS]
            win = ac[:, None] - _ANALOG_DAYS + idx
            dd = (np.nansum((rt[win] - pat_r) ** 2, axis=1) / sd_rt**2
                  + np.sum((la[win] - pat_a) ** 2, axis=1) / sd_la**2)
            analogs.append(ac[np.argsort(dd, kind="stable")[: self.analog_k]])
        self._bins_offsets = np.concatenate([[0], np.cumsum([a.size for a in lists])])
        self._bins_starts = np.concatenate(lists)
        k = self.analog_k
        self._analogs = np.stack([np.resize(a, k) for a in analogs])

    # ------------------------------------------------------------------ description
    def __repr__(self) -> str:
        return (
            f"StochasticModel(condition_on_data_until={self.cutoff} ({iso_day(self.cutoff)}), "
            f"block_days={self.block_days}, ESS={self.effective_sample_size:.0f})"
        )

    def describe(self) -> dict:
        """Fitted quantities, for reports (cycle numbers are conventional labels)."""
        cyc = self._lm_cycles
        return dict(
            condition_on_data_until=iso_day(self.cutoff),
            base_sfu=self.base_sfu,
            cycles=[
                dict(number=nb, start=iso_day(int(c[0])), peak_excess_sfu=float(c[1]),
                     rise_years=float(c[2]))
                for nb, c in zip(self.cycle_numbers, cyc)
            ],
            prior_mean=dict(zip(self.prior.names, self.prior.mean.tolist())),
            prior_sd=dict(zip(self.prior.names, self.prior.sd.tolist())),
            prior_corr=self.prior.corr.tolist(),
            prior_period_to_next_corr=dict(zip(self.prior.names,
                                               self.prior.lag_corr.tolist())),
            prior_counts=self.prior.counts.tolist(),
            sunspot_conversion_sfu=dict(zip(("intercept", "per_sunspot"),
                                            self.sunspot_conversion)),
            effective_sample_size=self.effective_sample_size,
            monthly_residual_sigma=self._sigma_e, monthly_residual_ar1=self._phi_e,
            slow_sigma=self._sigma_s, slow_ar2=self.ar2, daily_sigma=self._sigma_r,
            ap_amplitude_exponent=self.ap_amplitude_exponent,
            ap_amplitude_cycles=self.ap_amplitude_cycles,
        )

    # ------------------------------------------------------------------ sampling
    def sample(self, rng, first_day: int, n_days: int, n_samples: int, *,
               stream_days: int | None = None) -> SolarPaths:
        return self.sample_with_phase(rng, first_day, n_days, n_samples,
                                      stream_days=stream_days, want_phase=False)[0]

    def sample_with_phase(
        self, rng, first_day: int, n_days: int, n_samples: int, *,
        stream_days: int | None = None, want_phase: bool = True
    ) -> tuple[SolarPaths, np.ndarray | None]:
        """Sample daily paths for the days ``first_day .. first_day + n_days - 1``.

        Parameters
        ----------
        rng : numpy.random.Generator or sequence of Generator/SeedSequence
            The block's generator (one stream per sample is spawned from it) or one stream per
            sample; see :func:`deorbit.solar.per_sample_generators`. Each sample draws
            ``1 + n_extra_cycles + n_blocks`` uniforms then ``n_nodes`` normals from its own
            stream, numbers that depend only on ``first_day`` and ``stream_days``, so rows do
            not depend on ``n_samples``.
        first_day : int
            Day index of column 0. Must be at least 41 days after the first day of the
            record (the 81-day mean and the previous-day flux need the days before).
        n_days, n_samples : int
            Window length (days) and number of paths.
        stream_days : int, optional
            Window the draws are laid out for (>= ``n_days``, default ``n_days``): the
            paths are the first ``n_days`` days of those of a ``stream_days`` window, bit for
            bit, and cost in proportion to ``n_days``.

        want_phase : bool, optional
            Also return the cycle phase of each modelled day (diagnostics; slower).

        Returns
        -------
        SolarPaths
            Regime ``OBSERVED`` up to ``condition_on_data_until``, ``MODELLED`` after.
        phase : numpy.ndarray of float32, shape (n_samples, n_days), or None
            Cycle phase of each day (0 minimum, 1 maximum, 2 next minimum) of the sample's
            cycle template; NaN on observed days. None unless ``want_phase``.
        """
        first_day, n_days, n_samples, stream_days = check_window(first_day, n_days, n_samples,
                                                                 stream_days)
        lo = first_day - HALF_WINDOW - 1
        if lo < self.first_record_day:
            raise ValueError(
                f"first_day = {first_day} ({iso_day(first_day)}): allowed from "
                f"{self.first_record_day + HALF_WINDOW + 1} "
                f"({iso_day(self.first_record_day + HALF_WINDOW + 1)}): the 81-day mean and "
                "the previous-day F10.7 need 41 earlier days of record"
            )
        end = first_day + n_days - 1 + HALF_WINDOW  # last day of the daily path needed
        cut = self.cutoff
        L = self.block_days

        def sizes(last):  # simulated days, bootstrap blocks, monthly nodes up to day last
            n = max(last - cut, 0)
            return n, -(-n // L), (int(math.ceil((max(last, self._g0) - self._g0) / _MONTH))
                                   + 1 if n else 0)

        # the draws are laid out for the stream window, the simulation runs to end; one more
        # node than end needs keeps its days' interpolation that of the longer window
        n_sim_s, n_blocks_s, n_nodes_s = sizes(first_day + stream_days - 1 + HALF_WINDOW)
        n_sim, n_blocks, n_nodes = sizes(end)
        n_nodes = min(n_nodes + 1, n_nodes_s)
        n_extra = (-(-n_sim_s // int(8 * _YEAR)) + 1) if n_sim_s else 0
        gens = per_sample_generators(rng, n_samples)
        n_u = (1 + n_extra + n_blocks_s) if n_sim_s else 0
        U = np.empty((n_samples, n_u))
        Z = np.empty((n_samples, n_nodes_s))
        for i, g in enumerate(gens):
            U[i] = g.random(n_u)
            Z[i] = g.standard_normal(n_nodes_s)
        # the daily path runs from p0 (observed up to cut) to end (simulated after cut)
        p0 = min(lo, cut + 1)
        n_path = end - p0 + 1
        f107 = np.empty((n_samples, n_path))
        ap = np.empty((n_samples, n_path))
        n_obs = max(min(cut, end) - p0 + 1, 0)
        i0 = p0 - self.first_record_day
        f107[:, :n_obs] = self._fo[i0 : i0 + n_obs]
        ap[:, :n_obs] = self._ap[i0 : i0 + n_obs]
        phase = np.full((n_samples, n_path), np.nan, np.float32) if want_phase else None
        if n_sim:
            chunk = 512
            for a in range(0, n_samples, chunk):
                b = min(a + chunk, n_samples)
                fs, aps, ph = self._simulate(
                    U[a:b], Z[a:b], n_sim, n_blocks, n_nodes, n_extra, want_phase
                )
                f107[a:b, n_obs:] = fs
                ap[a:b, n_obs:] = aps
                if want_phase:
                    phase[a:b, n_obs:] = ph
        mean81 = centred_mean_81(f107)  # column j -> path day p0 + 40 + j
        o = first_day - p0  # path column of first_day
        keep = slice(o, o + n_days)
        days = np.arange(first_day, first_day + n_days)
        regime = np.where(days <= cut, OBSERVED, MODELLED).astype(np.int8)
        paths = SolarPaths(
            first_day=first_day,
            f107_sfu=f107[:, keep],
            f107_81d_sfu=mean81[:, o - HALF_WINDOW : o - HALF_WINDOW + n_days],
            ap=ap[:, keep],
            regime=np.broadcast_to(regime, (n_samples, n_days)).copy(),
            f107_day_before_sfu=f107[:, o - 1].copy(),
        )
        return paths, (phase[:, keep] if want_phase else None)

    def _later_cycles(self, t0_last: np.ndarray, period_last: np.ndarray,
                      departures: np.ndarray) -> np.ndarray:
        """Cycles after L + 1, (ns, n, 3) of (t0 day, A sfu, R years): the prior's chain.

        Each cycle's (ln A, ln R, P) is the chain's mean given the period of the cycle before
        plus its row of ``departures`` (ns, n, 3), clipped to the bounds; the first follows
        cycle L + 1, which started at ``t0_last`` (day) and lasts ``period_last`` (years).
        """
        out = np.empty(departures.shape)
        period, t0 = period_last, t0_last + period_last * _YEAR
        for e in range(departures.shape[1]):
            x = self.prior.clip(self.prior.next_mean(period) + departures[:, e])
            out[:, e] = np.column_stack([t0, np.exp(x[:, 0]), np.exp(x[:, 1])])
            period = x[:, 2]
            t0 = t0 + period * _YEAR
        return out

    def _simulate(self, U, Z, n_sim, n_blocks, n_nodes, n_extra, want_phase=False):
        """Simulated days cut + 1 .. cut + n_sim for a chunk of samples.

        Returns observed-convention F10.7 (sfu), Ap, and (if ``want_phase``) the cycle phase
        of each simulated day, else None.
        """
        ns = U.shape[0]
        base = self.base_sfu
        cut = self.cutoff
        # 1. cycles: particle (current and next two cycles), then the prior's chain, each
        # cycle drawn given the period of the one before (clipped to the bounds)
        j = np.searchsorted(self._cum_weights, U[:, 0] * self._cum_weights[-1], side="right")
        theta = self.particles[np.minimum(j, self.particles.shape[0] - 1)]
        cyc = self._cycles_from(theta)  # (ns, k, 3)
        extra = self._pool[np.minimum((U[:, 1 : 1 + n_extra] * self._pool.shape[0]).astype(int),
                                      self._pool.shape[0] - 1)]  # (ns, n_extra, 3)
        cyc = np.concatenate([cyc, self._later_cycles(cyc[:, -1, 0], theta[:, 6], extra)], 1)
        # 2. template and slow process on the monthly grid g0 + k * month, k = -1 .. n_nodes
        nodes = self._g0 + _MONTH * np.arange(-1, n_nodes)
        T_nodes = cy.template(np.broadcast_to(nodes, (ns, nodes.size)), base, cyc)
        x_nodes = 1.0 - base / T_nodes
        sig_s = _sigma(self._sigma_s, x_nodes)
        g_idx = np.rint(nodes[:2]).astype(int) - self.first_record_day
        z = np.empty((ns, nodes.size))
        z[:, :2] = np.log(self._ctr81[g_idx] / T_nodes[:, :2]) / sig_s[:, :2]
        phi1, phi2 = self.ar2
        for k in range(2, nodes.size):
            z[:, k] = phi1 * z[:, k - 1] + phi2 * z[:, k - 2] + self._ar2_sigma * Z[:, k - 2]
        log_level = np.log(T_nodes) + sig_s * z
        # 3. block bootstrap, phase-matched
        minima, peaks = cy.cycle_extrema(base, cyc)
        bstart = cut + 1 + self.block_days * np.arange(n_blocks)
        ph = cy.phase_of(np.broadcast_to(bstart.astype(float), (ns, n_blocks)), minima, peaks)
        b = np.minimum((ph * _N_PHASE_BINS / 2.0).astype(int), _N_PHASE_BINS - 1)
        ub = U[:, 1 + n_extra : 1 + n_extra + n_blocks]
        off = self._bins_offsets
        cnt = off[b + 1] - off[b]
        src = self._bins_starts[off[b] + np.minimum((ub * cnt).astype(int), cnt - 1)]
        k = self.analog_k
        src[:, 0] = self._analogs[b[:, 0], np.minimum((ub[:, 0] * k).astype(int), k - 1)]
        idx = (src[:, :, None] + np.arange(self.block_days)).reshape(ns, -1)[:, :n_sim]
        # Ap of a copied block scaled by (A_path / A_source)^gamma, A the peak excess of the
        # cycle its start falls in (on the path: the sample's own cycles); not the first
        # block, whose analog was chosen for its Ap
        ln_a = np.log(np.take_along_axis(cyc[:, :, 1], cy.cycle_of(bstart, minima), axis=1))
        ap_scale = np.exp(self.ap_amplitude_exponent * (ln_a - self._ln_amp_hist[src]))
        ap_scale[:, 0] = 1.0
        # 4. daily flux. With q = r / sigma_r(x_record) the copied, standardised departure
        # (less its mean over the block: the slow part is s's, and block-to-block offsets
        # would alias into the 81-day mean of the path and blur the 27-day recurrence),
        # the departure on the path is sigma q, sigma = sigma_r(x_path) clipped to
        # [0.5, 2] sigma_r(x_record) (a wider rescaling would turn the rare large departures
        # of quiet days into spikes no active Sun shows), with the log-normal mean
        # correction -(sigma^2 - sigma_record^2) / 2 that keeps E[F / F81] unchanged.
        sig_r = _sigma(self._sigma_r, x_nodes)
        days = np.arange(cut + 1, cut + 1 + n_sim, dtype=np.float64)
        pos = (days - nodes[0]) / _MONTH
        k0 = np.minimum(pos.astype(int), nodes.size - 2)
        w = pos - k0
        expo = _interpolate(log_level, k0, w)
        sig = _interpolate(sig_r, k0, w)
        np.maximum(sig, np.take(self._sig_hist_lo, idx), out=sig)
        np.minimum(sig, np.take(self._sig_hist_hi, idx), out=sig)
        q = np.take(self._q_hist, idx)
        q -= np.repeat(self._q_block_mean[src], self.block_days, axis=1)[:, :n_sim]
        half = np.multiply(sig, 0.5)
        q -= half
        q *= sig
        expo += q
        expo += np.take(self._half_var_hist, idx)
        expo += np.log(distance_factor(days))
        f_obs = np.exp(expo, out=expo)
        phase = None
        if want_phase:
            phase = cy.phase_of(np.broadcast_to(days, (ns, n_sim)), minima, peaks)
        ap = np.take(self._ap, idx)
        ap *= np.repeat(ap_scale, self.block_days, axis=1)[:, :n_sim]
        np.minimum(ap, AP_MAX, out=ap)  # the index's scale ends at 400
        return f_obs, ap, phase


def _interpolate(nodes: np.ndarray, k0: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Linear interpolation between columns ``k0`` and ``k0 + 1`` of ``nodes`` (n, m) with
    weights ``w`` (d,): ``nodes[:, k0] + (nodes[:, k0 + 1] - nodes[:, k0]) * w``, (n, d)."""
    out = np.take(nodes, k0, axis=1)
    slope = np.take(np.diff(nodes, axis=1), k0, axis=1)
    slope *= w
    out += slope
    return out
