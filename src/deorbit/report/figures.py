"""The report's figures: one function per figure, arrays in, PNG bytes out.

Every function is pure: it takes per-sample arrays (units in the argument names), draws on
its own ``matplotlib.figure.Figure`` with the Agg canvas (no pyplot, no global state, safe
in a worker thread) and returns the PNG as ``bytes``. Axis labels carry their units.

Conventions: epochs are UTC days since J2000 (as in the run's arrays); latitudes are
geodetic, longitudes east, degrees in [-180, 180).
"""
from __future__ import annotations

import io

import numpy as np

#: Resolution of the PNGs, dots per inch.
DPI = 110
#: Days between J2000 (2000-01-01 12:00 UTC) and matplotlib's date epoch 1970-01-01 00:00.
_J2000_MPL_DAYS = 10957.5
#: Fan-chart quantiles: outer band, inner band, median.
FAN_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def _new_figure(width_in, height_in):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def _mpl_dates(epoch_utc_days):
    """Matplotlib date numbers of epochs in UTC days since J2000."""
    return np.asarray(epoch_utc_days, dtype=np.float64) + _J2000_MPL_DAYS


def _date_axis(axis):
    import matplotlib.dates as mdates

    loc = mdates.AutoDateLocator(minticks=4, maxticks=9)
    axis.set_major_locator(loc)
    axis.set_major_formatter(mdates.ConciseDateFormatter(loc))


def _no_data(fig, ax, text):
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize=11,
            color="0.35", wrap=True)
    return _png(fig)


# -- reentry epoch -------------------------------------------------------------------------
def reentry_cdf_png(reentry_epoch_utc_days, marks=None, *, title="") -> bytes:
    """Empirical CDF of the reentry epoch with quantiles marked.

    Parameters
    ----------
    reentry_epoch_utc_days : array_like, shape (n,)
        Per-sample reentry epoch (120 km interface), UTC days since J2000; NaN for a sample
        that did not re-enter (still in orbit at the horizon, or a numerical failure). Those
        count in n, so the curve ends below 1 by their share.
    marks : dict, optional
        Label -> epoch (UTC days since J2000) or None ("after the horizon"), e.g.
        ``{"P5": ..., "P50": ..., "P95": ...}``; drawn as vertical lines with the date.
    title : str
        Plain text drawn above the axes (no '$' math).
    """
    from ..time import datetime_from_epoch

    epochs = np.asarray(reentry_epoch_utc_days, dtype=np.float64).ravel()
    n = epochs.size
    fig = _new_figure(7.6, 3.9)
    ax = fig.add_subplot()
    ax.set_title(title, fontsize=10, loc="left")
    ax.set_xlabel("reentry epoch, 120 km interface (UTC date)")
    ax.set_ylabel("fraction of samples re-entered (–)")
    x = np.sort(epochs[np.isfinite(epochs)])
    if x.size == 0:
        return _no_data(fig, ax, "no sample re-entered before the horizon")
    y = np.arange(1, x.size + 1) / n
    d = _mpl_dates(x)
    ax.step(np.r_[d[0], d], np.r_[0.0, y], where="post", color="#1f4e79", lw=1.6,
            label=f"empirical CDF ({n} samples)")
    ax.set_ylim(0.0, 1.02)
    ax.grid(True, color="0.88", lw=0.6)
    colours = {"P5": "#2a9d8f", "P50": "#c0392b", "P95": "#e08e0b"}
    top = 0.97
    for label, value in (marks or {}).items():
        c = colours.get(label, "0.3")
        if value is None or not np.isfinite(value):
            ax.text(0.99, top, f"{label}: after the horizon", transform=ax.transAxes,
                    ha="right", va="top", fontsize=8.5, color=c)
            top -= 0.07
            continue
        xd = _mpl_dates(value)
        date = datetime_from_epoch(value).strftime("%Y-%m-%d")
        ax.axvline(xd, color=c, lw=1.1, ls="--", label=f"{label} {date}")
    ax.legend(loc="lower right", fontsize=8.5, frameon=True)
    _date_axis(ax.xaxis)
    return _png(fig)


