"""Small helpers shared by the demo's sections (dates as day numbers, weighted draws, id and
decimal arrays) and the 36-month calendar.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from models.demo.constants import EPOCH, MONTHS, SEASON

# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def _day(d: datetime.date) -> int:
    """A date as a day number (days since 1970-01-01)."""
    return int((np.datetime64(d, "D") - EPOCH).astype(np.int64))


def _date(day: int) -> datetime.date:
    """A day number as a date."""
    return datetime.date(1970, 1, 1) + datetime.timedelta(days=int(day))


def _dates(days: np.ndarray) -> np.ndarray:
    """Day numbers as numpy dates."""
    return EPOCH + days.astype("timedelta64[D]")


def _normal_quantile(p: np.ndarray) -> np.ndarray:
    """Standard normal quantile, Tukey's lambda approximation (good to about 1 %)."""
    return (p ** 0.14 - (1.0 - p) ** 0.14) / 0.1975


def _choice(rng: np.random.Generator, weights: np.ndarray, size: int) -> np.ndarray:
    """Indices drawn with the given (unnormalised) weights."""
    cdf = np.cumsum(weights, dtype=np.float64)
    return np.searchsorted(cdf / cdf[-1], rng.random(size), side="right").clip(0, len(cdf) - 1)


def _choice_rows(rng: np.random.Generator, weights: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """One draw per element of ``rows`` from the weight row ``weights[rows]`` (2-D weights)."""
    cdf = np.cumsum(weights, axis=1)
    cdf = cdf / cdf[:, -1:]
    flat = (cdf + np.arange(len(weights))[:, None]).ravel()
    hit = np.searchsorted(flat, rows + rng.random(len(rows)), side="right")
    return (hit - rows * weights.shape[1]).clip(0, weights.shape[1] - 1)


def _pick(rng: np.random.Generator, n: int, k: int, candidates: np.ndarray | None = None,
          p: np.ndarray | None = None) -> np.ndarray:
    """k distinct indices among the candidates (default all n), optionally weighted."""
    pool = np.arange(n) if candidates is None else np.asarray(candidates)
    k = min(k, len(pool))
    if p is not None:
        p = p / p.sum()
    return np.sort(rng.choice(pool, size=k, replace=False, p=p))


def _zero_padded(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    """Ids like C000123 as a numpy string array."""
    return np.strings.add(prefix, np.strings.zfill(numbers.astype(str), width))


def _id_array(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """Fixed-width ids (prefix + zero-padded number) built straight into an Arrow string array."""
    n, head = len(numbers), np.frombuffer(prefix.encode(), np.uint8)
    digits = (numbers[:, None] // 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)) % 10
    data = np.empty((n, len(head) + width), np.uint8)
    data[:, : len(head)] = head
    data[:, len(head):] = digits + ord("0")
    offsets = np.arange(n + 1, dtype=np.int32) * data.shape[1]
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))


def _decimal_array(values: np.ndarray, precision: int, scale: int) -> pa.Array:
    """Floats as an Arrow decimal128 array, rounded to ``scale`` (little-endian int128 buffer)."""
    units = np.rint(np.asarray(values, np.float64) * 10.0 ** scale).astype(np.int64)
    buf = np.empty((len(units), 2), np.int64)
    buf[:, 0], buf[:, 1] = units, units >> 63
    return pa.Array.from_buffers(pa.decimal128(precision, scale), len(units),
                                 [None, pa.py_buffer(buf)])


def _strings(lookup: np.ndarray | list | tuple, idx: np.ndarray,
             valid: np.ndarray | None = None) -> pa.Array:
    """Arrow strings ``lookup[idx]``, null where ``valid`` is False."""
    indices = pa.array(idx, mask=None if valid is None else ~valid)
    return pa.array(np.asarray(lookup, dtype=object)).take(indices)


def _weekday(days: np.ndarray) -> np.ndarray:
    """Monday = 0 .. Sunday = 6 (1970-01-01 was a Thursday)."""
    return (days + 3) % 7


# --------------------------------------------------------------------------------------------
# Calendar
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Calendar:
    """The 36 months as day numbers; the last month ends on ``today``."""

    today: int
    month_start: np.ndarray
    month_end: np.ndarray  # last day of the month, never after today
    month_days: np.ndarray  # full length of the month
    month_of_year: np.ndarray

    @classmethod
    def ending(cls, today: datetime.date) -> Calendar:
        last = np.datetime64(today, "M")
        months = last - np.arange(MONTHS - 1, -1, -1)
        start = (months.astype("datetime64[D]") - EPOCH).astype(np.int64)
        nxt = ((months + 1).astype("datetime64[D]") - EPOCH).astype(np.int64)
        t = _day(today)
        return cls(today=t, month_start=start, month_end=np.minimum(nxt - 1, t),
                   month_days=nxt - start, month_of_year=months.astype(np.int64) % 12 + 1)

    @property
    def start(self) -> int:
        return int(self.month_start[0])

    def month_of(self, days: np.ndarray) -> np.ndarray:
        """Month index (0..35, -1 before the window) of day numbers."""
        return np.searchsorted(self.month_start, days, side="right") - 1

    @property
    def season(self) -> np.ndarray:
        return np.array([SEASON[m] for m in self.month_of_year])
