# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False, nonecheck=False
"""Compiled drag-propagation kernel (private; use :mod:`deorbit.kernel`).

One call propagates a block of samples without the GIL. Every sample is an independent
orbit: Cowell (Cartesian ECI, two-body + zonal J2..J4 + drag in an atmosphere co-rotating
with the Earth, DOP853 with dense output, events located on the dense output), optionally
preceded by an orbit-averaged mean-element phase (the hybrid method), or a finite burn flown
leg by leg between its impulses (Cowell; each leg as a propagation of its own would fly it:
``start_leg``, ``next_leg``). The algorithm, step by
step, is the one of ``src/deorbit/_reference.py``, the readable twin of this file; read that
first. No Python objects, no RNG and no global mutable state are used inside ``nogil``.
Constants are compile-time C macros (``deorbit_constants.h``, ``tableaux.h``).

The Cowell phases of a block's samples run LANES at a time (``lanes.h``: struct-of-arrays,
loops over the lanes that the compiler vectorises), each lane with its own step size,
density model and history; each lane executes its sample's operations exactly as the
reference does, so that results are the same bytes for any lane count and block split.
"""
from cpython.mem cimport PyMem_Malloc, PyMem_Calloc, PyMem_Free
from libc.string cimport memset
from libc.math cimport sqrt, exp, pow, fmod, floor, sin, cos, atan2, acos, fabs, isfinite, M_PI, INFINITY, fmin, fmax, log

cdef extern from "deorbit_constants.h":
    double MU_M3_S2
    double EARTH_RADIUS_M
    double ECCENTRICITY_SQ
    double EARTH_ROTATION_RAD_S
    double J2
    double J3
    double J4
    double SECONDS_PER_DAY

cdef extern from "tableaux.h":
    const double DOP_C[16]
    const double DOP_A[16][16]
    const double DOP_B[12]
    const double DOP_E3[13]
    const double DOP_E5[13]
    const double DOP_D[4][16]

# Algorithmic constants: generated from deorbit._kernel_params (compile-time macros).
cdef extern from "kernel_params.h":
    enum:
        ST_ENTERED
        ST_HORIZON
        ST_NUMERICAL_FAILURE
        ST_HANDED_OVER
        MAX_STEPS
        N_AVG_STEPS
        N_MEAN_TO_OSC_ITER
        ROOT_MAX_ITER
        N_QUAD_MAX
        N_SPAN_MAX
        VALUE_CACHE_MAX
    double POS_SCALE_M
    double VEL_SCALE_M_S
    double MIN_STEP_S
    double DAY_EPS
    double ROOT_TOL_S
    double MEAN_MAX_DECAY_M
    double QUAD_SCALE_M


# The lane loops of the Cowell phase (see "DOP853 in lanes" below).
cdef extern from "lanes.h":
    cpdef enum: LANES          # also module.LANES: the most lanes propagate_block steps
    const char* lanes_simd() noexcept nogil
    ctypedef struct Lanes:
        double y[6][LANES]
        double K[16][6][LANES]
        double ynew[6][LANES]
        double dy[6][LANES]
        double F[7][6][LANES]
        double h[LANES]
        double err[LANES]
        double hd[LANES]
        double alt[LANES]
        double seg_p[LANES]
        double seg_s[LANES]
        double seg_a[LANES]
        double seg_lo[LANES]
        double seg_hi[LANES]
        int n
        int zonal_degree
        int ellipsoid
    void lanes_stage(Lanes* L, int s, double* out) noexcept nogil
    void lanes_drag(Lanes* L, double* out) noexcept nogil
    unsigned lanes_off_segment(const Lanes* L) noexcept nogil
    void lanes_exp(const double* x, double* out, int n) noexcept nogil
    double det_exp(double x) noexcept nogil
    void lanes_error(Lanes* L, double rtol) noexcept nogil
    void lanes_dense(Lanes* L) noexcept nogil
    double altitude_rs_km(int ellipsoid, double r, double s2) noexcept nogil


# One daily row of the density interval: its table corners, weights and time share.
ctypedef struct DayRow:
    int row
    int fi, f1, di, d1, pi, p1, s0, s1
    double wf, wd, wp, ws
    double share              # fraction of the interval's time spent in this row


ctypedef struct Model:
    double half_drag_m2_kg     # 0.5 * Cd*A/m * density scale, m^2/kg
    int zonal_degree           # 0 (point mass), 2, 3 or 4
    int ellipsoid              # 1: altitude above the WGS-84 ellipsoid; 0: |r| - R_e
    # Density table: ln rho over (altitude, F10.7a, dF10.7, Ap), row-major, plus an optional
    # seasonal correction over (altitude, F10.7a, day of year); a static profile is the case
    # n_f = n_d = n_p = 1 without season.
    int n_alt
    const double* alt_km
    const double* inv_dalt     # 1 / (alt_km[a+1] - alt_km[a])
    const double* tab
    int n_f
    int n_d
    int n_p
    const double* ax_f
    const double* ax_d
    const double* ax_p
    const double* sea          # NULL without season
    int n_s                    # season nodes, padded periodically (first and last repeated)
    const double* ax_s
    double season_period_days
    # This sample's daily indices: (n_days, 4) = F10.7a, dF10.7, Ap, day of year.
    const double* daily
    int n_days
    double day_offset          # days from the start of daily row 0 to the sample's start
    int day                    # current daily row (Cowell)
    double next_break_s        # when the next day starts, s since the sample's start
    # The density interval: the daily rows the current step spans (Cowell: one day; a
    # mean-phase step: one or several), with their corners and time shares (set_day,
    # set_span) ...
    int n_span
    DayRow span[N_SPAN_MAX]
    # ... and its ln rho profile (the log of the time-mean density of its rows), filled
    # lazily: a step's orbit visits a few segments of the table, so a node is computed only
    # when the density needs it, once for both segments it bounds.
    double* prof               # ln rho at alt_km[a], valid if stamp[a] is current
    double* slope              # slope of segment a, 1/km, valid if stamp[n_alt + a] is
    long long* stamp           # serial of the interval node a / segment a was computed for
                               # (-1: never); 2 n_alt entries
    long long serial           # serial of the current interval: unique within the block call
    # Per sample, each daily row's corners and its ln rho at each altitude node are computed
    # once (consecutive steps share days): rows[day - day_lo] and
    # values[(day - day_lo) * n_alt + a], valid when their stamp is the current sample's
    # number, for the days day_lo..day_hi the block's samples can reach (outside: computed
    # each time). values is NULL when it would hold more than VALUE_CACHE_MAX entries (a
    # user table with a fine altitude grid over decades). A day's value stamps are cleared
    # when the call first uses the day (value_ready): a call that may reach years of days
    # (a stop epoch at the horizon) visits a few, and clearing them all cost megabytes of
    # memset per call.
    int day_lo
    int day_hi
    DayRow* rows
    int* row_stamp
    double* values
    int* value_stamp
    char* value_ready
    int sample                 # 1 + the sample's index in the block
    int idx                    # cached table segment (the altitude changes slowly)
    long long n_rhs


cdef inline void locate_node(const double* nodes, int n, double x, int* i0, double* w) noexcept nogil:
    """Segment and weight of x on nodes, clamped to the end nodes (n = 1: one node)."""
    cdef int i = 0
    if n == 1 or x <= nodes[0]:
        i0[0] = 0
        w[0] = 0.0
        return
    if x >= nodes[n - 1]:
        i0[0] = n - 2
        w[0] = 1.0
        return
    while nodes[i + 1] < x:
        i += 1
    i0[0] = i
    w[0] = (x - nodes[i]) / (nodes[i + 1] - nodes[i])


cdef void day_row(const Model* m, int day, DayRow* r) noexcept nogil:
    """The table corners and weights of daily row ``day``'s indices (multilinear)."""
    cdef const double* q = &m.daily[4 * day]
    cdef double x
    r.row = day
    locate_node(m.ax_f, m.n_f, q[0], &r.fi, &r.wf)
    locate_node(m.ax_d, m.n_d, q[1], &r.di, &r.wd)
    locate_node(m.ax_p, m.n_p, q[2], &r.pi, &r.wp)
    r.f1 = r.fi + 1 if m.n_f > 1 else r.fi
    r.d1 = r.di + 1 if m.n_d > 1 else r.di
    r.p1 = r.pi + 1 if m.n_p > 1 else r.pi
    r.s0 = r.s1 = 0
    r.ws = 0.0
    if m.sea != NULL:
        x = fmod(q[3], m.season_period_days)
        if x < 0.0:
            x += m.season_period_days
        locate_node(m.ax_s, m.n_s, x, &r.s0, &r.ws)
        # padded node j holds season column (j - 1) mod (n_s - 2)
        r.s1 = r.s0 % (m.n_s - 2)
        r.s0 = (r.s0 - 1 + m.n_s - 2) % (m.n_s - 2)


cdef void enter_row(Model* m, int day, DayRow* r) noexcept nogil:
    """Daily row ``day``'s corners and weights into r (computed once per sample)."""
    cdef int k = day - m.day_lo
    if day < m.day_lo or day > m.day_hi:
        day_row(m, day, r)
        return
    if m.row_stamp[k] != m.sample:
        day_row(m, day, &m.rows[k])
        m.row_stamp[k] = m.sample
    r[0] = m.rows[k]