# -- altitude fan chart --------------------------------------------------------------------
def history_known(history_sma_alt_km, lifetime_days, history_days):
    """Whether each sample's state is known at each stored time: its altitude is stored
    (finite), or it had already re-entered (``lifetime_days <= t``).

    Returns
    -------
    ndarray of bool, shape (n, H)
    """
    h = np.asarray(history_sma_alt_km, dtype=np.float64)
    life = np.asarray(lifetime_days, dtype=np.float64)
    t = np.asarray(history_days, dtype=np.float64)[: h.shape[1]]
    reentered = np.isfinite(life)[:, None] & (life[:, None] <= t[None, :])
    return np.isfinite(h) | reentered


def altitude_bands(history_sma_alt_km, lifetime_days, history_days, exclude=None,
                   quantiles=FAN_QUANTILES):
    """Quantiles across samples of the mean altitude at each stored time.

    A sample's state at time t is known if its altitude is stored (finite) or if it had
    already re-entered (``lifetime_days <= t``; counted as 0 km, below every band). A sample
    with NaN before its reentry is unknown at t: its history was not stored (e.g. blocks
    written before the engine recorded it through a deorbit vehicle's sequence). An unknown
    altitude could rank anywhere, so the bands are computed only at times when every sample
    is known (an estimate from the known ones alone would drop exactly the samples still in
    orbit).

    Parameters
    ----------
    exclude : array_like of bool, shape (n,), optional
        Samples left out altogether (e.g. numerical failures).

    Returns
    -------
    (bands, known_fraction)
        ``bands``: (len(quantiles), H) km, NaN where some sample is unknown;
        ``known_fraction``: (H,), the fraction of the (not excluded) samples known.
    """
    h = np.asarray(history_sma_alt_km, dtype=np.float64)
    life = np.asarray(lifetime_days, dtype=np.float64)
    if exclude is not None:
        keep = ~np.asarray(exclude, dtype=bool)
        h, life = h[keep], life[keep]
    n, k = h.shape
    known = history_known(h, life, history_days)
    alt = np.where(np.isfinite(h), h, 0.0)
    bands = np.full((len(quantiles), k), np.nan)
    frac = known.mean(axis=0) if n else np.zeros(k)
    full = known.all(axis=0) & (n > 0)
    if full.any():
        bands[:, full] = np.quantile(alt[:, full], quantiles, axis=0, method="inverted_cdf")
    return bands, frac


