"""Offline tools: they make the packaged data and the validation tables, and are never used
at run time (nothing in the propagation path imports them).

- :mod:`deorbit.tools.msis_table` — the NRLMSISE-00 density table
  (``python -m deorbit.tools.msis_table --out PATH``, about 5 minutes).
- :mod:`deorbit.tools.ground_data` — population grid, coastlines and the default target zone
  from Natural Earth (``python -m deorbit.tools.ground_data``; its docstring lists the inputs).
- :mod:`deorbit.tools.solar_backtests` — the solar-activity model's backtests and the tables
  of VALIDATION.md (``python -m deorbit.tools.solar_backtests``, about 2 minutes).
"""
