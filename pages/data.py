"""Data page: what was loaded, what was built, what was rejected; upload and rebuild."""

import re

import streamlit as st

from models.core import identity, scoping
from models.core.errors import UserError
from models.core.warehouse import NoWarehouse, get_warehouse
from models.pipeline import incremental, mappings
from models.pipeline.build import docs_file, parse_progress, run_build
from models.pipeline.contracts import ENTITIES
from models.pipeline.ingest import ENCODING_CHOICES, excluded_text, ingest_upload
from models.queries import datadesk
from ui import kit
from ui.i18n import label, lang, t

st.title(t("Data"))
user = identity.session_user(st.session_state)
if user is None or user.role not in scoping.DATA_TEAM_ROLES:
    st.error(t("Open the sales desk from its home page to sign in."))
    st.stop()
st.caption(t("Loads into the lake, warehouse builds and the rows staging rejected. "
             "Upload raw files here to load them and rebuild the warehouse."))

wh = get_warehouse()  # live: a build run from this page shows at once


def as_of_text(note: str) -> str:
    """A build's as-of note (``models.pipeline.build.choose_as_of_date`` writes it in English
    into the build record) in this language; a note of another form as it is."""
    day = r"(\d{4}-\d{2}-\d{2})"
    if found := re.fullmatch(rf"as of {day}, as set for this build", note):
        return t("as of {day}, as set for this build", day=found[1])
    if found := re.fullmatch(rf"as of {day}, today", note):
        return t("as of {day}, today", day=found[1])
    if found := re.fullmatch(rf"as of {day}, the latest order date: the data ends more than "
                             rf"(\d+) days before today \({day}\)", note):
        return t("as of {day}, the latest order date: the data ends more than {days} days "
                 "before today ({today})", day=found[1], days=found[2], today=found[3])
    return note


# --- upload and rebuild ----------------------------------------------------------------------

def _rebuild(as_of) -> None:
    """Build the warehouse from the lake as it is now (as of the date given, else as the data
    says), with progress, and show the outcome."""
    with st.status(t("Building the warehouse ..."), expanded=True) as status:
        bar = st.progress(0.0, text=t("starting dbt"))
        log_lines: list[str] = []

        def on_line(line: str) -> None:
            log_lines.append(line)
            progress = parse_progress(line)
            if progress:
                done, total = progress
                bar.progress(min(done / total, 1.0),
                             text=t("{done} of {total} steps", done=done, total=total))

        try:
            result = run_build(on_line=on_line,
                               dbt_vars={"as_of_date": as_of.isoformat()} if as_of else None)
        except UserError as e:
            status.update(label=t("Build not started"), state="error")
            st.error(kit.md(e))
        else:
            if result.ok:
                bar.progress(1.0, text=t("done"))
                if result.warnings:
                    built = t("Built {build} in {seconds} s, with {n} warning(s)",
                              build=result.build_id, seconds=f"{result.seconds:.0f}",
                              n=len(result.warnings))
                else:
                    built = t("Built {build} in {seconds} s", build=result.build_id,
                              seconds=f"{result.seconds:.0f}")
                status.update(label=built, state="complete", expanded=False)
                st.cache_data.clear()
                kit.pin_warehouse()  # the rest of this run shows the new build
                kit.show_build()
                st.info(t("The new build is {note}.", note=kit.md(as_of_text(result.as_of_note))))
                for warning in result.warnings:
                    st.warning(kit.md(warning))
            else:
                status.update(label=t("Build failed: the previous warehouse stays current"),
                              state="error")
                st.error("\n".join([t("What failed:"),
                                     *[f"- {kit.md(f)}" for f in result.failures]]))
            st.code("\n".join(log_lines[-40:]), language=None)


