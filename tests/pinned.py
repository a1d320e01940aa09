"""The one date the test suite takes as today, whatever the system clock says.

The demo data of every fixture ends on ``TODAY`` and every build runs as of it:
``tests/conftest.py`` sets ``$SALESDESK_TODAY`` (read by ``models.core.clock.today``) before any
test, so that builds started by pages, the CLI or served apps in subprocesses use it too. A mid-month
Wednesday, so the last month is partial. Tests about today's own behaviour set the clock
themselves (``monkeypatch.setenv(clock.ENV, ...)``).
"""

import datetime

TODAY = datetime.date(2026, 11, 18)
