/* Physical constants for the compiled kernel, as compile-time macros.
 * Mirror of src/deorbit/constants.py (the source of truth); tests/test_constants.py
 * asserts that every value here equals the Python one. */
#ifndef DEORBIT_CONSTANTS_H
#define DEORBIT_CONSTANTS_H
#define MU_M3_S2 3.986004418e14
#define EARTH_RADIUS_M 6378137.0
#define FLATTENING (1.0 / 298.257223563)
#define ECCENTRICITY_SQ (FLATTENING * (2.0 - FLATTENING))
#define EARTH_ROTATION_RAD_S 7.292115e-5
#define J2 1.08262668e-3
#define J3 -2.53265649e-6
#define J4 -1.61962159e-6
#define SECONDS_PER_DAY 86400.0
#endif
