"""The run report: one self-contained HTML file (figures embedded) plus the PNGs beside it.

Layout of the page:

1. the scenarios side by side (the answer to "2026, 2028 or 2030?"): P(controlled),
   P(uncontrolled), P(in orbit at the horizon), expected casualties Ec with its 90 % interval
   against the 1e-4 limit, P(Ec > 1e-4), P(debris outside the target zone), median reentry
   date and footprint length, each with its Monte Carlo standard error;
2. per scenario: a short decision table (P(controlled), P(uncontrolled), Ec with its
   interval against the limit, P(debris outside the zone), reentry date P5/P50/P95), the
   full risk table with every figure of ``summary.json`` and its key folded in a
   ``<details>``; reentry-epoch CDF, altitude fan chart, impact map, footprint-length
   distribution;
3. provenance: versions, seeds, scenario hashes, data sources.

A run made by ``deorbit sweep`` (a ``sweep.json`` in the run directory) gets a sweep section
after the side-by-side table: the sweep's table (:func:`deorbit.sweep.table_rows`) and a
figure per headline metric against the swept value (:func:`sweep_figures`).

Every number comes from ``summary.json`` and is formatted from that value; each number is
wrapped in ``<span class="num" data-scenario=... data-metric=... data-value=...>`` with the
value's exact ``repr``, so a reader (or a test) can check the page against the file. A figure
that the run did not compute is shown as "not computed in this run", never as a number.
Every string that comes from a user (scenario names, titles, descriptions, file names) is
escaped with :func:`html.escape`.
"""
from __future__ import annotations

import base64
import html
import json
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..constants import DAYS_PER_YEAR
from ..engine import Outcome
from ..ground import EC_LIMIT
from ..metrics import DECISION, GROUND, METRICS, SIDE_BY_SIDE, report_order
from ..metrics import EC_LIMIT_TEXT as LIMIT_TEXT
from . import figures

NOT_COMPUTED = "not computed in this run"
#: The impact map draws the fragments of at most this many samples (the first ones, in
#: sample order), so that a large run still gives a readable map in seconds.
MAP_MAX_SAMPLES = 20_000
AFTER_HORIZON = "after the horizon"
#: The per-scenario decision table: the headline figures, each with its standard error.
DECISION_METRICS = DECISION
#: Ground-risk figures: "not computed in this run" when the run's blocks lack their columns.
GROUND_METRICS = GROUND
#: Groups of figures that only scenarios with their section have (left out, not "not
#: computed", elsewhere).
OPTIONAL_GROUPS = ("maintenance",)


def _label(key):
    m = METRICS.get(key)
    return key if m is None else m.label


def _e(text) -> str:
    """Escape any user-provided string for HTML text and attribute values."""
    return html.escape(str(text), quote=True)


# -- number formatting (the only place numbers become text) ---------------------------------
def _pct(v):
    x = 100.0 * v
    return f"{x:.1f}" if x == 0 or abs(x) >= 1 else f"{x:.2g}"


def format_value(metric, fig) -> str:
    """Text of one summary figure ``{value, standard_error, unit[, date_utc]}``."""
    if fig is None:
        return NOT_COMPUTED
    v, se, unit = fig.get("value"), fig.get("standard_error"), fig.get("unit", "")
    if v is None:
        return AFTER_HORIZON if ("reentry" in metric or "lifetime" in metric) else "n/a"
    if isinstance(v, str):
        return v
    if isinstance(v, float) and not math.isfinite(v):
        return "n/a"
    has_se = se is not None and isinstance(se, (int, float)) and math.isfinite(se)
    if "date_utc" in fig:
        return fig["date_utc"] + (f" ± {se:,.0f} d" if has_se else "")
    if unit == "probability":
        return f"{_pct(v)} %" + (f" ± {_pct(se)}" if has_se else "")
    if unit == "count":
        return f"{int(v):,}"
    if unit == "days":
        return f"{v:,.0f} d" + (f" ± {se:,.0f}" if has_se else "")
    if unit == "km":
        return f"{v:,.0f} km" + (f" ± {se:,.0f}" if has_se else "")
    if _is_ec(metric, unit):  # expected casualties: dimensionless, ~1e-6 .. 1e-3
        return f"{v:.2e}" + (f" ± {se:.1e}" if has_se else "")
    return f"{v:.3g}" + (f" ± {se:.2g}" if has_se else "")


def _is_ec(metric, unit=""):
    return metric.startswith("ec_") or "_ec_" in metric or "casualt" in str(unit)


def _data_value(v):
    if v is None:
        return ""
    if isinstance(v, bool) or isinstance(v, int):
        return str(int(v))
    if isinstance(v, float):
        return repr(v)
    return str(v)


