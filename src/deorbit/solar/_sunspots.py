"""The monthly sunspot record, 1749-2009: the solar cycles before the F10.7 record.

The F10.7 record (CelesTrak, from 1957-10) holds cycles 19-25, and four of the five complete
ones (19, 21, 22, 23) were among the strongest ever observed: a prior for a new cycle drawn
from them alone expects a strong cycle and is sure of its timing. The sunspot record adds
cycles 0-18 (1745-1954), weak cycles and long ones among them. Its monthly means are turned
into F10.7 by a straight line fitted to the overlap with the F10.7 record, 1957-10 to
1967-12 (13-month smoothed values of both), the same template is fitted to the converted
series up to 1967-12, and the cycles that started before the F10.7 record contribute their
(ln A, ln R, P) to :class:`deorbit.solar._cycles.CyclePrior`. Nothing here uses data after
1967, so every model conditioned on a later date (the earliest allowed is 30 years into the
F10.7 record) sees only its past.

Data: monthly mean sunspot numbers (International Sunspot Number, version 1, SIDC / Royal
Observatory of Belgium, as distributed by NOAA NGDC; public domain), January 1749 to June
2009, taken verbatim from ``statsmodels/datasets/sunspots/src/sunspots_monthly.dat`` in the
statsmodels 0.15.0 wheel; packaged as ``deorbit/data/sunspots_monthly.txt.gz`` (provenance
and hashes in ``deorbit/data/README.md``).
"""

from __future__ import annotations

import gzip
import re
from functools import lru_cache

import numpy as np

from .._data import data_bytes, data_label
from . import _cycles as cy

PACKAGE_FILE = "sunspots_monthly.txt.gz"
#: Last month of the conversion fit and of the fitted sunspot series.
LAST_MONTH = np.datetime64("1967-12", "M")
_TITLE = "MONTHLY MEAN SUNSPOT NUMBERS"
_ROW = re.compile(r"^(\d{4})((?:\s+\d+\.\d)+)\s*$")
_J2000 = np.datetime64("2000-01-01", "D")