cdef void set_day(Model* m, int day) noexcept nogil:
    """Enter daily row ``day``: the density interval is that one day (its profile is kept
    if the interval already was)."""
    m.day = day
    if m.n_span == 1 and m.span[0].row == day:
        return
    enter_row(m, day, &m.span[0])
    m.span[0].share = 1.0
    m.n_span = 1
    m.serial += 1


cdef inline int row_of_day(const Model* m, double d) noexcept nogil:
    """Daily row holding day number d (days from row 0's start), clamped to the rows."""
    if d < 0.0:
        return 0
    if d >= m.n_days - 1:
        return m.n_days - 1
    return <int> d


cdef void set_span(Model* m, double t0, double t1) noexcept nogil:
    """The density interval [t0, t1] (s after the sample's start): its daily rows, each
    with the share of the time spent in it (rows past the last one repeat the last)."""
    cdef double d, d_end, start, ov
    cdef int row
    cdef int was = m.span[0].row if m.n_span == 1 else -1
    if t1 <= t0 + MIN_STEP_S:
        set_day(m, row_of_day(m, floor(m.day_offset + t0 / SECONDS_PER_DAY)))
        return
    m.n_span = 0
    d = floor(m.day_offset + t0 / SECONDS_PER_DAY)
    d_end = m.day_offset + t1 / SECONDS_PER_DAY
    while d < d_end:
        start = (d - m.day_offset) * SECONDS_PER_DAY
        ov = fmin(t1, start + SECONDS_PER_DAY) - fmax(t0, start)
        row = row_of_day(m, d)
        if ov > MIN_STEP_S:  # (rounding slivers at the boundaries are not days)
            if m.n_span > 0 and m.span[m.n_span - 1].row == row:
                m.span[m.n_span - 1].share += ov
            elif m.n_span < N_SPAN_MAX:
                enter_row(m, row, &m.span[m.n_span])
                m.span[m.n_span].share = ov
                m.n_span += 1
        d += 1.0
    for row in range(m.n_span):
        m.span[row].share = m.span[row].share / (t1 - t0)
    if m.n_span == 1:
        m.span[0].share = 1.0
        if m.span[0].row == was:  # the same single day (a static table): keep its profile
            return
    m.serial += 1


cdef void seek_day(Model* m, double t) noexcept nogil:
    """Enter the daily row holding time t (s after the sample's start), one day at a time
    from there on (Cowell after the mean phase)."""
    cdef int day = row_of_day(m, floor(m.day_offset + t / SECONDS_PER_DAY + DAY_EPS))
    set_day(m, day)
    m.next_break_s = ((day + 1 - m.day_offset) * SECONDS_PER_DAY if day + 1 < m.n_days
                      else INFINITY)


cdef double row_value(const Model* m, const DayRow* r, int a) noexcept nogil:
    """ln rho of a daily row at altitude node a (multilinear in the indices)."""
    cdef int jf, jd
    cdef int fi = r.fi, f1 = r.f1, di = r.di, d1 = r.d1, pi = r.pi, p1 = r.p1
    cdef double wf = r.wf, wd = r.wd, wp = r.wp, ws = r.ws, v
    jf = a * m.n_f
    v = 0.0
    v += (1.0 - wf) * ((1.0 - wd) * ((1.0 - wp) * m.tab[((jf + fi) * m.n_d + di) * m.n_p + pi]
                                     + wp * m.tab[((jf + fi) * m.n_d + di) * m.n_p + p1])
                       + wd * ((1.0 - wp) * m.tab[((jf + fi) * m.n_d + d1) * m.n_p + pi]
                               + wp * m.tab[((jf + fi) * m.n_d + d1) * m.n_p + p1]))
    v += wf * ((1.0 - wd) * ((1.0 - wp) * m.tab[((jf + f1) * m.n_d + di) * m.n_p + pi]
                             + wp * m.tab[((jf + f1) * m.n_d + di) * m.n_p + p1])
               + wd * ((1.0 - wp) * m.tab[((jf + f1) * m.n_d + d1) * m.n_p + pi]
                       + wp * m.tab[((jf + f1) * m.n_d + d1) * m.n_p + p1]))
    if m.sea != NULL:
        jd = m.n_s - 2
        v += ((1.0 - wf) * ((1.0 - ws) * m.sea[(jf + fi) * jd + r.s0]
                            + ws * m.sea[(jf + fi) * jd + r.s1])
              + wf * ((1.0 - ws) * m.sea[(jf + f1) * jd + r.s0]
                      + ws * m.sea[(jf + f1) * jd + r.s1]))
    return v


cdef inline double row_ln_rho(Model* m, const DayRow* r, int a) noexcept nogil:
    """row_value, computed once per sample for each daily row and altitude node (unless
    the cache would be too large: m.values NULL)."""
    cdef Py_ssize_t day = r.row - m.day_lo
    cdef Py_ssize_t k = day * m.n_alt + a
    if m.values == NULL or r.row < m.day_lo or r.row > m.day_hi:
        return row_value(m, r, a)
    if not m.value_ready[day]:
        memset(&m.value_stamp[day * m.n_alt], 0, m.n_alt * sizeof(int))
        m.value_ready[day] = 1
    if m.value_stamp[k] != m.sample:
        m.values[k] = row_value(m, r, a)
        m.value_stamp[k] = m.sample
    return m.values[k]


cdef double profile_node(Model* m, int a) noexcept nogil:
    """ln rho of the density interval at altitude node a: its row's value for one row, else
    the log of the time-weighted mean density of its rows."""
    cdef int j
    cdef double acc = 0.0
    if m.n_span == 1:
        return row_ln_rho(m, &m.span[0], a)
    for j in range(m.n_span):
        acc += m.span[j].share * exp(row_ln_rho(m, &m.span[j], a))
    return log(acc)


cdef inline bint next_day(Model* m, double t) noexcept nogil:
    """Move to the next daily row if t has reached its start; True if the density changed."""
    if t < m.next_break_s:
        return False
    if m.day + 1 < m.n_days:
        set_day(m, m.day + 1)
        m.next_break_s += SECONDS_PER_DAY
    else:
        m.next_break_s = INFINITY
    return True


# ---------------------------------------------------------------------------- physics

cdef inline double altitude_km(const Model* m, const double* y) noexcept nogil:
    """Altitude, km, of the position y[0:3] (m); see altitude_rs_km (lanes.h)."""
    cdef double r2 = y[0] * y[0] + y[1] * y[1] + y[2] * y[2]
    return altitude_rs_km(m.ellipsoid, sqrt(r2), y[2] * y[2] / r2)


cdef inline double node_value(Model* m, int a) noexcept nogil:
    """ln rho of the density interval at altitude node a, computed once per interval."""
    if m.stamp[a] != m.serial:
        m.prof[a] = profile_node(m, a)
        m.stamp[a] = m.serial
    return m.prof[a]


cdef inline int segment(Model* m, double alt) noexcept nogil:
    """The table segment of the altitude alt (km), walked to from the last one (m.idx), its
    ln rho at the lower node and slope made current."""
    cdef int i = m.idx
    while i < m.n_alt - 2 and alt > m.alt_km[i + 1]:
        i += 1
    while i > 0 and alt < m.alt_km[i]:
        i -= 1
    m.idx = i
    if m.stamp[m.n_alt + i] != m.serial:
        m.slope[i] = (node_value(m, i + 1) - node_value(m, i)) * m.inv_dalt[i]
        m.stamp[m.n_alt + i] = m.serial
    return i


cdef inline double density(Model* m, double alt) noexcept nogil:
    """Density, kg/m^3: log-linear interpolation of the table, end segments extrapolated."""
    cdef int i = segment(m, alt)
    return det_exp(m.prof[i] + m.slope[i] * (alt - m.alt_km[i]))


cdef inline void lane_segment(Lanes* L, Model* m, int l) noexcept nogil:
    """Lane l's table segment at its altitude L.alt[l] into L.seg_*: kept while the
    altitude stays between the segment's nodes (lanes_off_segment; there the walk of
    :func:`segment` would not move). Valid from the lane's last :func:`lane_rhs` on, which
    forgets it: the lanes call lane_rhs whenever a lane's model gets a new profile (a
    sample, a finite-burn leg, a new day); its segment (m.idx) changes only here meanwhile."""
    cdef int i = segment(m, L.alt[l])
    L.seg_p[l] = m.prof[i]
    L.seg_s[l] = m.slope[i]
    L.seg_a[l] = m.alt_km[i]
    L.seg_lo[l] = -INFINITY if i == 0 else m.alt_km[i]
    L.seg_hi[l] = INFINITY if i == m.n_alt - 2 else m.alt_km[i + 1]


# ---------------------------------------------------------------------------- DOP853 in lanes
# The samples' Cowell phases run LANES at a time (struct-of-arrays, ``lanes.h``): each step
# of the block advances every active lane by one DOP853 step of its own size. The lane
# loops of lanes.h do the arithmetic every lane shares (a stage's argument, gravity, the
# density's exp, the drag's vector algebra, the error norm, the dense-output coefficients);
# what branches per sample is done here lane by lane: the density table's segment (kept
# while the altitude stays on it), the step control, day breaks, events, recording. Each
# lane executes the operations of the reference's scalar step for its sample, in the same
# order: results do not depend on the lanes.

cdef inline unsigned counted(Model* ms, const int* act, int n_act, int n) noexcept nogil:
    """Count n right-hand side evaluations in the model of each lane in act; returns the
    lanes' bits."""
    cdef unsigned mask = 0
    cdef int k
    for k in range(n_act):
        ms[act[k]].n_rhs += n
        mask |= 1u << act[k]
    return mask


