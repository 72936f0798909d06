"""Scenario files (TOML) parsed into frozen dataclasses, with errors that name the key path.

A scenario says what is propagated (vehicle, orbit, start epoch and horizon), under which
solar activity and atmosphere, and how the Monte Carlo is run. Every uncertain number may
be a distribution (:mod:`deorbit.distributions`). Built-in scenarios live in
``deorbit/scenarios/*.toml``; ``deorbit scenarios show NAME`` prints one, annotated.

A wrong value raises :class:`ScenarioError` naming the file, the key path, the value and
what is allowed, e.g.::

    iss.toml: vehicle.ballistic_coefficient_kg_m2.median = -3.0: must be > 0
"""
from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field, fields
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from ._data import data_label
from ._messages import ECHO_LIMIT, decode_utf8, did_you_mean, shown
from .atmosphere import DensityTable, load_msis_table
from .atmosphere.models import DEFAULT_MODEL, DENSITY_MODELS, density_model
from .distributions import Distribution, DistributionError, parse_distribution
from .kernel import ENTRY_ALT_KM, HANDOVER_ALT_KM

#: The value of a key that is not in the file.
_MISSING = object()


class ScenarioError(ValueError):
    """A scenario file is invalid. ``source``, ``path`` and ``value`` say where and what.

    The message is ``source: path = value: allowed`` (``source: path allowed`` for a key
    that is missing, ``source: allowed`` without a path), the value and an overlong path
    cut by :func:`deorbit._messages.shown`.
    """

    def __init__(self, source, path, value, allowed):
        self.source, self.path, self.value, self.allowed = source, path, value, allowed
        key = path if len(path) <= 2 * ECHO_LIMIT else shown(path)
        if not path:
            where = ""
        elif value is _MISSING:
            where = f"{key} "
        else:
            where = f"{key} = {shown(value)}: "
        super().__init__(f"{source}: {where}{allowed}")


_STANDARD_NORMAL = Distribution("normal", (("mean", 0.0), ("sd", 1.0)))
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
#: What a scenario name may be. A name is also a folder of a run directory (``blocks/NAME``)
#: and a field of summary.csv: no separator, no leading dot, no space or line break.
NAME_RULE = "allowed 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"


def valid_name(name) -> bool:
    """Whether ``name`` is a string that obeys :data:`NAME_RULE` as a whole (``re.fullmatch``:
    a pattern's ``$`` would also match before a trailing line break)."""
    return isinstance(name, str) and _NAME.fullmatch(name) is not None


@dataclass(frozen=True)
class Start:
    """When propagation starts, and for how long at most."""

    #: Start epoch (UTC days since J2000): the end of station keeping (last reboost).
    epoch_utc: Distribution
    #: Longest time propagated, years (365.25 d); a sample still in orbit then is counted
    #: as "in orbit at horizon".
    horizon_years: float


@dataclass(frozen=True)
class Vehicle:
    #: Ballistic coefficient m / (Cd A), kg/m^2.
    ballistic_coefficient_kg_m2: Distribution
    #: Mass at the start, kg (scales the surviving fragments).
    mass_kg: Distribution


@dataclass(frozen=True)
class DeorbitVehicle:
    """A deorbit vehicle's sequence: wait, decay, lower the perigee, final burn."""

    #: Epoch from which the vehicle is docked and ready (launch slips included).
    ready_utc: Distribution
    #: Below this altitude (semi-major axis minus R_e) at readiness it cannot start, km.
    min_altitude_km: float
    #: Natural decay down to this altitude before the first burn, km: the burns start when
    #: the osculating (ellipsoid) altitude first falls to it.
    start_lowering_altitude_km: float
    #: Number of perigee-lowering burns before the final one.
    lowering_burns: int
    #: Size of each lowering burn (retrograde), m/s.
    lowering_burn_dv_m_s: Distribution
    #: Time between burns, hours.
    burn_spacing_h: float
    #: Size of the final burn (retrograde), m/s.
    final_burn_dv_m_s: Distribution
    #: Length of the window, after the spacing that follows the last lowering burn, in
    #: which the final burn is placed to hit the target, hours.
    final_window_h: float
    #: Probability that a burn fails (the station stays on its current orbit).
    failure_probability: float
    #: Execution errors (1 sigma): magnitude (fraction of dv), pointing per axis (deg), start
    #: time (s).
    dv_error_frac: float
    pointing_error_deg: float
    timing_error_s: float
    #: Thrust of the burns, N; 0 makes them impulsive. Finite burns last m dv / thrust.
    thrust_n: float = 0.0


@dataclass(frozen=True)
class AltitudeMaintenance:
    """Reboosts that keep the station's mean altitude in a band until the deorbit vehicle
    is ready (or ``until_utc``), while their delta-v lasts (:mod:`deorbit.maintenance`)."""

    #: A reboost is due when the mean altitude (semi-major axis minus R_e) is at or below
    #: this at a daily check, km.
    trigger_altitude_km: float
    #: A reboost raises the mean altitude to this (at most ``dv_per_reboost_m_s``), km.
    target_altitude_km: float
    #: Delta-v on hand at the start, m/s (sampled); None when given as ``propellant_kg``.
    dv_budget_m_s: Distribution | None
    #: The largest delta-v of one reboost, m/s.
    dv_per_reboost_m_s: float
    #: Probability that a reboost fails; a failure ends maintenance.
    failure_probability: float = 0.0
    #: Thrust of the reboost burns, N; 0 makes them impulsive (finite: m dv / thrust).
    thrust_n: float = 0.0
    #: End of maintenance if before the deorbit vehicle is ready (UTC days; sampled).
    until_utc: Distribution | None = None
    #: Propellant on hand at the start, kg (sampled), and its specific impulse, s: the
    #: delta-v budget by the rocket equation on ``vehicle.mass_kg``.
    propellant_kg: Distribution | None = None
    isp_s: float | None = None
    #: Reboost vehicles arriving at this mean rate, per year (a Poisson process from the
    #: start); 0: none.
    resupply_per_year: float = 0.0
    #: ... or at these dates (each sampled).
    resupply_utc: tuple = ()
    #: Delta-v each arriving vehicle adds, m/s (sampled).
    resupply_dv_m_s: Distribution | None = None


