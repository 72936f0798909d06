/* The arithmetic of the compiled DOP853, LANES samples at a time (private to _kernel.pyx).
 *
 * Struct-of-arrays: every quantity of a lane is element [l] of a row of LANES doubles, and
 * every loop here runs over the lanes innermost with no branch that depends on a lane, so
 * that the compiler can vectorise it (SSE2: 2 lanes per instruction, AVX2: 4, AVX-512: 8).
 * Each lane executes exactly the IEEE-754 operations, in the same order, that the
 * pure-Python reference (src/deorbit/_reference.py: Model.rhs, stage, dop_step, dop_dense)
 * executes for its sample: the build keeps -ffp-contract=off (no fused multiply-adds) and no
 * flag that reassociates; vector sqrt and division are correctly rounded like the scalar
 * ones; a ternary of two values is a select. A lane's result therefore does not depend on
 * the other lanes, the lane it ran in, or the instruction set the loops were compiled for.
 *
 * The per-lane parts of the right-hand side (the density table walk) and all step control
 * stay in _kernel.pyx: lanes_stage computes a stage's argument, its gravity and what the
 * drag needs (altitude, air-relative velocity); the caller puts each lane's table segment
 * in seg_*; lanes_drag takes the density there (det_exp, the kernel's own exp) and adds
 * the drag.
 *
 * Instruction sets: a default build (setup.py) compiles these functions for x86-64's SSE2
 * baseline plus AVX2 and AVX-512 clones, chosen at load time by the CPU
 * (GCC's target_clones, x86-64 with glibc only); DEORBIT_NATIVE=1 builds everything with
 * -march=native instead (and defines DEORBIT_NATIVE); elsewhere (aarch64: NEON is the
 * baseline) the loops are compiled once for the target.
 */
#ifndef DEORBIT_LANES_H
#define DEORBIT_LANES_H

#include <math.h>
#include <stdint.h>
#include <string.h>
#include "deorbit_constants.h"
#include "kernel_params.h"
#include "tableaux.h"

/* Lanes per batch: 8 doubles fill an AVX-512 register (two AVX2, four SSE2 ones). */
#define LANES 8

/* e^2 / (1 - e^2) of the WGS-84 ellipsoid (folded at compile time, correctly rounded). */
#define EPS_ELL (ECCENTRICITY_SQ / (1.0 - ECCENTRICITY_SQ))

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__GLIBC__) \
    && !defined(DEORBIT_NATIVE)
#define LANES_MULTIVERSIONED 1
#define LANES_TARGETS __attribute__((target_clones("default", "avx2", "avx512f")))
#else
#define LANES_MULTIVERSIONED 0
#define LANES_TARGETS
#endif

#if defined(_MSC_VER) && !defined(__cplusplus)
#define restrict __restrict
#endif

#if defined(__GNUC__)
#define LANES_ALIGN __attribute__((aligned(64)))
#define LANES_INLINE static inline __attribute__((always_inline))
#else
#define LANES_ALIGN
#define LANES_INLINE static inline
#endif

typedef struct {
    double y[6][LANES];      /* state at the start of the step, m and m/s */
    double K[16][6][LANES];  /* the stages: K[0] = y', K[12] = f(ynew), K[13..15] dense */
    double ynew[6][LANES];   /* the 8th-order solution at the end of the step */
    double ytmp[6][LANES];   /* a stage's argument */
    double dy[6][LANES];     /* a right-hand side outside the step (y' after a day break) */
    double F[7][6][LANES];   /* the dense-output coefficients of the step */
    double h[LANES];         /* step size, s */
    double err[LANES];       /* the step's error norm (<= 1: accepted) */
    double hd[LANES];        /* 0.5 Cd A / m x density scale, m^2/kg */
    /* The drag's inputs, from lanes_stage to lanes_drag: */
    double alt[LANES];       /* altitude of the stage's argument, km */
    double vr[3][LANES];     /* its velocity relative to the co-rotating air, m/s */
    double vrel[LANES];      /* |vr|, m/s */
    /* Each lane's density table segment (the caller's; deorbit._reference.Model.density):
     * ln rho at its lower node, its slope (1/km), that node's altitude, and the altitudes
     * between which the table walk stays on it (km; -inf / inf at the ends). */
    double seg_p[LANES];
    double seg_s[LANES];
    double seg_a[LANES];
    double seg_lo[LANES];
    double seg_hi[LANES];
    int n;                   /* the loops compute lanes 0 .. n - 1: the lanes in use (1 for a
                              * lone sample, which then runs the loops' scalar remainder at
                              * scalar speed rather than 8 lanes' vectors for one) */
    int zonal_degree;        /* 0, 2, 3 or 4, the same for every lane */
    int ellipsoid;           /* 1: altitude above the WGS-84 ellipsoid; 0: |r| - R_e */
} LANES_ALIGN Lanes;