def _num(scenario, metric, fig, field=None) -> str:
    """A number as a span carrying its exact summary.json value.

    ``field``: show ``fig[field]`` (e.g. ``ci_low``) instead of the value, without error.
    """
    if fig is None:
        return (f'<span class="num missing" data-scenario="{_e(scenario)}" '
                f'data-metric="{_e(metric)}">{NOT_COMPUTED}</span>')
    if field is not None:
        sub = {"value": fig.get(field), "unit": fig.get("unit", "")}
        return (f'<span class="num" data-scenario="{_e(scenario)}" data-metric="{_e(metric)}" '
                f'data-field="{_e(field)}" data-value="{_e(_data_value(fig.get(field)))}">'
                f"{_e(format_value(metric, sub))}</span>")
    se = fig.get("standard_error")
    return (f'<span class="num" data-scenario="{_e(scenario)}" data-metric="{_e(metric)}" '
            f'data-value="{_e(_data_value(fig.get("value")))}" '
            f'data-se="{_e(_data_value(se))}">{_e(format_value(metric, fig))}</span>')


# -- reading a run --------------------------------------------------------------------------
@dataclass
class _Scenario:
    name: str
    title: str
    entry: dict
    result: dict
    arrays: dict
    description: str = ""
    target_lat_deg: float | None = None
    target_lon_deg: float | None = None
    has_deorbit_vehicle: bool = False
    fragment_mass_kg: np.ndarray | None = None
    fragment_source: str = ""
    entry_alt_km: float = 120.0
    horizon_days: float | None = None
    solar: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)

    @property
    def metrics(self):
        return self.result.get("metrics", {})


def _candidate_dirs(entry, run_dir):
    out = []
    src = str(entry.get("source", ""))
    if src and not src.startswith("builtin:"):
        p = Path(src)
        if p.is_absolute():
            out.append(p.parent)
    out += [Path(run_dir).resolve(), Path(run_dir).resolve().parent, Path.cwd()]
    return out


def _scenario_details(sc: _Scenario, run_dir):
    """Ground target, fragment masses and solar settings from the scenario text."""
    from ..fragments import ISS_DEFAULT, load_fragment_model
    from ..scenario import ScenarioError, parse_scenario

    text = sc.entry.get("text", "")
    for base in _candidate_dirs(sc.entry, run_dir):
        try:
            s = parse_scenario(text, source=str(sc.entry.get("source", sc.name)),
                               base_dir=base)
        except (ScenarioError, OSError):
            continue
        sc.description = s.description
        sc.target_lat_deg, sc.target_lon_deg = s.ground.target_lat_deg, s.ground.target_lon_deg
        sc.has_deorbit_vehicle = s.operations.deorbit_vehicle is not None
        sc.fragment_mass_kg = s.breakup.fragments.arrays()[1]
        sc.fragment_source = s.breakup.fragments.source
        sc.entry_alt_km = s.propagation.entry_alt_km
        sc.horizon_days = s.start.horizon_years * DAYS_PER_YEAR
        sc.solar = {k: getattr(s.solar, k) for k in ("model", "f107_sfu", "f107a_sfu", "ap")
                    if getattr(s.solar, k, None) is not None}
        return
    # The scenario refers to files (density table, fragment CSV) that are not found from
    # here: read what the report needs straight from the TOML.
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        sc.notes.append("the scenario text in manifest.json could not be read")
        return
    sc.description = str(data.get("description", ""))
    ground = data.get("ground", {})
    from ..ground import POINT_NEMO_LAT_DEG, POINT_NEMO_LON_DEG

    sc.target_lat_deg = float(ground.get("target_lat_deg", POINT_NEMO_LAT_DEG))
    sc.target_lon_deg = float(ground.get("target_lon_deg", POINT_NEMO_LON_DEG))
    sc.has_deorbit_vehicle = "deorbit_vehicle" in data.get("operations", {})
    sc.entry_alt_km = float(data.get("propagation", {}).get("entry_alt_km", 120.0))
    horizon = data.get("start", {}).get("horizon_years")
    sc.horizon_days = float(horizon) * DAYS_PER_YEAR if horizon is not None else None
    solar = data.get("solar", {})
    sc.solar = {k: solar[k] for k in ("model", "f107_sfu", "f107a_sfu", "ap") if k in solar}
    frag = data.get("breakup", {}).get("fragments", "iss-default")
    model = None
    if frag == "iss-default":
        model = ISS_DEFAULT
    else:
        for base in _candidate_dirs(sc.entry, run_dir):
            try:
                model = load_fragment_model(base / str(frag))
                break
            except ValueError:
                continue
    if model is None:
        sc.notes.append(f"fragment file {frag!s} not found: impact energies not computed")
    else:
        sc.fragment_mass_kg = model.arrays()[1]
        sc.fragment_source = model.source


