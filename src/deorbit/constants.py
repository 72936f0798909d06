"""Physical constants (WGS-84 / EGM-96), the single Python source of truth.

The compiled kernel carries the same numbers as C macros in ``ext/deorbit_constants.h``;
``tests/test_constants.py`` asserts that both agree to the last digit.

References
----------
- NIMA TR8350.2, *Department of Defense World Geodetic System 1984*, 3rd ed. (2000):
  ``MU_M3_S2``, ``EARTH_RADIUS_M``, ``FLATTENING``, ``EARTH_ROTATION_RAD_S``.
- Lemoine et al., *The Development of the Joint NASA GSFC and NIMA Geopotential Model
  EGM96*, NASA/TP-1998-206861: unnormalised zonal coefficients ``J2``, ``J3``, ``J4``
  (J_n = -C_n0, un-normalised).
"""

#: Earth's gravitational parameter GM, m^3 s^-2 (WGS-84, with atmosphere).
MU_M3_S2 = 3.986004418e14
#: Equatorial radius of the WGS-84 ellipsoid, m.
EARTH_RADIUS_M = 6378137.0
#: Flattening of the WGS-84 ellipsoid, dimensionless.
FLATTENING = 1.0 / 298.257223563
#: First eccentricity squared of the WGS-84 ellipsoid, e^2 = f (2 - f).
ECCENTRICITY_SQ = FLATTENING * (2.0 - FLATTENING)
#: Earth's mean rotation rate, rad s^-1 (WGS-84).
EARTH_ROTATION_RAD_S = 7.292115e-5
#: Second zonal harmonic (EGM-96, un-normalised).
J2 = 1.08262668e-3
#: Third zonal harmonic (EGM-96, un-normalised).
J3 = -2.53265649e-6
#: Fourth zonal harmonic (EGM-96, un-normalised).
J4 = -1.61962159e-6
#: Seconds per day.
SECONDS_PER_DAY = 86400.0
#: Days of a (Julian) year, for horizons given in years.
DAYS_PER_YEAR = 365.25
#: Julian date of the J2000 epoch (2000-01-01 12:00); epochs are days since then, UTC.
JD_J2000 = 2451545.0