/* Altitude, km, from the radius r (m) and s2 = sin^2(geocentric latitude).
 *
 * Spherical: r - R_e. Ellipsoid: r minus the WGS-84 radius along the same direction,
 * R_e ((1 - e^2) / (1 - e^2 cos^2 phi))^(1/2) = R_e (1 + eps s2)^(-1/2) with
 * eps = e^2 / (1 - e^2), expanded to third order in eps (truncation < 4 mm). Along the
 * radius rather than the normal: differs from the geodetic altitude by < 3 m in LEO. */
LANES_INLINE double altitude_rs_km(int ellipsoid, double r, double s2)
{
    if (ellipsoid) {
        double q = EPS_ELL * s2;
        return (r - EARTH_RADIUS_M * (1.0 + q * (-0.5 + q * (0.375 - 0.3125 * q)))) * 1e-3;
    }
    return (r - EARTH_RADIUS_M) * 1e-3;
}

/* e^x for the density, the operations of deorbit._reference.det_exp in the same order
 * (deorbit._kernel_params, EXP_*): k = round(x / ln 2) by the 1.5 x 2^52 shift, r = x - k ln 2
 * in two parts, e^r by its degree-13 Taylor polynomial in Estrin's scheme, times 2^k (built
 * from the shifted sum's low bits: exact, as the result is normal). For EXP_MIN_X <= x <=
 * EXP_MAX_X; plain arithmetic, so a loop over lanes vectorises. It does not depend on the C
 * library's exp (whose last bit may differ between its FMA and SSE2 code). */
LANES_INLINE double det_exp_core(double x)
{
    const double shift = EXP_SHIFT;
    double t = x * EXP_INV_LN2 + shift;
    double k = t - shift;
    double r = (x - k * EXP_LN2_HI) - k * EXP_LN2_LO;
    double r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
    double s0 = (EXP_TAYLOR_0 + EXP_TAYLOR_1 * r) + (EXP_TAYLOR_2 + EXP_TAYLOR_3 * r) * r2;
    double s1 = (EXP_TAYLOR_4 + EXP_TAYLOR_5 * r) + (EXP_TAYLOR_6 + EXP_TAYLOR_7 * r) * r2;
    double s2 = (EXP_TAYLOR_8 + EXP_TAYLOR_9 * r) + (EXP_TAYLOR_10 + EXP_TAYLOR_11 * r) * r2;
    double u0 = s0 + s1 * r4;
    double u1 = s2 + (EXP_TAYLOR_12 + EXP_TAYLOR_13 * r) * r4;
    uint64_t tb, sb, eb;
    double scale;
    memcpy(&tb, &t, sizeof tb);
    memcpy(&sb, &shift, sizeof sb);
    eb = (tb - sb + 1023u) << 52;          /* the bits of 2^k */
    memcpy(&scale, &eb, sizeof scale);
    return (u0 + u1 * r8) * scale;
}

/* det_exp: det_exp_core inside [EXP_MIN_X, EXP_MAX_X]; 0 below, inf above, NaN for NaN
 * (bit masks, not branches: a loop over lanes vectorises). */
