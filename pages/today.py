"""Today: a rep's day on a phone. The stops in route order as cards (tap to navigate, tap to
call, the last visit's note, open alerts), progress through the day, check-in with the phone's
location and the visit record, and the alerts to work. Rules live in models/queries/today.py,
models/queries/visit_records.py and models/queries/alert_tasks.py; every data value is shown
through kit.md."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import streamlit as st

from models.core import clock
from models.core.errors import UserError
from models.engines import planner
from models.pipeline import contracts
from models.queries import alert_tasks, today, visit_records
from ui import kit
from ui.i18n import day_label, label, lang, t

STOP_KEY = "today_stop"          # the customer whose visit is being recorded
SAVED_KEY = "today_saved"        # visit id -> message of the last save
LOCATION_CHOICES = ("phone", "none")   # codes; LOCATION_LABELS says them
ALERTS_SHOWN = 20

user = kit.require_user()
wh = kit.warehouse()
st.title(t("Today"))
LOCATION_LABELS = {"phone": t("Use my phone's location"),
                   "none": t("No location (refused or not available)")}
ACTION_LABELS = {"acknowledge": t("Acknowledge"), "assign": t("Assign"), "snooze": t("Snooze"),
                 "close": t("Close"), "reopen": t("Reopen")}
STATUS_LABELS = {"open": t("open"), "acknowledged": t("acknowledged"), "snoozed": t("snoozed"),
                 "closed": t("closed")}
WEEKDAYS = (t("Monday"), t("Tuesday"), t("Wednesday"), t("Thursday"), t("Friday"),
            t("Saturday"), t("Sunday"))

# --- whose day ---------------------------------------------------------------------------------
if user.role == "rep":
    rep_id = user.scope.rep_id
else:
    reps = planner.reps(wh, user.scope)
    if reps.is_empty():
        kit.empty(t("No rep with customers in your scope."))
        st.stop()
    labels = {r: t("{name} ({rep_id}, {region})", name=n, rep_id=r, region=g) for r, n, g in
              reps.select("rep_id", "rep_name", "region").iter_rows()}
    rep_id = st.selectbox(t("Rep"), list(labels), format_func=labels.get, key="today_rep")
day = clock.today()

try:
    plan = today.rep_day(wh, user.scope, rep_id, day, lang=lang())
except UserError as e:
    st.error(kit.md(str(e)))
    st.stop()

st.caption(t("{weekday} {day} · stops from the {source}", weekday=WEEKDAYS[day.weekday()],
             day=day_label(day), source=kit.md(plan.source)))
if plan.total:
    st.progress(plan.done / plan.total, text=t("{done} of {total} stops done", done=plan.done,
                                               total=plan.total))
else:
    st.info(t("No stop planned or due today."), icon=":material/event_available:")


# --- the visit record form ---------------------------------------------------------------------

def record_form(stop: dict) -> None:
    cid = stop["customer_id"]
    id_key = f"today_visit_id_{cid}"
    if id_key not in st.session_state:  # made once per visit: a resubmit reuses it
        st.session_state[id_key] = visit_records.new_visit_id(rep_id)
    visit_id = st.session_state[id_key]
    saved = st.session_state.get(SAVED_KEY, {}).get(visit_id)
    st.markdown(t("#### Visit: {customer}", customer=kit.md(stop["customer_name"])))
    if saved:
        st.success(saved, icon=":material/check_circle:")
        if st.button(t("Record another visit"), key=f"again_{cid}"):
            del st.session_state[id_key]
            st.rerun()
        return
    visit_type = st.radio(t("Visit"), contracts.VISIT_TYPES, horizontal=True, key=f"type_{cid}",
                          format_func={c: label("visit_type", c)
                                       for c in contracts.VISIT_TYPES}.get)
    lat = lon = None
    if visit_type == "onsite":
        where = st.radio(t("Check-in location"), LOCATION_CHOICES, key=f"where_{cid}",
                         format_func=LOCATION_LABELS.get)
        if where == LOCATION_CHOICES[0]:
            from streamlit_js_eval import get_geolocation

            found = get_geolocation(component_key=f"geo_{visit_id}")
            coords = (found or {}).get("coords") or {}
            if coords.get("latitude") is not None:
                lat, lon = float(coords["latitude"]), float(coords["longitude"])
                st.caption(t("Checked in at {lat}, {lon} (±{accuracy} m)", lat=f"{lat:.5f}",
                             lon=f"{lon:.5f}", accuracy=f"{coords.get('accuracy') or 0:.0f}"))
            elif found and found.get("error"):
                st.warning(t("The phone did not give a location (it was refused or is not "
                             "available). Choose \"{none}\" to record the visit without one.",
                             none=LOCATION_LABELS["none"]),
                           icon=":material/location_off:")
            else:
                st.caption(t("Waiting for the phone's location (allow it when asked) ..."))
        else:
            st.caption(t("The visit is recorded without a location and marked so."))
    with st.form(key=f"record_{cid}", border=False):
        purpose = st.selectbox(t("Purpose"), contracts.VISIT_PURPOSES,
                               index=contracts.VISIT_PURPOSES.index("maintain"),
                               format_func={c: label("purpose", c)
                                            for c in contracts.VISIT_PURPOSES}.get,
                               key=f"purpose_{cid}")
        outcome = st.selectbox(t("Outcome"), contracts.VISIT_OUTCOMES,
                               format_func={c: label("outcome", c)
                                            for c in contracts.VISIT_OUTCOMES}.get,
                               key=f"outcome_{cid}")
        level = st.slider(t("Relationship (1 acquainted .. 5 trusted)"), 1, 5, 3,
                          key=f"level_{cid}")
        notes = st.text_area(t("Notes"), max_chars=visit_records.NOTE_MAX_CHARS,
                             placeholder=t("What happened, what the customer said"),
                             key=f"notes_{cid}")
        next_step = st.text_input(t("Next step"), max_chars=300, key=f"next_{cid}")
        follow_up = st.date_input(t("Follow up on (optional)"), value=None,
                                  min_value=day, max_value=day + timedelta(days=365),
                                  key=f"follow_{cid}")
        submitted = st.form_submit_button(t("Save visit"), type="primary",
                                          icon=":material/save:", use_container_width=True,
                                          key=f"save_{cid}")
    if not submitted:
        return
    if visit_type == "onsite" and st.session_state.get(f"where_{cid}") == LOCATION_CHOICES[0] \
            and lat is None:
        st.error(t("No location yet: wait for it, or choose \"{none}\" to record the visit "
                   "without one.", none=LOCATION_LABELS["none"]))
        return
    record = visit_records.VisitRecord(
        visit_id=visit_id, rep_id=rep_id, customer_id=cid, started_at=visit_records.now(),
        visit_type=visit_type, purpose=purpose, outcome=outcome, relationship_level=level,
        checkin_latitude=lat, checkin_longitude=lon, notes=notes.strip() or None,
        next_step=next_step.strip() or None, follow_up_date=follow_up,
        recorded_by=user.email or user.label)
    try:
        with kit.spinner(t("Saving ...")):
            stored = visit_records.record(record)
    except UserError as e:
        st.error(kit.md(str(e)))
        return
    message = (t("This visit was already saved.") if stored.duplicate else
               t("Visit saved. It counts in compliance after the next build."))
    st.session_state.setdefault(SAVED_KEY, {})[visit_id] = message
    st.rerun()


# --- the stops ---------------------------------------------------------------------------------

chosen = st.session_state.get(STOP_KEY)
for stop in plan.stops.iter_rows(named=True):
    with st.container(border=True, key=f"stop_{stop['customer_id']}"):
        done = " · :green[" + t("done") + "]" if stop["is_done"] else ""
        st.markdown(t("**{seq}. {customer}** · tier {tier}", seq=stop["seq"],
                      customer=kit.md(stop["customer_name"]), tier=kit.md(stop["tier"])) + done)
        st.caption(t("{why}  \nCustomer hours {window}", why=kit.md(stop["why"]),
                     window=kit.md(stop["window"]))
                   + (t(" · arrive {arrival}", arrival=kit.md(stop["arrival"]))
                      if stop["arrival"] else "")
                   + (f"  \n{kit.md(stop['address'])}" if stop["address"] else ""))
        if stop["contact_name"] or stop["phone"]:
            st.markdown(t("Contact: {name} · {phone}", name=kit.md(stop["contact_name"]),
                          phone=kit.md(stop["phone"])))
        if stop["last_note"]:
            st.markdown(t("Last note ({day}): {note}", day=kit.md(stop["last_visit_date"]),
                          note=kit.md(stop["last_note"])))
        if stop["open_alerts"]:
            st.markdown(":orange[" + t("Alerts: {alerts}", alerts=kit.md(stop["open_alerts"]))
                        + "]")
        cols = st.columns(3)
        if stop["navigation"]:
            cols[0].link_button(t("Navigate"), stop["navigation"], icon=":material/directions:",
                                use_container_width=True)
        if stop["call"]:
            cols[1].link_button(t("Call"), stop["call"], icon=":material/call:",
                                use_container_width=True)
        if cols[2].button(t("Record visit"), key=f"rec_{stop['customer_id']}",
                          icon=":material/edit_note:", use_container_width=True):
            st.session_state[STOP_KEY] = chosen = stop["customer_id"]
        if chosen == stop["customer_id"]:
            record_form(stop)
        if st.button(t("Open card"), key=f"card_{stop['customer_id']}", type="tertiary"):
            kit.open_customer(stop["customer_id"])

fresh = visit_records.recent(rep_id=rep_id).filter(pl.col("started_at").dt.date() == day)
if fresh.height:
    st.subheader(t("Recorded today"))
    for r in fresh.iter_rows(named=True):
        where = "" if r["has_checkin_location"] else t(" · no location")
        st.markdown(f"{r['started_at']:%H:%M} · {kit.md(r['customer_id'])} · "
                    f"{kit.md(label('outcome', r['outcome']))}{where}  \n"
                    f"{kit.md(r['notes'] or '')}")


# --- alerts to work ----------------------------------------------------------------------------

st.subheader(t("Alerts"))
alerts = today.open_alerts(wh, user.scope, show_done=True)
# the rep's own customers' alerts and those assigned to the rep
mine = alerts.filter((pl.col("maintainer_rep_id") == rep_id) | (pl.col("assignee") == rep_id))
c1, c2 = st.columns(2)
types = c1.multiselect(t("Type"), list(alert_tasks.ALERT_LABELS), key="alert_types",
                       format_func={c: label("alert_type", c)
                                    for c in alert_tasks.ALERT_LABELS}.get)
tiers = c2.multiselect(t("Tier"), ["S", "A", "B", "C"], key="alert_tiers",
                       format_func={c: label("tier", c) for c in "SABC"}.get)
show_done = st.toggle(t("Show snoozed and closed"), key="alert_done")
work = mine
if types:
    work = work.filter(pl.col("alert_type").is_in(types))
if tiers:
    work = work.filter(pl.col("tier").is_in(tiers))
if not show_done:
    work = work.filter(pl.col("status").is_in(["open", "acknowledged"]))
st.caption(t("{n} alert(s)", n=work.height)
           + (t(" (first {n} shown)", n=ALERTS_SHOWN) if work.height > ALERTS_SHOWN else ""))
rep_ids = sorted(set(planner.reps(wh, user.scope)["rep_id"].to_list()) | {rep_id})
for a in work.head(ALERTS_SHOWN).iter_rows(named=True):
    k = f"{a['customer_id']}_{a['alert_type']}"
    with st.container(border=True, key=f"alert_{k}"):
        st.markdown(t("**{alert}** · {customer} · tier {tier} · {status}",
                      alert=kit.md(label("alert_type", a["alert_type"])),
                      customer=kit.md(a["customer_name"]), tier=kit.md(a["tier"]),
                      status=kit.md(STATUS_LABELS.get(a["status"], a["status"])))
                    + (t(" · assigned to {who}", who=kit.md(a["assignee"]))
                       if a["assignee"] else "")
                    + (t(" · until {day}", day=kit.md(a["snoozed_until"]))
                       if a["snoozed_until"] else ""))
        st.caption(kit.md(a["detail"]))
        if a["task_note"]:
            st.caption(t("Note: {note}", note=kit.md(a["task_note"])))
        with st.expander(t("Act on it")):
            with st.form(key=f"act_{k}", border=False):
                action = st.radio(t("Action"), alert_tasks.ACTIONS, horizontal=True,
                                  format_func=ACTION_LABELS.get, key=f"act_action_{k}")
                assignee = st.selectbox(t("Assign to"), rep_ids,
                                        index=rep_ids.index(rep_id), key=f"act_assignee_{k}")
                until = st.date_input(t("Snooze until"), value=day + timedelta(days=7),
                                      min_value=day + timedelta(days=1), key=f"act_until_{k}")
                note = st.text_input(t("Note"), key=f"act_note_{k}")
                if st.form_submit_button(t("Save"), key=f"act_save_{k}"):
                    try:
                        alert_tasks.act(a["customer_id"], a["alert_type"], a["since_date"],
                                        action, user.email or user.label, assignee=assignee,
                                        until=until, note=note)
                    except UserError as e:
                        st.error(kit.md(str(e)))
                    else:
                        st.rerun()
