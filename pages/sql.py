"""SQL page: read-only ad hoc SQL over the marts, for analysts and admins."""

import streamlit as st

from models.core import exports, identity
from models.core.errors import UserError
from models.core.warehouse import NoWarehouse, get_warehouse
from models.engines import adhoc
from ui import kit

RESULT_KEY = "sql_result"
FILES_KEY = "sql_files"  # the downloads of the result: written once, when the query ran
SQL_KEY = "sql_text"
DOWNLOADS = (  # label, writer, file name, MIME type
    # CSV is opened in spreadsheets: text that starts like a formula is quoted (models/core/exports)
    ("Download CSV", lambda frame: adhoc.csv_bytes(exports.safe_frame(frame)), "query.csv",
     "text/csv"),
    ("Download Parquet", adhoc.parquet_bytes, "query.parquet", "application/vnd.apache.parquet"),
)


def _files(result: adhoc.QueryResult) -> list[tuple[str, bytes | str, str, str]]:
    """Each download of ``result``: its bytes, or the message saying why it cannot be written."""
    files = []
    for label, write, name, mime in DOWNLOADS:
        try:
            files.append((label, write(result.frame), name, mime))
        except UserError as e:
            files.append((label, str(e), name, mime))
    return files

st.title("SQL")

user = identity.session_user(st.session_state)
if user is None or not user.can_run_sql:
    # app.py does not list this page for other roles; refuse here too.
    st.error("The SQL page is for analysts and admins. Ask an admin if you need it.")
    st.stop()

st.caption(
    f"Read-only SQL (DuckDB dialect) over the marts of the current warehouse build: "
    f"{adhoc.DEFAULT_TIMEOUT_S} s per query, the first {adhoc.DEFAULT_MAX_ROWS:,} rows, "
    f"{adhoc.MEMORY_LIMIT_TEXT} of memory. No files, extensions, other databases or settings. "
    "Press Ctrl+Enter (Cmd+Enter on a Mac) in the editor, or Run.")


live = get_warehouse()
build_id = live.build_id
try:
    if build_id is None:
        raise NoWarehouse("There is no warehouse yet: load data and build it on the Data page.")
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
    st.subheader("Marts")
    st.caption(f"Build `{build_id}`. Descriptions from dbt.")
    needle = st.text_input("Find a table or column", placeholder="e.g. tier").strip().lower()
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
            st.caption(mart.description or "No description in dbt yet.")
            st.markdown("\n".join(
                f"- `{row['column']}` {row['type'].lower()}"
                + (f": {row['description']}" if row["description"] else "")
                for row in columns.iter_rows(named=True)))

with editor:
    available = [m.name for m in marts]
    st.selectbox("Examples", [e.title for e in adhoc.examples(available)], index=None,
                 placeholder="Load a saved example query ...", key="sql_example",
                 on_change=_load_example)
    with st.form("sql_form", border=False):
        st.text_area("Query", key=SQL_KEY, height=260,
                     placeholder="select region, tier, count(*) as customers\n"
                                 "from dim_customers\ngroup by all\norder by all")
        run = st.form_submit_button("Run", type="primary", icon=":material/play_arrow:")

    if run:
        sql = st.session_state.get(SQL_KEY) or ""
        with st.spinner("Running the query ..."):
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
        st.caption(f"{result.rows:,} row(s) in {result.seconds:.2f} s, build "
                   f"`{result.build_id}`")
        if result.truncated:
            st.warning(f"Only the first {result.max_rows:,} rows are shown and downloadable: "
                       "the query returned more. Aggregate, filter or add a LIMIT.")
        st.dataframe(result.frame, hide_index=True, width="stretch")
        files = st.session_state.get(FILES_KEY)
        if files is None:  # a result kept from before this page wrote its files
            files = st.session_state[FILES_KEY] = _files(result)
        with st.container(horizontal=True):
            for label, data, name, mime in files:
                if isinstance(data, str):
                    st.caption(kit.md(data))
                else:
                    st.download_button(label, data, name, mime, on_click="ignore",
                                       icon=":material/download:")