LANES_INLINE double det_exp(double x)
{
    const double inf = INFINITY;
    double y = det_exp_core(x);
    uint64_t yb, ib, below = -(uint64_t) (x < EXP_MIN_X), above = -(uint64_t) (x > EXP_MAX_X);
    memcpy(&yb, &y, sizeof yb);
    memcpy(&ib, &inf, sizeof ib);
    yb = (yb & ~(below | above)) | (ib & above);
    memcpy(&y, &yb, sizeof y);
    return y;
}

/* out[i] = det_exp(x[i]), i < n, vectorised (for the tests: _kernel.density_exp). */
LANES_TARGETS void lanes_exp(const double *restrict x, double *restrict out, int n)
{
    for (int i = 0; i < n; i++)
        out[i] = det_exp(x[i]);
}

/* Bit l set for each lane l whose altitude has left its table segment [seg_lo, seg_hi] (or
 * is NaN): the caller finds those lanes' segments before lanes_drag. */
LANES_TARGETS unsigned lanes_off_segment(const Lanes *restrict L)
{
    const int nl = L->n;
    unsigned off = 0;
    for (int l = 0; l < nl; l++)
        off |= (unsigned) !((L->alt[l] >= L->seg_lo[l]) & (L->alt[l] <= L->seg_hi[l])) << l;
    return off;
}

/* yt = y + sum_j h A[s][j] K[j] over the j < s with A[s][j] != 0 (the reference skips
 * the products h A[s][j] that are 0, which for a step h >= MIN_STEP_S are exactly those).
 * s is a constant where this is inlined: the tableau's zeros are folded away. */
LANES_INLINE void stage_argument(Lanes *restrict L, const int s, double (*restrict yt)[LANES])
{
    const int nl = L->n;
    for (int l = 0; l < nl; l++) {
        double a0 = L->y[0][l], a1 = L->y[1][l], a2 = L->y[2][l];
        double a3 = L->y[3][l], a4 = L->y[4][l], a5 = L->y[5][l];
#pragma GCC unroll 16
        for (int j = 0; j < s; j++) {
            if (DOP_A[s][j] != 0.0) {
                double c = L->h[l] * DOP_A[s][j];
                a0 += c * L->K[j][0][l];
                a1 += c * L->K[j][1][l];
                a2 += c * L->K[j][2][l];
                a3 += c * L->K[j][3][l];
                a4 += c * L->K[j][4][l];
                a5 += c * L->K[j][5][l];
            }
        }
        yt[0][l] = a0;
        yt[1][l] = a1;
        yt[2][l] = a2;
        yt[3][l] = a3;
        yt[4][l] = a4;
        yt[5][l] = a5;
    }
}

/* dy = the gravity part of the right-hand side at yt (m, m/s -> m/s, m/s^2): point mass plus
 * the zonal harmonics J2..J(zonal) (Vallado 2013, eq. 8-30); and the drag's inputs alt, vr,
 * vrel. zonal and ellipsoid are constants where this is inlined: no branch in the loop
 * (GCC keeps a select of values computed in one arm only as a branch, which it vectorises
 * only with AVX-512's masks unless told that floating point never traps). */
