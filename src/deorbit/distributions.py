"""Uncertain scenario numbers and dates: fixed values and distributions.

Every uncertain number in a scenario file is either a plain value or a table with a ``dist``
key (see :data:`FORMS`). Dates are ISO 8601 strings (UTC) wherever a number would stand;
their spreads (``sd_days``) are in days. Sampled dates are UTC days since J2000.

Draws use the ``numpy.random.Generator`` given by :mod:`deorbit.sampling`, one stream per
key path, so that the same key in two scenarios gets the same draws when its distribution
family is the same (common random numbers).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np

from ._messages import did_you_mean, shown
from .time import epoch_from_datetime

#: The accepted forms, with their parameters (shown in error messages).
FORMS = {
    "fixed": ("value",),
    "uniform": ("low", "high"),
    "normal": ("mean", "sd"),
    "lognormal": ("median", "sigma"),
    "triangular": ("low", "mode", "high"),
    "choice": ("values", "weights"),
}


class DistributionError(ValueError):
    """A distribution is malformed: ``path`` is the key inside it ('' = the value itself),
    ``value`` the offending value and ``allowed`` what would be accepted."""

    def __init__(self, path, value, allowed):
        self.path, self.value, self.allowed = path, value, allowed
        super().__init__(f"{path or 'value'} = {shown(value)}: {allowed}")


@dataclass(frozen=True)
class Distribution:
    """A fixed value or a distribution of a scalar quantity (numbers, or dates as days).

    Attributes
    ----------
    kind : str
        One of :data:`FORMS`.
    params : tuple of (name, value)
        Numeric parameters; for ``choice`` the values and normalised weights are tuples.
    is_date : bool
        True when the quantity is an epoch (UTC days since J2000).
    """

    kind: str
    params: tuple
    is_date: bool = False

    @property
    def p(self):
        return dict(self.params)

    def support(self):
        """(lowest, highest) value a draw can take; normal: mean -/+ 6 sd (see sample)."""
        p = self.p
        if self.kind == "fixed":
            return p["value"], p["value"]
        if self.kind in ("uniform", "triangular"):
            return p["low"], p["high"]
        if self.kind == "normal":
            return p["mean"] - 6 * p["sd"], p["mean"] + 6 * p["sd"]
        if self.kind == "lognormal":
            return p["median"] * np.exp(-6 * p["sigma"]), p["median"] * np.exp(6 * p["sigma"])
        return min(p["values"]), max(p["values"])

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw n values (float64). Normal and log-normal draws are truncated at 6 sigma
        (probability 2e-9) so that :meth:`support` is a true bound that validation can
        check."""
        p = self.p
        if self.kind == "fixed":
            return np.full(n, float(p["value"]))
        if self.kind == "uniform":
            return rng.uniform(p["low"], p["high"], n)
        if self.kind == "triangular":
            if p["low"] == p["high"]:
                return np.full(n, float(p["low"]))
            return rng.triangular(p["low"], p["mode"], p["high"], n)
        if self.kind in ("normal", "lognormal"):
            z = np.clip(rng.standard_normal(n), -6.0, 6.0)
            if self.kind == "normal":
                return p["mean"] + p["sd"] * z
            return p["median"] * np.exp(p["sigma"] * z)
        values = np.asarray(p["values"], dtype=np.float64)
        return values[rng.choice(values.size, size=n, p=np.asarray(p["weights"]))]

    def describe(self, unit=""):
        """Human-readable summary, e.g. ``uniform(400, 420) km``."""
        p = self.p
        fmt = _fmt_date if self.is_date else (lambda v: f"{v:g}")
        unit = "" if self.is_date else (f" {unit}" if unit else "")
        if self.kind == "fixed":
            return f"{fmt(p['value'])}{unit}"
        if self.kind == "choice":
            return f"choice({', '.join(fmt(v) for v in p['values'])}){unit}"
        args = ", ".join(f"{k}={v:g} d" if self.is_date and k == "sd" else f"{k}={fmt(v)}"
                         for k, v in self.params)
        return f"{self.kind}({args}){unit}"