def _load(run_dir):
    from ..store import RunStore, RunStoreError

    store = RunStore(run_dir)
    manifest = store.read_manifest()
    path = store.path / "summary.json"
    try:
        summary = json.loads(path.read_text())
    except FileNotFoundError:
        raise RunStoreError(f"{store.path}: no summary.json; the run has not finished "
                            "(continue it with 'deorbit run ... --out DIR --resume')") from None
    except json.JSONDecodeError as exc:
        raise RunStoreError(f"{path}: corrupt summary ({exc})") from None
    scenarios = []
    for entry in manifest["scenarios"]:
        name = entry["name"]
        result = summary.get("scenarios", {}).get(name)
        if result is None:
            continue
        blocks = entry.get("blocks_used")
        if blocks is None:
            blocks = store.valid_blocks(name)
        arrays = store.concat_blocks(name, blocks)
        sc = _Scenario(name=name, title=str(result.get("title", entry.get("title", ""))),
                       entry=entry, result=result, arrays=arrays)
        _scenario_details(sc, run_dir)
        scenarios.append(sc)
    return manifest, summary, scenarios


# -- figures --------------------------------------------------------------------------------
@dataclass
class _Figure:
    key: str             # e.g. "reentry-cdf"
    heading: str
    caption: str         # HTML (already escaped where needed)
    png: bytes | None    # None: not computed (caption says why)
    data: dict = field(default_factory=dict)  # what is drawn: data-* attributes (numbers)


def _value(metrics, name):
    fig = metrics.get(name)
    return None if fig is None else fig.get("value")


def _zone_for(sc):
    """Target-zone boundary (lat, lon) and its description, or (None, None)."""
    try:
        from ..ground import default_zone
    except ImportError:  # pragma: no cover
        return None, None
    zone = default_zone()  # the zone of P(debris outside the target zone)
    lat, lon = zone.boundary_points(spacing_km=50.0)
    return (lat, lon), (f"Green outline: the target zone of P(debris outside the zone), "
                        f"{zone.name}, {zone.area_km2() / 1e6:.1f} million km² (deorbit's "
                        "packaged stand-in, not an official boundary)")


def _reentry_figure(sc):
    m, a = sc.metrics, sc.arrays
    marks = {label: _value(m, f"reentry_epoch_{tag}_utc_days")
             for label, tag in (("P5", "p05"), ("P50", "p50"), ("P95", "p95"))}
    epochs = a["reentry_epoch_utc_days"]
    n = epochs.size
    not_in = int(np.sum(~np.isfinite(epochs)))
    png = figures.reentry_cdf_png(epochs, marks, title=sc.name)
    cap = (f"Empirical CDF of the epoch at which each sample crossed the "
           f"{sc.entry_alt_km:g} km entry interface, over all {n:,} samples. Samples that did "
           f"not re-enter (still in orbit at the horizon, or failed): {not_in:,}; they keep "
           "the curve below 1. Dashed lines: P5, P50 and P95 from summary.json.")
    return _Figure("reentry-cdf", "Reentry epoch", _e(cap), png)


def _fan_figure(sc, step_days):
    a = sc.arrays
    hist = a["history_sma_alt_km"]
    days = np.arange(hist.shape[1]) * step_days
    if sc.horizon_days is not None:  # the last step may lie past the horizon
        keep = days <= sc.horizon_days + 1e-9
        hist, days = hist[:, keep], days[keep]
    failed = a["outcome"] == Outcome.NUMERICAL_FAILURE if "outcome" in a else None
    solar = a.get("history_f107a_sfu")
    png = figures.altitude_fan_png(days, hist, a["lifetime_days"], exclude=failed,
                                   start_epoch_utc_days=a.get("start.epoch_utc"),
                                   entry_alt_km=sc.entry_alt_km, title=sc.name,
                                   history_f107a_sfu=None if solar is None
                                   else solar[:, : days.size])
    kept = slice(None) if failed is None else ~failed
    known = figures.history_known(hist[kept], a["lifetime_days"][kept], days)
    full = known.all(axis=0) & (known.shape[0] > 0)   # the times with bands
    cap = [f"Mean altitude (semi-major axis minus the equatorial radius) across samples every "
           f"{step_days:g} days after each sample's start epoch: P5–P95 and P25–P75 bands and "
           "the median; re-entered samples count as below every band"
           + (", numerical failures are left out" if failed is not None and failed.any()
              else "") + ". The top axis puts calendar dates on the median start epoch."]
    short = np.flatnonzero(~full)
    if short.size and known.shape[0]:
        cap.append(f"From day {days[short[0]]:,.0f} the altitude of "
                   f"{int((~known[:, short[0]]).sum()):,} of {known.shape[0]:,} samples is "
                   "not stored in this run's blocks (blocks written before deorbit recorded "
                   "it through a deorbit vehicle's sequence), so the bands stop there: "
                   "quantiles without those samples would leave out exactly the ones still "
                   "in orbit.")
    s = sc.solar
    if s.get("model") == "constant":
        solar = ("constant solar activity"
                 + (f" (F10.7 = {s['f107_sfu']:g} sfu, F10.7a = {s['f107a_sfu']:g} sfu, "
                    f"Ap = {s['ap']:g})" if {"f107_sfu", "f107a_sfu", "ap"} <= set(s) else ""))
        cap.append(f"No solar-activity fan is drawn beneath this chart: this run used {solar}.")
    elif solar is None:
        cap.append("No solar-activity fan is drawn beneath this chart: this run directory "
                   "does not hold the sampled solar-activity paths.")
    else:
        cap.append(f"Beneath: the 81-day mean F10.7 the samples still in orbit saw (model "
                   f"'{s.get('model', '?')}'), P5–P95 and P25–P75 bands and the median, at "
                   "the same times after each sample's start.")
    data = {"band-times": int((full & np.isfinite(hist[kept]).any(axis=0)).sum()),  # in orbit
            "samples-with-history": int(known.all(axis=1).sum())}  # stored until reentry
    return _Figure("altitude-fan", "Altitude over time", _e(" ".join(cap)), png, data)