def altitude_fan_png(history_days, history_sma_alt_km, lifetime_days, *, exclude=None,
                     start_epoch_utc_days=None, entry_alt_km=120.0, title="",
                     history_f107a_sfu=None) -> bytes:
    """Fan chart of the mean altitude over time: P5–P95, P25–P75 bands and the median.

    Parameters
    ----------
    history_days : array_like, shape (H,)
        Times of the stored history, days after each sample's start epoch.
    history_sma_alt_km : array_like, shape (n, H)
        Mean altitude (semi-major axis minus the equatorial radius), km; NaN once re-entered
        or when not stored.
    lifetime_days : array_like, shape (n,)
        Days from the start to reentry; NaN if the sample did not re-enter.
    exclude : array_like of bool, shape (n,), optional
        Samples left out (e.g. numerical failures); see :func:`altitude_bands`.
    start_epoch_utc_days : array_like, optional
        Per-sample start epochs; their median puts calendar dates on the top axis.
    entry_alt_km : float
        Entry interface drawn as a dashed line, km.
    history_f107a_sfu : array_like, shape (n, H), optional
        The 81-day mean F10.7 each sample saw at the same times, sfu (NaN after its
        breakup): drawn as a second fan beneath (P5-P95, P25-P75, median over the samples
        still in orbit).
    """
    bands, _ = altitude_bands(history_sma_alt_km, lifetime_days, history_days, exclude)
    t = np.asarray(history_days, dtype=np.float64)[: bands.shape[1]]
    solar = None
    if history_f107a_sfu is not None:
        f = np.asarray(history_f107a_sfu, dtype=np.float64)[:, : t.size]
        seen = np.isfinite(f).any(axis=0)  # by a sample still in orbit
        if seen.any() and np.nanstd(f) > 0:
            solar = np.full((5, f.shape[1]), np.nan)
            solar[:, seen] = np.nanpercentile(f[:, seen], [5, 25, 50, 75, 95], axis=0)
    fig = _new_figure(7.6, 3.9 if solar is None else 5.6)
    if solar is None:
        ax = fig.add_subplot()
    else:
        ax, sax = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [2.3, 1]})
    ax.set_title(title, fontsize=10, loc="left")
    ax.set_xlabel("time after the start epoch (days)")
    ax.set_ylabel("mean altitude (km)")
    ok = np.isfinite(bands[2])
    if not ok.any():
        return _no_data(fig, ax, "no stored altitude history")
    p05, p25, p50, p75, p95 = bands
    ax.fill_between(t, p05, p95, where=ok, color="#9ecae1", lw=0, label="P5–P95")
    ax.fill_between(t, p25, p75, where=ok, color="#4292c6", lw=0, label="P25–P75")
    ax.plot(t, p50, color="#08306b", lw=1.6, marker="o" if ok.sum() < 3 else None, ms=3,
            label="median")  # NaN leaves a gap where the median is unknown
    ax.axhline(entry_alt_km, color="0.4", lw=0.9, ls="--",
               label=f"entry interface {entry_alt_km:g} km")
    top = np.nanmax(p95[ok])
    ax.set_ylim(max(0.0, entry_alt_km - 40.0), top + 0.06 * (top - entry_alt_km + 40.0))
    down = np.flatnonzero(ok & (p95 <= 0.0))  # all but 5 % re-entered: nothing more to see
    xmax = t[down[0]] if down.size else t[ok][-1]
    gap = np.flatnonzero(~ok)
    if gap.size and gap[0] < t.size and not down.size:
        life = np.asarray(lifetime_days, dtype=np.float64)
        life = life[np.isfinite(life)]
        xmax = min(t[-1], max(xmax, np.quantile(life, 0.95) if life.size else t[-1]))
        ax.axvline(t[gap[0]], color="0.5", lw=0.9, ls=":")
        ax.text(t[gap[0]], 0.5 * (ax.get_ylim()[0] + ax.get_ylim()[1]),
                "  altitude not stored for every\n  sample from here (see caption)",
                fontsize=8.5, color="0.3", va="center")
    ax.set_xlim(0.0, xmax + 1.0)
    ax.grid(True, color="0.88", lw=0.6)
    ax.legend(loc="upper right", fontsize=8.5)
    if solar is not None:
        ax.set_xlabel("")
        sax.fill_between(t, solar[0], solar[4], color="#fdd0a2", lw=0, label="P5–P95")
        sax.fill_between(t, solar[1], solar[3], color="#fd8d3c", lw=0, label="P25–P75")
        sax.plot(t, solar[2], color="#7f2704", lw=1.4, label="median")
        sax.set_ylabel("F10.7, 81-day\nmean (sfu)")
        sax.set_xlabel("time after the start epoch (days)")
        sax.grid(True, color="0.88", lw=0.6)
        sax.legend(loc="upper right", fontsize=8)
    if start_epoch_utc_days is not None and np.size(start_epoch_utc_days):
        t0 = _mpl_dates(np.nanmedian(np.asarray(start_epoch_utc_days, dtype=np.float64)))
        sec = ax.secondary_xaxis("top", functions=(lambda d: d + t0, lambda m: m - t0))
        _date_axis(sec.xaxis)
        sec.set_xlabel("calendar date at the median start epoch (UTC)", fontsize=8.5)
        sec.tick_params(labelsize=8)
    return _png(fig)


# -- impact map ----------------------------------------------------------------------------
def _split_antimeridian(lon, lat):
    """Insert NaN where a polyline jumps across the antimeridian."""
    lon, lat = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    if lon.size < 2:
        return lon, lat
    jump = np.flatnonzero(np.abs(np.diff(lon)) > 180.0) + 1
    return np.insert(lon, jump, np.nan), np.insert(lat, jump, np.nan)