@dataclass(frozen=True)
class Operations:
    #: None: no deorbit vehicle (uncontrolled natural decay).
    deorbit_vehicle: DeorbitVehicle | None
    #: None: no reboost after the start (the station decays freely).
    altitude_maintenance: AltitudeMaintenance | None = None


@dataclass(frozen=True)
class Breakup:
    altitude_km: Distribution
    #: Fraction of the mass at breakup that reaches the ground.
    surviving_mass_fraction: Distribution
    #: "iss-default" or a fragment CSV path (relative to the scenario file).
    fragments: object


@dataclass(frozen=True)
class Ground:
    #: Aim point of a controlled entry, deg (default Point Nemo, 48 52.6 S 123 23.6 W).
    target_lat_deg: float
    target_lon_deg: float
    #: The target zone (default: deorbit's documented area around Point Nemo).
    target_zone: object = None
    #: A population grid file (.npz like the packaged one, or a GeoTIFF such as GPW v4);
    #: None: the packaged Natural Earth grid.
    population_grid_file: str | None = None


@dataclass(frozen=True)
class Orbit:
    """Near-circular orbit at the start epoch, as mean elements; or, from tracking data
    (``orbit.file`` or ``orbit.state``), a dispersed initial state whose osculating elements
    fill the four element fields (fixed values, for the density table's inclination and the
    planning of the solar window)."""

    #: Mean semi-major axis minus the equatorial radius, km.
    mean_altitude_km: Distribution
    inclination_deg: Distribution
    raan_deg: Distribution
    #: Mean argument of latitude, deg.
    arg_latitude_deg: Distribution
    #: From tracking data: the state, its epoch and dispersion
    #: (:class:`deorbit.tracking.initial.InitialState`); None for the mean-element form.
    initial: object = None
    #: The tracking file read (absolute path), if any.
    file: str | None = None


@dataclass(frozen=True)
class Solar:
    """Solar and geomagnetic activity driving the atmosphere.

    ``constant``: fixed indices, the NRLMSISE-00 annual-mean profile (no season).
    ``stochastic`` (calibrated solar-cycle model), ``observed`` (hindcast) and ``forecast``
    (the CelesTrak file's predictions): daily paths per sample (:mod:`deorbit.solar`), with
    the table's seasonal correction; ``params`` go to :func:`deorbit.solar.make_model`.
    """

    model: str
    #: constant model: daily F10.7 (previous day), sfu.
    f107_sfu: float | None = None
    #: constant model: 81-day centred mean F10.7, sfu.
    f107a_sfu: float | None = None
    #: constant model: daily Ap index.
    ap: float | None = None
    #: Other models: their parameters, as (name, value) pairs.
    params: tuple = ()
    #: A CelesTrak SW-All file to use instead of the packaged one (path).
    space_weather_file: str | None = None

    def make_model(self):
        """The :mod:`deorbit.solar` model (not for ``constant``, which needs none)."""
        try:
            return _solar_model(self.model, self.params, self.space_weather_file)
        except TypeError:   # an unhashable parameter value: build it uncached
            return _solar_model.__wrapped__(self.model, self.params, self.space_weather_file)


@lru_cache(maxsize=8)
def _solar_model(model, params, space_weather_file):
    """Solar models are immutable in use: build (and parse the record) once per process."""
    from .solar import make_model
    from .spaceweather import load_space_weather

    sw = load_space_weather(space_weather_file) if space_weather_file else None
    return make_model(model, dict(params), sw)


@dataclass(frozen=True)
class Atmosphere:
    """The density model.

    ``msis``: a density model's table (:mod:`deorbit.atmosphere.models`: NRLMSISE-00, the
    default, or another packaged model; or ``path``: a file in the same format,
    :func:`deorbit.atmosphere.load_msis_table`), averaged over the latitudes of the orbit's
    inclination; with several ``models``, each sample flies one, drawn by ``model_choice``.
    ``table``: a fixed density profile (JSON ``alt_km``/``rho_kg_m3`` at ``path``), with
    constant solar indices only.
    """

    model: str
    #: "table": the profile read from ``path``.
    table: DensityTable | None
    #: Multiplier on the model density, e.g. the model's own error (NRLMSISE-00: ~15 % 1-sigma).
    density_scale: Distribution
    #: The density file (absolute path); None with "msis": the packaged table(s).
    path: str | None = None
    #: "msis" without ``path``: the packaged models flown (``DENSITY_MODELS`` names).
    models: tuple[str, ...] = (DEFAULT_MODEL,)
    #: With several ``models``: the draw of each sample's, an index into ``models``.
    model_choice: Distribution | None = None
    #: The model ``vehicle.ballistic_coefficient_kg_m2`` was fitted with: a model flown
    #: carries it over by the ratio of their fitted BCs (:meth:`bc_scales`).
    bc_model: str = DEFAULT_MODEL

    @property
    def source(self) -> str:
        """Where the density comes from (the profile's source, the table file, or the
        packaged tables), without reading a table."""
        if self.table is not None:
            return self.table.source
        return self.path or " | ".join(data_label(density_model(m).table_file)
                                       for m in self.models)

    def msis_tables(self):
        """The density tables (:class:`deorbit.atmosphere.MsisTable`) of model "msis", one
        per entry of ``models`` (``path``'s alone if given; read once per process)."""
        if self.path is not None:
            return (_msis_table(self.path, None),)
        return tuple(_msis_table(None, m) for m in self.models)

    def bc_scales(self):
        """Per entry of ``models``: the factor on the scenario's ballistic coefficient,
        ``bc_scale`` of the model over ``bc_model``'s (1 for a table file)."""
        if self.path is not None or self.model == "table":
            return np.ones(1)
        ref = density_model(self.bc_model).bc_scale.value
        return np.array([density_model(m).bc_scale.value / ref for m in self.models])


@lru_cache(maxsize=8)
def _msis_table(path, model):
    return load_msis_table(path) if path is not None else load_msis_table(model=model)


