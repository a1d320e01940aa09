"""SQL page: read-only ad hoc SQL over the marts, for analysts and admins."""

import streamlit as st

from models.core import exports, identity
from models.core.errors import UserError
from models.core.warehouse import NoWarehouse, get_warehouse
from models.engines import adhoc
from ui import kit
from ui.i18n import t

RESULT_KEY = "sql_result"
FILES_KEY = "sql_files"  # the downloads of the result: written once, when the query ran
SQL_KEY = "sql_text"
DOWNLOADS = (  # kind, writer, extension, MIME type
    # CSV is opened in spreadsheets: text that starts like a formula is quoted (models/core/exports)
    ("csv", lambda frame: adhoc.csv_bytes(exports.safe_frame(frame)), "csv", "text/csv"),
    ("parquet", adhoc.parquet_bytes, "parquet", "application/vnd.apache.parquet"),
)


def _download_label(kind: str) -> str:
    return {"csv": t("Download CSV"), "parquet": t("Download Parquet")}[kind]


def _example_title(title: str) -> str:
    """A saved example's title (``adhoc.EXAMPLES``, the option's value) in this language."""
    titles = {
        "Customers and 12-month revenue by region and tier":
            t("Customers and 12-month revenue by region and tier"),
        "Top 3 customers of each region (window function)":
            t("Top 3 customers of each region (window function)"),
        "Tier moves in the latest month": t("Tier moves in the latest month"),
        "Reps' books: customers, revenue and coverage":
            t("Reps' books: customers, revenue and coverage"),
        "Profile every column of the customers mart":
            t("Profile every column of the customers mart"),
        "Columns and types of the tier mart": t("Columns and types of the tier mart"),
    }
    return titles.get(title, title)


def _files(result: adhoc.QueryResult) -> list[tuple[str, bytes | str, str, str]]:
    """Each download of ``result`` (kind, extension, MIME type): its bytes, or the message saying
    why it cannot be written. Labels and file names are given when shown, in the language of
    that run."""
    files = []
    for kind, write, extension, mime in DOWNLOADS:
        try:
            files.append((kind, write(result.frame), extension, mime))
        except UserError as e:
            files.append((kind, str(e), extension, mime))
    return files

st.title(t("SQL"))

user = identity.session_user(st.session_state)
if user is None or not user.can_run_sql:
    # app.py does not list this page for other roles; refuse here too.
    st.error(t("The SQL page is for analysts and admins. Ask an admin if you need it."))
    st.stop()

st.caption(t(
    "Read-only SQL (DuckDB dialect) over the marts of the current warehouse build: {seconds} s "
    "per query, the first {rows} rows, {memory} of memory. No files, extensions, other "
    "databases or settings. Press Ctrl+Enter (Cmd+Enter on a Mac) in the editor, or Run.",
    seconds=adhoc.DEFAULT_TIMEOUT_S, rows=f"{adhoc.DEFAULT_MAX_ROWS:,}",
    memory=adhoc.MEMORY_LIMIT_TEXT))


live = get_warehouse()
build_id = live.build_id
try:
    if build_id is None:
        raise NoWarehouse(t("There is no warehouse yet: load data and build it on the Data "
                            "page."))
    marts = kit.cached(adhoc.mart_docs, user.scope, wh=live)
except UserError as e:
    st.info(str(e))
    st.stop()


def _load_example() -> None:
    title = st.session_state.get("sql_example")
    example = next((e for e in adhoc.EXAMPLES if e.title == title), None)
    if example is not None:
        st.session_state[SQL_KEY] = example.sql


editor, browser = st.columns([3, 1], gap="large")

with browser:
    st.subheader(t("Marts"))
    st.caption(t("Build `{build}`. Descriptions from dbt.", build=build_id))
    needle = st.text_input(t("Find a table or column"),
                           placeholder=t("e.g. tier")).strip().lower()
    for mart in marts:
        columns = mart.columns
        if needle:
            hit = needle in mart.name.lower() or needle in mart.description.lower()
            matching = columns.filter(
                columns["column"].str.to_lowercase().str.contains(needle, literal=True)
                | columns["description"].str.to_lowercase().str.contains(needle, literal=True))
            if not hit and matching.is_empty():
                continue
            columns = columns if hit else matching
        with st.expander(f"`{mart.name}`", expanded=bool(needle)):
            st.caption(mart.description or t("No description in dbt yet."))
            st.markdown("\n".join(
                f"- `{row['column']}` {row['type'].lower()}"
                + (f": {row['description']}" if row["description"] else "")
                for row in columns.iter_rows(named=True)))

with editor:
    available = [m.name for m in marts]
    st.selectbox(t("Examples"), [e.title for e in adhoc.examples(available)], index=None,
                 format_func=kit.option_labels([e.title for e in adhoc.EXAMPLES],
                                               _example_title),
                 placeholder=t("Load a saved example query ..."), key="sql_example",
                 on_change=_load_example)
    with st.form("sql_form", border=False):  # i18n: ignore (the form's key)
        st.text_area(t("Query"), key=SQL_KEY, height=260,  # i18n: ignore (the placeholder: SQL)
                     placeholder="select region, tier, count(*) as customers\n"
                                 "from dim_customers\ngroup by all\norder by all")
        run = st.form_submit_button(t("Run"), type="primary", icon=":material/play_arrow:")

    if run:
        sql = st.session_state.get(SQL_KEY) or ""
        with st.spinner(t("Running the query ...")):
            try:
                result = adhoc.run_query(
                    sql, scope=user.scope, timeout_s=adhoc.DEFAULT_TIMEOUT_S,
                    max_rows=adhoc.DEFAULT_MAX_ROWS)
            except UserError as e:
                st.session_state[RESULT_KEY] = str(e)
                st.session_state.pop(FILES_KEY, None)
            else:
                st.session_state[RESULT_KEY] = result
                st.session_state[FILES_KEY] = _files(result)

    result = st.session_state.get(RESULT_KEY)
    if isinstance(result, str):
        st.error(kit.md(result))  # a refusal may quote the query or a value of the data
    elif isinstance(result, adhoc.QueryResult):
        st.caption(t("{rows} row(s) in {seconds} s, build `{build}`", rows=f"{result.rows:,}",
                     seconds=f"{result.seconds:.2f}", build=result.build_id))
        if result.truncated:
            st.warning(t("Only the first {rows} rows are shown and downloadable: the query "
                         "returned more. Aggregate, filter or add a LIMIT.",
                         rows=f"{result.max_rows:,}"))
        st.dataframe(result.frame, hide_index=True, width="stretch")
        files = st.session_state.get(FILES_KEY)
        if files is None:  # a result kept from before this page wrote its files
            files = st.session_state[FILES_KEY] = _files(result)
        with st.container(horizontal=True):
            for kind, data, extension, mime in files:
                if isinstance(data, str):
                    st.caption(kit.md(data))
                else:
                    st.download_button(_download_label(kind), data,
                                       f"{t('query')}.{extension}", mime, on_click="ignore",
                                       icon=":material/download:", key=f"sql_download_{kind}")
