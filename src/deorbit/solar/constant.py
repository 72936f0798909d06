"""``constant`` solar-activity model: the same F10.7, 81-day mean and Ap every day."""

from __future__ import annotations

import math

import numpy as np

from ..spaceweather import MODELLED
from ._common import SolarPaths, check_window

__all__ = ["ConstantModel"]


class ConstantModel:
    """Fixed daily F10.7, 81-day mean F10.7 and Ap, labelled :data:`MODELLED`.

    Uses no random numbers. Useful for sensitivity studies and for comparison with
    published lifetimes computed at fixed indices.

    Parameters
    ----------
    f107 : float
        Daily observed F10.7, sfu (1e-22 W m^-2 Hz^-1), also used for the day before the
        window. Allowed 0 < f107 <= 1000.
    f107a : float
        Centred 81-day mean of F10.7, sfu. Allowed 0 < f107a <= 1000.
    ap : float
        Daily Ap (dimensionless). Allowed 0 <= ap <= 400 (the largest daily Ap the index
        can take).

    Raises
    ------
    ValueError
        Naming the parameter, its value and the allowed range.
    """

    name = "constant"

    def __init__(self, f107: float, f107a: float, ap: float) -> None:
        for pname, value, low, high, low_open in (
            ("f107", f107, 0.0, 1000.0, True),
            ("f107a", f107a, 0.0, 1000.0, True),
            ("ap", ap, 0.0, 400.0, False),
        ):
            try:
                v = float(value)
            except (TypeError, ValueError):
                raise ValueError(f"{pname} = {value!r}: allowed a number") from None
            ok = math.isfinite(v) and (v > low if low_open else v >= low) and v <= high
            if not ok:
                bracket = "(" if low_open else "["
                raise ValueError(f"{pname} = {value!r}: allowed {bracket}{low:g}, {high:g}]")
        self.f107 = float(f107)
        self.f107a = float(f107a)
        self.ap = float(ap)

    def __repr__(self) -> str:
        return f"ConstantModel(f107={self.f107}, f107a={self.f107a}, ap={self.ap})"

    def sample(self, rng, first_day: int, n_days: int, n_samples: int, *,
               stream_days: int | None = None) -> SolarPaths:
        """Constant paths (``rng`` and ``stream_days`` are accepted for the interface and
        not used: any window is a prefix of a longer one)."""
        first_day, n_days, n_samples, _ = check_window(first_day, n_days, n_samples,
                                                       stream_days)
        shape = (n_samples, n_days)
        return SolarPaths(
            first_day=first_day,
            f107_sfu=np.full(shape, self.f107),
            f107_81d_sfu=np.full(shape, self.f107a),
            ap=np.full(shape, self.ap),
            regime=np.full(shape, MODELLED, dtype=np.int8),
            f107_day_before_sfu=np.full(n_samples, self.f107),
        )