# Loading data and rebuilding is for admins; analysts see what was loaded and built.
if user.role == "admin":
    with st.expander(t("Upload files and rebuild"), expanded=False):
        st.markdown(t(
            "CSV (UTF-8, UTF-16 with BOM or GB18030/GBK; other encodings when chosen here), "
            "XLSX or Parquet. The entity is taken from the file name "
            "(`customers…`, `reps…`, `products…`, `sales…`/`orders…`, `visits…`, `quotas…`, "
            "`assessments…`) unless chosen here. A file that breaks its contract is refused whole."
        ))
        uploads = st.file_uploader(t("Raw files"), type=["csv", "xlsx", "parquet"],
                                   accept_multiple_files=True)
        left, right = st.columns(2)
        FROM_NAME = ""  # the entity told from the file name
        entity_choice = left.selectbox(
            t("Entity"), [FROM_NAME, *ENTITIES],
            format_func=kit.option_labels([FROM_NAME, *ENTITIES], lambda e: t("from the file name")
                                          if e == FROM_NAME else label("entity", e)))
        # "" is told from the file: models.pipeline.ingest.DETECTED_ENCODINGS
        encodings = {"": t("told from the file (UTF-8 with or without BOM, UTF-16 with BOM, "
                           "GB18030/GBK)")}
        encoding_choice = right.selectbox(t("Encoding of CSV files"), list(ENCODING_CHOICES),
                                          format_func=lambda e: encodings.get(
                                              e, ENCODING_CHOICES[e]))
        # A mapping file (README: Loading your ERP export): none, a saved one, or uploaded.
        saved = mappings.saved()
        NO_MAPPING, UPLOADED = "", "\0upload"  # codes; saved mappings are listed by name
        mapping_names = {NO_MAPPING: t("none: headers as in the contract"),
                         UPLOADED: t("upload a mapping file")}
        map_left, map_right = st.columns(2)
        mapping_choice = map_left.selectbox(t("Mapping"), [NO_MAPPING, *saved, UPLOADED],
                                            format_func=lambda m: mapping_names.get(m, m),
                                            help=t("A TOML file per source system: columns, "
                                                   "date format, delimiter, decimal comma, ..."))
        mapping_text, mapping_name = None, None
        if mapping_choice == UPLOADED:
            mapping_upload = map_right.file_uploader(t("Mapping file (TOML)"), type=["toml"])
            if mapping_upload is not None:
                mapping_text = mapping_upload.getvalue().decode(  # i18n: ignore (a codec)
                    "utf-8", errors="replace")
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
            save_name = map_right.text_input(t("Save this mapping as"),
                                             value=mapping_name.rsplit(".", 1)[0])
            if map_right.button(t("Save mapping")):
                try:
                    mappings.save(save_name, mapping_text)
                    st.success(t("Saved as {name}: choose it under Mapping next time.",
                                 name=kit.md(save_name)))
                except UserError as e:
                    st.error(kit.md(e))
        as_of = st.date_input(
            t("As of (optional)"), value=None, key="rebuild_as_of",
            help=t("The date the build reads the data at. Empty: follow the data - today when "
                   "the latest order is recent, else the latest order date."))
        preview_col, load_col, rebuild_col = st.columns(3)
        preview_clicked = preview_col.button(t("Preview"), disabled=not uploads,
                                             help=t("The first 20 rows as they would load, and "
                                                    "where each column comes from; loads "
                                                    "nothing."))
        load_clicked = load_col.button(t("Load and rebuild"), type="primary",
                                       disabled=not uploads)
        rebuild_clicked = rebuild_col.button(t("Rebuild without loading"),
                                             help=t("Build again from the lake as it is, e.g. "
                                                    "as of another date."))
        entity = None if entity_choice == FROM_NAME else entity_choice
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
                st.markdown(t("**{file}**: as {entity}, {rows} rows would load{left_out}.",
                              file=kit.md(preview.source_name),
                              entity=kit.md(label("entity", preview.entity)),
                              rows=f"{preview.rows:,}", left_out=kit.md(left_out)))
                if preview.problem:
                    st.error(kit.md(preview.problem))
                for warning in preview.warnings:
                    st.warning(kit.md(warning))
                st.dataframe(
                    [{"column": c, "source": s or t("not in the file (empty)")}
                     for c, s in preview.sources.items()],
                    hide_index=True, width="stretch",
                    column_config={"column": t("Contract column"), "source": t("Comes from")})
                st.dataframe(preview.first_rows, hide_index=True, width="stretch",
                             column_config={"_source_row": t("Row in file")})
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
                st.info(t("Nothing new was loaded, so there is nothing to rebuild."))
        elif rebuild_clicked:
            _rebuild(as_of)