def _map_figure(sc):
    a = sc.arrays
    m = MAP_MAX_SAMPLES
    lat, lon, speed = a["impact_lat_deg"][:m], a["impact_lon_deg"][:m], a["impact_speed_m_s"][:m]
    total = a["impact_lat_deg"].shape[0]
    k = lat.shape[1] if lat.ndim == 2 else 0
    energy, note = None, ""
    if sc.fragment_mass_kg is not None and sc.fragment_mass_kg.size == k:
        energy = 0.5 * sc.fragment_mass_kg[None, :] * speed ** 2
        note = (f"Colour: impact kinetic energy ½ m v² of one piece, with m the class mass "
                f"from the fragment model ({sc.fragment_source}) and v the impact speed "
                "relative to the rotating Earth.")
    else:
        note = "Impact energies not computed: the fragment model's class masses are unknown."
    try:
        from ..ground import load_coastlines

        coast = load_coastlines()
        coast_note = "Coastlines: Natural Earth (public domain), simplified."
    except (ImportError, OSError, ValueError):
        coast, coast_note = None, "Coastlines not available in this installation."
    zone, zone_note = _zone_for(sc)
    aim = (sc.target_lat_deg, sc.target_lon_deg) if sc.has_deorbit_vehicle else None
    zoom = None
    if sc.has_deorbit_vehicle and (zone is not None or aim is not None):
        zl = np.r_[zone[0], aim[0]] if zone is not None else np.array([aim[0]])
        zo = np.r_[zone[1], aim[1]] if zone is not None else np.array([aim[1]])
        pad = 8.0
        zoom = (max(-180.0, zo.min() - pad), min(180.0, zo.max() + pad),
                max(-90.0, zl.min() - pad), min(90.0, zl.max() + pad))
    png = figures.impact_map_png(lat, lon, energy, coastlines=coast, zone=zone, aim=aim,
                                 zoom=zoom, title=sc.name)
    landed = int(np.sum(np.isfinite(lat)))
    cap = [f"{landed:,} impact points: one per fragment class ({k}) per sample, each standing "
           "for all the pieces of its class"
           + (f" (the first {m:,} of {total:,} samples)." if total > m else "."), note]
    if aim is not None:
        cap.append(f"Star: aim point {sc.target_lat_deg:.2f}°, {sc.target_lon_deg:.2f}°"
                   + ("; lower panel: the region around it." if zoom else "."))
    if zone_note:
        cap.append(zone_note + ".")
    cap.append(coast_note)
    cap += [n[0].upper() + n[1:] + "." for n in sc.notes if "fragment" in n]
    return _Figure("impact-map", "Impact map", _e(" ".join(cap)), png)


def _footprint_figure(sc):
    m, a = sc.metrics, sc.arrays
    if "footprint_length_km" not in a:
        why = NOT_COMPUTED.capitalize() + " (no per-sample footprint lengths in the blocks)."
        return _Figure("footprint-length", "Footprint length", _e(why), None)
    marks = {}
    for label, name in (("P50", "footprint_length_p50_km"), ("P99", "footprint_length_p99_km")):
        if name in m:
            marks[label] = _value(m, name)
    x = np.asarray(a["footprint_length_km"], dtype=np.float64)
    png = figures.footprint_length_png(x, marks, title=sc.name)
    cap = (f"Along-track length of each sample's debris footprint ({int(np.isfinite(x).sum()):,}"
           f" of {x.size:,} samples have one). Dashed lines: quantiles from summary.json.")
    return _Figure("footprint-length", "Footprint length", _e(cap), png)