def parse_sunspots(text: str, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Parse the NOAA NGDC monthly sunspot table.

    The layout: a title line, a ``=====`` rule, the month header and a ``-----`` rule; then
    one line per year (``YYYY`` and 12 monthly means with one decimal; the last year may
    be shorter), blank lines between decades; then a ``-----`` rule and notes.

    Returns
    -------
    month : numpy.ndarray of datetime64[M]
        Consecutive months.
    ssn : numpy.ndarray
        Monthly mean sunspot number.

    Raises
    ------
    ValueError
        ``'<name> line <n>: <what is wrong>: <the line>'`` for any departure from the layout.
    """
    lines = text.splitlines()

    def fail(n, what):
        raise ValueError(f"{name} line {n + 1}: {what}: {lines[n]!r}")

    if not lines or lines[0].strip() != _TITLE:
        raise ValueError(f"{name} line 1: expected the title {_TITLE!r}: "
                         f"{lines[0] if lines else ''!r}")
    rules = [n for n, line in enumerate(lines) if line.startswith("-----")]
    if len(rules) < 2:
        raise ValueError(f"{name}: expected a '-----' rule before and after the data, found "
                         f"{len(rules)}")
    year0, values = None, []
    for n in range(rules[0] + 1, rules[1]):
        line = lines[n]
        if not line.strip():
            continue
        m = _ROW.match(line)
        if m is None:
            fail(n, "expected a year and up to 12 monthly means with one decimal")
        year, row = int(m.group(1)), [float(v) for v in m.group(2).split()]
        if year0 is None:
            year0 = year
        elif year != year0 + len(values) // 12:
            fail(n, f"expected the year {year0 + len(values) // 12}")
        if len(values) % 12:
            fail(n, "the year before it has fewer than 12 months")
        if len(row) > 12 or any(v > 500.0 for v in row):
            fail(n, "more than 12 months, or a monthly mean above 500")
        values.extend(row)
    if year0 is None:
        raise ValueError(f"{name}: no data rows between the '-----' rules")
    month = np.datetime64(f"{year0}-01", "M") + np.arange(len(values))
    return month, np.asarray(values)


def load_sunspots(path=None) -> tuple[np.ndarray, np.ndarray]:
    """The packaged monthly sunspot record (read once per process), or a file in the same
    layout, gzip or plain.

    Returns ``(month, ssn)`` as :func:`parse_sunspots` (read-only arrays).
    """
    if path is None:
        return _packaged()
    with open(path, "rb") as fh:
        return _parse_bytes(fh.read(), str(path))


@lru_cache(maxsize=1)
def _packaged() -> tuple[np.ndarray, np.ndarray]:
    return _parse_bytes(data_bytes(PACKAGE_FILE), data_label(PACKAGE_FILE))


def _parse_bytes(raw: bytes, name: str) -> tuple[np.ndarray, np.ndarray]:
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    month, ssn = parse_sunspots(raw.decode("ascii", errors="replace"), name)
    month.setflags(write=False)
    ssn.setflags(write=False)
    return month, ssn


def f107_conversion(f107_month: np.ndarray, f107_mean: np.ndarray) -> tuple[float, float]:
    """(intercept sfu, slope sfu per sunspot) of F10.7 against the sunspot number.

    A least-squares line through the 13-month smoothed monthly means of both records over
    their overlap up to :data:`LAST_MONTH` (1957-10 to 1967-12 with the CelesTrak file:
    58.2 + 0.937 R).

    Parameters
    ----------
    f107_month : numpy.ndarray of int or datetime64[M]
        Months of the F10.7 monthly means (consecutive).
    f107_mean : numpy.ndarray
        Monthly means of adjusted F10.7, sfu.
    """
    month, ssn = load_sunspots()
    fm = np.asarray(f107_month).astype("datetime64[M]")
    common = np.intersect1d(month[month <= LAST_MONTH], fm[fm <= LAST_MONTH])
    if common.size < 60 or np.any(np.diff(common).astype(int) != 1):
        raise ValueError(f"the F10.7 record has {common.size} consecutive months up to "
                         f"{LAST_MONTH}, where it overlaps the sunspot record that the cycle "
                         "prior converts to F10.7; at least 60 are needed (a space-weather "
                         "file that starts in 1963 or earlier, as CelesTrak's SW-All does)")
    r = cy.smooth13(ssn[np.isin(month, common)])
    f = cy.smooth13(np.asarray(f107_mean)[np.isin(fm, common)])
    ok = np.isfinite(r) & np.isfinite(f)
    slope, intercept = np.polyfit(r[ok], f[ok], 1)
    return float(intercept), float(slope)


@lru_cache(maxsize=4)
def cycle_table(intercept: float, slope: float, before_day: float) -> np.ndarray:
    """(ln A, ln R, P years) of the sunspot record's cycles that start before ``before_day``.

    The sunspot record up to :data:`LAST_MONTH`, converted to F10.7 (``intercept + slope
    R``), fitted with :func:`deorbit.solar._cycles.fit_template`; rows by
    :func:`deorbit.solar._cycles.cycle_rows` (NaN where the record does not settle a value,
    or where it lies outside the bounds). Cached per process.
    """
    month, ssn = load_sunspots()
    keep = month <= LAST_MONTH
    month, f107 = month[keep], intercept + slope * ssn[keep]
    first = (month.astype("datetime64[D]") - _J2000).astype(np.float64)
    t_mid = first + cy.DAYS_PER_MONTH / 2.0
    minima = cy.detect_minima(t_mid, month.astype(np.int64), f107)
    _, cycles = cy.fit_template(t_mid, f107, minima)
    last = float(((LAST_MONTH + 1).astype("datetime64[D]") - _J2000).astype(int) - 1)
    rows = cy.cycle_rows(cycles, float(first[0]), last)
    out = rows[cycles[:, 0] < before_day]
    out.setflags(write=False)
    return out