# --- dbt docs ------------------------------------------------------------------------------

docs = docs_file()
with st.container(horizontal=True):
    st.link_button(t("dbt docs: models, columns, lineage"), datadesk.docs_url(),
                   help=t("Served by `make docs` (salesdesk docs)."),
                   icon=":material/account_tree:")
    if docs is not None:
        st.download_button(t("Download the docs page"), docs.read_bytes(),
                           t("salesdesk_dbt_docs.html"), "text/html",
                           help=t("One self-contained HTML file of the current build's dbt "
                                  "docs; open it in a browser."))

# --- loads and builds ------------------------------------------------------------------------

loads = datadesk.loads_frame()
builds = datadesk.builds_frame()

col1, col2, col3 = st.columns(3)
col1.metric(t("Files loaded"), f"{loads.height:,}")
col2.metric(t("Rows loaded"), f"{int(loads['rows'].sum() or 0):,}")
current = builds.filter(builds["is_current"]) if not builds.is_empty() else builds
col3.metric(t("Current build"),
            current["finished_at"][0][5:16] + " UTC" if current.height else t("none"),
            help=t("Build {build}", build=wh.build_id) if wh.build_id else t("No build yet"))

st.subheader(t("Data health of the current build"))
record = datadesk.current_build_record()
if record is None:
    st.info(t("No build yet."))
else:
    status_text = {"success": t("built without warnings"),
                   "success_with_warnings": t("built, with warnings")}.get(
                       record.get("status"), record.get("status"))
    as_of_note = as_of_text(record.get("as_of_note") or "") or t("as of {day}",
                                                                  day=record.get("as_of_date"))
    st.caption(t("Build {build}: {status}; {note}.", build=record.get("build_id"),
                 status=status_text, note=kit.md(as_of_note)))
    if record.get("mode") == "incremental":
        months = record.get("changed_months") or []
        st.caption(t("Incremental: {n} month(s) recomputed ({months}); every other month was "
                     "copied from the build before.", n=len(months),
                     months=", ".join(m[:7] for m in months) or "-"))
    elif record.get("mode") == "full":
        st.caption(t("Full build: every month recomputed ({reason}).",
                     reason=kit.md(incremental.why_text(record, lang()))))
    for warning in record.get("warnings") or []:
        st.warning(kit.md(warning), icon=":material/warning:")
    health = datadesk.health_frame(record)
    if not health.is_empty():
        st.dataframe(
            kit.with_labels(health, {"entity": "entity"}), hide_index=True, width="stretch",
            column_order=["entity_label", "loaded", "staged", "rejected", "rejected_share",
                          "top_rules"],
            column_config={
                "entity_label": t("Entity"),
                "loaded": st.column_config.NumberColumn(t("Rows loaded"), format="localized"),
                "staged": st.column_config.NumberColumn(t("Rows staged"), format="localized"),
                "rejected": st.column_config.NumberColumn(t("Rows rejected"),
                                                          format="localized"),
                "rejected_share": st.column_config.NumberColumn(t("Rejected"), format="percent"),
                "top_rules": t("Top rejection rules"),
            },
        )
last = builds.row(0, named=True) if not builds.is_empty() else None
if last is not None and last["status"] == "failed":
    st.error(t("The last build ({build}) failed, so the one before stays current. What "
               "failed: {failed}", build=last["build_id"], failed=kit.md(last["failed"])))

st.subheader(t("Loads"))
if loads.is_empty():
    st.info(t("The lake is empty. Upload files above or run `salesdesk ingest`."))