@dataclass(frozen=True)
class Propagation:
    #: How the natural decay is propagated: "hybrid" (mean elements, then Cowell below
    #: ``handover_alt_km``) or "cowell" throughout (deorbit.kernel.propagate).
    method: str = "hybrid"
    entry_alt_km: float = ENTRY_ALT_KM
    #: Mean elements down to this lowest altitude, then Cowell (deorbit.kernel.HANDOVER_ALT_KM).
    handover_alt_km: float = HANDOVER_ALT_KM
    rtol: float = 1e-9


@dataclass(frozen=True)
class Convergence:
    """Stop once the confidence-interval half-width of ``metric`` is at most ``half_width``."""

    metric: str
    half_width: float
    confidence: float = 0.95


@dataclass(frozen=True)
class MonteCarlo:
    samples: int
    seed: int
    block_size: int = 1000
    convergence: Convergence | None = None
    #: Sampled quantities held fixed within each block (key paths of
    #: :meth:`Scenario.uncertain`, or "solar" for the daily solar paths): every sample of a
    #: block takes the draw of the block's first sample, the others keep their own. For
    #: conditional-variance decompositions (:mod:`deorbit.decompose`).
    hold_fixed: tuple[str, ...] = ()


#: Solar-activity models a scenario can name.
SOLAR_MODELS = ("stochastic", "constant", "observed", "forecast")

#: Metrics a convergence target may name, with their units.
CONVERGENCE_METRICS = {
    "p_uncontrolled": "probability",
    "p_in_orbit_at_horizon": "probability",
    "reentry_epoch_p50_days": "days",
}


@dataclass(frozen=True)
class Scenario:
    """A parsed scenario; ``text`` and ``sha256`` identify its source exactly."""

    name: str
    title: str
    description: str
    start: Start
    vehicle: Vehicle
    orbit: Orbit
    solar: Solar
    atmosphere: Atmosphere
    propagation: Propagation
    monte_carlo: MonteCarlo
    operations: Operations
    breakup: Breakup
    ground: Ground
    source: str = ""
    text: str = field(default="", repr=False)
    sha256: str = ""
    #: The directory its relative file paths were resolved against (None: the working one).
    base_dir: Path | None = field(default=None, repr=False)

    def data_files(self):
        """Key path -> absolute path of each file the scenario reads besides its own text
        (a space-weather record, a density table); packaged data is not listed."""
        files = {"solar.space_weather_file": self.solar.space_weather_file,
                 "atmosphere.path": self.atmosphere.path, "orbit.file": self.orbit.file}
        return {k: v for k, v in files.items() if v is not None}

    def uncertain(self):
        """Key path -> Distribution for every sampled quantity, in a fixed order."""
        out = {
            "start.epoch_utc": self.start.epoch_utc,
            "vehicle.ballistic_coefficient_kg_m2": self.vehicle.ballistic_coefficient_kg_m2,
            "orbit.mean_altitude_km": self.orbit.mean_altitude_km,
            "orbit.inclination_deg": self.orbit.inclination_deg,
            "orbit.raan_deg": self.orbit.raan_deg,
            "orbit.arg_latitude_deg": self.orbit.arg_latitude_deg,
            **({} if self.orbit.initial is None else {
                f"orbit.dispersion.z{k}": _STANDARD_NORMAL for k in range(1, 7)}),
            "atmosphere.density_scale": self.atmosphere.density_scale,
            **({} if self.atmosphere.model_choice is None else {
                "atmosphere.model": self.atmosphere.model_choice}),
            "vehicle.mass_kg": self.vehicle.mass_kg,
            "breakup.altitude_km": self.breakup.altitude_km,
            "breakup.surviving_mass_fraction": self.breakup.surviving_mass_fraction,
        }
        dv = self.operations.deorbit_vehicle
        if dv is not None:
            out.update({
                "operations.deorbit_vehicle.ready_utc": dv.ready_utc,
                "operations.deorbit_vehicle.lowering_burn_dv_m_s": dv.lowering_burn_dv_m_s,
                "operations.deorbit_vehicle.final_burn_dv_m_s": dv.final_burn_dv_m_s,
            })
        m = self.operations.altitude_maintenance
        if m is not None:
            key = "operations.altitude_maintenance"
            out.update({f"{key}.{k}": getattr(m, k) for k in (
                "until_utc", "dv_budget_m_s", "propellant_kg", "resupply_dv_m_s")
                if getattr(m, k) is not None})
            out.update({f"{key}.resupply_utc.{i}": d for i, d in enumerate(m.resupply_utc)})
        return out


class _Table:
    """A TOML table being read: remembers its key path, refuses unknown keys.

    ``keys`` are all the keys the table may hold (in any configuration): a required key
    that is missing is reported with the given keys outside them that resemble it (a
    misspelling), and :meth:`done` refuses every key that was not read.
    """

    def __init__(self, data, path, source, keys):
        if not isinstance(data, dict):
            raise ScenarioError(source, path, data, "expected a table")
        self.data, self.path, self.source, self.used = data, path, source, set()
        self.keys = frozenset(keys)

    def _key(self, key):
        return f"{self.path}.{key}" if self.path else key

    def raw(self, key, default=_MISSING):
        assert key in self.keys, f"{self._key(key)} is read but not declared"
        self.used.add(key)
        if key not in self.data:
            if default is _MISSING:
                hint = "".join(f"; unknown key {self._key(k)}{close}" for k in self.data
                               if k not in self.keys and (close := did_you_mean(k, [key])))
                raise ScenarioError(self.source, self._key(key), _MISSING, "is required" + hint)
            return default
        return self.data[key]

    def table(self, key, *keys, required=True):
        """The sub-table ``key``, which may hold ``keys``."""
        value = self.raw(key, _MISSING if required else {})
        return _Table(value, self._key(key), self.source, keys)

    def number(self, key, lo, hi, default=_MISSING, integer=False, lo_open=False):
        value = self.raw(key, default)
        ok = isinstance(value, int) if integer else isinstance(value, (int, float))
        kind = "an integer" if integer else "a number"
        if isinstance(value, bool) or not ok:
            raise ScenarioError(self.source, self._key(key), value, f"expected {kind}")
        if not ((lo < value) if lo_open else (lo <= value)) or not value <= hi:
            raise ScenarioError(self.source, self._key(key), value,
                                f"allowed {'>' if lo_open else '>='} {lo} and <= {hi}")
        return value

    def string(self, key, allowed=None, default=_MISSING):
        value = self.raw(key, default)
        if not isinstance(value, str):
            raise ScenarioError(self.source, self._key(key), value, "expected a string")
        if allowed is not None and value not in allowed:
            raise ScenarioError(self.source, self._key(key), value,
                                f"allowed {', '.join(map(repr, allowed))}")
        return value

    def dist(self, key, lo, hi, default=_MISSING, is_date=False, lo_open=False):
        """A number or distribution whose every possible draw lies in [lo, hi]."""
        value = self.raw(key, default)
        path = self._key(key)
        try:
            d = parse_distribution(value, is_date=is_date)
        except DistributionError as exc:
            raise ScenarioError(self.source, f"{path}.{exc.path}" if exc.path else path,
                                exc.value, exc.allowed) from None
        low, high = d.support()
        below = (low <= lo) if lo_open else (low < lo)
        if below or high > hi:
            if is_date:
                from .time import datetime_from_epoch

                lo_s, hi_s = (datetime_from_epoch(v).date().isoformat() for v in (lo, hi))
                allowed = f"draws must lie between {lo_s} and {hi_s}"
            else:
                allowed = (f"draws must lie in {'(' if lo_open else '['}{lo:g}, {hi:g}]"
                           + (" (normal and log-normal: within 6 sigma)"
                              if d.kind in ("normal", "lognormal") else ""))
            raise ScenarioError(self.source, path, value, allowed)
        return d

    def done(self):
        unknown = [k for k in self.data if k not in self.used]
        if unknown:
            allowed = ", ".join(sorted(self.used)) or "none"
            raise ScenarioError(self.source, self._key(unknown[0]), self.data[unknown[0]],
                                f"unknown key; allowed here: {allowed}"
                                + did_you_mean(unknown[0], self.used))