def _fmt_date(epoch_days):
    from .time import datetime_from_epoch

    return datetime_from_epoch(epoch_days).strftime("%Y-%m-%d")


def _number(value, path, is_date):
    if is_date:
        if isinstance(value, str):
            try:
                return epoch_from_datetime(value)
            except ValueError:
                raise DistributionError(path, value, "expected an ISO 8601 date such as "
                                        "'2030-01-31' or '2030-01-31T12:00:00Z'") from None
        if isinstance(value, datetime):
            return epoch_from_datetime(value)
        if isinstance(value, date):  # a TOML date without time
            return epoch_from_datetime(datetime(value.year, value.month, value.day))
        raise DistributionError(path, value, "expected a date (ISO 8601 string or TOML date)")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise DistributionError(path, value, "expected a number")
    try:
        number = float(value)   # an integer beyond float range overflows
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise DistributionError(path, value, "expected a finite number")
    return number


def parse_distribution(value, *, is_date=False) -> Distribution:
    """Build a :class:`Distribution` from a scenario value (plain value or ``{dist=...}``).

    Raises
    ------
    DistributionError
        With ``path`` set to the offending sub-key (e.g. ``"sd"``), its value and what is
        allowed.
    """
    if not isinstance(value, dict):
        return Distribution("fixed", (("value", _number(value, "", is_date)),), is_date)
    if "dist" not in value:
        raise DistributionError("dist", None, f"required: one of {', '.join(FORMS)}")
    kind = value["dist"]
    forms = [f for f in FORMS if not (is_date and f == "lognormal")]
    if not isinstance(kind, str) or kind not in forms:
        raise DistributionError("dist", kind, f"allowed {', '.join(forms)}"
                                + (did_you_mean(kind, forms) if isinstance(kind, str) else ""))
    # Dates give their spread in days: sd_days instead of sd.
    keys = {name: ("sd_days" if is_date and name == "sd" else name) for name in FORMS[kind]}
    optional = {"weights"} if kind == "choice" else set()
    for key in value:
        if key != "dist" and key not in keys.values():
            raise DistributionError(key, value[key], f"not a parameter of {kind!r}; allowed "
                                    f"{', '.join(keys.values())}"
                                    + did_you_mean(key, keys.values()))
    for key in keys.values():
        if key not in value and key not in optional:
            raise DistributionError(key, None, f"required by {kind!r}")
    if kind == "choice":
        values = value["values"]
        if not isinstance(values, list) or not values:
            raise DistributionError("values", values, "expected a non-empty list")
        nums = tuple(_number(v, f"values[{i}]", is_date) for i, v in enumerate(values))
        weights = value.get("weights", [1.0] * len(nums))
        if not isinstance(weights, list) or len(weights) != len(nums):
            raise DistributionError("weights", weights, f"expected a list of {len(nums)} "
                                    "numbers (one per value)")
        ws = tuple(_number(w, f"weights[{i}]", False) for i, w in enumerate(weights))
        if any(not w >= 0 for w in ws) or not math.isfinite(sum(ws)) or sum(ws) <= 0:
            raise DistributionError("weights", weights, "expected non-negative numbers with "
                                    "a positive finite sum")
        total = sum(ws)
        return Distribution("choice", (("values", nums),
                                       ("weights", tuple(w / total for w in ws))), is_date)
    p = {name: _number(value[key], key, is_date and name not in ("sd", "sigma"))
         for name, key in keys.items()}
    if kind == "uniform" and not p["low"] < p["high"]:
        raise DistributionError("high", value["high"], "must be greater than low")
    if kind == "triangular" and not p["low"] <= p["mode"] <= p["high"]:
        raise DistributionError("mode", value["mode"], "must lie between low and high")
    for name in ("sd", "sigma", "median"):
        if name in p and not p[name] > 0:
            raise DistributionError(keys[name], value[keys[name]], "must be > 0")
    return Distribution(kind, tuple(p.items()), is_date)