LANES_INLINE void gravity(Lanes *restrict L, const double (*restrict yt)[LANES],
                          double (*restrict dy)[LANES], const int zonal, const int ellipsoid)
{
    const int nl = L->n;
    for (int l = 0; l < nl; l++) {
        double x = yt[0][l], yy = yt[1][l], z = yt[2][l];
        double r2 = x * x + yy * yy + z * z;
        double rn = sqrt(r2);
        double ir = 1.0 / rn;
        double ir2 = ir * ir;
        double mu_r3 = MU_M3_S2 * ir2 * ir;
        double s = z * ir;
        double s2 = s * s;
        double q = EARTH_RADIUS_M * EARTH_RADIUS_M * ir2;
        double kxy = -mu_r3, kz = -mu_r3, az0 = 0.0, k;
        if (zonal >= 2) {
            k = 1.5 * J2 * mu_r3 * q;
            kxy += k * (5.0 * s2 - 1.0);
            kz += k * (5.0 * s2 - 3.0);
        }
        if (zonal >= 3) {
            k = 2.5 * J3 * mu_r3 * q * EARTH_RADIUS_M * ir;
            kxy += k * s * (7.0 * s2 - 3.0);
            az0 = k * rn * (7.0 * s2 * s2 - 6.0 * s2 + 0.6);
        }
        if (zonal >= 4) {
            k = 1.875 * J4 * mu_r3 * q * q;
            kxy += k * (1.0 - 14.0 * s2 + 21.0 * s2 * s2);
            kz += k * (5.0 - 70.0 / 3.0 * s2 + 21.0 * s2 * s2);
        }
        dy[0][l] = yt[3][l];
        dy[1][l] = yt[4][l];
        dy[2][l] = yt[5][l];
        dy[3][l] = kxy * x;
        dy[4][l] = kxy * yy;
        dy[5][l] = kz * z + az0;
        double vrx = yt[3][l] + EARTH_ROTATION_RAD_S * yy;
        double vry = yt[4][l] - EARTH_ROTATION_RAD_S * x;
        double vrz = yt[5][l];
        L->vr[0][l] = vrx;
        L->vr[1][l] = vry;
        L->vr[2][l] = vrz;
        L->vrel[l] = sqrt(vrx * vrx + vry * vry + vrz * vrz);
        L->alt[l] = altitude_rs_km(ellipsoid, rn, s2);
    }
}

#define LANES_STAGE_CASE(S) case S: stage_argument(L, S, yt); break;

/* Stage s of DOP853 for every lane: its argument (y itself for s = 0; written to ynew for
 * s = 12, whose argument is the 8th-order solution, DOP853's B being A[12]) and its gravity
 * into out (K[s], or dy for s = 0), plus the drag's inputs. */
LANES_TARGETS void lanes_stage(Lanes *restrict L, int s, double *restrict out)
{
    double (*yt)[LANES] = s == 12 ? L->ynew : L->ytmp;
    double (*dy)[LANES] = (double (*)[LANES]) out;
    switch (s) {
        LANES_STAGE_CASE(0) LANES_STAGE_CASE(1) LANES_STAGE_CASE(2) LANES_STAGE_CASE(3)
        LANES_STAGE_CASE(4) LANES_STAGE_CASE(5) LANES_STAGE_CASE(6) LANES_STAGE_CASE(7)
        LANES_STAGE_CASE(8) LANES_STAGE_CASE(9) LANES_STAGE_CASE(10) LANES_STAGE_CASE(11)
        LANES_STAGE_CASE(12) LANES_STAGE_CASE(13) LANES_STAGE_CASE(14) LANES_STAGE_CASE(15)
        default: return;
    }
    const double (*g)[LANES] = (const double (*)[LANES]) yt;
    switch (2 * L->zonal_degree + (L->ellipsoid != 0)) {
        case 0: gravity(L, g, dy, 0, 0); break;
        case 1: gravity(L, g, dy, 0, 1); break;
        case 4: gravity(L, g, dy, 2, 0); break;
        case 5: gravity(L, g, dy, 2, 1); break;
        case 6: gravity(L, g, dy, 3, 0); break;
        case 7: gravity(L, g, dy, 3, 1); break;
        case 8: gravity(L, g, dy, 4, 0); break;
        default: gravity(L, g, dy, 4, 1); break;
    }
}

/* Add the drag -1/2 rho (Cd A / m) |v_rel| v_rel (co-rotating atmosphere) to the
 * right-hand side out, with the inputs lanes_stage left and each lane's density on its
 * table segment (seg_*: ln rho p at the lower node a, slope s): rho = e^(p + s (alt - a)),
 * the density of deorbit._reference.Model.density. */
LANES_TARGETS void lanes_drag(Lanes *restrict L, double *restrict out)
{
    const int nl = L->n;
    double (*restrict dy)[LANES] = (double (*)[LANES]) out;
    for (int l = 0; l < nl; l++) {
        double rho = det_exp(L->seg_p[l] + L->seg_s[l] * (L->alt[l] - L->seg_a[l]));
        double c = -L->hd[l] * rho * L->vrel[l];
        dy[3][l] += c * L->vr[0][l];
        dy[4][l] += c * L->vr[1][l];
        dy[5][l] += c * L->vr[2][l];
    }
}