def with_values(scenario: Scenario, values: dict, *, name: str, title: str | None = None,
                comment: str = "", source: str | None = None) -> Scenario:
    """A variant of ``scenario``: its TOML with the key paths ``values`` set (a dotted path
    into the sections, e.g. ``"operations.deorbit_vehicle.ready_utc.mode"``; None removes
    the key), renamed, and parsed again, so that every value goes through the scenario's
    own validation (the message names its key path). ``comment`` heads the variant's text
    (``# `` lines); relative file paths still resolve against the scenario's directory.

    Raises
    ------
    ScenarioError
        A key path through a value (not a table), or a value the parser refuses.
    """
    data = tomllib.loads(scenario.text.removeprefix("\ufeff"))
    for path, value in values.items():
        node, parts = data, path.split(".")
        for i, part in enumerate(parts[:-1]):
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ScenarioError(scenario.source, ".".join(parts[: i + 1]), node,
                                    f"is a value, not a table: cannot set {path}")
        if value is None:
            node.pop(parts[-1], None)
        else:
            node[parts[-1]] = value
    data["name"] = name
    if title is not None:
        data["title"] = title
    from ._toml import dumps

    header = "".join(f"# {line}\n" for line in comment.splitlines())
    return parse_scenario(header + dumps(data) + "\n", source=source or scenario.source,
                          base_dir=scenario.base_dir)


def _epoch(iso):
    from .time import epoch_from_datetime

    return epoch_from_datetime(iso)


# Bounds of the quantities (wide: physics limits of the model, not plausibility).
EPOCH_RANGE = (_epoch("1957-10-04"), _epoch("2100-01-01"))


def parse_scenario(text: str, source: str = "<string>", base_dir: Path | None = None) -> Scenario:
    """Parse scenario TOML text.

    The sections are read one after the other, and the first error found is raised:
    ``[orbit]`` first (a start epoch from tracking data is the orbit's), then the others in
    the order of the calls below; ``[breakup]`` reads ``[propagation]``'s entry altitude.

    Parameters
    ----------
    text : str
        The TOML document.
    source : str
        Name used in error messages (file name or ``builtin:NAME``).
    base_dir : Path, optional
        Directory against which relative file paths (a density table) are resolved.

    Raises
    ------
    ScenarioError
    """
    top = _document(text, source)
    name = top.string("name")
    if not valid_name(name):
        raise ScenarioError(source, "name", name, NAME_RULE)
    title = top.string("title")
    description = top.string("description", default="")

    orbit_table = top.table("orbit", *ORBIT_KEYS)
    orbit = _orbit(orbit_table, base_dir)
    start = _start(top.table("start", *_START_KEYS), orbit)
    vehicle = _vehicle(top.table("vehicle", *_VEHICLE_KEYS))
    solar = _solar(top.table("solar", *_solar_keys()), base_dir)
    atmosphere = _atmosphere(top.table("atmosphere", *_ATMOSPHERE_KEYS), base_dir, solar.model,
                             orbit.inclination_deg, orbit_table.data.get("inclination_deg"))
    propagation = _propagation(top.table("propagation", *_PROPAGATION_KEYS, required=False))
    monte_carlo = _monte_carlo(top.table("monte_carlo", *_MONTE_CARLO_KEYS))
    operations = _operations(top.table("operations", "deorbit_vehicle", "altitude_maintenance",
                                       required=False), vehicle.mass_kg)
    breakup = _breakup(top.table("breakup", *_BREAKUP_KEYS), base_dir, propagation.entry_alt_km)
    ground = _ground(top.table("ground", *_GROUND_KEYS, required=False), base_dir)
    top.done()

    return _check_held(Scenario(
        name=name, title=title, description=description, start=start, vehicle=vehicle,
        orbit=orbit, solar=solar, atmosphere=atmosphere, propagation=propagation,
        monte_carlo=monte_carlo, operations=operations, breakup=breakup, ground=ground,
        source=source, text=text, sha256=hashlib.sha256(text.encode()).hexdigest(),
        base_dir=base_dir))


def _document(text, source):
    """The whole document as a table (its top-level keys: the name, title, description
    and the sections)."""
    try:
        data = tomllib.loads(text.removeprefix("\ufeff"))   # a byte-order mark is no error
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(source, "", None, f"not valid TOML: {exc}") from None
    return _Table(data, "", source, ("name", "title", "description", "start", "vehicle",
                                     "orbit", "solar", "atmosphere", "propagation",
                                     "monte_carlo", "operations", "breakup", "ground"))