else:
    st.dataframe(
        kit.with_labels(loads, {"entity": "entity"}), hide_index=True, width="stretch",
        column_order=["loaded_at", "entity_label", "source_name", "rows", "file_format",
                      "encoding", "load_id"],
        column_config={
            "loaded_at": t("Loaded at (UTC)"), "entity_label": t("Entity"),
            "source_name": t("File"),
            "rows": st.column_config.NumberColumn(t("Rows"), format="localized"),
            "file_format": t("Format"), "encoding": t("Encoding"),
            "load_id": t("Load id (content hash)"),
        },
    )
    kit.download(loads, t("loads"), label=t("Download loads (CSV)"), key="dl_loads")

st.subheader(t("Builds"))
if builds.is_empty():
    st.info(t("No build yet. Run `salesdesk build`, or upload files above."))
else:
    st.dataframe(
        builds, hide_index=True, width="stretch",
        column_config={
            "build_id": t("Build"), "is_current": t("Current"), "status": t("Status"),
            "started_at": t("Started (UTC)"), "finished_at": t("Finished (UTC)"),
            "as_of_date": t("As of"),
            "seconds": st.column_config.NumberColumn(t("Seconds"), format="%.1f"),
            "mode": t("Full or incremental"),
            "months_recomputed": st.column_config.NumberColumn(t("Months recomputed")),
            "tables": t("Tables"),
            "rows_in_tables": st.column_config.NumberColumn(t("Rows in tables"),
                                                            format="localized"),
            "failed": t("What failed"),
            "warnings": t("Tests that warned"),
        },
    )

# --- rejected rows ---------------------------------------------------------------------------

st.subheader(t("Rejected rows"))
try:
    snap = wh.pin()  # one build for the whole section
    by_rule = kit.cached(datadesk.rejected_by_rule, wh=snap)
except NoWarehouse as e:
    st.info(str(e))
else:
    if by_rule.is_empty():
        st.success(t("No rows were rejected: every loaded row passed the contract rules."))
    else:
        st.caption(t("{rows} rows failed a row-level rule and were kept aside with the rule and "
                     "their raw values.", rows=f"{int(by_rule['rejected_rows'].sum()):,}"))
        labelled = kit.with_labels(by_rule, {"entity": "entity", "rule": "rejection_rule"})
        st.dataframe(
            labelled, hide_index=True, width="stretch",
            column_order=["entity_label", "rule", "rule_label", "rejected_rows", "meaning"],
            column_config={"entity_label": t("Entity"), "rule": t("Rule"),
                           "rule_label": t("Rule name"),
                           "rejected_rows": st.column_config.NumberColumn(t("Rows")),
                           "meaning": t("What it means")},
        )
        left, right = st.columns(2)
        entities = ["all", *by_rule["entity"].unique().sort().to_list()]
        entity = left.selectbox(t("Entity"), entities, format_func=kit.option_labels(
            entities, lambda e: t("all") if e == "all" else label("entity", e)))
        rules = by_rule if entity == "all" else by_rule.filter(by_rule["entity"] == entity)
        rule_codes = ["all", *rules["rule"].unique().sort().to_list()]
        rule = right.selectbox(t("Rule"), rule_codes, format_func=kit.option_labels(
            rule_codes, lambda r: t("all") if r == "all"
            else f"{label('rejection_rule', r)} ({r})"))
        rows = kit.cached(datadesk.rejected_rows, None if entity == "all" else entity,
                          None if rule == "all" else rule, wh=snap)
        st.dataframe(
            rows, hide_index=True, width="stretch",
            column_config={"entity": t("Entity"), "rule": t("Rule"), "row_key": t("Key"),
                           "source_row": t("Row in file"), "load_id": t("Load"),
                           "loaded_at": t("Loaded at"), "raw_values": t("Values as loaded")},
        )
        kit.download(rows, t("rejected_rows_{entity}_{rule}", entity=entity, rule=rule),
                     label=t("Download rejected rows (CSV)"), key="dl_rejected_rows")
