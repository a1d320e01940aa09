"""The one exception type for problems a person can fix."""


class UserError(Exception):
    """A bad file, a bad argument, a failed build: the message says what to do.

    Pages show it with ``st.error`` and the CLI prints it and exits non-zero; neither shows a
    traceback for it.
    """