#: The keys of ``[orbit]``: the mean-element form, and the tracking-data forms.
ORBIT_KEYS = ("mean_altitude_km", "inclination_deg", "raan_deg", "arg_latitude_deg", "file",
              "use", "covariance", "sigma_rtn_m", "sigma_rtn_m_s", "state")


def _orbit(t, base_dir):
    """``[orbit]``: mean elements, or an initial state from tracking data (``file`` with
    ``use``, or ``state``) dispersed by ``sigma_rtn_m`` / ``sigma_rtn_m_s`` or the file's
    ``covariance``."""
    if "file" not in t.data and "state" not in t.data:
        orbit = Orbit(
            mean_altitude_km=t.dist("mean_altitude_km", 130.0, 2000.0),
            inclination_deg=t.dist("inclination_deg", 0.0, 180.0),
            raan_deg=t.dist("raan_deg", 0.0, 360.0, default={"dist": "uniform", "low": 0.0,
                                                               "high": 360.0}),
            arg_latitude_deg=t.dist("arg_latitude_deg", 0.0, 360.0,
                                    default={"dist": "uniform", "low": 0.0, "high": 360.0}))
        t.done()
        return orbit
    from .tracking import initial, read_tracking

    if "file" in t.data and "state" in t.data:
        raise ScenarioError(t.source, t._key("state"), t.data["state"],
                            "give orbit.file or orbit.state, not both")
    sigmas = {key: _triple(t, key, 0.0, 1e7) for key in ("sigma_rtn_m", "sigma_rtn_m_s")}
    if "file" in t.data:
        path = t.string("file")
        use = t.string("use", allowed=("last", "first"), default="last")
        cov = t.raw("covariance", False)
        if not isinstance(cov, bool):
            raise ScenarioError(t.source, t._key("covariance"), cov, "expected true or false")
        if cov and any(v is not None for v in sigmas.values()):
            raise ScenarioError(t.source, t._key("covariance"), cov,
                                "give the file's covariance or sigma_rtn_m/sigma_rtn_m_s, "
                                "not both")
        full = _packaged_tracking(path) or ((base_dir or Path.cwd()) / path)
        try:
            init = initial.from_tracking(read_tracking(full), use=use, covariance=cov,
                                         **sigmas)
        except (OSError, ValueError) as exc:
            raise ScenarioError(t.source, t._key("file"), path, str(exc)) from None
        file = str(full)
    else:
        s = t.table("state", "epoch_utc", "frame", "position_km", "velocity_km_s")
        when = s.raw("epoch_utc")
        try:
            epoch = _epoch(when if isinstance(when, str) else when.isoformat())
        except (AttributeError, ValueError):
            raise ScenarioError(t.source, s._key("epoch_utc"), when,
                                "expected an ISO 8601 UTC epoch") from None
        frame = s.string("frame")
        position = _triple(s, "position_km", -1e6, 1e6, required=True)
        velocity = _triple(s, "velocity_km_s", -100.0, 100.0, required=True)
        s.done()
        try:
            init = initial.from_state_vector(epoch, frame, position, velocity, **sigmas)
        except ValueError as exc:
            raise ScenarioError(t.source, s._key("frame"), frame, str(exc)) from None
        file = None
    t.done()
    alt, inc, raan, u = init.elements()
    return Orbit(*(Distribution("fixed", (("value", v),)) for v in (alt, inc, raan, u)),
                 initial=init, file=file)


def _triple(t, key, lo, hi, required=False):
    """Three finite numbers in [lo, hi] (a vector), or None if absent and not required."""
    value = t.raw(key, _MISSING if required else None)
    if value is None:
        return None
    if (not isinstance(value, list) or len(value) != 3 or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and lo <= v <= hi
            for v in value)):
        raise ScenarioError(t.source, t._key(key), value,
                            f"expected three numbers in [{lo:g}, {hi:g}]")
    return [float(v) for v in value]


def _packaged_tracking(name):
    """The path of a packaged tracking file given by name (deorbit fit-bc's names)."""
    from ._data import data_path
    from .tracking import PACKAGED

    return data_path(PACKAGED[name]) if name in PACKAGED else None

_START_KEYS = ("epoch_utc", "horizon_years")


def _start(t, orbit):
    """``[start]``: the epoch (a distribution, or the tracking data's with ``orbit.file`` or
    ``orbit.state``) and the horizon."""
    if orbit.initial is None:
        epoch = t.dist("epoch_utc", *EPOCH_RANGE, is_date=True)
    elif "epoch_utc" in t.data:
        raise ScenarioError(t.source, "start.epoch_utc", t.data["epoch_utc"],
                            "not allowed with orbit.file or orbit.state: the epoch is the "
                            "tracking data's")
    else:
        epoch = Distribution("fixed", (("value", orbit.initial.epoch_utc_days),), True)
    start = Start(epoch_utc=epoch,
                  horizon_years=t.number("horizon_years", 0.0, 100.0, lo_open=True))
    t.done()
    return start


_VEHICLE_KEYS = ("ballistic_coefficient_kg_m2", "mass_kg")


def _vehicle(t):
    """``[vehicle]``: ballistic coefficient and mass."""
    vehicle = Vehicle(t.dist("ballistic_coefficient_kg_m2", 0.0, 1e5, lo_open=True),
                      mass_kg=t.dist("mass_kg", 0.0, 1e7, lo_open=True))
    t.done()
    return vehicle


def _solar_keys():
    """The keys of ``[solar]``: the constant model's indices, the space-weather file and
    every parameter of the other models (:data:`deorbit.solar.MODELS`)."""
    from .solar import MODELS

    return ("model", "f107_sfu", "f107a_sfu", "ap", "space_weather_file",
            *(k for _, allowed, _ in MODELS.values() for k in allowed))


