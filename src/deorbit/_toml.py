"""TOML text of a dict (the standard library reads TOML, it does not write it): for the
scenario variants of a sweep (:mod:`deorbit.sweep`), and the scenario fuzz tests."""
from __future__ import annotations

import datetime
import json


def dumps(data: dict, prefix: str = "") -> str:
    """TOML text of ``data``: nested dicts as ``[a.b]`` sections, keys always quoted,
    dates and times in ISO form (the values :func:`tomllib.loads` gives back)."""
    lines = [f"{_key(k)} = {_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for k, v in data.items():
        if isinstance(v, dict):
            name = f"{prefix}.{_key(k)}" if prefix else _key(k)
            lines += ["", f"[{name}]", dumps(v, name)]
    return "\n".join(lines)


def _key(k):
    return json.dumps(k, ensure_ascii=False)


def _value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return "nan" if v != v else {float("inf"): "inf", float("-inf"): "-inf"}.get(v, repr(v))
    if isinstance(v, (int, datetime.date, datetime.time)):
        return v.isoformat() if not isinstance(v, int) else str(v)
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + " }"
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    return json.dumps(v, ensure_ascii=False)