# -- HTML -----------------------------------------------------------------------------------
_CSS = """
body{font-family:-apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif;margin:0;
color:#1c2833;background:#fff;line-height:1.45}
main{max-width:1080px;margin:0 auto;padding:18px 28px 40px}
h1{font-size:1.6em;margin:.2em 0 .1em}h2{font-size:1.3em;margin-top:1.8em;
border-bottom:2px solid #d6e0ea;padding-bottom:.2em}h3{font-size:1.05em;margin:1.2em 0 .4em}
.sub{color:#566573;font-size:.92em}
table{border-collapse:collapse;margin:.5em 0 1em;font-size:.92em}
th,td{border:1px solid #d5dde5;padding:5px 9px;text-align:left;vertical-align:top}
thead th{background:#eaf0f6}tbody th{background:#f7f9fb;font-weight:600}
.wide{overflow-x:auto}.num{font-variant-numeric:tabular-nums;white-space:nowrap}
.missing{color:#7f8c8d;font-style:italic}
.flag{display:inline-block;margin-left:.4em;padding:0 .45em;border-radius:3px;
font-size:.85em;font-weight:600}
.flag.over{background:#c0392b;color:#fff}.flag.warn{background:#f5b041;color:#1c2833}
.flag.ok{background:#d5f5e3;color:#145a32}
figure{margin:1em 0 1.4em}figure img{max-width:100%;height:auto;border:1px solid #e5e8e8}
figcaption{font-size:.88em;color:#424949;max-width:900px}
.desc{color:#34495e;font-size:.94em;max-width:900px}
.facts{font-size:.88em;color:#566573}
code{font-size:.92em}
nav a{margin-right:1em}
details.risk-details{margin:0 0 1em}details.risk-details summary{cursor:pointer;
color:#1f4e79;font-size:.92em}
"""


def _png_name(sc, key):
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", sc.name)
    return f"{safe}-{key}.png"


def _figure_html(sc, fig, out_dir):
    fid = f"fig-{_e(sc.name)}-{fig.key}"
    if fig.png is None:
        return (f'<figure id="{fid}" class="not-computed"><h3>{_e(fig.heading)}</h3>'
                f'<p class="missing">{fig.caption}</p></figure>')
    name = _png_name(sc, fig.key)
    (out_dir / name).write_bytes(fig.png)
    data = base64.b64encode(fig.png).decode("ascii")
    attrs = "".join(f' data-{k}="{_e(v)}"' for k, v in fig.data.items())
    return (f'<figure id="{fid}"{attrs}><h3>{_e(fig.heading)}</h3>'
            f'<img src="data:image/png;base64,{data}" alt="{_e(fig.heading)}: {_e(sc.name)}">'
            f'<figcaption>{fig.caption} <span class="sub">(file: {_e(name)})</span>'
            f"</figcaption></figure>")


def _ec_interval(sc):
    """HTML of the interval of Ec's mean (``ec_mean.ci_low``/``ci_high``) and its top."""
    fig = sc.metrics.get("ec_mean") or {}
    if "ci_low" in fig and "ci_high" in fig:
        conf = fig.get("confidence")
        label = f"{100 * conf:g} % interval of the mean" if conf else "interval of the mean"
        return (f'<span class="sub">{_e(label)}: {_num(sc.name, "ec_mean", fig, "ci_low")} – '
                f'{_num(sc.name, "ec_mean", fig, "ci_high")}</span>'), fig["ci_high"]
    return f'<span class="sub">interval {NOT_COMPUTED}</span>', None


def _ec_flag(mean, high):
    if isinstance(mean, (int, float)) and mean > EC_LIMIT:
        return f'<span class="flag over">over the {LIMIT_TEXT} limit</span>'
    if isinstance(high, (int, float)) and high > EC_LIMIT:
        return f'<span class="flag warn">interval reaches above {LIMIT_TEXT}</span>'
    if isinstance(mean, (int, float)):
        return f'<span class="flag ok">below {LIMIT_TEXT}</span>'
    return ""


def _ec_cell(sc):
    m = sc.metrics
    if "ec_mean" not in m:
        return _num(sc.name, "ec_mean", None)
    interval, high = _ec_interval(sc)
    return (_num(sc.name, "ec_mean", m["ec_mean"]) + _ec_flag(_value(m, "ec_mean"), high)
            + "<br>" + interval)


def _cell(sc, key):
    """A figure of a scenario: value ± standard error (Ec: with its limit flag and interval)."""
    return _ec_cell(sc) if key == "ec_mean" else _num(sc.name, key, sc.metrics.get(key))


def _side_by_side(scenarios):
    """The figures of :data:`deorbit.metrics.SIDE_BY_SIDE`, one column per scenario."""
    head = "".join(f'<th scope="col"><a href="#scenario-{_e(s.name)}">{_e(s.name)}</a>'
                   f'<div class="sub">{_e(s.title)}</div></th>' for s in scenarios)
    body = []
    for metric in SIDE_BY_SIDE:
        cells = "".join(f"<td>{_cell(s, metric)}</td>" for s in scenarios)
        body.append(f'<tr><th scope="row">{_e(_label(metric))}</th>{cells}</tr>')
    return (f'<div class="wide"><table id="side-by-side"><thead><tr><th>figure</th>{head}</tr>'
            f'</thead><tbody>{"".join(body)}</tbody></table></div>')