def _solar(t, base_dir):
    """``[solar]``: constant indices, or a model with its parameters (the model is built
    once here, so that a bad parameter or record fails at parse time)."""
    model = t.string("model", allowed=SOLAR_MODELS)
    if model == "constant":
        solar = Solar(model=model, f107_sfu=t.number("f107_sfu", 50.0, 400.0),
                      f107a_sfu=t.number("f107a_sfu", 50.0, 400.0),
                      ap=t.number("ap", 0.0, 400.0))
        t.done()
        return solar
    sw_rel = t.raw("space_weather_file", None)
    sw_file = None
    if sw_rel is not None:
        if not isinstance(sw_rel, str):
            raise ScenarioError(t.source, "solar.space_weather_file", sw_rel,
                                "expected the path of a CelesTrak SW-All file")
        sw_file = str((base_dir or Path.cwd()) / sw_rel)
    params = tuple(sorted((k, v) for k, v in t.data.items()
                          if k not in ("model", "space_weather_file")))
    t.used.update(k for k, _ in params)
    solar = Solar(model=model, params=params, space_weather_file=sw_file)
    _check_solar_model(solar, t.source, sw_rel)
    return solar



def _check_solar_model(solar, source, sw_rel):
    """Build the solar model once (so a bad parameter or record fails at parse time),
    naming the key at fault: the space-weather file, the parameter the model's message
    names, or else ``solar.model``."""
    from .spaceweather import SpaceWeatherError

    try:
        solar.make_model()
    except (ValueError, OSError) as exc:
        text = str(exc)
        if sw_rel is not None and isinstance(exc, (SpaceWeatherError, OSError)):
            raise ScenarioError(source, "solar.space_weather_file", sw_rel, text) from None
        bad = next((k for k, _ in solar.params
                    if repr(k) in text or text.startswith(f"{k} = ")), None)
        raise ScenarioError(source, f"solar.{bad}" if bad else "solar.model",
                            dict(solar.params)[bad] if bad else solar.model, text) from None


_ATMOSPHERE_KEYS = ("model", "path", "density_scale", "bc_model")


def _atmosphere(t, base_dir, solar_model, inclination_deg, inclination_value):
    """``[atmosphere]``: the density model(s) and the file. ``inclination_deg`` is the orbit's
    (a :class:`Distribution`; the msis table is checked at its lowest draw),
    ``inclination_value`` the ``orbit.inclination_deg`` written in the file (for the
    message that refuses a dispersed inclination with the msis model)."""
    models, choice = _density_models(t)
    amodel = "table" if models == ("table",) else "msis"
    table = path = None
    rel = t.raw("path", None if amodel == "msis" else _MISSING)
    if rel is not None:
        if not isinstance(rel, str):
            raise ScenarioError(t.source, "atmosphere.path", rel, "expected the path of a "
                                "density file: JSON alt_km/rho_kg_m3 for model 'table', a "
                                "table .npz (python -m deorbit.tools.msis_table --out) for 'msis'")
        if models not in (("msis",), ("table",)):
            raise ScenarioError(t.source, "atmosphere.path", rel,
                                f"a table file goes with atmosphere.model = 'msis' or "
                                f"'table' (model {t.data['model']!r} is a packaged table)")
        path = str((base_dir or Path.cwd()) / rel)
        try:
            if amodel == "table":
                table = DensityTable.from_json(path)
            else:
                _msis_table(path, None).orbit(inclination_deg.support()[0])
        except (OSError, ValueError, KeyError) as exc:
            raise ScenarioError(t.source, "atmosphere.path", rel, f"cannot read a density "
                                f"table from {path}: {exc}") from None
    if amodel == "table" and solar_model != "constant":
        raise ScenarioError(t.source, "atmosphere.model", "table",
                            f"solar.model = {solar_model!r} drives a density model's table: "
                            "use atmosphere.model = 'msis' (a fixed table has no indices)")
    if amodel == "msis" and inclination_deg.kind != "fixed":
        raise ScenarioError(t.source, "orbit.inclination_deg", inclination_value,
                            "must be a fixed number with atmosphere.model = 'msis' (the "
                            "density profile is averaged over the latitudes of one inclination)")
    bc_model = t.string("bc_model", allowed=tuple(DENSITY_MODELS), default=DEFAULT_MODEL)
    atmosphere = Atmosphere(model=amodel, table=table,
                            density_scale=t.dist("density_scale", 0.0, 100.0, default=1.0,
                                                 lo_open=True),
                            path=path,
                            models=((DEFAULT_MODEL,) if models in (("msis",), ("table",))
                                    else models),
                            model_choice=choice, bc_model=bc_model)
    t.done()
    return atmosphere


def _density_models(t):
    """``atmosphere.model``: (the names, the draw over them or None). A string: "msis"
    (NRLMSISE-00, or the table at ``path``), "table", or a packaged model's name; or
    ``{dist = "choice", values = [names], weights = [...]}``: the packaged models each
    sample's is drawn from."""
    names = ("msis", "table", *DENSITY_MODELS)
    value = t.raw("model")
    if not isinstance(value, dict):
        if not isinstance(value, str) or value not in names:
            raise ScenarioError(t.source, "atmosphere.model", value,
                                f"allowed {', '.join(map(repr, names))} or "
                                "{ dist = 'choice', values = [model names] }"
                                + (did_you_mean(value, names) if isinstance(value, str) else ""))
        return (value,), None
    values = value.get("values")
    if value.get("dist") == "choice" and isinstance(values, list):
        for i, v in enumerate(values):
            if not isinstance(v, str) or v not in DENSITY_MODELS:
                raise ScenarioError(t.source, f"atmosphere.model.values[{i}]", v,
                                    f"allowed {', '.join(map(repr, DENSITY_MODELS))}"
                                    + (did_you_mean(v, DENSITY_MODELS)
                                       if isinstance(v, str) else ""))
        if len(set(values)) != len(values):
            raise ScenarioError(t.source, "atmosphere.model.values", values,
                                "each model once (weights set their shares)")
    try:
        if value.get("dist") != "choice":
            raise DistributionError("dist", value.get("dist"), "allowed 'choice' (a draw of "
                                    "the density model among packaged models' names)")
        choice = parse_distribution({**value, "values": list(range(len(values)))}
                                    if isinstance(values, list) else value)
    except DistributionError as exc:
        raise ScenarioError(t.source, f"atmosphere.model.{exc.path}", exc.value,
                            exc.allowed) from None
    if len(values) == 1:
        return tuple(values), None
    return tuple(values), choice

