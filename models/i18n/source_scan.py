"""Reading the Python sources for user-facing text.

Two readers over the same syntax trees (``ast``, never imports the code):

- ``extract``: the msgids of ``t("...")``, ``nt("...", "...", n)``, ``translate(lang, "...")``,
  ``ntranslate(lang, "...", "...", n)`` and ``N_("...")`` calls, for ``make i18n``. Only string literals are
  extracted: ``t(variable)`` cannot be and is reported.
- ``untranslated``: string literals with letters handed to Streamlit (``st.*`` calls)
  positionally or as a label-like keyword, without ``t(...)``: what a Chinese user would see in
  English. A call can be exempted with a ``# i18n: ignore`` comment on its first line (markup,
  CSS) when the text is not language.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

# Function name -> (index of the msgid, index of the plural msgid or None) in its arguments.
TRANSLATION_CALLS: dict[str, tuple[int, int | None]] = {
    "t": (0, None),
    "nt": (0, 1),
    "translate": (1, None),
    "ntranslate": (1, 2),
    "N_": (0, None),  # models.i18n.messages: marked now, translated when shown
}

# Keywords of st.* calls that a person reads.
TEXT_KEYWORDS = frozenset({"label", "help", "placeholder", "caption", "title", "body",
                           "text", "value_label", "x_label", "y_label"})

# st.* calls whose string arguments are not shown as text (keys, paths, settings).
NON_TEXT_CALLS = frozenset({
    "session_state", "query_params", "secrets", "context", "cache_data", "cache_resource",
    "set_page_config", "image", "logo", "audio", "video", "switch_page", "rerun", "fragment",
    "navigation", "connection", "login", "logout", "html", "components", "iframe",
})
# st.* calls whose first positional argument is a page path, not text (keywords still count).
PATH_FIRST_CALLS = frozenset({"Page", "page_link"})

IGNORE_PRAGMA = "i18n: ignore"


@dataclass(frozen=True)
class Message:
    msgid: str
    plural: str | None
    context: str | None
    path: str
    line: int


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    call: str
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.call}(...) shows {self.text!r} without t(...)"


def _call_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _string(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def extract(source: str, path: str) -> tuple[list[Message], list[str]]:
    """The messages of one file, and a note for each translation call without a literal msgid."""
    messages: list[Message] = []
    problems: list[str] = []
    for node in ast.walk(ast.parse(source, filename=path)):
        if not isinstance(node, ast.Call):
            continue
        name = _call_name(node.func)
        if name not in TRANSLATION_CALLS:
            continue
        index, plural_index = TRANSLATION_CALLS[name]
        if len(node.args) <= index:
            continue
        msgid = _string(node.args[index])
        plural = None
        if plural_index is not None and len(node.args) > plural_index:
            plural = _string(node.args[plural_index])
        context = next((_string(k.value) for k in node.keywords if k.arg == "context"), None)
        if msgid is None or (plural_index is not None and plural is None):
            problems.append(f"{path}:{node.lineno}: {name}(...) needs a string literal msgid")
            continue
        messages.append(Message(msgid, plural, context, path, node.lineno))
    return messages, problems


def _st_chain(func: ast.expr, roots: frozenset[str]) -> list[str] | None:
    """``st.sidebar.selectbox`` -> ["sidebar", "selectbox"]; None when not rooted at Streamlit.

    ``roots`` are the names bound to Streamlit objects: ``st`` and the containers taken from it
    (``left, right = st.columns(2)``, ``with st.expander(...) as box``).
    """
    parts: list[str] = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if isinstance(func, (ast.Call, ast.Subscript)):   # st.columns(2)[0].metric(...)
        inner = _st_chain(func.func if isinstance(func, ast.Call) else func.value, roots)
        return None if inner is None else inner + parts[::-1]
    if isinstance(func, ast.Name) and func.id in roots:
        return parts[::-1]
    return None


def _target_names(target: ast.expr) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [name for element in target.elts for name in _target_names(element)]
    return []


def _streamlit_roots(tree: ast.AST) -> frozenset[str]:
    """``st`` plus every name bound to a value made by a Streamlit call."""
    roots = {"st"}
    changed = True
    while changed:
        changed = False
        for node in ast.walk(tree):
            pairs: list[tuple[ast.expr, ast.expr]] = []
            if isinstance(node, ast.Assign):
                pairs = [(target, node.value) for target in node.targets]
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                pairs = [(item.optional_vars, item.context_expr) for item in node.items
                         if item.optional_vars is not None]
            for target, value in pairs:
                if isinstance(value, ast.Call) and _st_chain(value.func, frozenset(roots)):
                    new = set(_target_names(target)) - roots
                    if new:
                        roots |= new
                        changed = True
    return frozenset(roots)


def _has_letters(text: str) -> bool:
    return any(ch.isalpha() for ch in text)


def _looks_like_path(text: str) -> bool:
    return " " not in text and ("/" in text or text.endswith((".py", ".png", ".svg", ".csv")))


def _literals(node: ast.expr, allow_lists: bool) -> list[str]:
    """The user-visible literal text in an argument: a string, an f-string's fixed parts, or
    the strings of a list/tuple literal (options, tab names)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
        return [text] if _has_letters(text) and not _looks_like_path(text) else []
    if isinstance(node, ast.JoinedStr):
        fixed = "".join(_string(v) or "" for v in node.values)
        return [fixed] if _has_letters(fixed) else []
    if allow_lists and isinstance(node, (ast.List, ast.Tuple)):
        return [text for element in node.elts for text in _literals(element, False)]
    return []


def untranslated(source: str, path: str) -> list[Finding]:
    """Literal text handed to ``st.*`` without ``t(...)`` in one file's source."""
    lines = source.splitlines()
    tree = ast.parse(source, filename=path)
    roots = _streamlit_roots(tree)
    findings: list[Finding] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        chain = _st_chain(node.func, roots)
        if not chain or NON_TEXT_CALLS.intersection(chain):
            continue
        if IGNORE_PRAGMA in lines[node.lineno - 1]:
            continue
        call = ast.unparse(node.func)
        # Options given with a format_func are codes, labelled by that function.
        lists_are_text = not any(k.arg == "format_func" for k in node.keywords)
        args = node.args[1:] if chain[-1] in PATH_FIRST_CALLS else node.args
        texts = [text for arg in args for text in _literals(arg, lists_are_text)]
        texts += [text for k in node.keywords if k.arg in TEXT_KEYWORDS
                  for text in _literals(k.value, lists_are_text)]
        findings.extend(Finding(path, node.lineno, call, text) for text in texts)
    return findings


def python_files(root: Path,
                 names: tuple[str, ...] = ("app.py", "pages", "ui", "models")) -> list[Path]:
    """The project's Python files under the given top-level names (missing ones skipped)."""
    files: list[Path] = []
    for name in names:
        target = root / name
        if target.is_file():
            files.append(target)
        elif target.is_dir():
            files.extend(sorted(p for p in target.rglob("*.py") if "__pycache__" not in p.parts))
    return files
