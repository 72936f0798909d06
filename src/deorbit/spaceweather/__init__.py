"""Space weather: solar flux F10.7 and geomagnetic Ap for the atmosphere model.

:func:`load_space_weather` reads CelesTrak's ``SW-All.txt`` (the copy shipped with deorbit by
default, see ``deorbit/data/README.md``, or a newer file given by path) into a
:class:`SpaceWeather` record, one row per UTC day, each day labelled with its regime
(:data:`OBSERVED`, :data:`SHORT_FORECAST`, :data:`LONG_FORECAST`; :data:`MODELLED` is for
solar-activity models beyond the file). :meth:`SpaceWeather.msis_inputs` gives the F10.7,
F10.7A and Ap inputs of NRLMSISE-00 for any epochs.

Dates are ``day_j2000``: UTC days since 2000-01-01T00:00 UTC.

:mod:`.celestrak` reads the file (the format, its checks and messages); :mod:`.record` holds
the record, its queries and the ``day_j2000`` conversions.
"""

from . import celestrak, record
from .celestrak import *  # noqa: F403 - the format's names (celestrak.__all__)
from .record import *  # noqa: F403 - the record's names (record.__all__)

__all__ = [*record.__all__, *celestrak.__all__]