_PROPAGATION_KEYS = ("entry_alt_km", "method", "handover_alt_km", "rtol")


def _propagation(t):
    """``[propagation]`` (optional): the method, the entry and hand-over altitudes and the
    integrator's tolerance."""
    entry = t.number("entry_alt_km", 60.0, 200.0, default=Propagation.entry_alt_km)
    propagation = Propagation(
        method=t.string("method", allowed=("hybrid", "cowell"), default="hybrid"),
        entry_alt_km=float(entry),
        handover_alt_km=float(t.number("handover_alt_km", entry + 10.0, 1000.0,
                                       default=Propagation.handover_alt_km)),
        rtol=float(t.number("rtol", 1e-13, 1e-5, default=1e-9)))
    t.done()
    return propagation


_MONTE_CARLO_KEYS = ("samples", "seed", "block_size", "convergence", "hold_fixed")


def _monte_carlo(t):
    """``[monte_carlo]``: samples, seed, block size and an optional convergence target."""
    samples = t.number("samples", 1, 10**9, integer=True)
    seed = t.number("seed", 0, 2**63 - 1, integer=True)
    block_size = t.number("block_size", 1, 10**6, integer=True, default=1000)
    conv = None
    if "convergence" in t.data:
        c = t.table("convergence", "metric", "half_width", "confidence")
        metric = c.string("metric", allowed=tuple(CONVERGENCE_METRICS))
        conv = Convergence(metric=metric,
                           half_width=float(c.number("half_width", 0.0, 1e6, lo_open=True)),
                           confidence=float(c.number("confidence", 0.5, 0.9999, default=0.95)))
        c.done()
    else:
        t.used.add("convergence")
    hold = t.raw("hold_fixed", [])
    if not isinstance(hold, list) or not all(isinstance(h, str) for h in hold):
        raise ScenarioError(t.source, "monte_carlo.hold_fixed", hold,
                            "expected a list of key paths of sampled quantities, or 'solar'")
    monte_carlo = MonteCarlo(samples=samples, seed=seed, block_size=block_size,
                             convergence=conv, hold_fixed=tuple(hold))
    t.done()
    return monte_carlo


def _check_held(scenario):
    """Each ``monte_carlo.hold_fixed`` entry names a sampled quantity of the scenario."""
    allowed = (*scenario.uncertain(), *(("solar",) if scenario.solar.model != "constant"
                                        else ()))
    for i, key in enumerate(scenario.monte_carlo.hold_fixed):
        if key not in allowed:
            raise ScenarioError(scenario.source, f"monte_carlo.hold_fixed[{i}]", key,
                                f"allowed {', '.join(map(repr, allowed))}"
                                + did_you_mean(key, allowed))
    return scenario


def _operations(t, mass_kg):
    """``[operations]`` (optional): the deorbit vehicle's sequence, if there is one, and
    the altitude maintenance before it (``mass_kg``: the station's mass)."""
    dv = None
    if "deorbit_vehicle" in t.data:
        d = t.table("deorbit_vehicle", *(f.name for f in fields(DeorbitVehicle)))
        lowering = d.number("start_lowering_altitude_km", 150.0, 400.0)
        dv = DeorbitVehicle(
            ready_utc=d.dist("ready_utc", *EPOCH_RANGE, is_date=True),
            min_altitude_km=float(d.number("min_altitude_km", lowering, 2000.0)),
            start_lowering_altitude_km=float(lowering),
            lowering_burns=d.number("lowering_burns", 0, 20, integer=True),
            lowering_burn_dv_m_s=d.dist("lowering_burn_dv_m_s", 0.0, 200.0),
            burn_spacing_h=float(d.number("burn_spacing_h", 0.5, 240.0)),
            final_burn_dv_m_s=d.dist("final_burn_dv_m_s", 0.0, 500.0, lo_open=True),
            final_window_h=float(d.number("final_window_h", 1.0, 240.0)),
            failure_probability=float(d.number("failure_probability", 0.0, 1.0)),
            dv_error_frac=float(d.number("dv_error_frac", 0.0, 0.5)),
            pointing_error_deg=float(d.number("pointing_error_deg", 0.0, 30.0)),
            timing_error_s=float(d.number("timing_error_s", 0.0, 3600.0)),
            thrust_n=float(d.number("thrust_n", 0.0, 1e8, default=0.0)))
        d.done()
    else:
        t.used.add("deorbit_vehicle")
    maintenance = None
    if "altitude_maintenance" in t.data:
        maintenance = _altitude_maintenance(
            t.table("altitude_maintenance", *(f.name for f in fields(AltitudeMaintenance))),
            dv, mass_kg)
    else:
        t.used.add("altitude_maintenance")
    operations = Operations(deorbit_vehicle=dv, altitude_maintenance=maintenance)
    t.done()
    return operations