def _map_axes(ax, extent, coastlines, zone, aim):
    lon0, lon1, lat0, lat1 = extent
    if coastlines is not None:
        ax.plot(coastlines[0], coastlines[1], color="0.45", lw=0.4, zorder=1)
    if zone is not None:
        zlat, zlon = np.r_[zone[0], zone[0][:1]], np.r_[zone[1], zone[1][:1]]
        zlon, zlat = _split_antimeridian(zlon, zlat)
        ax.plot(zlon, zlat, color="#1b7837", lw=1.3, zorder=3, label="target zone")
    if aim is not None:
        ax.plot([aim[1]], [aim[0]], marker="*", ms=11, color="#1b7837", mec="white",
                mew=0.7, ls="none", zorder=5, label="aim point")
    ax.set_xlim(lon0, lon1)
    ax.set_ylim(lat0, lat1)
    ax.set_aspect("equal")
    ax.set_xlabel("longitude (deg east)")
    ax.set_ylabel("latitude (deg north)")
    ax.grid(True, color="0.9", lw=0.5, zorder=0)
    ax.set_facecolor("#f4f8fb")


def impact_map_png(impact_lat_deg, impact_lon_deg, kinetic_energy_j=None, *,
                   coastlines=None, zone=None, aim=None, zoom=None, title="") -> bytes:
    """Map of fragment impact points coloured by impact kinetic energy.

    Parameters
    ----------
    impact_lat_deg, impact_lon_deg : array_like
        Impact points, degrees (any shape; NaN = no impact, ignored).
    kinetic_energy_j : array_like, optional
        Impact kinetic energy ½ m v² per piece, J, same shape; None draws one colour.
    coastlines : (lon_deg, lat_deg), optional
        Polylines with NaN separators (:func:`deorbit.ground.load_coastlines`).
    zone : (lat_deg, lon_deg), optional
        Target-zone boundary points (e.g. ``TargetZone.boundary_points()``), closed here.
    aim : (lat_deg, lon_deg), optional
        Aim point of a controlled entry.
    zoom : (lon_min, lon_max, lat_min, lat_max), optional
        Adds a second, regional panel with this extent (e.g. around the target zone).
    """
    from matplotlib.colors import LogNorm

    lat = np.asarray(impact_lat_deg, dtype=np.float64).ravel()
    lon = np.asarray(impact_lon_deg, dtype=np.float64).ravel()
    ok = np.isfinite(lat) & np.isfinite(lon)
    energy = None
    if kinetic_energy_j is not None:
        energy = np.asarray(kinetic_energy_j, dtype=np.float64).ravel()
        ok &= np.isfinite(energy) & (energy > 0)
        energy = energy[ok]
    lat, lon = lat[ok], (lon[ok] + 180.0) % 360.0 - 180.0
    order = np.argsort(energy) if energy is not None else slice(None)
    lat, lon = lat[order], lon[order]
    energy = energy[order] if energy is not None else None

    panels = [(-180.0, 180.0, -90.0, 90.0)] + ([tuple(zoom)] if zoom is not None else [])
    fig = _new_figure(7.8, 3.9 if zoom is None else 7.9)
    axes = fig.subplots(len(panels), 1, squeeze=False)[:, 0]
    fig.suptitle(title, fontsize=10, x=0.02, ha="left")
    norm = None
    if energy is not None and energy.size:
        lo, hi = float(energy.min()), float(energy.max())
        norm = LogNorm(vmin=lo, vmax=hi if hi > lo else lo * 10.0)
    sc = None
    for ax, extent in zip(axes, panels):
        _map_axes(ax, extent, coastlines, zone, aim)
        if lat.size:
            size = 7 if extent == panels[0] else 10
            kw = dict(c=energy, cmap="inferno_r", norm=norm) if norm is not None else \
                dict(color="#b2182b")
            sc = ax.scatter(lon, lat, s=size, lw=0.15, edgecolors="0.2", alpha=0.85,
                            zorder=4, **kw)
        if ax is axes[0]:
            ax.set_yticks(np.arange(-90, 91, 30))
            ax.set_xticks(np.arange(-180, 181, 60))
        if zone is not None or aim is not None:
            ax.legend(loc="lower left", fontsize=8)
    if not lat.size:
        axes[0].text(0.5, 0.5, "no fragment reached the ground", transform=axes[0].transAxes,
                     ha="center", va="center", fontsize=11, color="0.35")
    if sc is not None and norm is not None:
        cb = fig.colorbar(sc, ax=list(axes), shrink=0.85, pad=0.01)
        cb.set_label("impact kinetic energy per piece (J, log scale)")
    return _png(fig)