/* The error norm of the step just taken (Hairer's DOP853, as SciPy): <= 1 means accepted.
 * Every one of the 13 terms of the embedded estimates is added, zeros included (a zero
 * times a non-finite stage is NaN, which rejects the step). */
LANES_TARGETS void lanes_error(Lanes *restrict L, double rtol)
{
    const int nl = L->n;
    double err3[LANES], err5[LANES];
    for (int l = 0; l < nl; l++) {
        err3[l] = 0.0;
        err5[l] = 0.0;
    }
    for (int d = 0; d < 6; d++) {
        const double floor_ = d < 3 ? POS_SCALE_M : VEL_SCALE_M_S;
        for (int l = 0; l < nl; l++) {
            double e3 = 0.0, e5 = 0.0;
#pragma GCC unroll 16
            for (int j = 0; j < 13; j++) {
                e3 += DOP_E3[j] * L->K[j][d][l];
                e5 += DOP_E5[j] * L->K[j][d][l];
            }
            double ay = fabs(L->y[d][l]), an = fabs(L->ynew[d][l]);
            double sc = ay > an ? ay : an;
            sc = sc > floor_ ? sc : floor_;
            sc = 1.0 / (sc * rtol);
            err3[l] += (e3 * sc) * (e3 * sc);
            err5[l] += (e5 * sc) * (e5 * sc);
        }
    }
    for (int l = 0; l < nl; l++) {
        double den = err5[l] + 0.01 * err3[l];
        L->err[l] = fabs(L->h[l]) * err5[l] / sqrt(den * 6.0);
    }
    /* (a second loop: GCC would move the division into a branch of the select) */
    for (int l = 0; l < nl; l++)
        L->err[l] = (err5[l] == 0.0) & (err3[l] == 0.0) ? 0.0 : L->err[l];
}

/* The coefficients F of the 7th-order dense output over the step just taken (needs the
 * stages K[13..15]). */
LANES_TARGETS void lanes_dense(Lanes *restrict L)
{
    const int nl = L->n;
    for (int d = 0; d < 6; d++) {
        for (int l = 0; l < nl; l++) {
            double h = L->h[l];
            double dely = L->ynew[d][l] - L->y[d][l];
            L->F[0][d][l] = dely;
            L->F[1][d][l] = h * L->K[0][d][l] - dely;
            L->F[2][d][l] = 2.0 * dely - h * (L->K[12][d][l] + L->K[0][d][l]);
#pragma GCC unroll 4
            for (int s = 0; s < 4; s++) {
                double v = 0.0;
#pragma GCC unroll 16
                for (int j = 0; j < 16; j++) {
                    if (DOP_D[s][j] != 0.0)
                        v += (h * DOP_D[s][j]) * L->K[j][d][l];
                }
                L->F[3 + s][d][l] = v;
            }
        }
    }
}

/* The instruction set the lane loops run on in this process, for the benchmarks' records:
 * the clone GCC's resolver picks (the highest of these the CPU has), or what the build
 * targeted. */
static const char *lanes_simd(void)
{
#if LANES_MULTIVERSIONED
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f"))
        return "avx512f (target_clones)";
    if (__builtin_cpu_supports("avx2"))
        return "avx2 (target_clones)";
    return "sse2 (target_clones)";
#else
#if defined(__AVX512F__)
    const char *isa = "avx512f";
#elif defined(__AVX2__)
    const char *isa = "avx2";
#elif defined(__SSE2__)
    const char *isa = "sse2";
#elif defined(__ARM_NEON)
    const char *isa = "neon";
#else
    const char *isa = "scalar";
#endif
#if defined(DEORBIT_NATIVE)
    return isa[0] == 'a' ? (isa[3] == '5' ? "avx512f (-march=native)" : "avx2 (-march=native)")
                         : "-march=native";
#else
    return isa;
#endif
#endif
}

#endif
