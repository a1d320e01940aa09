"""Data page: what was loaded, what was built, what was rejected; upload and rebuild."""

import streamlit as st

from models.core import identity, scoping
from models.core.errors import UserError
from models.core.warehouse import NoWarehouse, get_warehouse
from models.pipeline import mappings
from models.pipeline.build import docs_file, parse_progress, run_build
from models.pipeline.contracts import ENTITIES
from models.pipeline.ingest import ENCODING_CHOICES, excluded_text, ingest_upload
from models.queries import datadesk
from ui import kit

st.title("Data")
user = identity.session_user(st.session_state)
if user is None or user.role not in scoping.DATA_TEAM_ROLES:
    st.error("Open the sales desk from its home page to sign in.")
    st.stop()
st.caption("Loads into the lake, warehouse builds and the rows staging rejected. "
           "Upload raw files here to load them and rebuild the warehouse.")

wh = get_warehouse()  # live: a build run from this page shows at once


# --- upload and rebuild ----------------------------------------------------------------------

def _rebuild(as_of) -> None:
    """Build the warehouse from the lake as it is now (as of the date given, else as the data
    says), with progress, and show the outcome."""
    with st.status("Building the warehouse ...", expanded=True) as status:
        bar = st.progress(0.0, text="starting dbt")
        log_lines: list[str] = []

        def on_line(line: str) -> None:
            log_lines.append(line)
            progress = parse_progress(line)
            if progress:
                done, total = progress
                bar.progress(min(done / total, 1.0), text=f"{done} of {total} steps")

        try:
            result = run_build(on_line=on_line,
                               dbt_vars={"as_of_date": as_of.isoformat()} if as_of else None)
        except UserError as e:
            status.update(label="Build not started", state="error")
            st.error(kit.md(e))
        else:
            if result.ok:
                bar.progress(1.0, text="done")
                warned = f", with {len(result.warnings)} warning(s)" if result.warnings else ""
                status.update(label=f"Built {result.build_id} in {result.seconds:.0f} s{warned}",
                              state="complete", expanded=False)
                st.cache_data.clear()
                kit.pin_warehouse()  # the rest of this run shows the new build
                kit.show_build()
                st.info(f"The new build is {kit.md(result.as_of_note)}.")
                for warning in result.warnings:
                    st.warning(kit.md(warning))
            else:
                status.update(label="Build failed: the previous warehouse stays current",
                              state="error")
                st.error("\n".join(["What failed:",
                                     *[f"- {kit.md(f)}" for f in result.failures]]))
            st.code("\n".join(log_lines[-40:]), language=None)