def _risk_row(sc, k, full):
    """One row of a scenario's table: label and value ± standard error (Ec: with its
    limit flag and interval); ``full`` adds the unit and the summary.json key."""
    fig = sc.metrics.get(k)
    cells = f'<th scope="row">{_e(_label(k))}</th><td>{_cell(sc, k)}</td>'
    if full:
        unit = "" if fig is None else fig.get("unit", "")
        if fig is not None and ("date_utc" in fig or k.startswith("reentry_epoch_")):
            unit = f"UTC date, ± days (value in {unit})"
        cells += f'<td class="sub">{_e(unit)}</td><td class="sub"><code>{_e(k)}</code></td>'
    return f"<tr>{cells}</tr>"


def _decision_table(sc):
    """The headline figures of a scenario (:data:`DECISION_METRICS`)."""
    rows = "".join(_risk_row(sc, k, full=False) for k in DECISION_METRICS)
    return (f'<table class="decision-table" id="decision-{_e(sc.name)}"><thead><tr>'
            "<th>figure</th><th>value ± standard error</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>")


def _risk_table(sc):
    """Every figure of the registry (:func:`deorbit.metrics.report_order`) and of the
    scenario's summary.json, with its unit and key, folded. A registry figure absent from
    summary.json is shown as not computed when the blocks lack its columns (an older run),
    and left out when the run's data left it undefined (e.g. no uncontrolled entry) or the
    scenario has no such section (the maintenance figures without altitude maintenance)."""
    m = sc.metrics
    names = [x.key for x in report_order() if x.key in m or (
        not x.computable(sc.arrays) and x.group not in OPTIONAL_GROUPS)]
    names += [k for k in m if k not in names]
    rows = "".join(_risk_row(sc, k, full=True) for k in names)
    return (f'<details class="risk-details"><summary>All {len(names)} figures of this '
            "scenario, with their units and summary.json keys</summary>"
            f'<table class="risk-table" id="risk-{_e(sc.name)}"><thead><tr><th>figure</th>'
            "<th>value ± standard error</th><th>unit</th><th>summary.json key</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></details>")


def _scenario_section(sc, figs, out_dir):
    e = sc.entry
    facts = (f"{_num(sc.name, 'samples', sc.metrics.get('samples'))} samples · seed "
             f"{_e(e.get('seed'))} · block size {_e(e.get('block_size'))} · stopped by: "
             f"{_e(sc.result.get('stopped_by', '?'))} · confidence of quantile intervals "
             f"{_e(sc.result.get('confidence', '?'))} · source <code>{_e(e.get('source', ''))}"
             f"</code> · sha256 <code>{_e(str(e.get('sha256', ''))[:16])}…</code>")
    parts = [f'<section id="scenario-{_e(sc.name)}"><h2>{_e(sc.name)} — {_e(sc.title)}</h2>',
             f'<p class="facts">{facts}</p>']
    for para in re.split(r"\n\s*\n", sc.description.strip()):
        if para.strip():
            parts.append(f'<p class="desc">{_e(" ".join(para.split()))}</p>')
    parts.append("<h3>Decision table</h3>" + _decision_table(sc) + _risk_table(sc))
    parts += [_figure_html(sc, f, out_dir) for f in figs]
    parts.append("</section>")
    return "\n".join(parts)


def _provenance(manifest):
    v = manifest.get("versions", {})
    items = "".join(f"<li>{_e(k)}: <code>{_e(val)}</code></li>" for k, val in v.items())
    rows = "".join(
        f"<tr><td>{_e(s.get('name'))}</td><td><code>{_e(s.get('source'))}</code></td>"
        f"<td><code>{_e(s.get('sha256'))}</code></td><td>{_e(s.get('seed'))}</td>"
        f"<td>{_e(s.get('block_size'))}</td><td>{_e(s.get('density_table', ''))}</td></tr>"
        for s in manifest.get("scenarios", []))
    return ('<section id="provenance"><h2>Provenance</h2>'
            f"<p>Run created {_e(manifest.get('created_utc', '?'))}, finished "
            f"{_e(manifest.get('finished_utc', '?'))} (UTC).</p><ul>{items}</ul>"
            '<div class="wide"><table><thead><tr><th>scenario</th><th>source</th>'
            "<th>sha256</th><th>seed</th><th>block size</th><th>density table</th></tr>"
            f"</thead><tbody>{rows}</tbody></table></div></section>")


