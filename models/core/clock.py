"""The desk's today: the real date, or ``$SALESDESK_TODAY`` when set.

Every default that depends on the calendar (the demo's last day, a build's ``as_of_date``) takes
its date from ``today()``, so that a past day can be replayed and the test suite runs the same on
any day (it pins ``SALESDESK_TODAY`` once, in ``tests/conftest.py``).
"""

from __future__ import annotations

import datetime
import os

from models.core.errors import UserError

ENV = "SALESDESK_TODAY"


def today() -> datetime.date:
    """``$SALESDESK_TODAY`` (YYYY-MM-DD) when set, else the real today."""
    value = (os.environ.get(ENV) or "").strip()
    if not value:
        return datetime.date.today()
    return parse_date(value, ENV)


def parse_date(value: str, what: str) -> datetime.date:
    """A YYYY-MM-DD date, or a UserError naming ``what``."""
    try:
        return datetime.date.fromisoformat(value.strip())
    except ValueError:
        raise UserError(f"{what}: {value!r} is not a date; write it as YYYY-MM-DD.") from None


def add_months(month: datetime.date, n: int) -> datetime.date:
    """The first day of the month ``n`` months after ``month``'s (before it when negative)."""
    index = month.year * 12 + month.month - 1 + n
    return datetime.date(index // 12, index % 12 + 1, 1)