# Loading data and rebuilding is for admins; analysts see what was loaded and built.
if user.role == "admin":
    with st.expander("Upload files and rebuild", expanded=False):
        st.markdown(
            "CSV (UTF-8, UTF-16 with BOM or GB18030/GBK; other encodings when chosen here), "
            "XLSX or Parquet. The entity is taken from the file name "
            "(`customers…`, `reps…`, `products…`, `sales…`/`orders…`, `visits…`, `quotas…`, "
            "`assessments…`) unless chosen here. A file that breaks its contract is refused whole."
        )
        uploads = st.file_uploader("Raw files", type=["csv", "xlsx", "parquet"],
                                   accept_multiple_files=True)
        left, right = st.columns(2)
        entity_choice = left.selectbox("Entity", ["from the file name", *ENTITIES])
        encoding_choice = right.selectbox("Encoding of CSV files", list(ENCODING_CHOICES),
                                          format_func=ENCODING_CHOICES.get)
        # A mapping file (README: Loading your ERP export): none, a saved one, or uploaded.
        saved = mappings.saved()
        NO_MAPPING, UPLOADED = "none: headers as in the contract", "upload a mapping file"
        map_left, map_right = st.columns(2)
        mapping_choice = map_left.selectbox("Mapping", [NO_MAPPING, *saved, UPLOADED],
                                            help="A TOML file per source system: columns, "
                                                 "date format, delimiter, decimal comma, ...")
        mapping_text, mapping_name = None, None
        if mapping_choice == UPLOADED:
            mapping_upload = map_right.file_uploader("Mapping file (TOML)", type=["toml"])
            if mapping_upload is not None:
                mapping_text = mapping_upload.getvalue().decode("utf-8", errors="replace")
                mapping_name = mapping_upload.name
        elif mapping_choice != NO_MAPPING:
            mapping_name = f"{mapping_choice}.toml"
            mapping_text = mappings.saved_path(mapping_choice).read_text(encoding="utf-8")
        mapping = None
        if mapping_text is not None:
            try:
                mapping = mappings.parse(mapping_text, mapping_name)
            except UserError as e:
                st.error(kit.md(e))
                mapping_text = None
        if mapping_text is not None and mapping_choice == UPLOADED:
            save_name = map_right.text_input("Save this mapping as",
                                             value=mapping_name.rsplit(".", 1)[0])
            if map_right.button("Save mapping"):
                try:
                    mappings.save(save_name, mapping_text)
                    st.success(f"Saved as {kit.md(save_name)}: choose it under Mapping next "
                               f"time.")
                except UserError as e:
                    st.error(kit.md(e))
        as_of = st.date_input(
            "As of (optional)", value=None, key="rebuild_as_of",
            help="The date the build reads the data at. Empty: follow the data - today when "
                 "the latest order is recent, else the latest order date.")
        preview_col, load_col, rebuild_col = st.columns(3)
        preview_clicked = preview_col.button("Preview", disabled=not uploads,
                                             help="The first 20 rows as they would load, and "
                                                  "where each column comes from; loads nothing.")
        load_clicked = load_col.button("Load and rebuild", type="primary", disabled=not uploads)
        rebuild_clicked = rebuild_col.button("Rebuild without loading",
                                             help="Build again from the lake as it is, e.g. "
                                                  "as of another date.")
        entity = None if entity_choice == "from the file name" else entity_choice
        if preview_clicked:
            for upload in uploads:
                try:
                    preview = ingest_upload(upload.name, upload.getvalue(), entity=entity,
                                            encoding=encoding_choice or None, mapping=mapping,
                                            preview=True)
                except UserError as e:
                    st.error(kit.md(e))
                    continue
                left_out = f"; {excluded_text(preview.excluded_rows)}" \
                    if preview.excluded_rows else ""
                st.markdown(f"**{kit.md(preview.source_name)}**: as {preview.entity}, "
                            f"{preview.rows:,} rows would load{kit.md(left_out)}.")
                if preview.problem:
                    st.error(kit.md(preview.problem))
                for warning in preview.warnings:
                    st.warning(kit.md(warning))
                st.dataframe(
                    [{"Contract column": c, "Comes from": s or "not in the file (empty)"}
                     for c, s in preview.sources.items()],
                    hide_index=True, width="stretch")
                st.dataframe(preview.first_rows, hide_index=True, width="stretch",
                             column_config={"_source_row": "Row in file"})
        if load_clicked:
            loaded = 0
            for upload in uploads:
                try:
                    result = ingest_upload(upload.name, upload.getvalue(), entity=entity,
                                           encoding=encoding_choice or None, mapping=mapping)
                except UserError as e:
                    st.error(kit.md(e))
                    continue
                loaded += result.status == "loaded"
                st.success(kit.md(result.headline()))
                for warning in result.warnings:
                    st.warning(kit.md(warning))
            if loaded:
                _rebuild(as_of)
            elif uploads:
                st.info("Nothing new was loaded, so there is nothing to rebuild.")
        elif rebuild_clicked:
            _rebuild(as_of)

# --- dbt docs ------------------------------------------------------------------------------

docs = docs_file()
with st.container(horizontal=True):
    st.link_button("dbt docs: models, columns, lineage", datadesk.docs_url(),
                   help="Served by `make docs` (salesdesk docs).", icon=":material/account_tree:")
    if docs is not None:
        st.download_button("Download the docs page", docs.read_bytes(), "salesdesk_dbt_docs.html",
                           "text/html", help="One self-contained HTML file of the current "
                           "build's dbt docs; open it in a browser.")

# --- loads and builds ------------------------------------------------------------------------

loads = datadesk.loads_frame()
builds = datadesk.builds_frame()

col1, col2, col3 = st.columns(3)
col1.metric("Files loaded", f"{loads.height:,}")
col2.metric("Rows loaded", f"{int(loads['rows'].sum() or 0):,}")
current = builds.filter(builds["is_current"]) if not builds.is_empty() else builds
col3.metric("Current build", current["finished_at"][0][5:16] + " UTC" if current.height else "none",
            help=f"Build {wh.build_id}" if wh.build_id else "No build yet")