def _decomposition_section(run_dir, summary, out_dir):
    """Where the spread comes from (:mod:`deorbit.decompose`), if the run holds variants
    (``deorbit run --decompose``)."""
    from .. import decompose

    rows = decompose.read(run_dir)
    if not rows:
        return ""
    parts = ['<section id="decomposition"><h2>Where the spread comes from</h2>',
             "<p>Each uncertain factor was held fixed within each block of a second run on "
             "the same samples (scenarios <code>NAME.hold-FACTOR</code>). The share is the "
             "part of the variance the factor explains alone, 1 − E[Var(Y | factor)] / Var(Y) "
             "(its first-order Sobol index; ± bootstrap standard error over blocks); the rest "
             "is the other inputs' (start, vehicle readiness, breakup, ...) and interactions'. "
             "Negative values are noise around 0.</p>"]
    for name in dict.fromkeys(r["scenario"] for r in rows):
        for quantity, (label, unit) in decompose.QUANTITIES.items():
            mine = [r for r in rows if r["scenario"] == name and r["quantity"] == quantity]
            if not mine:
                continue
            body = "".join(
                f'<tr><th scope="row">{_e(decompose.FACTORS[r["factor"]][0])}</th>'
                f'<td class="num">{100 * r["share"]:.1f} ± {100 * r["share_se"]:.1f} %</td>'
                + ("" if unit == "probability" else
                   f'<td class="num">{r["p5_p95_width"]:.4g} → {r["p5_p95_width_known"]:.4g}'
                   "</td>") + "</tr>" for r in mine)
            width = ("" if unit == "probability" else
                     f"<th>P5–P95 width, {_e(unit)} (→ with it known)</th>")
            parts.append(f"<h3>{_e(name)}: {_e(label)}</h3><table><thead><tr><th>factor</th>"
                         f"<th>share of the variance</th>{width}</tr></thead><tbody>{body}"
                         "</tbody></table>")
            png = figures.decomposition_png([decompose.FACTORS[r["factor"]][0] for r in mine],
                                            [r["share"] for r in mine],
                                            [r["share_se"] for r in mine],
                                            title=f"{name}: {label}")
            fname = re.sub(r"[^A-Za-z0-9._-]", "_", f"{name}-decomposition-{quantity}.png")
            (out_dir / fname).write_bytes(png)
            parts.append(f'<figure><img src="data:image/png;base64,'
                         f'{base64.b64encode(png).decode("ascii")}" alt="{_e(label)} '
                         f'decomposition: {_e(name)}"><figcaption>{_e(label)} of {_e(name)}: '
                         f'each factor\'s share <span class="sub">(file: {_e(fname)})'
                         "</span></figcaption></figure>")
    ec = decompose.ec_table(summary)
    if ec:
        body = "".join(
            f"<tr><td>{_e(r['scenario'])}</td><td>"
            f"{_e(decompose.FACTORS[r['held']][0] if r['held'] else 'nothing')}</td>"
            f"<td class=\"num\">{_e(r['reentry_p5'])} – {_e(r['reentry_p95'])}</td>"
            f"<td class=\"num\">" + ("not computed" if r["ec_mean"] is None else
                                     f"{r['ec_mean']:.2g} ({r['ec_ci_low']:.2g}–"
                                     f"{r['ec_ci_high']:.2g})") + "</td></tr>" for r in ec)
        parts.append("<h3>Reentry date and Ec with each factor held</h3><table><thead><tr>"
                     "<th>scenario</th><th>held fixed within blocks</th><th>reentry P5 – P95"
                     "</th><th>Ec mean (90 % interval)</th></tr></thead>"
                     f"<tbody>{body}</tbody></table>")
    parts.append("</section>")
    return "\n".join(parts)


def sweep_figures(result):
    """(column stem, PNG bytes) of each headline figure of a sweep (:mod:`deorbit.sweep`):
    the figure against the first swept key, one line per combination of the others."""
    from ..sweep import HEADLINE
    from ..time import epoch_from_datetime

    first = result["settings"][0]
    as_x = epoch_from_datetime if first["is_date"] else float
    x = [as_x(v) for v in first["values"]]
    groups = sorted({r["group"] for r in result["variants"]})
    out = []
    for key, stem, _ in HEADLINE:
        lines = []
        for g in groups:
            rows = sorted((r for r in result["variants"] if r["group"] == g),
                          key=lambda r: r["position"])
            figs = [r["metrics"].get(key, {}) for r in rows]
            diff = [f.get("minus_first", {}) for f in figs]
            label = ", ".join(f"{p} = {v}" for p, v in rows[0]["values"].items()
                              if p != first["path"])
            lines.append({"label": label,
                          "value": [f.get("value") for f in figs],
                          "se": [f.get("standard_error") for f in figs],
                          "diff": [0.0 if r["position"] == 0 else d.get("difference")
                                   for r, d in zip(rows, diff)],
                          "diff_se": [0.0 if r["position"] == 0 else d.get("standard_error")
                                      for r, d in zip(rows, diff)]})
        m = METRICS[key]
        unit = "" if m.unit == "probability" else f", {m.unit}"
        out.append((stem, figures.sweep_png(
            x, lines, x_label=first["path"], x_is_date=first["is_date"],
            y_is_date=m.kind == "quantile of a date",
            y_label=m.label + ("" if m.kind == "quantile of a date" else unit),
            title=f"{result['scenario']}: {m.label}")))
    return out


