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
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from .atmosphere import DensityTable, load_msis_table
from .atmosphere.msis import PACKAGED_SOURCE
from .distributions import Distribution, DistributionError, parse_distribution
from .kernel import ENTRY_ALT_KM, HANDOVER_ALT_KM


class ScenarioError(ValueError):
    """A scenario file is invalid. ``source``, ``path`` and ``value`` say where and what."""

    def __init__(self, source, path, value, allowed):
        self.source, self.path, self.value, self.allowed = source, path, value, allowed
        where = f"{path} = {value!r}: " if path else ""
        super().__init__(f"{source}: {where}{allowed}")


_MISSING = object()
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
    #: Natural decay down to this altitude before the first burn, km.
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
class Operations:
    #: None: no deorbit vehicle (uncontrolled natural decay).
    deorbit_vehicle: DeorbitVehicle | None


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
    """Near-circular orbit at the start epoch, as mean elements."""

    #: Mean semi-major axis minus the equatorial radius, km.
    mean_altitude_km: Distribution
    inclination_deg: Distribution
    raan_deg: Distribution
    #: Mean argument of latitude, deg.
    arg_latitude_deg: Distribution


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

    ``msis``: NRLMSISE-00 through deorbit's density table (the packaged one, or ``path``: a
    file in the same format, :func:`deorbit.atmosphere.load_msis_table`), averaged over
    the latitudes of the orbit's inclination. ``table``: a fixed density profile (JSON
    ``alt_km``/``rho_kg_m3`` at ``path``), with constant solar indices only.
    """

    model: str
    #: "table": the profile read from ``path``.
    table: DensityTable | None
    #: Multiplier on the model density, e.g. the model's own error (NRLMSISE-00: ~15 % 1-sigma).
    density_scale: Distribution
    #: The density file (absolute path); None with "msis": the packaged table.
    path: str | None = None

    @property
    def source(self) -> str:
        """Where the density comes from (the profile's source, the table file, or the
        packaged table), without reading a table."""
        if self.table is not None:
            return self.table.source
        return self.path or PACKAGED_SOURCE

    def msis_table(self):
        """The NRLMSISE-00 density table (:class:`deorbit.atmosphere.MsisTable`) of model
        "msis": the packaged one or ``path`` (read once per process)."""
        return _msis_table(self.path)


@lru_cache(maxsize=4)
def _msis_table(path):
    return load_msis_table(path)


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

    def data_files(self):
        """Key path -> absolute path of each file the scenario reads besides its own text
        (a space-weather record, a density table); packaged data is not listed."""
        files = {"solar.space_weather_file": self.solar.space_weather_file,
                 "atmosphere.path": self.atmosphere.path}
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
            "atmosphere.density_scale": self.atmosphere.density_scale,
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
        return out


class _Table:
    """A TOML table being read: remembers its key path, refuses unknown keys."""

    def __init__(self, data, path, source):
        if not isinstance(data, dict):
            raise ScenarioError(source, path, data, "expected a table")
        self.data, self.path, self.source, self.used = data, path, source, set()

    def _key(self, key):
        return f"{self.path}.{key}" if self.path else key

    def raw(self, key, default=_MISSING):
        self.used.add(key)
        if key not in self.data:
            if default is _MISSING:
                raise ScenarioError(self.source, self._key(key), None, "is required")
            return default
        return self.data[key]

    def table(self, key, required=True):
        value = self.raw(key, _MISSING if required else {})
        return _Table(value, self._key(key), self.source)

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
                                f"unknown key; allowed here: {allowed}")


def _epoch(iso):
    from .time import epoch_from_datetime

    return epoch_from_datetime(iso)


# Bounds of the quantities (wide: physics limits of the model, not plausibility).
EPOCH_RANGE = (_epoch("1957-10-04"), _epoch("2100-01-01"))


def parse_scenario(text: str, source: str = "<string>", base_dir: Path | None = None) -> Scenario:
    """Parse scenario TOML text.

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
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(source, "", None, f"not valid TOML: {exc}") from None
    top = _Table(data, "", source)
    name = top.string("name")
    if not valid_name(name):
        raise ScenarioError(source, "name", name, NAME_RULE)
    title = top.string("title")
    description = top.string("description", default="")

    t = top.table("start")
    start = Start(epoch_utc=t.dist("epoch_utc", *EPOCH_RANGE, is_date=True),
                  horizon_years=t.number("horizon_years", 0.0, 100.0, lo_open=True))
    t.done()

    t = top.table("vehicle")
    vehicle = Vehicle(t.dist("ballistic_coefficient_kg_m2", 0.0, 1e5, lo_open=True),
                      mass_kg=t.dist("mass_kg", 0.0, 1e7, lo_open=True))
    t.done()

    t = top.table("orbit")
    orbit = Orbit(
        mean_altitude_km=t.dist("mean_altitude_km", 130.0, 2000.0),
        inclination_deg=t.dist("inclination_deg", 0.0, 180.0),
        raan_deg=t.dist("raan_deg", 0.0, 360.0, default={"dist": "uniform", "low": 0.0,
                                                           "high": 360.0}),
        arg_latitude_deg=t.dist("arg_latitude_deg", 0.0, 360.0,
                                default={"dist": "uniform", "low": 0.0, "high": 360.0}))
    t.done()

    t = top.table("solar")
    model = t.string("model", allowed=SOLAR_MODELS)
    if model == "constant":
        solar = Solar(model=model, f107_sfu=t.number("f107_sfu", 50.0, 400.0),
                      f107a_sfu=t.number("f107a_sfu", 50.0, 400.0),
                      ap=t.number("ap", 0.0, 400.0))
        t.done()
    else:
        sw_file = t.raw("space_weather_file", None)
        if sw_file is not None:
            if not isinstance(sw_file, str):
                raise ScenarioError(source, "solar.space_weather_file", sw_file,
                                    "expected the path of a CelesTrak SW-All file")
            sw_file = str((base_dir or Path.cwd()) / sw_file)
        params = tuple(sorted((k, v) for k, v in t.data.items()
                              if k not in ("model", "space_weather_file")))
        t.used.update(k for k, _ in params)
        solar = Solar(model=model, params=params, space_weather_file=sw_file)
        try:
            solar.make_model()
        except (ValueError, OSError) as exc:
            bad = next((k for k, _ in params if repr(k) in str(exc)), None)
            raise ScenarioError(source, f"solar.{bad}" if bad else "solar",
                                dict(params).get(bad, dict(params)), str(exc)) from None

    t = top.table("atmosphere")
    amodel = t.string("model", allowed=("msis", "table"))
    table = path = None
    rel = t.raw("path", None if amodel == "msis" else _MISSING)
    if rel is not None:
        if not isinstance(rel, str):
            raise ScenarioError(source, "atmosphere.path", rel, "expected the path of a "
                                "density file: JSON alt_km/rho_kg_m3 for model 'table', a "
                                "table .npz (python -m deorbit.atmosphere.msis --out) for 'msis'")
        path = str((base_dir or Path.cwd()) / rel)
        try:
            if amodel == "table":
                table = DensityTable.from_json(path)
            else:
                _msis_table(path).orbit(orbit.inclination_deg.support()[0])
        except (OSError, ValueError, KeyError) as exc:
            raise ScenarioError(source, "atmosphere.path", rel, f"cannot read a density "
                                f"table from {path}: {exc}") from None
    if amodel == "table" and solar.model != "constant":
        raise ScenarioError(source, "atmosphere.model", amodel,
                            f"solar.model = {solar.model!r} drives the NRLMSISE-00 table: "
                            "use atmosphere.model = 'msis' (a fixed table has no indices)")
    if amodel == "msis" and orbit.inclination_deg.kind != "fixed":
        raise ScenarioError(source, "orbit.inclination_deg", top.data["orbit"]["inclination_deg"],
                            "must be a fixed number with atmosphere.model = 'msis' (the "
                            "density profile is averaged over the latitudes of one inclination)")
    atmosphere = Atmosphere(model=amodel, table=table,
                            density_scale=t.dist("density_scale", 0.0, 100.0, default=1.0,
                                                 lo_open=True),
                            path=path)
    t.done()

    t = top.table("propagation", required=False)
    entry = t.number("entry_alt_km", 60.0, 200.0, default=Propagation.entry_alt_km)
    propagation = Propagation(
        method=t.string("method", allowed=("hybrid", "cowell"), default="hybrid"),
        entry_alt_km=float(entry),
        handover_alt_km=float(t.number("handover_alt_km", entry + 10.0, 1000.0,
                                                     default=Propagation.handover_alt_km)),
        rtol=float(t.number("rtol", 1e-13, 1e-5, default=1e-9)))
    t.done()

    t = top.table("monte_carlo")
    samples = t.number("samples", 1, 10**9, integer=True)
    seed = t.number("seed", 0, 2**63 - 1, integer=True)
    block_size = t.number("block_size", 1, 10**6, integer=True, default=1000)
    conv = None
    if "convergence" in t.data:
        c = t.table("convergence")
        metric = c.string("metric", allowed=tuple(CONVERGENCE_METRICS))
        conv = Convergence(metric=metric,
                           half_width=float(c.number("half_width", 0.0, 1e6, lo_open=True)),
                           confidence=float(c.number("confidence", 0.5, 0.9999, default=0.95)))
        c.done()
    else:
        t.used.add("convergence")
    monte_carlo = MonteCarlo(samples=samples, seed=seed, block_size=block_size,
                             convergence=conv)
    t.done()

    t = top.table("operations", required=False)
    dv = None
    if "deorbit_vehicle" in t.data:
        d = t.table("deorbit_vehicle")
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
    operations = Operations(deorbit_vehicle=dv)
    t.done()

    t = top.table("breakup")
    frag = t.raw("fragments", "iss-default")
    if frag == "iss-default":
        from .fragments import ISS_DEFAULT

        fragments = ISS_DEFAULT
    elif isinstance(frag, str):
        from .fragments import load_fragment_model

        try:
            fragments = load_fragment_model((base_dir or Path.cwd()) / frag)
        except ValueError as exc:
            raise ScenarioError(source, "breakup.fragments", frag, str(exc)) from None
    else:
        raise ScenarioError(source, "breakup.fragments", frag,
                            "expected 'iss-default' or the path of a fragment CSV file")
    breakup = Breakup(altitude_km=t.dist("altitude_km", 0.0, propagation.entry_alt_km,
                                         lo_open=True),
                      surviving_mass_fraction=t.dist("surviving_mass_fraction", 0.0, 1.0),
                      fragments=fragments)
    t.done()

    t = top.table("ground", required=False)
    zone_file = t.raw("target_zone", None)
    grid_file = t.raw("population_grid", None)
    ground = Ground(target_lat_deg=float(t.number("target_lat_deg", -90.0, 90.0,
                                                  default=-(48 + 52.6 / 60))),
                    target_lon_deg=float(t.number("target_lon_deg", -180.0, 180.0,
                                                  default=-(123 + 23.6 / 60))),
                    target_zone=_ground_file(source, base_dir, "ground.target_zone",
                                             zone_file, "zone"),
                    population_grid_file=_ground_file(source, base_dir, "ground.population_grid",
                                                      grid_file, "grid"))
    t.done()
    top.done()

    return Scenario(name=name, title=title, description=description, start=start,
                    vehicle=vehicle, orbit=orbit, solar=solar, atmosphere=atmosphere,
                    propagation=propagation, monte_carlo=monte_carlo, operations=operations,
                    breakup=breakup, ground=ground, source=source,
                    text=text, sha256=hashlib.sha256(text.encode()).hexdigest())


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
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ScenarioError(str(path), "", None, f"cannot read the file: {exc}") from None
        return parse_scenario(text, source=path.name, base_dir=path.resolve().parent)
    names = builtin_names()
    if str(name_or_path) not in names:
        raise ScenarioError(str(name_or_path), "", None,
                            f"no such file, and not a built-in scenario ({', '.join(names)})")
    res = resources.files("deorbit") / "scenarios" / f"{name_or_path}.toml"
    return parse_scenario(res.read_text(encoding="utf-8"), source=f"builtin:{name_or_path}")