cdef inline void rhs_drag(Lanes* L, Model* ms, const int* act, int n_act, unsigned mask,
                          double* out) noexcept nogil:
    """Add the drag to the right-hand side that lanes_stage began in out: the lanes in act
    (the bits of mask) whose altitude left their table segment find theirs in ms[l]'s
    table; then lanes_drag takes every lane's density and drag. The other lanes' out is not
    to be used."""
    cdef int k, l
    cdef unsigned off = lanes_off_segment(L) & mask
    if off:
        for k in range(n_act):
            l = act[k]
            if (off >> l) & 1u:
                lane_segment(L, &ms[l], l)
    lanes_drag(L, out)


cdef void lane_rhs(Lanes* L, Model* ms, int l) noexcept nogil:
    """K[0] of lane l = f(y) (a sample's start, a new day's density), its table segment
    found anew."""
    cdef int d
    L.seg_lo[l] = INFINITY
    L.seg_hi[l] = -INFINITY
    lanes_stage(L, 0, &L.dy[0][0])
    rhs_drag(L, ms, &l, 1, counted(ms, &l, 1, 1), &L.dy[0][0])
    for d in range(6):
        L.K[0][d][l] = L.dy[d][l]


cdef void dop_step(Lanes* L, Model* ms, const int* act, int n_act, double rtol,
                   bint drag) noexcept nogil:
    """One DOP853 step of size L.h in every lane from (L.y, L.K[0] = y'): L.K[1..12]
    receive the stages (K[12] = f(ynew)), L.ynew the 8th-order solution and L.err the error
    norm (Hairer's DOP853, as SciPy: <= 1 means accepted). Only the lanes in act (their
    models ms[l]) count: the others compute on whatever they hold. drag False:
    conservative forces only."""
    cdef int s
    cdef unsigned mask = counted(ms, act, n_act, 12)
    for s in range(1, 13):
        lanes_stage(L, s, &L.K[s][0][0])
        if drag:
            rhs_drag(L, ms, act, n_act, mask, &L.K[s][0][0])
    lanes_error(L, rtol)


cdef void dop_dense(Lanes* L, Model* ms, const int* act, int n_act) noexcept nogil:
    """The coefficients L.F of the 7th-order dense output over the step just taken, for the
    lanes in act (three more stages)."""
    cdef int s
    cdef unsigned mask = counted(ms, act, n_act, 3)
    for s in range(13, 16):
        lanes_stage(L, s, &L.K[s][0][0])
        rhs_drag(L, ms, act, n_act, mask, &L.K[s][0][0])
    lanes_dense(L)


cdef inline void lane_state(const double (*v)[LANES], int l, double* out) noexcept nogil:
    """Lane l of the six rows v (a state) into out."""
    cdef int d
    for d in range(6):
        out[d] = v[d][l]


cdef inline void dop_eval(const Lanes* L, int l, double x, double* out) noexcept nogil:
    """Lane l's dense output at fraction x in [0, 1] of its step (Hairer's CONTD8 nesting)."""
    cdef int d, i
    cdef double v
    for d in range(6):
        v = 0.0
        for i in range(6, -1, -1):
            v += L.F[i][d][l]
            v *= x if (6 - i) % 2 == 0 else 1.0 - x
        out[d] = L.y[d][l] + v


cdef double locate(const Model* m, const Lanes* L, int l, double target_km, double g0,
                   double g1, double* yout) noexcept nogil:
    """Fraction x of lane l's step at which the altitude equals target_km (Illinois method).

    g0 > 0 and g1 <= 0 are altitude - target at the step ends, km.
    """
    cdef double a = 0.0, b = 1.0, ga = g0, gb = g1, x = 1.0, gx
    cdef int it, side = 0
    for it in range(ROOT_MAX_ITER):
        x = (a * gb - b * ga) / (gb - ga)
        dop_eval(L, l, x, yout)
        gx = altitude_km(m, yout) - target_km
        if gx > 0.0:
            a = x
            ga = gx
            if side == 1:
                gb *= 0.5
            side = 1
        else:
            b = x
            gb = gx
            if side == -1:
                ga *= 0.5
            side = -1
        if (b - a) * fabs(L.h[l]) < ROOT_TOL_S or gx == 0.0:
            break
    return x



cdef double semi_major_axis_m(const double* y) noexcept nogil:
    cdef double r = sqrt(y[0] * y[0] + y[1] * y[1] + y[2] * y[2])
    cdef double v2 = y[3] * y[3] + y[4] * y[4] + y[5] * y[5]
    return 1.0 / (2.0 / r - v2 / MU_M3_S2)


ctypedef struct History:
    int n
    int i
    const double* t_s        # history times, s since the history's origin, ascending
    double start_s           # the start epoch, s after the history's origin
    double* sma_alt_km       # out: semi-major axis minus R_e, km (NaN-filled by the caller)
    int n_eph
    int i_eph
    const double* eph_t_s    # ephemeris times (Cowell only), s since the start epoch, ascending
    double* eph_state        # out: (n_eph, 6) states at those times (NaN-filled by the caller)


cdef inline void record(History* hist, double t, double sma_alt_km) noexcept nogil:
    """Store sma_alt_km for every history time <= t (s since the start epoch) not yet
    recorded: passed in this leg, and NaN (not stored by an earlier leg of an arc)."""
    while hist.i < hist.n and hist.t_s[hist.i] <= t + hist.start_s:
        if hist.sma_alt_km[hist.i] != hist.sma_alt_km[hist.i]:
            hist.sma_alt_km[hist.i] = sma_alt_km
        hist.i += 1


cdef inline void record_sma(History* hist, double t, const double* y) noexcept nogil:
    """record() the semi-major axis altitude of the state y, computed only when a history
    time is due."""
    if hist.i < hist.n and hist.t_s[hist.i] <= t + hist.start_s:
        record(hist, t, (semi_major_axis_m(y) - EARTH_RADIUS_M) * 1e-3)


cdef inline bint wants_state(const History* hist, double t) noexcept nogil:
    """True if an ephemeris time <= t is not yet recorded."""
    return hist.i_eph < hist.n_eph and hist.eph_t_s[hist.i_eph] <= t


cdef inline void record_states(History* hist, double t0, const Lanes* L, int l,
                               double t1) noexcept nogil:
    """Store the dense-output state of lane l's step (from t0) at every ephemeris time
    <= t1 not yet recorded (at the step's end: its end state, exactly)."""
    cdef double x
    while wants_state(hist, t1):
        x = (hist.eph_t_s[hist.i_eph] - t0) / L.h[l]
        if x >= 1.0:
            lane_state(L.ynew, l, &hist.eph_state[6 * hist.i_eph])
        else:
            dop_eval(L, l, x, &hist.eph_state[6 * hist.i_eph])
        hist.i_eph += 1


cdef inline void record_held(History* hist, double t, const double* y) noexcept nogil:
    """Store state y at every ephemeris time <= t not yet recorded (the start, or a stop
    less than MIN_STEP_S after the last step)."""
    cdef int d
    while wants_state(hist, t):
        for d in range(6):
            hist.eph_state[6 * hist.i_eph + d] = y[d]
        hist.i_eph += 1


# ---------------------------------------------------------------------------- Cowell
# A sample's Cowell phase integrates from (t, y) until the last target altitude is crossed
# downwards or t_end. Its step loop is the reference's cowell(), cut where the lanes meet:
# prepare (the top of the loop: step count, day break, the step's end), the lanes' step,
# judge (accept or reject), the lanes' dense output, advance (events, recording, the next
# step size).

ctypedef struct Lane:
    Py_ssize_t i               # the sample in the lane; -1: none
    double t                   # s since the sample's start
    double t_end               # its stop epoch, s since its start
    double t_stop              # where the step must end: t_end or the next day break
    bint last                  # the step ends at t_end
    bint at_break              # the step ends at a day break
    double alt0                # altitude at the step's start and end, km (accepted steps)
    double alt1
    int k                      # the next target to cross
    int n_targets
    double targets[2]          # descending altitudes, km: entry interface[, stop altitude]
    double t_hit[2]            # when each was first crossed downwards, s (INFINITY: not yet)
    long long steps            # integrator steps of the sample (of the leg: finite burns),
                               # rejected ones included
    long long table_row        # the density table its model holds (-1: none yet)
    double start               # epoch t counts from, UTC days: the sample's (a leg's) start
    double entry               # entry-interface crossing, UTC days (INFINITY: not yet)


cdef int prepare(Lanes* L, Model* ms, History* hist, Lane* ln, int l) noexcept nogil:
    """The top of lane l's step loop: returns 0 when its step (size L.h[l], clamped to end
    on t_stop) is ready, else the sample's status (it ended at ln.t in state L.y[:, l])."""
    cdef Model* m = &ms[l]
    cdef double y[6]
    while True:
        if ln.steps >= MAX_STEPS:
            return ST_NUMERICAL_FAILURE
        if next_day(m, ln.t):          # new daily indices: new density from here on
            lane_rhs(L, ms, l)
        # Steps end on day boundaries, so that each sees one day's density.
        ln.last = False
        ln.at_break = False
        ln.t_stop = ln.t_end if ln.t_end <= m.next_break_s else m.next_break_s
        if ln.t + L.h[l] >= ln.t_stop:
            L.h[l] = ln.t_stop - ln.t
            ln.last = ln.t_stop == ln.t_end
            ln.at_break = not ln.last
        if L.h[l] < MIN_STEP_S:
            if ln.last:
                ln.t = ln.t_end
                lane_state(L.y, l, y)
                record_held(hist, ln.t_end, y)
                return ST_HORIZON
            if ln.at_break:
                ln.t = ln.t_stop
                continue
            return ST_NUMERICAL_FAILURE
        return 0


