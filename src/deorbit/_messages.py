"""How error messages quote what the user wrote: values cut to a readable length, a
suggestion for a misspelt name, and UTF-8 decoding that names the offending line.

Every loader (scenario files, space weather, fragment, zone and population-grid files) uses
these, so that a 1 MB value never makes a 1 MB message and every file reports its
encoding errors the same way.
"""
from __future__ import annotations

import difflib

#: Longest echo of a value in an error message, characters (a longer repr is cut).
ECHO_LIMIT = 80


def shown(value, limit: int = ECHO_LIMIT) -> str:
    """``repr(value)`` for an error message, cut to ``limit`` characters.

    Parameters
    ----------
    value : object
        What the user gave (a scenario value, a line of a data file, ...).
    limit : int
        Longest text kept, characters.

    Returns
    -------
    str
        The repr, or its first ``limit`` characters followed by ``...`` and the repr's full
        length, e.g. ``'xxxx... (1000002 characters)``.
    """
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text)} characters)"


def did_you_mean(name, choices) -> str:
    """A hint naming the closest of ``choices`` to a misspelt ``name``.

    Parameters
    ----------
    name : str
        The unknown name as given.
    choices : iterable of str
        The names allowed there.

    Returns
    -------
    str
        ``" (did you mean mass_kg?)"``, or ``""`` when no choice is close
        (:func:`difflib.get_close_matches`, its default cutoff 0.6).
    """
    close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def decode_utf8(raw: bytes, fail) -> str:
    """The text of a UTF-8 file, without a leading byte-order mark.

    Parameters
    ----------
    raw : bytes
        The file's content.
    fail : callable
        ``fail(line, message)`` builds the loader's exception for a 1-based line.

    Returns
    -------
    str

    Raises
    ------
    Exception
        ``fail(line, "not UTF-8 text: byte 0x.. at column c")`` for the first invalid byte.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - raw.rfind(b"\n", 0, exc.start)
        raise fail(line, f"not UTF-8 text: byte {raw[exc.start]:#04x} at column "
                         f"{column}") from None
    return text.removeprefix("\ufeff")
