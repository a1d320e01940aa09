"""Route planning: a rep's due visits for a day or a week, in the order that drives least,
on a map, with the stops that did not fit and the exports a rep takes on the road."""

import math
from datetime import date

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from models import access, planner, routing
from models.errors import UserError
from pages import _ui

PLAN_KEY = "routes_plan"  # {"key": (...), "plan": RoutePlan, "files": {...}}
DAY_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2"]

st.title("Route planning")
user = _ui.require_user()
wh = _ui.warehouse()
build_id = wh.build_id


@st.cache_data(ttl=600, show_spinner=False)
def _reps(build_id: str, scope: access.Scope) -> tuple[pl.DataFrame, date | None]:
    return planner.reps(wh, scope), planner.as_of_date(wh, scope)


@st.cache_data(ttl=600, show_spinner=False)
def _due(build_id: str, scope: access.Scope, rep_id: str, week: bool) -> pl.DataFrame:
    return planner.due_list(wh, scope, rep_id, week=week)


with _ui.spinner("Loading the reps ..."):
    try:
        reps, as_of = _reps(build_id, user.scope)
    except UserError as e:
        st.error(_ui.md(e))
        st.stop()
if reps.is_empty() or as_of is None:
    _ui.empty("There is no rep with customers you can plan for.")
    st.stop()

labels = {r["rep_id"]: f"{r['rep_name']} ({r['rep_id']}, {r['region']}) · {r['due_visits']} due"
          for r in reps.iter_rows(named=True)}
if user.role == "rep" and user.rep_id in labels:
    rep_ids = [user.rep_id]
else:
    rep_ids = list(labels)

with st.container(horizontal=True):
    due_counts = dict(zip(reps["rep_id"], reps["due_visits"]))
    busiest = max(rep_ids, key=due_counts.get)  # the first of the busiest
    rep_id = st.selectbox("Rep", rep_ids, index=rep_ids.index(busiest), format_func=labels.get,
                          key="routes_rep",
                          help="A manager plans for the reps of the region; a rep for themselves. "
                               "The rep with the most due visits is preselected.")
    span = st.segmented_control("Plan", ["Week", "Day"], default="Week", key="routes_span")
    first_day = planner.default_day(as_of)
    if span == "Day":
        chosen = st.date_input("Day", value=first_day, key="routes_day", format="YYYY-MM-DD")
        dates = [chosen]
    else:
        chosen = st.date_input("Week of", value=planner.default_week(as_of), key="routes_week",
                               format="YYYY-MM-DD",
                               help="Any day of the week: Monday to Friday are planned.")
        dates = planner.week_days(chosen)
is_week = len(dates) > 1
if not is_week and dates[0].weekday() >= 5:
    st.caption("That is a weekend day; it is planned like any workday.")

st.caption(f"Visits due as of {as_of:%Y-%m-%d} (build `{build_id}`): S and A customers must be "
           f"visited, S twice in a week on days at least {planner.S_DAYS_APART} apart; B, C and "
           "prospects are optional, taken by priority when time allows. Travel: straight-line "
           f"distance x {routing.ROAD_FACTOR:g} at {routing.SPEED_KMH:g} km/h.")

with _ui.spinner("Loading the due visits ..."):
    due = _due(build_id, user.scope, rep_id, is_week)

st.subheader("Due visits")
if due.is_empty():
    _ui.empty("This rep has no customers due for a visit.")
    st.stop()
must = int(due["is_must_visit"].sum())
st.caption(f"{due.height} customers due, {must} must-visit, {int(due['visits'].sum())} visits "
           f"to plan over {len(dates)} day(s).")
due_view = due.select(
    "customer_id", "customer_name", "tier", "is_must_visit", "visits", "planned_minutes",
    (pl.col("visit_window_start") + "-" + pl.col("visit_window_end")).alias("window"),
    "days_overdue", "value", "why")
st.dataframe(due_view, hide_index=True, width="stretch", height=260, column_config={
    "customer_id": "Customer", "customer_name": "Name", "tier": "Tier",
    "is_must_visit": st.column_config.CheckboxColumn("Must visit"),
    "visits": st.column_config.NumberColumn("Visits", help="Visits to plan in this span"),
    "planned_minutes": st.column_config.NumberColumn("Minutes", help="Planned visit length"),
    "window": "Customer hours",
    "days_overdue": st.column_config.NumberColumn("Days overdue"),
    "value": st.column_config.NumberColumn("Value", format="%.0f",
                                           help="Optional stops: higher is taken first"),
    "why": st.column_config.TextColumn("Why due", width="large"),
})
_ui.download(due_view, f"due-{rep_id}-{as_of:%Y-%m-%d}", label="Download due list",
             key="dl_due")