cdef bint judge(Lanes* L, const Model* m, const History* hist, Lane* ln, int l,
                bint* accepted) noexcept nogil:
    """Accept or reject lane l's step (a rejected one shrinks h). Returns True if the
    accepted step needs its dense output: it crosses the next target or an ephemeris time."""
    cdef double err = L.err[l], fac
    cdef double y[6]
    ln.steps += 1
    accepted[0] = False
    if not isfinite(err):
        L.h[l] *= 0.2
        return False
    if err > 1.0:
        fac = 0.9 / sqrt(sqrt(sqrt(err)))   # 0.9 err^(-1/8), as the reference
        L.h[l] *= fac if fac > 0.2 else 0.2
        return False
    accepted[0] = True
    lane_state(L.y, l, y)
    ln.alt0 = altitude_km(m, y)
    lane_state(L.ynew, l, y)
    ln.alt1 = altitude_km(m, y)
    return ln.alt1 <= ln.targets[ln.k] or wants_state(hist, ln.t + L.h[l])


cdef int advance(Lanes* L, const Model* m, History* hist, Lane* ln, int l) noexcept nogil:
    """The rest of lane l's accepted step (dense output ready if judge asked for it):
    the targets crossed, the ephemeris, the new state, the history, the next step size.
    Returns 0, or the sample's status if it ended (at ln.t in state L.y[:, l])."""
    cdef double yev[6]
    cdef double y[6]
    cdef double h = L.h[l], err = L.err[l], x, fac
    cdef int d
    if ln.alt1 <= ln.targets[ln.k]:
        while ln.k < ln.n_targets and ln.alt1 <= ln.targets[ln.k]:
            x = locate(m, L, l, ln.targets[ln.k], ln.alt0 - ln.targets[ln.k],
                       ln.alt1 - ln.targets[ln.k], yev)
            ln.t_hit[ln.k] = ln.t + x * h
            ln.k += 1
        if ln.k == ln.n_targets:
            record_states(hist, ln.t, L, l, ln.t_hit[ln.k - 1])
            ln.t = ln.t_hit[ln.k - 1]
            for d in range(6):
                L.y[d][l] = yev[d]
            record_sma(hist, ln.t, yev)
            return ST_ENTERED
    if wants_state(hist, ln.t + h):
        record_states(hist, ln.t, L, l, ln.t + h)
    ln.t = ln.t_stop if (ln.last or ln.at_break) else ln.t + h
    for d in range(6):
        L.y[d][l] = L.ynew[d][l]
        L.K[0][d][l] = L.K[12][d][l]
        y[d] = L.ynew[d][l]
    record_sma(hist, ln.t, y)
    if ln.last:
        return ST_HORIZON
    fac = 10.0 if err == 0.0 else 0.9 / sqrt(sqrt(sqrt(err)))
    L.h[l] = h * (fac if fac < 10.0 else 10.0)
    return 0



# ---------------------------------------------------------------------------- mean elements
# Non-singular elements el = (a [m], ex, ey, i [rad], raan [rad], lambda [rad]): the
# eccentricity vector in the frame of the ascending node, and the mean argument of latitude.

cdef void state_to_elements(const double* y, double* el) noexcept nogil:
    cdef double rx = y[0], ry = y[1], rz = y[2], vx = y[3], vy = y[4], vz = y[5]
    cdef double hx = ry * vz - rz * vy, hy = rz * vx - rx * vz, hz = rx * vy - ry * vx
    cdef double hn = sqrt(hx * hx + hy * hy + hz * hz)
    cdef double r = sqrt(rx * rx + ry * ry + rz * rz)
    cdef double v2 = vx * vx + vy * vy + vz * vz
    cdef double inc = acos(hz / hn)
    cdef double raan = atan2(hx, -hy)
    cdef double cO = cos(raan), sO = sin(raan), ci = cos(inc), si = sin(inc)
    cdef double nx = cO, ny = sO
    cdef double mx = -sO * ci, my = cO * ci, mz = si
    cdef double evx = (vy * hz - vz * hy) / MU_M3_S2 - rx / r
    cdef double evy = (vz * hx - vx * hz) / MU_M3_S2 - ry / r
    cdef double evz = (vx * hy - vy * hx) / MU_M3_S2 - rz / r
    cdef double ex = evx * nx + evy * ny
    cdef double ey = evx * mx + evy * my + evz * mz
    cdef double u = atan2(rx * mx + ry * my + rz * mz, rx * nx + ry * ny)
    cdef double e = sqrt(ex * ex + ey * ey)
    cdef double w = atan2(ey, ex)
    cdef double f = u - w
    cdef double E = 2.0 * atan2(sqrt(1.0 - e) * sin(0.5 * f), sqrt(1.0 + e) * cos(0.5 * f))
    el[0] = 1.0 / (2.0 / r - v2 / MU_M3_S2)
    el[1] = ex
    el[2] = ey
    el[3] = inc
    el[4] = raan
    el[5] = w + E - e * sin(E)


cdef void elements_to_state(const double* el, double* y) noexcept nogil:
    cdef double a = el[0], ex = el[1], ey = el[2], inc = el[3], raan = el[4]
    cdef double e = sqrt(ex * ex + ey * ey)
    cdef double w = atan2(ey, ex)
    cdef double M = el[5] - w
    cdef double E = M, cE, sE, f, p, r, u, cu, su, vr, vt, smp
    cdef int it
    for it in range(20):
        E -= (E - e * sin(E) - M) / (1.0 - e * cos(E))
    cE = cos(E)
    sE = sin(E)
    f = atan2(sqrt(1.0 - e * e) * sE, cE - e)
    p = a * (1.0 - e * e)
    r = a * (1.0 - e * cE)
    u = w + f
    cu = cos(u)
    su = sin(u)
    cdef double cO = cos(raan), sO = sin(raan), ci = cos(inc), si = sin(inc)
    cdef double nx = cO, ny = sO
    cdef double mx = -sO * ci, my = cO * ci, mz = si
    smp = sqrt(MU_M3_S2 / p)
    vr = smp * e * sin(f)
    vt = smp * (1.0 + e * cos(f))
    y[0] = r * (cu * nx + su * mx)
    y[1] = r * (cu * ny + su * my)
    y[2] = r * su * mz
    y[3] = vr * (cu * nx + su * mx) + vt * (-su * nx + cu * mx)
    y[4] = vr * (cu * ny + su * my) + vt * (-su * ny + cu * my)
    y[5] = vr * su * mz + vt * cu * mz


cdef inline double j2_perigee_rate(double a, double e, double inc) noexcept nogil:
    """Secular rate of the argument of perigee from J2, rad/s (first order)."""
    cdef double p = a * (1.0 - e * e)
    cdef double n = sqrt(MU_M3_S2 / (a * a * a))
    cdef double ci = cos(inc)
    return 0.75 * n * J2 * (EARTH_RADIUS_M / p) * (EARTH_RADIUS_M / p) * (5.0 * ci * ci - 1.0)


cdef void numeric_mean(Model* m, const double* y0, double* el_mean, Lanes* S) noexcept nogil:
    """Mean elements of an osculating state: average over one orbit without drag.

    (a, ex, ey, i) are the time averages of the osculating values over one Keplerian
    period, propagated with N_AVG_STEPS fixed DOP853 steps (conservative forces only); the
    eccentricity vector is turned back by the J2 perigee drift over half a period so that
    the average refers to the start epoch. raan and lambda are the osculating values
    (their short-period terms, ~1e-3 rad, are left in: they shift the phase, not the decay).
    The steps run in lane 0 of the scratch lanes S (S.n = 1).
    """
    cdef double y[6]
    cdef double el[6]
    cdef double s[4]
    cdef int k, d, zero = 0
    cdef double T, h, dw, c, sn, ex, ey
    state_to_elements(y0, el_mean)
    T = 2.0 * M_PI * sqrt(el_mean[0] * el_mean[0] * el_mean[0] / MU_M3_S2)
    h = T / N_AVG_STEPS
    for d in range(6):
        S.y[d][0] = y0[d]
    S.h[0] = h
    for d in range(4):
        s[d] = 0.0
    lanes_stage(S, 0, &S.K[0][0][0])   # (conservative forces only)
    counted(m, &zero, 1, 1)
    for k in range(N_AVG_STEPS):
        lane_state(S.y, 0, y)
        state_to_elements(y, el)
        for d in range(4):
            s[d] += el[d]
        dop_step(S, m, &zero, 1, 1.0, False)
        for d in range(6):
            S.y[d][0] = S.ynew[d][0]
            S.K[0][d][0] = S.K[12][d][0]
    for d in range(4):
        s[d] /= N_AVG_STEPS
    dw = 0.0
    if m.zonal_degree >= 2:
        dw = -0.5 * T * j2_perigee_rate(s[0], sqrt(s[1] * s[1] + s[2] * s[2]), s[3])
    c = cos(dw)
    sn = sin(dw)
    ex = c * s[1] - sn * s[2]
    ey = sn * s[1] + c * s[2]
    el_mean[0] = s[0]
    el_mean[1] = ex
    el_mean[2] = ey
    el_mean[3] = s[3]