# -- footprint length ----------------------------------------------------------------------
def footprint_length_png(footprint_length_km, marks=None, *, title="") -> bytes:
    """Histogram of the per-sample debris footprint length, with quantiles marked.

    Parameters
    ----------
    footprint_length_km : array_like, shape (n,)
        Along-track length of each sample's footprint, km; NaN where there is none.
    marks : dict, optional
        Label -> km or None, e.g. ``{"P50": ..., "P99": ...}``.
    """
    x = np.asarray(footprint_length_km, dtype=np.float64).ravel()
    x = x[np.isfinite(x)]
    fig = _new_figure(7.6, 3.4)
    ax = fig.add_subplot()
    ax.set_title(title, fontsize=10, loc="left")
    ax.set_xlabel("debris footprint length, along track (km)")
    ax.set_ylabel("samples per bin (count)")
    if x.size == 0:
        return _no_data(fig, ax, "no sample has a footprint")
    ax.hist(x, bins=min(60, max(10, int(np.sqrt(x.size)))), color="#6baed6",
            edgecolor="white", lw=0.4)
    colours = {"P50": "#c0392b", "P99": "#e08e0b"}
    for label, value in (marks or {}).items():
        if value is not None and np.isfinite(value):
            ax.axvline(value, color=colours.get(label, "0.3"), ls="--", lw=1.1,
                       label=f"{label} {value:,.0f} km")
    if marks:
        ax.legend(loc="upper right", fontsize=8.5)
    ax.grid(True, axis="y", color="0.88", lw=0.6)
    return _png(fig)


# -- decomposition ---------------------------------------------------------------------------
def decomposition_png(labels, share, share_se, *, title="") -> bytes:
    """Horizontal bars: each factor's share of a quantity's variance (percent), with
    1-sigma error bars (:mod:`deorbit.decompose`)."""
    fig = _new_figure(7.2, 0.55 * len(labels) + 1.2)
    ax = fig.add_subplot()
    if not len(labels):
        return _no_data(fig, ax, "no factor to decompose")
    y = np.arange(len(labels))[::-1]
    ax.barh(y, 100 * np.asarray(share), xerr=100 * np.asarray(share_se), color="#2e86c1",
            ecolor="0.25", capsize=3)
    ax.set_yticks(y, labels)
    ax.axvline(0.0, color="0.4", lw=0.8)
    ax.set_xlabel("share of the variance explained alone, % (± 1 s.e.)")
    ax.set_title(title, fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    return _png(fig)


# -- sweeps ----------------------------------------------------------------------------------
def sweep_png(x, lines, *, x_label, y_label, x_is_date=False, y_is_date=False,
              title="") -> bytes:
    """A headline figure against a swept value: above, the figure ± one standard error;
    below, its paired difference from the first value ± one paired standard error.

    Parameters
    ----------
    x : list of float
        The swept values (UTC days since J2000 when ``x_is_date``).
    lines : list of dict
        One per combination of the other swept keys: ``label``, and per x ``value``,
        ``se``, ``diff``, ``diff_se`` (lists; None where there is none). With ``y_is_date``
        the values are UTC days since J2000 and the differences days.
    """
    fig = _new_figure(6.4, 5.2)
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    xs = _mpl_dates(x) if x_is_date else np.asarray(x, dtype=np.float64)
    for line in lines:
        value, se, diff, diff_se = (
            np.array([np.nan if v is None else v for v in line[k]], dtype=np.float64)
            for k in ("value", "se", "diff", "diff_se"))
        yv = _mpl_dates(value) if y_is_date else value
        top.errorbar(xs, yv, yerr=np.nan_to_num(se), marker="o", capsize=3,
                     label=line["label"] or None)
        bottom.errorbar(xs, diff, yerr=np.nan_to_num(diff_se), marker="o", capsize=3)
    bottom.axhline(0.0, color="0.5", lw=0.8)
    top.set_ylabel(y_label)
    bottom.set_ylabel("minus first value\n(± paired se)" + (", days" if y_is_date else ""))
    bottom.set_xlabel(x_label)
    if y_is_date:
        _date_axis(top.yaxis)
    if x_is_date:
        _date_axis(bottom.xaxis)
    if any(line["label"] for line in lines):
        top.legend(fontsize=8)
    top.grid(alpha=0.3)
    bottom.grid(alpha=0.3)
    if title:
        top.set_title(title, fontsize=10)
    return _png(fig)