def _sweep_section(result, out_dir):
    """The sweep's table (every headline figure ± se, P(uncontrolled)'s paired differences)
    and its figures."""
    from ..sweep import table_rows

    rows = table_rows(result)
    head = "".join(f"<th>{_e(c)}</th>" for c in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{_e(_short(v))}</td>" for v in r) + "</tr>"
                   for r in rows[1:])
    figs = []
    for stem, png in sweep_figures(result):
        name = f"sweep-{stem}.png"
        (out_dir / name).write_bytes(png)
        data = base64.b64encode(png).decode("ascii")
        figs.append(f'<figure id="sweep-{_e(stem)}"><img src="data:image/png;base64,{data}" '
                    f'alt="sweep: {_e(stem)}"><figcaption>{_e(stem)} against '
                    f"{_e(result['settings'][0]['path'])} <span class=\"sub\">(file: "
                    f"{_e(name)})</span></figcaption></figure>")
    sets = "; ".join(f"<code>{_e(s['path'])}</code> = {_e(', '.join(map(str, s['values'])))}"
                     for s in result["settings"])
    return (f'<section id="sweep"><h2>Sweep of {_e(result["scenario"])}</h2>'
            f"<p>Swept: {sets}. Standard errors of the differences: "
            f"{_e(result.get('paired') or 'none (one value)')}. The table is "
            "<code>sweep.csv</code> in the run directory.</p>"
            f'<div class="wide"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody>'
            f"</table></div>{''.join(figs)}</section>")


def _short(v):
    return f"{v:.6g}" if isinstance(v, float) else str(v)


def write_report(run_dir, out_dir=None) -> Path:
    """Write the run's HTML report and its PNG figures; return the HTML path.

    Parameters
    ----------
    run_dir : str or Path
        A finished run directory (``manifest.json``, ``samples/``, ``summary.json``).
    out_dir : str or Path, optional
        Where ``report.html`` and the PNGs go (default ``RUN_DIR/report``); created.

    Returns
    -------
    Path
        ``out_dir/report.html``: self-contained (figures as base64 data URIs, no external
        resources); the same figures are written beside it as ``SCENARIO-KIND.png``.
    """
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ImportError("the deorbit report draws its figures with matplotlib: "
                          "pip install 'matplotlib>=3.7'") from None
    run_dir = Path(run_dir)
    out_dir = Path(out_dir) if out_dir is not None else run_dir / "report"
    manifest, summary, scenarios = _load(run_dir)  # before anything is created
    out_dir.mkdir(parents=True, exist_ok=True)
    step = float(manifest.get("history_step_days", 30.0))
    sections = []
    for sc in scenarios:
        figs = [_reentry_figure(sc), _fan_figure(sc, step), _map_figure(sc),
                _footprint_figure(sc)]
        sections.append(_scenario_section(sc, figs, out_dir))
    nav = "".join(f'<a href="#scenario-{_e(s.name)}">{_e(s.name)}</a>' for s in scenarios)
    sweep = ""
    if (run_dir / "sweep.json").exists():   # a run made by deorbit sweep
        sweep = _sweep_section(json.loads((run_dir / "sweep.json").read_text()), out_dir)
        nav = '<a href="#sweep">sweep</a>' + nav
    missing = [k for k in GROUND_METRICS
               if not any(k in s.metrics or METRICS[k].computable(s.arrays) for s in scenarios)]
    note = (f"<p class=\"sub\">Ground-risk figures {_e(', '.join(missing))}: {NOT_COMPUTED}."
            "</p>" if missing else "")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>deorbit report — {_e(run_dir.name)}</title>
<style>{_CSS}</style></head>
<body><main>
<h1>deorbit report</h1>
<p class="sub">Run directory <code>{_e(run_dir)}</code> · {len(scenarios)} scenario(s) ·
deorbit {_e(manifest.get('versions', {}).get('deorbit', '?'))} ·
finished {_e(manifest.get('finished_utc', '?'))} UTC</p>
<nav>{nav}<a href="#provenance">provenance</a></nav>
<section id="comparison"><h2>Scenarios side by side</h2>
<p>Each figure with its Monte Carlo standard error (±); quantile standard errors come from
order-statistic confidence intervals. Expected casualties are compared with the
{LIMIT_TEXT} per-reentry limit (NASA-STD-8719.14).</p>
{_side_by_side(scenarios)}
{note}
</section>
{_decomposition_section(run_dir, summary, out_dir)}
{sweep}
{"".join(sections)}
{_provenance(manifest)}
<p class="sub">Figures are embedded; the same PNGs are in <code>{_e(out_dir)}</code>.
Numbers are those of <code>summary.json</code>.</p>
</main></body></html>
"""
    path = out_dir / "report.html"
    path.write_text(page, encoding="utf-8")
    return path