st.subheader("Data health of the current build")
record = datadesk.current_build_record()
if record is None:
    st.info("No build yet.")
else:
    status_text = {"success": "built without warnings",
                   "success_with_warnings": "built, with warnings"}.get(record.get("status"),
                                                                        record.get("status"))
    as_of_note = record.get("as_of_note") or f"as of {record.get('as_of_date')}"
    st.caption(f"Build {record.get('build_id')}: {status_text}; {kit.md(as_of_note)}.")
    for warning in record.get("warnings") or []:
        st.warning(kit.md(warning), icon=":material/warning:")
    health = datadesk.health_frame(record)
    if not health.is_empty():
        st.dataframe(
            health, hide_index=True, width="stretch",
            column_config={
                "entity": "Entity",
                "loaded": st.column_config.NumberColumn("Rows loaded", format="localized"),
                "staged": st.column_config.NumberColumn("Rows staged", format="localized"),
                "rejected": st.column_config.NumberColumn("Rows rejected", format="localized"),
                "rejected_share": st.column_config.NumberColumn("Rejected", format="percent"),
                "top_rules": "Top rejection rules",
            },
        )
last = builds.row(0, named=True) if not builds.is_empty() else None
if last is not None and last["status"] == "failed":
    st.error(f"The last build ({last['build_id']}) failed, so the one before stays current. "
             f"What failed: {kit.md(last['failed'])}")

st.subheader("Loads")
if loads.is_empty():
    st.info("The lake is empty. Upload files above or run `salesdesk ingest`.")
else:
    st.dataframe(
        loads, hide_index=True, width="stretch",
        column_config={
            "loaded_at": "Loaded at (UTC)", "entity": "Entity", "source_name": "File",
            "rows": st.column_config.NumberColumn("Rows", format="localized"),
            "file_format": "Format", "encoding": "Encoding", "load_id": "Load id (content hash)",
        },
    )
    kit.download(loads, "loads", label="Download loads (CSV)")

st.subheader("Builds")
if builds.is_empty():
    st.info("No build yet. Run `salesdesk build`, or upload files above.")
else:
    st.dataframe(
        builds, hide_index=True, width="stretch",
        column_config={
            "build_id": "Build", "is_current": "Current", "status": "Status",
            "started_at": "Started (UTC)", "finished_at": "Finished (UTC)", "as_of_date": "As of",
            "seconds": st.column_config.NumberColumn("Seconds", format="%.1f"),
            "tables": "Tables",
            "rows_in_tables": st.column_config.NumberColumn("Rows in tables", format="localized"),
            "failed": "What failed",
            "warnings": "Tests that warned",
        },
    )

# --- rejected rows ---------------------------------------------------------------------------

st.subheader("Rejected rows")
try:
    snap = wh.pin()  # one build for the whole section
    by_rule = kit.cached(datadesk.rejected_by_rule, wh=snap)
except NoWarehouse as e:
    st.info(str(e))
else:
    if by_rule.is_empty():
        st.success("No rows were rejected: every loaded row passed the contract rules.")
    else:
        st.caption(f"{int(by_rule['rejected_rows'].sum()):,} rows failed a row-level rule and "
                   "were kept aside with the rule and their raw values.")
        st.dataframe(
            by_rule, hide_index=True, width="stretch",
            column_config={"entity": "Entity", "rule": "Rule",
                           "rejected_rows": st.column_config.NumberColumn("Rows"),
                           "meaning": "What it means"},
        )
        left, right = st.columns(2)
        entity = left.selectbox("Entity", ["all", *by_rule["entity"].unique().sort().to_list()])
        rules = by_rule if entity == "all" else by_rule.filter(by_rule["entity"] == entity)
        rule = right.selectbox("Rule", ["all", *rules["rule"].unique().sort().to_list()])
        rows = kit.cached(datadesk.rejected_rows, None if entity == "all" else entity,
                          None if rule == "all" else rule, wh=snap)
        st.dataframe(
            rows, hide_index=True, width="stretch",
            column_config={"entity": "Entity", "rule": "Rule", "row_key": "Key",
                           "source_row": "Row in file", "load_id": "Load",
                           "loaded_at": "Loaded at", "raw_values": "Values as loaded"},
        )
        kit.download(rows, f"rejected_rows_{entity}_{rule}", label="Download rejected rows (CSV)",
                     key="dl_rejected_rows")