plan_key = (build_id, user.scope, rep_id, tuple(dates))
if st.button("Plan route", type="primary", icon=":material/route:", key="routes_run"):
    with st.status("Planning the route ...", expanded=True) as status:
        try:
            result = planner.plan_route(wh, user.scope, rep_id, dates, progress=status.write)
        except UserError as e:
            status.update(label="No route", state="error")
            st.session_state.pop(PLAN_KEY, None)
            st.error(_ui.md(e))
            st.stop()
        files = {"csv": planner.to_csv(result), "ics": planner.to_ics(result),
                 "html": planner.to_html(result).encode("utf-8")}
        st.session_state[PLAN_KEY] = {"key": plan_key, "plan": result, "files": files}
        status.update(label=f"Planned {result.optimised.visits} visits in "
                            f"{result.plan.solve_seconds:.1f} s", state="complete",
                      expanded=False)

stored = st.session_state.get(PLAN_KEY)
if not stored or stored["key"] != plan_key:
    st.info("Press **Plan route** to order the visits.", icon=":material/route:")
    st.stop()
rp: planner.RoutePlan = stored["plan"]

# --- totals ----------------------------------------------------------------------------------
st.subheader("Plan")
if rp.rep.base_source != "rep file":
    st.caption(f"Start and end of each day: the {_ui.md(rp.rep.base_source)} "
               f"({rp.rep.lat:.5f}, {rp.rep.lon:.5f}); the warehouse has no base coordinates "
               f"for the reps yet. Workday {planner.clock(rp.rep.workday_start_min)}-"
               f"{planner.clock(rp.rep.workday_end_min)}.")
cols = st.columns(5)
cols[0].metric("Visits planned", f"{rp.optimised.visits}",
               help=f"of {int(rp.due['visits'].sum())} due")
cols[1].metric("Distance", f"{rp.optimised.km:,.1f} km")
cols[2].metric("Driving", f"{rp.optimised.travel_hours:,.1f} h")
cols[3].metric("Saved vs naive order", f"{rp.km_saved:,.1f} km",
               help="The same visits each day taken in the order they fell due: "
                    f"{rp.naive.km:,.1f} km")
cols[4].metric("Hours saved", f"{rp.hours_saved:,.1f} h",
               help="Leaving the base to coming back, summed over the days: naive order "
                    f"{rp.naive.day_hours:,.1f} h, this plan {rp.optimised.day_hours:,.1f} h")

st.dataframe(rp.days.drop("date"), hide_index=True, width="stretch", column_config={
    "day": "Day", "visits": "Visits", "leave": "Leave base", "back": "Back",
    "km": st.column_config.NumberColumn("km", format="%.1f"),
    "travel_hours": st.column_config.NumberColumn("Driving h", format="%.2f"),
    "visit_hours": st.column_config.NumberColumn("Visits h", format="%.2f"),
    "wait_hours": st.column_config.NumberColumn("Waiting h", format="%.2f"),
    "day_hours": st.column_config.NumberColumn("Day h", format="%.2f"),
    "naive_km": st.column_config.NumberColumn("Naive km", format="%.1f"),
    "naive_day_hours": st.column_config.NumberColumn("Naive day h", format="%.2f"),
})

with st.container(horizontal=True):
    st.download_button("Download CSV", stored["files"]["csv"], f"{rp.name}.csv", "text/csv",
                       icon=":material/download:", on_click="ignore", key="dl_route_csv")
    st.download_button("Download calendar (.ics)", stored["files"]["ics"], f"{rp.name}.ics",
                       "text/calendar", icon=":material/calendar_month:", on_click="ignore",
                       key="dl_route_ics")
    st.download_button("Download day sheet (HTML)", stored["files"]["html"], f"{rp.name}.html",
                       "text/html", icon=":material/print:", on_click="ignore",
                       key="dl_route_html")


# --- map -------------------------------------------------------------------------------------