cdef void mean_to_osculating(Model* m, const double* el_mean, double* y,
                             Lanes* S) noexcept nogil:
    """Osculating state whose numerical mean (numeric_mean) equals el_mean.

    Fixed-point iteration on (a, ex, ey, i), N_MEAN_TO_OSC_ITER times; each iteration
    shrinks the error by a factor of order J2 (a third iteration moves the state by ~1 cm).
    With N_AVG_STEPS = 32 the state is within 0.3 m (ISS orbit) to 5 m (400 km, 97.5 deg)
    of the one converged with 64 steps, for half the cost. S: scratch lanes (numeric_mean).
    """
    cdef double el[6]
    cdef double mm[6]
    cdef int it, d
    elements_to_state(el_mean, y)
    for it in range(N_MEAN_TO_OSC_ITER):
        numeric_mean(m, y, mm, S)
        state_to_elements(y, el)
        for d in range(4):
            el[d] += el_mean[d] - mm[d]
        elements_to_state(el, y)


cdef inline double frozen_eccentricity(const Model* m, double a, double inc) noexcept nogil:
    """e_f = -(J3 / 2 J2)(R_e / a) sin i: the eccentricity J2 and J3 hold steady (first order)."""
    if m.zonal_degree < 3:
        return 0.0
    return -0.5 * J3 / J2 * EARTH_RADIUS_M / a * sin(inc)


cdef inline int quadrature_stride(double a, double e) noexcept nogil:
    """Stride through the N_QUAD_MAX nodes: the averaging rule has N_QUAD_MAX / stride nodes.

    Along an orbit the density goes as exp(x cos E) with x = a e / H (H the scale height), and
    the N-node periodic trapezoidal rule misses it by ~2 I_N(x) / I_0(x) (Bessel functions).
    With H >= QUAD_SCALE_M that is < 1e-6 for N = 8 up to x = 1.2 (e < 0.0035 in LEO),
    N = 16 up to 7, N = 32 up to 18 (e < 0.05); beyond, 64 nodes.
    """
    cdef double x = a * e / QUAD_SCALE_M
    if x <= 1.2:
        return 8
    if x <= 7.0:
        return 4
    if x <= 18.0:
        return 2
    return 1


