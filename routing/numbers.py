"""Numbers from outside (JSON bodies, socket frames): one test for "a real, finite number", used by every parser.

JSON allows integers of any length; `math.isfinite` and `float` raise OverflowError on a 400-digit one, so a naive
check turns bad input into a crash instead of a clear error.
"""

from __future__ import annotations

import math


def finite_number(value: object) -> float | None:
    """`value` as a float when it is an int or float (not a bool) that is finite and fits a float, else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None