def route_map(rp: planner.RoutePlan, only: date | None) -> go.Figure:
    """Numbered stops and the route lines on plain longitude/latitude axes (no map tiles, so
    it draws without internet), equal distances on both axes."""
    fig = go.Figure()
    for i, day in enumerate(rp.dates):
        if only is not None and day != only:
            continue
        stops = rp.visits.filter(pl.col("date") == day) if not rp.visits.is_empty() \
            else rp.visits
        if stops.is_empty():
            continue
        colour = DAY_COLOURS[i % len(DAY_COLOURS)]
        lons = [rp.rep.lon, *stops["longitude"].to_list(), rp.rep.lon]
        lats = [rp.rep.lat, *stops["latitude"].to_list(), rp.rep.lat]
        name = f"{day:%a %d %b}"
        fig.add_trace(go.Scatter(x=lons, y=lats, mode="lines", line={"color": colour, "width": 2},
                                 name=name, legendgroup=name, hoverinfo="skip"))
        fig.add_trace(go.Scatter(
            x=stops["longitude"].to_list(), y=stops["latitude"].to_list(),
            mode="markers+text", text=[str(s) for s in stops["seq"].to_list()],
            textposition="top center", marker={"size": 11, "color": colour},
            legendgroup=name, showlegend=False,
            customdata=list(zip(_ui.plot_text(stops["customer_name"].to_list()),
                                stops["arrival"].to_list(),
                                _ui.plot_text(stops["tier"].to_list()))),
            hovertemplate="%{text}. %{customdata[0]} (%{customdata[2]})<br>arrive "
                          "%{customdata[1]}<extra>" + name + "</extra>"))
    fig.add_trace(go.Scatter(x=[rp.rep.lon], y=[rp.rep.lat], mode="markers",
                             marker={"symbol": "star", "size": 18, "color": "black"},
                             name="Base", hovertemplate="Base<extra></extra>"))
    when = (f"{only:%a %d %b}" if only else f"week of {rp.dates[0]:%a %d %b}" if rp.is_week
            else f"{rp.dates[0]:%a %d %b}")
    fig.update_layout(
        title=f"Route of {_ui.plot_text(rp.rep.rep_name)}, {when}",
        xaxis_title="Longitude (°)", yaxis_title="Latitude (°)", height=560,
        margin={"l": 10, "r": 10, "t": 50, "b": 10}, plot_bgcolor="#f4f6f8")
    # one degree of longitude is cos(latitude) degrees of latitude long
    fig.update_yaxes(scaleanchor="x", scaleratio=1 / max(math.cos(math.radians(rp.rep.lat)), 0.1))
    return fig


st.subheader("Stops in order")
day_options = [d for d in rp.dates if not rp.visits.is_empty()
               and rp.visits.filter(pl.col("date") == d).height]
if not day_options:
    _ui.empty("No visit could be planned: see the reasons below.")
else:
    show = st.segmented_control(
        "Day", ["All days", *day_options] if is_week else day_options,
        default="All days" if is_week else day_options[0],
        format_func=lambda d: d if isinstance(d, str) else f"{d:%a %d %b}",
        key="routes_show")
    only = None if show in (None, "All days") else show
    st.plotly_chart(route_map(rp, only), width="stretch", key="routes_map")
    table = rp.visits if only is None else rp.visits.filter(pl.col("date") == only)
    st.dataframe(table.select("day", "seq", "customer_id", "customer_name", "tier", "window",
                              "arrival", "start", "departure", "travel_minutes", "km",
                              "address", "why", "navigation"),
                 hide_index=True, width="stretch", column_config={
                     "day": "Day", "seq": st.column_config.NumberColumn("#"),
                     "customer_id": "Customer", "customer_name": "Name", "tier": "Tier",
                     "window": "Customer hours", "arrival": "Arrive", "start": "Visit from",
                     "departure": "Leave",
                     "travel_minutes": st.column_config.NumberColumn("Drive min",
                                                                     format="%.0f"),
                     "km": st.column_config.NumberColumn("km", format="%.1f"),
                     "address": "Address", "why": "Why due",
                     "navigation": st.column_config.LinkColumn(
                         "Directions", display_text="open map",
                         help="Driving directions from the previous stop on openstreetmap.org"),
                 })

st.subheader("Not planned")
if rp.unplanned.is_empty():
    st.success("Every due visit is planned.", icon=":material/check_circle:")
else:
    must_left = int(rp.unplanned["must_visit"].sum())
    if must_left:
        st.warning(f"{must_left} must-visit(s) could not be planned: see why below.")
    st.dataframe(rp.unplanned, hide_index=True, width="stretch", column_config={
        "customer_id": "Customer", "customer_name": "Name", "tier": "Tier",
        "must_visit": st.column_config.CheckboxColumn("Must visit"),
        "reason": st.column_config.TextColumn("Why not", width="large")})
    _ui.download(rp.unplanned, f"{rp.name}-not-planned", label="Download not planned",
                 key="dl_unplanned")