cdef void mean_rates(Model* m, const double* z, const double* cosE, const double* sinE,
                     double* rates, double* min_alt_km) noexcept nogil:
    """Orbit-averaged rates of the mean-phase state (per second) and the lowest altitude, km.

    The state is z = (a, ex', ey', i, raan, lambda, psi) with (ex, ey) = f + R(psi)(ex', ey'):
    to first order in J2 and J3 the eccentricity vector turns at the J2 perigee rate about
    the frozen point f = (0, e_f), e_f = -(J3 / 2 J2)(R_e / a) sin i, and psi is the angle
    turned. Every component but the angles lambda and psi (which grow linearly) then varies
    only as fast as drag acts, so steps are limited by the decay, not by the perigee motion.

    J2 secular rates (first order) plus drag averaged over one orbit with the periodic
    trapezoidal rule in eccentric anomaly (time weight 1 - e cos E), exact for trigonometric
    polynomials below its node count, which quadrature_stride chooses from the eccentricity.
    At each node the radius carries the first-order J2 short-period terms of a near-circular
    orbit, -(3/4)(J2 R^2/a)(3cos^2 i - 1) + (1/4)(J2 R^2/a) sin^2 i cos 2u, so that the drag
    sees the mean altitude Cowell sees.
    """
    cdef double a = z[0], inc = z[3], raan = z[4]
    cdef double cpsi = cos(z[6]), spsi = sin(z[6])
    cdef double ef = frozen_eccentricity(m, a, inc)
    cdef double ex = cpsi * z[1] - spsi * z[2], ey = ef + spsi * z[1] + cpsi * z[2]
    cdef double e = sqrt(ex * ex + ey * ey)
    cdef double cw = 1.0, sw = 0.0
    if e > 0.0:
        cw = ex / e
        sw = ey / e
    cdef double eta = sqrt(1.0 - e * e)
    cdef double p = a * eta * eta
    cdef double n = sqrt(MU_M3_S2 / (a * a * a))
    cdef double ci = cos(inc), si = sin(inc)
    cdef double cO = cos(raan), sO = sin(raan)
    cdef double nx = cO, ny = sO
    cdef double mx = -sO * ci, my = cO * ci, mz = si
    cdef double hx = sO * si, hy = -cO * si, hz = ci
    cdef double kj = 0.0, dr0 = 0.0, dr2 = 0.0, wdot
    if m.zonal_degree >= 2:
        kj = J2 * (EARTH_RADIUS_M / p) * (EARTH_RADIUS_M / p)
        dr0 = -0.75 * J2 * EARTH_RADIUS_M * EARTH_RADIUS_M / a * (3.0 * ci * ci - 1.0)
        dr2 = 0.25 * J2 * EARTH_RADIUS_M * EARTH_RADIUS_M / a * si * si
    wdot = 0.75 * n * kj * (5.0 * ci * ci - 1.0)
    cdef double de_x = 0.0, de_y = 0.0   # drag rates of (ex, ey), node frame
    rates[0] = 0.0
    rates[3] = 0.0
    rates[4] = -1.5 * n * kj * ci
    rates[5] = wdot + n * (1.0 + 0.75 * kj * eta * (3.0 * ci * ci - 1.0))
    rates[6] = wdot
    cdef double smp = sqrt(MU_M3_S2 / p), hmag = sqrt(MU_M3_S2 * p)
    cdef double k_a = 2.0 * a * a / MU_M3_S2, inv_mu = 1.0 / MU_M3_S2, inv_h = 1.0 / hmag
    cdef double inv_hs = inv_h / si if si > 1e-9 else 0.0
    cdef double inv_den
    cdef double den, cf, sf, cu, su, r, rx, ry, rz, ux, uy, uz, tx, ty, tz, vr, vt
    cdef double vx, vy, vz, wx, wy, wz, vrel, c, adx, ady, adz, w, alt, W
    cdef double cx, cy, cz, dex, dey, dez, lx, ly, lz
    cdef double hvx, hvy, hvz
    cdef int j, k, stride = quadrature_stride(a, e)
    cdef double inv_n = stride / <double> N_QUAD_MAX
    min_alt_km[0] = INFINITY
    for j in range(N_QUAD_MAX // stride):
        k = j * stride
        den = 1.0 - e * cosE[k]
        inv_den = 1.0 / den
        cf = (cosE[k] - e) * inv_den
        sf = eta * sinE[k] * inv_den
        cu = cw * cf - sw * sf
        su = sw * cf + cw * sf
        r = a * den + dr0 + dr2 * (cu * cu - su * su)
        ux = cu * nx + su * mx
        uy = cu * ny + su * my
        uz = su * mz
        rx = r * ux
        ry = r * uy
        rz = r * uz
        alt = altitude_rs_km(m.ellipsoid, r, uz * uz)
        if alt < min_alt_km[0]:
            min_alt_km[0] = alt
        if m.half_drag_m2_kg == 0.0:
            continue
        tx = -su * nx + cu * mx
        ty = -su * ny + cu * my
        tz = cu * mz
        vr = smp * e * sf
        vt = smp * (1.0 + e * cf)
        vx = vr * ux + vt * tx
        vy = vr * uy + vt * ty
        vz = vr * uz + vt * tz
        wx = vx + EARTH_ROTATION_RAD_S * ry
        wy = vy - EARTH_ROTATION_RAD_S * rx
        wz = vz
        vrel = sqrt(wx * wx + wy * wy + wz * wz)
        c = -m.half_drag_m2_kg * density(m, alt) * vrel
        adx = c * wx
        ady = c * wy
        adz = c * wz
        w = inv_n * den
        # da/dt = 2 a^2 / mu (v . a_d)
        rates[0] += w * k_a * (vx * adx + vy * ady + vz * adz)
        # de/dt = (a_d x h + v x (r x a_d)) / mu, with h = r x v
        hvx = ry * vz - rz * vy
        hvy = rz * vx - rx * vz
        hvz = rx * vy - ry * vx
        cx = ry * adz - rz * ady
        cy = rz * adx - rx * adz
        cz = rx * ady - ry * adx
        dex = (ady * hvz - adz * hvy) + (vy * cz - vz * cy)
        dey = (adz * hvx - adx * hvz) + (vz * cx - vx * cz)
        dez = (adx * hvy - ady * hvx) + (vx * cy - vy * cx)
        de_x += w * inv_mu * (dex * nx + dey * ny)
        de_y += w * inv_mu * (dex * mx + dey * my + dez * mz)
        # di/dt and draan/dt from the out-of-plane component W
        W = adx * hx + ady * hy + adz * hz
        rates[3] += w * r * cu * W * inv_h
        rates[4] += w * r * su * W * inv_hs
    de_y += ef / a * rates[0]    # the frozen point moves as a decays: d e_f/dt = -e_f/a da/dt
    rates[1] = cpsi * de_x + spsi * de_y
    rates[2] = -spsi * de_x + cpsi * de_y


cdef int mean_phase(Model* m, double* t, double* el, double t_end, double handover_km,
                    double max_step_s, const double* cosE, const double* sinE,
                    History* hist, long long* steps) noexcept nogil:
    """Midpoint-rule steps on the mean elements until the lowest altitude < handover_km
    (returns 0) or t_end.

    el holds (a, ex, ey, i, raan, lambda) on entry and on return. Steps are at most
    max_step_s (ending on a UTC day boundary when the density changes daily) and at most
    MEAN_MAX_DECAY_M of decay in a. A step's drag sees the time-mean density of the days it
    spans (set_span): the integral of the daily density over the step, taken at the
    midpoint state. The second-order rule is enough: within a step the rates change by at
    most MEAN_MAX_DECAY_M / H ~ 10 % (H the scale height), which leaves a local error ~1e-4
    of the step's decay (the angles, whose rates are nearly constant, are integrated
    exactly); a day whose density departs from the step's mean by q is taken at a state at
    most MEAN_MAX_DECAY_M / 2 off its own, a relative error < q MEAN_MAX_DECAY_M / 2H in
    its drag, of either sign. On return the model holds the day of t for Cowell.
    """
    cdef double z[7]
    cdef double k1[7]
    cdef double k2[7]
    cdef double tmp[7]
    cdef double h, min_alt, dummy, c, sn, t_stop, b
    cdef int d, st
    for d in range(6):
        z[d] = el[d]
    z[2] -= frozen_eccentricity(m, el[0], el[3])
    z[6] = 0.0
    while True:
        t_stop = t[0] + max_step_s
        if m.n_days > 1:  # end on the last day boundary within reach
            b = (floor(m.day_offset + t_stop / SECONDS_PER_DAY + DAY_EPS) - m.day_offset) \
                * SECONDS_PER_DAY
            if b > t[0] + MIN_STEP_S:
                t_stop = b
        if t_end < t_stop:
            t_stop = t_end
        set_span(m, t[0], t_stop)
        mean_rates(m, z, cosE, sinE, k1, &min_alt)
        if min_alt < handover_km:
            st = 0
            break
        if t[0] >= t_end:
            st = ST_HORIZON
            break
        if not isfinite(k1[0]) or z[0] <= 0.0:
            st = ST_NUMERICAL_FAILURE
            break
        h = t_stop - t[0]
        if k1[0] != 0.0 and h > MEAN_MAX_DECAY_M / fabs(k1[0]):
            h = MEAN_MAX_DECAY_M / fabs(k1[0])
            set_span(m, t[0], t[0] + h)
        for d in range(7):
            tmp[d] = z[d] + 0.5 * h * k1[d]
        mean_rates(m, tmp, cosE, sinE, k2, &dummy)
        for d in range(7):
            z[d] += h * k2[d]
        t[0] = t_stop if t_stop - (t[0] + h) < MIN_STEP_S else t[0] + h
        steps[0] += 1
        record(hist, t[0], (z[0] - EARTH_RADIUS_M) * 1e-3)
    c = cos(z[6])
    sn = sin(z[6])
    for d in range(6):
        el[d] = z[d]
    el[1] = c * z[1] - sn * z[2]
    el[2] = frozen_eccentricity(m, z[0], z[3]) + sn * z[1] + c * z[2]
    seek_day(m, t[0])
    return st


# ---------------------------------------------------------------------------- finite burns

cdef void impulse(double* y, double dv, const double* err, double dv_error_frac,
                  double sig) noexcept nogil:
    """A retrograde impulse of dv (m/s) with execution errors, added to y's velocity: the
    operations of :func:`deorbit.operations.burn` (along -v turned by sig x the standard
    normal draws err[1], err[2] about the in-plane normal and the orbit normal; magnitude
    times 1 + dv_error_frac err[0])."""
    cdef double vn = sqrt(y[3] * y[3] + y[4] * y[4] + y[5] * y[5])
    cdef double tx = y[3] / vn, ty = y[4] / vn, tz = y[5] / vn
    cdef double hx = y[1] * y[5] - y[2] * y[4]
    cdef double hy = y[2] * y[3] - y[0] * y[5]
    cdef double hz = y[0] * y[4] - y[1] * y[3]
    cdef double hn = sqrt(hx * hx + hy * hy + hz * hz)
    cdef double wx = hx / hn, wy = hy / hn, wz = hz / hn
    cdef double nx = wy * tz - wz * ty, ny = wz * tx - wx * tz, nz = wx * ty - wy * tx
    cdef double dx = -tx + sig * (err[1] * nx + err[2] * wx)
    cdef double dy = -ty + sig * (err[1] * ny + err[2] * wy)
    cdef double dz = -tz + sig * (err[1] * nz + err[2] * wz)
    cdef double dn = sqrt(dx * dx + dy * dy + dz * dz)
    cdef double mag = dv * (1.0 + dv_error_frac * err[0])
    y[3] += mag * (dx / dn)
    y[4] += mag * (dy / dn)
    y[5] += mag * (dz / dn)


ctypedef struct Arc:
    # A sample's finite burn (the reference's fly_arc): n_seg impulses at the middles of n_seg
    # equal segments of duration_s from epoch, a coast to stop; each leg between them is
    # timed from its own start, as a propagation of its own would be.
    long long n_seg            # 0: no finite burn
    long long k                # the leg flown: to impulse k (k < n_seg) or to stop
    bint carry                 # the leg is the carry-on from inside the atmosphere to breakup
    double epoch               # the burn's start, UTC days
    double stop                # the last leg's end, UTC days
    double duration_s
    double dv                  # m/s in all
    const double* err          # the three execution-error draws
    double dv_error_frac       # 1-sigma magnitude error, fraction of dv
    double sig                 # 1-sigma pointing error per axis, rad
    double entry_alt_km
    double first_day           # epoch of the sample's daily row 0, UTC days
    double origin              # epoch its history times count from, UTC days
    double stop_alt_km
    long long steps            # steps of the legs flown before this one


cdef void rebase(Model* m, History* hist, double start, double first_day,
                 double origin) noexcept nogil:
    """Time the model and the history from the epoch start (UTC days), as a propagation
    starting there: the day offset from the daily rows' first epoch (first_day), the day
    and its boundary, a new density interval, the history's start after its origin."""
    cdef int day0
    m.day_offset = start - first_day
    day0 = <int> floor(m.day_offset)
    if day0 > m.n_days - 1:
        day0 = m.n_days - 1
    m.n_span = 0
    set_day(m, day0)
    m.next_break_s = ((day0 + 1 - m.day_offset) * SECONDS_PER_DAY
                      if day0 + 1 < m.n_days else INFINITY)
    m.idx = 0
    hist.i = 0
    hist.start_s = (start - origin) * SECONDS_PER_DAY


cdef void start_leg(Lanes* L, Model* ms, History* hist, Lane* ln, Arc* arc, int l,
                    const double* y, double start, double until) noexcept nogil:
    """Lane l flies a leg of its sample's finite burn from (start, y) to until (UTC days):
    the model's day offset and day boundary, the history's start and the step size as a
    propagation starting there has them."""
    cdef int d
    rebase(&ms[l], hist, start, arc.first_day, arc.origin)
    record(hist, 0.0, (semi_major_axis_m(y) - EARTH_RADIUS_M) * 1e-3)
    ln.start = start
    ln.t = 0.0
    ln.t_end = (until - start) * SECONDS_PER_DAY
    ln.k = 0
    ln.t_hit[0] = INFINITY
    arc.steps += ln.steps
    ln.steps = 0
    for d in range(6):
        L.y[d][l] = y[d]
    L.h[l] = 60.0
    lane_rhs(L, ms, l)


cdef bint next_leg(Lanes* L, Model* ms, History* hist, Lane* ln, Arc* arc, int l,
                   int st) noexcept nogil:
    """Lane l's leg ended with status st: start the burn's next leg (True), or not (the
    sample ends with st). A leg that crossed the entry interface records it; if it ended
    above breakup, the carry-on leg flies to breakup (no impulse inside the atmosphere)."""
    cdef double y[6]
    cdef double e = ln.start + ln.t / SECONDS_PER_DAY
    lane_state(L.y, l, y)
    if not arc.carry and ln.t_hit[0] != INFINITY:
        ln.entry = ln.start + ln.t_hit[0] / SECONDS_PER_DAY
        if st == ST_HORIZON:
            arc.carry = True
            ln.targets[0] = arc.stop_alt_km
            ln.n_targets = 1
            start_leg(L, ms, hist, ln, arc, l, y, e, e + 1.0)
            return True
    if st != ST_HORIZON or arc.k == arc.n_seg:
        return False
    impulse(y, arc.dv / arc.n_seg, arc.err, arc.dv_error_frac, arc.sig)
    arc.k += 1
    arc.carry = False
    ln.targets[0] = arc.entry_alt_km
    ln.targets[1] = arc.stop_alt_km
    ln.n_targets = 2 if arc.stop_alt_km < arc.entry_alt_km else 1
    start_leg(L, ms, hist, ln, arc, l, y, e,
              arc.epoch + (arc.k + 0.5) / arc.n_seg * arc.duration_s / SECONDS_PER_DAY
              if arc.k < arc.n_seg else arc.stop)
    return True


# ---------------------------------------------------------------------------- block API

#: The instruction set of the lane loops in this process (e.g. ``"avx512f (target_clones)"``).
SIMD = lanes_simd().decode()


ctypedef struct Out:
    # Where a finished sample's outputs go (the wrapper's arrays).
    const double* start_epoch_days
    signed char* status
    double* end_epoch_days
    double* entry_epoch_days
    double* end_state
    Py_ssize_t end_state_row    # doubles from one sample's end state to the next
    long long* n_steps
    long long* n_rhs


cdef void finish(const Out* o, Py_ssize_t i, int st, double end, const double* y,
                 double entry, long long steps, long long n_rhs) noexcept nogil:
    """Write sample i's outputs: its status, where it stopped (the epoch end, UTC days;
    state y), its entry-interface crossing (UTC days; INFINITY: none) and its counts."""
    cdef int d
    o.status[i] = st
    o.end_epoch_days[i] = end
    if entry != INFINITY:
        o.entry_epoch_days[i] = entry
    for d in range(6):
        o.end_state[o.end_state_row * i + d] = y[d]
    o.n_steps[i] = steps
    o.n_rhs[i] = n_rhs


cdef void lane_done(const Out* o, const Lanes* L, const Lane* ln, const Arc* arc, int l,
                    int st, long long n_rhs) noexcept nogil:
    """Lane l's sample ended with status st at ln.t: write its outputs."""
    cdef double y[6]
    cdef double entry = ln.entry
    if arc.n_seg == 0:
        entry = (ln.start + ln.t_hit[0] / SECONDS_PER_DAY if ln.t_hit[0] != INFINITY
                 else INFINITY)
    lane_state(L.y, l, y)
    finish(o, ln.i, st, ln.start + ln.t / SECONDS_PER_DAY, y, entry, arc.steps + ln.steps,
           n_rhs)


cdef Lanes* aligned_lanes(void* raw) noexcept nogil:
    """The first 64-byte boundary in raw (allocated 64 bytes larger than the Lanes)."""
    return <Lanes*> ((<size_t> raw + 63) & ~(<size_t> 63))


def density_exp(const double[::1] x, double[::1] out):
    """out = e^x of each x as the Cowell lanes take the density's exponential (``det_exp``
    of lanes.h, in a loop the compiler vectorises like lanes_drag's), for the tests that
    hold it to :func:`deorbit._reference.det_exp`, bit for bit."""
    lanes_exp(&x[0], &out[0], <int> x.shape[0])


def propagate_block(const double[::1] start_epoch_days, const double[:, ::1] state0,
                    const double[::1] drag_m2_kg, const double[::1] density_scale,
                    const double[::1] stop_epoch_days, const double[::1] stop_alt_km,
                    double entry_alt_km, double handover_alt_km, bint hybrid,
                    bint stop_at_handover, bint mean_input,
                    double mean_max_step_days, double rtol, int zonal_degree, bint ellipsoid,
                    const double[::1] table_alt_km, const double[:, ::1] table_log_rho,
                    const long long[::1] table_row,
                    const double[::1] axis_f107a, const double[::1] axis_df,
                    const double[::1] axis_ap, const double[:, ::1] season_log,
                    const double[::1] season_nodes, double season_period_days,
                    const double[:, :, ::1] daily, const long long[::1] daily_row,
                    const double[::1] daily_first_days,
                    const double[::1] history_days, const double[::1] history_origin_days,
                    const double[::1] ephemeris_days,
                    const long long[::1] arc_segments, const double[::1] arc_duration_s,
                    const double[::1] arc_dv_m_s, const double[:, ::1] arc_errors,
                    double arc_dv_error_frac, double arc_pointing_rad,
                    signed char[::1] status, double[::1] end_epoch_days,
                    double[::1] entry_epoch_days, double[::1] handover_epoch_days,
                    double[:, ::1] end_state, double[:, ::1] history_sma_alt_km,
                    double[:, :, ::1] ephemeris_state,
                    long long[::1] n_steps, long long[::1] n_rhs, int lanes=LANES):
    """Propagate every sample of a block; see :func:`deorbit.kernel.propagate`.

    Sample i's density table is ``table_log_rho[table_row[i]]`` (n_alt x n_f x n_d x n_p,
    row-major; one row per density model) on the axes (``table_alt_km``, ``axis_f107a``,
    ``axis_df``, ``axis_ap``), plus ``season_log[table_row[i]]`` (n_alt x n_f x n_s) on
    ``season_nodes`` padded periodically (n_s + 2 nodes) if not empty;
    ``daily[daily_row[i]]`` holds sample i's (F10.7a, dF10.7, Ap, day of year) per day,
    from the epoch ``daily_first_days[i]`` on (samples may share a row). Sample i's
    ``history_days`` count from the epoch ``history_origin_days[i]``. A sample with
    ``arc_segments[i] > 0`` flies a finite burn from its start epoch instead (Cowell only):
    ``arc_segments[i]`` impulses of ``arc_dv_m_s[i]`` in all over ``arc_duration_s[i]``,
    with the execution errors ``arc_errors[i]``, ``arc_dv_error_frac`` and the pointing
    sigma ``arc_pointing_rad`` (:func:`start_leg`, :func:`next_leg`). Inputs are validated and outputs
    allocated (NaN-filled) by the wrapper; this function releases the GIL for the block.

    The samples' Cowell phases run ``lanes`` at a time (1 ... :data:`LANES`; an internal
    switch for the tests, which hold every lane count to the same bytes): a lane whose
    sample ends takes the block's next sample. A sample's mean-element phase (hybrid) runs
    on its own when it enters a lane.
    """
    cdef Py_ssize_t i, n = start_epoch_days.shape[0], next_i = 0
    cdef int n_lanes = <int> min(max(lanes, 1), LANES, max(n, 1))
    cdef Lanes* L
    cdef Lanes* S               # scratch lanes of the mean-element conversions
    cdef Model* ms = NULL       # each lane's model (its own profile and row caches)
    cdef History hs[LANES]
    cdef Lane lns[LANES]
    cdef Arc arcs[LANES]
    cdef Model* m
    cdef History* hist
    cdef Lane* ln
    cdef Out o
    cdef int act[LANES]         # the lanes stepping
    cdef int dense[LANES]       # ... of which need their dense output
    cdef bint accepted[LANES]
    cdef int n_act, n_dense, l, j
    cdef double cosE[N_QUAD_MAX]
    cdef double sinE[N_QUAD_MAX]
    cdef double y[6]
    cdef double el[6]
    cdef double t, t_end
    cdef int k, d, st
    cdef int n_hist = history_days.shape[0]
    cdef int n_eph = ephemeris_days.shape[0]
    cdef int n_alt = table_alt_km.shape[0]
    cdef int n_days = daily.shape[1]
    cdef int day_lo = n_days, day_hi = -1, n_cached
    cdef size_t n_values
    cdef void* raw = NULL
    cdef double* buf = NULL
    cdef double* lane_buf = NULL
    cdef long long* stamp = NULL
    cdef DayRow* rows = NULL
    cdef int* stamps = NULL      # per lane: row stamps | value stamps
    cdef char* ready = NULL      # per lane: the days whose value stamps are cleared
    cdef double* values = NULL
    if n == 0:
        return
    for k in range(N_QUAD_MAX):
        cosE[k] = cos(2.0 * M_PI * k / N_QUAD_MAX)
        sinE[k] = sin(2.0 * M_PI * k / N_QUAD_MAX)
    # The daily rows the samples can reach (a day's margin either side): the days cached.
    for i in range(n):
        t = floor(start_epoch_days[i] - daily_first_days[i]) - 1.0
        t_end = (start_epoch_days[i] - daily_first_days[i]
                 + (stop_epoch_days[i] - start_epoch_days[i]) + 1.0)
        if t < day_lo:
            day_lo = <int> fmin(fmax(t, 0.0), n_days - 1.0)
        if t_end > day_hi:
            day_hi = <int> fmin(t_end, n_days - 1.0)
    n_cached = day_hi - day_lo + 1 if day_hi >= day_lo else 0
    # Each lane caches its sample's daily rows, unless that would be more than
    # VALUE_CACHE_MAX values in all.
    n_values = n_cached * <size_t> n_alt
    if n_values * n_lanes > VALUE_CACHE_MAX:
        n_values = 0
    # shared: history times | 1 / altitude spacing | ephemeris times
    buf = <double*> PyMem_Malloc((n_hist + n_alt + n_eph) * sizeof(double))
    # per lane: profile | slope
    lane_buf = <double*> PyMem_Malloc(n_lanes * 2 * n_alt * sizeof(double))
    stamp = <long long*> PyMem_Malloc(n_lanes * 2 * n_alt * sizeof(long long))
    rows = <DayRow*> PyMem_Malloc(n_lanes * (n_cached + 1) * sizeof(DayRow))
    stamps = <int*> PyMem_Malloc(n_lanes * (n_cached + 1 + n_values) * sizeof(int))
    ready = <char*> PyMem_Calloc(n_lanes * (n_cached + 1), sizeof(char))
    if n_values > 0:
        values = <double*> PyMem_Malloc(n_lanes * n_values * sizeof(double))
    raw = PyMem_Malloc(2 * sizeof(Lanes) + 64)
    ms = <Model*> PyMem_Malloc(n_lanes * sizeof(Model))
    try:   # (the finally frees whatever was allocated)
        if (buf == NULL or lane_buf == NULL or stamp == NULL or rows == NULL or stamps == NULL
                or ready == NULL or (n_values > 0 and values == NULL) or raw == NULL
                or ms == NULL):
            raise MemoryError()
        L = aligned_lanes(raw)
        S = L + 1
        # Lanes without a sample compute on a circular orbit (never on zeros: no inf or NaN).
        memset(L, 0, 2 * sizeof(Lanes))
        for l in range(LANES):
            L.y[0][l] = S.y[0][l] = EARTH_RADIUS_M + 400e3
            L.y[4][l] = S.y[4][l] = 7700.0
            L.h[l] = S.h[l] = 60.0
        L.n = n_lanes
        S.n = 1
        L.zonal_degree = S.zonal_degree = zonal_degree
        L.ellipsoid = S.ellipsoid = ellipsoid
        for k in range(n_lanes * 2 * n_alt):
            stamp[k] = -1
        for k in range(n_hist):
            buf[k] = history_days[k] * SECONDS_PER_DAY
        for k in range(n_alt - 1):
            buf[n_hist + k] = 1.0 / (table_alt_km[k + 1] - table_alt_km[k])
        for k in range(n_eph):
            buf[n_hist + n_alt + k] = ephemeris_days[k] * SECONDS_PER_DAY
        for l in range(n_lanes):
            m = &ms[l]
            m.zonal_degree = zonal_degree
            m.ellipsoid = ellipsoid
            m.n_alt = n_alt
            m.alt_km = &table_alt_km[0]
            m.inv_dalt = &buf[n_hist]
            m.n_f = axis_f107a.shape[0]
            m.n_d = axis_df.shape[0]
            m.n_p = axis_ap.shape[0]
            m.ax_f = &axis_f107a[0]
            m.ax_d = &axis_df[0]
            m.ax_p = &axis_ap[0]
            m.n_s = season_nodes.shape[0]
            m.ax_s = &season_nodes[0] if season_nodes.shape[0] > 0 else NULL
            m.season_period_days = season_period_days
            m.n_days = n_days
            m.day_lo = day_lo
            m.day_hi = day_hi
            m.rows = &rows[l * (n_cached + 1)]
            m.row_stamp = &stamps[l * (n_cached + 1 + n_values)]
            memset(m.row_stamp, 0, (n_cached + 1) * sizeof(int))
            m.value_stamp = &m.row_stamp[n_cached + 1]
            m.value_ready = &ready[l * (n_cached + 1)]
            m.values = &values[l * n_values] if n_values > 0 else NULL
            m.prof = &lane_buf[2 * l * n_alt]
            m.slope = &lane_buf[(2 * l + 1) * n_alt]
            m.stamp = &stamp[2 * l * n_alt]
            m.serial = 0
            m.sample = 0
            hs[l].n = n_hist
            hs[l].t_s = buf
            hs[l].n_eph = n_eph
            hs[l].eph_t_s = &buf[n_hist + n_alt]
            lns[l].i = -1
            lns[l].table_row = -1
        o.start_epoch_days = &start_epoch_days[0]
        o.status = &status[0]
        o.end_epoch_days = &end_epoch_days[0]
        o.entry_epoch_days = &entry_epoch_days[0]
        o.end_state = &end_state[0, 0]
        o.end_state_row = end_state.strides[0] // sizeof(double)
        o.n_steps = &n_steps[0]
        o.n_rhs = &n_rhs[0]
        with nogil:
            while True:
                # Every lane with a sample is brought to its next step; a lane whose sample
                # ends (or has none) takes the block's next sample.
                n_act = 0
                for l in range(n_lanes):
                    m = &ms[l]
                    hist = &hs[l]
                    ln = &lns[l]
                    while True:
                        if ln.i < 0:
                            if next_i == n:
                                break
                            i = next_i
                            next_i += 1
                            # ---- sample i enters lane l
                            m.half_drag_m2_kg = 0.5 * drag_m2_kg[i] * density_scale[i]
                            if table_row[i] != ln.table_row:  # no cached profile holds
                                ln.table_row = table_row[i]
                                m.tab = &table_log_rho[ln.table_row, 0]
                                m.sea = (&season_log[ln.table_row, 0]
                                         if season_log.shape[1] > 0 else NULL)
                                m.serial += 1
                            m.daily = &daily[daily_row[i], 0, 0]
                            m.sample = <int> i + 1   # (before rebase: the row caches' stamp)
                            rebase(m, hist, start_epoch_days[i], daily_first_days[i],
                                   history_origin_days[i])
                            m.n_rhs = 0
                            hist.sma_alt_km = &history_sma_alt_km[i, 0] if n_hist > 0 else NULL
                            hist.i_eph = 0
                            hist.eph_state = &ephemeris_state[i, 0, 0] if n_eph > 0 else NULL
                            ln.targets[0] = entry_alt_km
                            ln.targets[1] = stop_alt_km[i]
                            ln.n_targets = 2 if stop_alt_km[i] < entry_alt_km else 1
                            ln.t_hit[0] = INFINITY
                            ln.k = 0
                            for d in range(6):
                                y[d] = state0[i, d]
                                el[d] = state0[i, d]
                            t = 0.0
                            ln.t_end = (stop_epoch_days[i] - start_epoch_days[i]) * SECONDS_PER_DAY
                            ln.steps = 0
                            ln.start = start_epoch_days[i]
                            arcs[l].n_seg = arc_segments[i]
                            arcs[l].steps = 0
                            st = 0
                            if arc_segments[i] > 0:   # a finite burn: its first leg
                                arcs[l].k = 0
                                arcs[l].carry = False
                                arcs[l].epoch = start_epoch_days[i]
                                arcs[l].stop = stop_epoch_days[i]
                                arcs[l].duration_s = arc_duration_s[i]
                                arcs[l].dv = arc_dv_m_s[i]
                                arcs[l].err = &arc_errors[i, 0]
                                arcs[l].dv_error_frac = arc_dv_error_frac
                                arcs[l].sig = arc_pointing_rad
                                arcs[l].entry_alt_km = entry_alt_km
                                arcs[l].first_day = daily_first_days[i]
                                arcs[l].origin = history_origin_days[i]
                                arcs[l].stop_alt_km = stop_alt_km[i]
                                ln.entry = INFINITY
                                ln.t_end = (start_epoch_days[i] + 0.5 / arc_segments[i]
                                            * arc_duration_s[i] / SECONDS_PER_DAY
                                            - start_epoch_days[i]) * SECONDS_PER_DAY
                            if hybrid:
                                if not mean_input:
                                    numeric_mean(m, y, el, S)
                                record(hist, 0.0, (el[0] - EARTH_RADIUS_M) * 1e-3)
                                st = mean_phase(m, &t, el, ln.t_end, handover_alt_km,
                                                mean_max_step_days * SECONDS_PER_DAY, cosE,
                                                sinE, hist, &ln.steps)
                                if (t > 0.0 or mean_input) and st != ST_NUMERICAL_FAILURE:
                                    mean_to_osculating(m, el, y, S)
                                if st == 0:
                                    handover_epoch_days[i] = (start_epoch_days[i]
                                                              + t / SECONDS_PER_DAY)
                                    if stop_at_handover:
                                        st = ST_HANDED_OVER
                            else:
                                if mean_input:
                                    mean_to_osculating(m, el, y, S)
                                record(hist, 0.0, (semi_major_axis_m(y) - EARTH_RADIUS_M) * 1e-3)
                            if st != 0:
                                finish(&o, i, st, start_epoch_days[i] + t / SECONDS_PER_DAY, y,
                                       INFINITY, ln.steps, m.n_rhs)
                                continue
                            # ---- its Cowell phase starts
                            ln.i = i
                            ln.t = t
                            for d in range(6):
                                L.y[d][l] = y[d]
                            L.h[l] = 60.0
                            L.hd[l] = m.half_drag_m2_kg
                            lane_rhs(L, ms, l)
                            record_held(hist, t, y)
                        st = prepare(L, ms, hist, ln, l)
                        if st == 0:
                            act[n_act] = l
                            n_act += 1
                            break
                        if arcs[l].n_seg > 0 and next_leg(L, ms, hist, ln, &arcs[l], l, st):
                            continue
                        lane_done(&o, L, ln, &arcs[l], l, st, m.n_rhs)
                        ln.i = -1
                if n_act == 0:
                    break
                # Lanes above the last busy one are not computed (none will be refilled).
                if next_i == n:
                    while lns[L.n - 1].i < 0:
                        L.n -= 1
                dop_step(L, ms, act, n_act, rtol, True)
                n_dense = 0
                for j in range(n_act):
                    l = act[j]
                    if judge(L, &ms[l], &hs[l], &lns[l], l, &accepted[l]):
                        dense[n_dense] = l
                        n_dense += 1
                if n_dense > 0:
                    dop_dense(L, ms, dense, n_dense)
                for j in range(n_act):
                    l = act[j]
                    if not accepted[l]:
                        continue
                    st = advance(L, &ms[l], &hs[l], &lns[l], l)
                    if st != 0 and not (arcs[l].n_seg > 0 and next_leg(
                            L, ms, &hs[l], &lns[l], &arcs[l], l, st)):
                        lane_done(&o, L, &lns[l], &arcs[l], l, st, ms[l].n_rhs)
                        lns[l].i = -1
    finally:
        PyMem_Free(buf)
        PyMem_Free(lane_buf)
        PyMem_Free(stamp)
        PyMem_Free(rows)
        PyMem_Free(stamps)
        PyMem_Free(ready)
        PyMem_Free(values)
        PyMem_Free(raw)
        PyMem_Free(ms)
