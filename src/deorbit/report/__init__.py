"""Reports of a finished run: an HTML page with figures, and comparisons between runs.

- :func:`write_report` — ``RUN_DIR/report/report.html`` (self-contained, figures embedded)
  plus the PNGs beside it: the scenarios side by side, then per scenario a decision table
  (the full risk table folded beneath it), the reentry-epoch CDF, the altitude fan chart,
  the impact map and the footprint-length distribution; every number is the one in
  ``summary.json``.
- :func:`compare_runs` / :func:`format_comparison` — differences of the headline figures
  between two runs, or two scenarios, with the standard error of each difference (paired
  per-sample differences under common random numbers, else independent); a figure that
  cannot be paired is a :class:`CompareError` naming it.
- :mod:`deorbit.report.figures` — the figures as functions of arrays, returning PNG bytes.

Needs matplotlib (imported when a figure is drawn).
"""
from .compare import CompareError, compare_runs, format_comparison
from .html import write_report

__all__ = ["CompareError", "compare_runs", "format_comparison", "write_report"]
