"""Solar-activity models: daily paths of F10.7, its 81-day mean and Ap for a block of samples.

A model has a ``name`` and ``sample(rng, first_day, n_days, n_samples) -> SolarPaths``; the
paths drive the NRLMSISE-00 density table of the propagation kernel through
:meth:`SolarPaths.msis_inputs` (``f107a``, previous-day ``f107``, daily ``Ap``).

Models (build them with :func:`make_model`):

``constant``
    Fixed F10.7, 81-day mean and Ap (parameters ``f107``, ``f107a``, ``ap``).
``observed``
    Hindcast with the recorded values; an error if the window is not entirely observed.
``forecast``
    The file's observations, then its 45-day and monthly predictions; nominal F10.7 (the
    file gives no spread; see :class:`ForecastModel`), Ap filled by bootstrap where the
    monthly predictions have none.
``stochastic`` (default)
    Solar-cycle ensembles calibrated on the record and conditioned on it, with a
    phase-matched block bootstrap of daily F10.7 and Ap (:class:`StochasticModel`); its
    backtests are in VALIDATION.md.

Random numbers: ``rng`` is the block's ``numpy.random.Generator`` (one child stream per
sample is spawned from it) or a sequence of one Generator/SeedSequence per sample; each
sample's path depends only on its own stream (:func:`per_sample_generators`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .._messages import did_you_mean, shown
from ..spaceweather import SpaceWeather, load_space_weather
from ._common import (
    SolarActivityModel,
    SolarPaths,
    centred_mean_81,
    distance_factor,
    per_sample_generators,
    sample_streams,
)
from .constant import ConstantModel
from .forecast import ForecastModel
from .observed import ObservedModel, observed_daily_indices
from .stochastic import StochasticModel

__all__ = [
    "MODELS",
    "ConstantModel",
    "ForecastModel",
    "ObservedModel",
    "SolarActivityModel",
    "SolarPaths",
    "StochasticModel",
    "centred_mean_81",
    "distance_factor",
    "make_model",
    "observed_daily_indices",
    "per_sample_generators",
    "sample_streams",
]

#: Model name -> (class, allowed parameters, required parameters).
MODELS: dict[str, tuple[type, tuple[str, ...], tuple[str, ...]]] = {
    "constant": (ConstantModel, ("f107", "f107a", "ap"), ("f107", "f107a", "ap")),
    "observed": (ObservedModel, (), ()),
    "forecast": (ForecastModel, ("block_days",), ()),
    "stochastic": (
        StochasticModel,
        ("condition_on_data_until", "block_days", "n_particles", "analog_k",
         "likelihood_power"),
        (),
    ),
}

_CACHE: dict[tuple, Any] = {}
_CACHE_SIZE = 8


def _day_index(name: str, value: Any) -> int:
    """A day index from an int or an ISO date string 'YYYY-MM-DD'."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, str):
        try:
            d = np.datetime64(value, "D")
        except ValueError:
            pass
        else:
            return int((d - np.datetime64("2000-01-01", "D")).astype(np.int64))
    raise ValueError(
        f"{name} = {shown(value)}: allowed a day index (int, days since 2000-01-01) or an ISO "
        "date 'YYYY-MM-DD'"
    )


def make_model(
    name: str = "stochastic",
    params: Mapping[str, Any] | None = None,
    space_weather: SpaceWeather | None = None,
):
    """Build a solar-activity model by name.

    Parameters
    ----------
    name : str
        ``'constant'``, ``'observed'``, ``'forecast'`` or ``'stochastic'`` (default).
    params : mapping, optional
        The model's parameters: ``constant``: ``f107``, ``f107a`` (sfu) and ``ap``, all
        required; ``forecast``: ``block_days``; ``stochastic``: ``condition_on_data_until``
        (day index or ISO date; default the last observed day), ``block_days``,
        ``n_particles``, ``analog_k``, ``likelihood_power``. See each class.
    space_weather : deorbit.spaceweather.SpaceWeather, optional
        The record; default the CelesTrak file shipped with deorbit. Not used by
        ``constant``.

    Returns
    -------
    SolarActivityModel
        Models built from the same record and parameters are cached (the stochastic one
        takes about a second to fit) and shared: they are immutable in use.

    Raises
    ------
    ValueError
        Unknown model name or parameter, a missing required parameter, or a bad value; the
        message names the parameter, its value and what is allowed.
    """
    if name not in MODELS:
        raise ValueError(f"solar model {name!r}: allowed {sorted(MODELS)}")
    cls, allowed, required = MODELS[name]
    params = dict(params or {})
    for key in params:
        if key not in allowed:
            raise ValueError(
                f"solar model {name!r}: unknown parameter {shown(key)} = "
                f"{shown(params[key])}; allowed {list(allowed) or 'none'}"
                + did_you_mean(key, allowed)
            )
    missing = [k for k in required if k not in params]
    if missing:
        raise ValueError(f"solar model {name!r}: missing parameter(s) {missing}")
    if "condition_on_data_until" in params:
        params["condition_on_data_until"] = _day_index(
            "condition_on_data_until", params["condition_on_data_until"]
        )
    if name == "constant":
        return cls(**params)
    if space_weather is None:
        space_weather = load_space_weather()
    key = (name, space_weather.sha256, space_weather.source, tuple(sorted(params.items())))
    try:
        return _CACHE[key]
    except (KeyError, TypeError):
        pass
    model = cls(space_weather, **params)
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    try:
        _CACHE[key] = model
    except TypeError:  # unhashable parameter value: no caching
        pass
    return model
