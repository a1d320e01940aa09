"""The one exception type for problems a person can fix."""


class UserError(Exception):
    """A bad file, a bad argument, a failed build: the message says what to do.

    Pages show it with ``st.error`` and the CLI prints it and exits non-zero; neither shows a
    traceback for it.

    The message is one string, or several parts joined by a space; a part may be a sentence
    marked for translation (``models.i18n.messages.N_``), which ``str(error)`` shows in English
    and ``models.i18n.messages.error_text(error, lang)`` in the reader's language.
    """

    def __init__(self, *parts: object) -> None:
        self.parts = parts
        super().__init__(" ".join(str(p) for p in parts))

    def __reduce__(self):  # the parts cross a process boundary (ingest's worker) whole
        return (self.__class__, self.parts)
