"""Reference density mode: NRLMSISE-00 called at every point of the trajectory.

The kernel never calls NRLMSISE-00: it interpolates the orbit-averaged table of
:mod:`deorbit.atmosphere.msis`, which averages the density over longitude, local time and the
latitudes of the orbit and approximates the season. :class:`MsisAlongTrajectory` is the
yardstick of that averaging: passed as the ``atmosphere`` of :func:`deorbit.kernel.propagate`
(always on the pure-Python reference backend), it evaluates NRLMSISE-00 through pymsis at the
position and instant of every drag evaluation, with the same daily indices the table is driven
by. The lifetime difference between the two is what the table costs (VALIDATION.md).

- Cowell: at every right-hand-side evaluation, at its own instant (stage times included).
- Hybrid: at each quadrature node of the orbit-averaged drag, at the node's ECI position and
  the instant of the evaluation. A node's local solar time and latitude are therefore those
  the orbit passes through; its geographic longitude is off by the Earth's rotation during
  the fraction of an orbit between the node and the evaluation (at most ~22 deg), which
  moves only NRLMSISE-00's small longitude terms.

It is slow (pymsis holds the GIL and costs ~60 us a call): ~2 s per simulated year of a
hybrid decay, ~0.3 s per simulated day of Cowell.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import frames
from ..constants import SECONDS_PER_DAY

#: J2000 epoch (2000-01-01 12:00 UTC) as numpy datetime64, microseconds.
_J2000 = np.datetime64("2000-01-01T12:00:00", "us")


@dataclass(frozen=True)
class MsisAlongTrajectory:
    """NRLMSISE-00 (pymsis, ``version=0``, daily-Ap mode) at each drag evaluation.

    Parameters (of :meth:`density`) follow the kernel's daily indices: F10.7a is the centred
    81-day mean, ``f107a + df`` the previous day's F10.7, Ap the day's Ap (copied to all
    seven slots of NRLMSISE-00's Ap array, as in the table).
    """

    source: str = "NRLMSISE-00 (pymsis version=0) along the trajectory"

    def density(self, epoch_utc_days, r_eci_m, f107a_sfu, df_sfu, ap):
        """Mass density, kg/m^3, at ECI position ``r_eci_m`` (m) and epoch (UTC days since
        J2000), geodetic coordinates on WGS-84 (:mod:`deorbit.frames`)."""
        import pymsis

        lat, lon, alt = frames.eci_to_geodetic(np.asarray(r_eci_m, dtype=np.float64),
                                               epoch_utc_days)
        when = _J2000 + np.timedelta64(int(round(epoch_utc_days * SECONDS_PER_DAY * 1e6)), "us")
        out = pymsis.calculate(when, float(lon), float(lat), float(alt),
                               [f107a_sfu + df_sfu], [f107a_sfu], [[ap] * 7], version=0)
        rho = float(out.reshape(-1)[pymsis.Variable.MASS_DENSITY])
        if not rho > 0.0:  # NaN or non-positive: NRLMSISE-00 outside its domain
            raise ValueError(f"NRLMSISE-00 gave density {rho!r} at {when} UTC, latitude "
                             f"{float(lat):.3f} deg, longitude {float(lon):.3f} deg, altitude "
                             f"{float(alt):.3f} km (F10.7a {f107a_sfu}, dF10.7 {df_sfu}, Ap {ap})")
        return rho