def _altitude_maintenance(m, dv, mass_kg):
    """``[operations.altitude_maintenance]``: the band, the delta-v budget (or propellant),
    the reboosts and the resupply. ``dv``: the deorbit vehicle (None: ``until_utc`` is
    required); ``mass_kg``: the station's mass (the propellant's rocket equation)."""
    trigger = m.number("trigger_altitude_km", 200.0, 2000.0)
    target = m.number("target_altitude_km", trigger, 2000.0, lo_open=True)
    if dv is None and "until_utc" not in m.data:
        raise ScenarioError(m.source, m._key("until_utc"), _MISSING,
                            "is required without operations.deorbit_vehicle (maintenance "
                            "lasts until the vehicle is ready, or until this date)")
    until = m.dist("until_utc", *EPOCH_RANGE, is_date=True) if "until_utc" in m.data else None
    m.used.add("until_utc")
    if ("dv_budget_m_s" in m.data) == ("propellant_kg" in m.data):
        raise ScenarioError(m.source, m._key("dv_budget_m_s"),
                            m.data.get("dv_budget_m_s", _MISSING),
                            "give dv_budget_m_s or propellant_kg (with isp_s), one of them")
    budget = propellant = isp = None
    if "dv_budget_m_s" in m.data:
        budget = m.dist("dv_budget_m_s", 0.0, 1e5)
        if "isp_s" in m.data:
            raise ScenarioError(m.source, m._key("isp_s"), m.data["isp_s"],
                                "only with propellant_kg (the budget is given as delta-v)")
        m.used.add("isp_s")
    else:
        propellant = m.dist("propellant_kg", 0.0, 1e7)
        if propellant.support()[1] >= mass_kg.support()[0]:
            raise ScenarioError(m.source, m._key("propellant_kg"), m.data["propellant_kg"],
                                f"draws must lie below the lowest vehicle.mass_kg draw "
                                f"({mass_kg.support()[0]:g} kg)")
        isp = float(m.number("isp_s", 0.0, 1000.0, lo_open=True))
    if "resupply_per_year" in m.data and "resupply_utc" in m.data:
        raise ScenarioError(m.source, m._key("resupply_utc"), m.data["resupply_utc"],
                            "give resupply_per_year or resupply_utc, not both")
    rate = float(m.number("resupply_per_year", 0.0, 100.0, default=0.0))
    dates = m.raw("resupply_utc", [])
    if not isinstance(dates, list) or len(dates) > 100:
        raise ScenarioError(m.source, m._key("resupply_utc"), dates,
                            "expected a list of at most 100 dates (each a date or a date "
                            "distribution)")
    sub = _Table({str(i): d for i, d in enumerate(dates)}, m._key("resupply_utc"), m.source,
                 [str(i) for i in range(len(dates))])
    dates = tuple(sub.dist(str(i), *EPOCH_RANGE, is_date=True) for i in range(len(dates)))
    resupply = None
    if rate > 0 or dates:
        resupply = m.dist("resupply_dv_m_s", 0.0, 1e4)
    elif "resupply_dv_m_s" in m.data:
        raise ScenarioError(m.source, m._key("resupply_dv_m_s"), m.data["resupply_dv_m_s"],
                            "only with resupply_per_year > 0 or resupply_utc")
    m.used.add("resupply_dv_m_s")
    maintenance = AltitudeMaintenance(
        trigger_altitude_km=float(trigger), target_altitude_km=float(target),
        dv_budget_m_s=budget,
        dv_per_reboost_m_s=float(m.number("dv_per_reboost_m_s", 0.5, 500.0)),
        failure_probability=float(m.number("failure_probability", 0.0, 1.0, default=0.0)),
        thrust_n=float(m.number("thrust_n", 0.0, 1e8, default=0.0)),
        until_utc=until, propellant_kg=propellant, isp_s=isp, resupply_per_year=rate,
        resupply_utc=dates, resupply_dv_m_s=resupply)
    m.done()
    return maintenance


_BREAKUP_KEYS = ("fragments", "altitude_km", "surviving_mass_fraction")


def _breakup(t, base_dir, entry_alt_km):
    """``[breakup]``: the fragment model and the breakup altitude (below the entry
    altitude ``entry_alt_km``, km) and surviving mass fraction."""
    frag = t.raw("fragments", "iss-default")
    if frag == "iss-default":
        from .fragments import ISS_DEFAULT

        fragments = ISS_DEFAULT
    elif isinstance(frag, str):
        from .fragments import load_fragment_model

        try:
            fragments = load_fragment_model((base_dir or Path.cwd()) / frag)
        except ValueError as exc:
            raise ScenarioError(t.source, "breakup.fragments", frag, str(exc)) from None
    else:
        raise ScenarioError(t.source, "breakup.fragments", frag,
                            "expected 'iss-default' or the path of a fragment CSV file")
    breakup = Breakup(altitude_km=t.dist("altitude_km", 0.0, entry_alt_km, lo_open=True),
                      surviving_mass_fraction=t.dist("surviving_mass_fraction", 0.0, 1.0),
                      fragments=fragments)
    t.done()
    return breakup


_GROUND_KEYS = ("target_zone", "population_grid", "target_lat_deg", "target_lon_deg")


def _ground(t, base_dir):
    """``[ground]`` (optional): the aim point, the target zone and the population grid."""
    zone_file = t.raw("target_zone", None)
    grid_file = t.raw("population_grid", None)
    ground = Ground(target_lat_deg=float(t.number("target_lat_deg", -90.0, 90.0,
                                                  default=-(48 + 52.6 / 60))),
                    target_lon_deg=float(t.number("target_lon_deg", -180.0, 180.0,
                                                  default=-(123 + 23.6 / 60))),
                    target_zone=_ground_file(t.source, base_dir, "ground.target_zone",
                                             zone_file, "zone"),
                    population_grid_file=_ground_file(t.source, base_dir,
                                                      "ground.population_grid",
                                                      grid_file, "grid"))
    t.done()
    return ground


def _ground_file(source, base_dir, path, value, kind):
    """Load (and so check) a target-zone file, or check a population-grid file."""
    from .ground import default_zone, load_grid, load_zone

    if value is None:
        return default_zone() if kind == "zone" else None
    if not isinstance(value, str):
        raise ScenarioError(source, path, value, "expected a file path")
    full = (base_dir or Path.cwd()) / value
    try:
        if kind == "zone":
            return load_zone(full)
        load_grid(str(full))
        return str(full)
    except (OSError, ValueError, ImportError) as exc:
        raise ScenarioError(source, path, value, str(exc)) from None


def builtin_names():
    """Names of the built-in scenarios, sorted."""
    files = resources.files("deorbit") / "scenarios"
    return sorted(p.name[:-5] for p in files.iterdir() if p.name.endswith(".toml"))


def load_scenario(name_or_path) -> Scenario:
    """A built-in scenario by name, or a scenario file by path."""
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise ScenarioError(str(path), "", None, f"cannot read the file: {exc}") from None
        text = decode_utf8(raw, lambda line, message: ScenarioError(
            path.name, "", None, f"line {line}: {message}"))
        return parse_scenario(text, source=path.name, base_dir=path.resolve().parent)
    names = builtin_names()
    if str(name_or_path) not in names:
        raise ScenarioError(str(name_or_path), "", None,
                            f"no such file, and not a built-in scenario ({', '.join(names)})")
    res = resources.files("deorbit") / "scenarios" / f"{name_or_path}.toml"
    return parse_scenario(res.read_text(encoding="utf-8"), source=f"builtin:{name_or_path}")
