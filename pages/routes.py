"""Route planning: a rep's due visits for a day or a week, in the order that drives least,
on a map, with the stops that did not fit and the exports a rep takes on the road."""

import math
from datetime import date

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from models.core.errors import UserError
from models.engines import geo, planner, routing
from models.queries import published_plans
from ui import kit

PLAN_KEY = "routes_plan"  # {"key": (...), "plan": RoutePlan, "files": {...}}
DAY_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2"]

st.title("Route planning")
user = kit.require_user()
wh = kit.warehouse()
build_id = wh.build_id


try:
    default_app = geo.default_map_app()
    tiles = geo.tile_url()
    datum = geo.source_datum()
except UserError as e:
    st.error(kit.md(e))
    st.stop()


with kit.spinner("Loading the reps ..."):
    try:
        reps = kit.cached(planner.reps, user.scope)
        as_of = kit.cached(planner.as_of_date, user.scope)
    except UserError as e:
        st.error(kit.md(e))
        st.stop()
if reps.is_empty() or as_of is None:
    kit.empty("There is no rep with customers you can plan for.")
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
apps = list(geo.MAP_APPS)
with st.container(horizontal=True):
    map_app = st.selectbox("Map app", apps, index=apps.index(default_app),
                           format_func=geo.MAP_APPS.get, key="routes_map_app",
                           help="Which app the navigation links open. The deployment's "
                                f"default is {geo.MAP_APPS[default_app]} (SALESDESK_MAP_APP). "
                                "Coordinates are converted to GCJ-02 (BD-09 for Baidu).")
    win_back = st.toggle("Win-back visits", value=False, key="routes_win_back",
                         disabled=user.role == "rep",
                         help="Also plan churned customers falling due, as optional "
                              "win-back visits; they are never filler otherwise.")
    balance = st.toggle("Balanced days", value=True, key="routes_balance",
                        disabled=not is_week,
                        help=f"Even out the week: longest day <= "
                             f"{routing.BALANCE_TOLERANCE:g} x the shortest, every day used "
                             "when there are enough visits, at a bounded extra travel.")
if not is_week and dates[0].weekday() >= 5:
    st.caption("That is a weekend day; it is planned like any workday.")

def _shift(lat: float, lon: float) -> tuple[float, float]:
    """A point of the customer file on the tiles' datum."""
    if geo.tiles_datum() == "gcj02":
        return geo.to_gcj02(lat, lon, datum)
    return geo.to_wgs84(lat, lon, datum)


def _days_to_draw(rp, only: date | None):
    """(day, its stops in order, its colour) of each day with visits (only ``only`` if set)."""
    for i, day in enumerate(rp.dates):
        if only is not None and day != only:
            continue
        stops = rp.visits.filter(pl.col("date") == day) if not rp.visits.is_empty() \
            else rp.visits
        if not stops.is_empty():
            yield day, stops, DAY_COLOURS[i % len(DAY_COLOURS)]


def _tiled_map(rp, only: date | None) -> go.Figure:
    fig = go.Figure()
    base = _shift(rp.rep.lat, rp.rep.lon)
    for day, stops, colour in _days_to_draw(rp, only):
        points = [_shift(a, b) for a, b in zip(stops["latitude"], stops["longitude"])]
        name = f"{day:%a %d %b}"
        fig.add_trace(go.Scattermap(
            lat=[base[0], *[p[0] for p in points], base[0]],
            lon=[base[1], *[p[1] for p in points], base[1]], mode="lines",
            line={"color": colour, "width": 3}, name=name, legendgroup=name, hoverinfo="skip"))
        fig.add_trace(go.Scattermap(
            lat=[p[0] for p in points], lon=[p[1] for p in points], mode="markers+text",
            text=[str(x) for x in stops["seq"].to_list()], textposition="top center",
            marker={"size": 12, "color": colour}, legendgroup=name, showlegend=False,
            customdata=list(zip(kit.plot_text(stops["customer_name"].to_list()),
                                stops["arrival"].to_list())),
            hovertemplate="%{text}. %{customdata[0]}<br>arrive %{customdata[1]}<extra>"
                          + name + "</extra>"))
    fig.add_trace(go.Scattermap(lat=[base[0]], lon=[base[1]], mode="markers",
                                marker={"size": 16, "color": "black"}, name="Base"))
    when = (f"{only:%a %d %b}" if only else f"week of {rp.dates[0]:%a %d %b}" if rp.is_week
            else f"{rp.dates[0]:%a %d %b}")
    fig.update_layout(
        title=f"Route of {kit.plot_text(rp.rep.rep_name)}, {when}", height=560,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        map={"style": "white-bg", "center": {"lat": base[0], "lon": base[1]}, "zoom": 11,
             "layers": [{"sourcetype": "raster", "source": [tiles], "below": "traces"}]})
    return fig


def route_map(rp, only: date | None) -> go.Figure:
    """Numbered stops and the route lines. With a tile URL (SALESDESK_MAP_TILES) on street
    tiles (points shifted to GCJ-02 for Amap's tiles); without, on plain longitude/latitude
    axes, which draw without internet, equal distances on both axes."""
    if tiles:
        return _tiled_map(rp, only)
    fig = go.Figure()
    for day, stops, colour in _days_to_draw(rp, only):
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
            customdata=list(zip(kit.plot_text(stops["customer_name"].to_list()),
                                stops["arrival"].to_list(),
                                kit.plot_text(stops["tier"].to_list()))),
            hovertemplate="%{text}. %{customdata[0]} (%{customdata[2]})<br>arrive "
                          "%{customdata[1]}<extra>" + name + "</extra>"))
    fig.add_trace(go.Scatter(x=[rp.rep.lon], y=[rp.rep.lat], mode="markers",
                             marker={"symbol": "star", "size": 18, "color": "black"},
                             name="Base", hovertemplate="Base<extra></extra>"))
    when = (f"{only:%a %d %b}" if only else f"week of {rp.dates[0]:%a %d %b}" if rp.is_week
            else f"{rp.dates[0]:%a %d %b}")
    fig.update_layout(
        title=f"Route of {kit.plot_text(rp.rep.rep_name)}, {when}",
        xaxis_title="Longitude (°)", yaxis_title="Latitude (°)", height=560,
        margin={"l": 10, "r": 10, "t": 50, "b": 10}, plot_bgcolor="#f4f6f8")
    # one degree of longitude is cos(latitude) degrees of latitude long
    fig.update_yaxes(scaleanchor="x", scaleratio=1 / max(math.cos(math.radians(rp.rep.lat)), 0.1))
    return fig


def stops_table(table: pl.DataFrame) -> None:
    """The ordered stops, with the navigation link of the chosen map app."""
    table = planner.with_navigation(table, map_app) if not table.is_empty() else table
    kit.grid(table.select("day", "seq", "customer_id", "customer_name", "tier", "window",
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
                         "Directions", display_text=f"open {geo.MAP_APPS[map_app]}",
                         help="Driving directions in the chosen map app (coordinates "
                              "converted to its datum)"),
                 }, phone_columns=["day", "seq", "customer_name", "arrival"],
                 link_label="customer_name")


def stop_blocks(table: pl.DataFrame) -> None:
    """One block per stop, for a phone: who, when, and buttons that open the map app and call
    (data values as plain text, never markdown)."""
    table = planner.with_navigation(table, map_app)
    for s in table.iter_rows(named=True):
        with st.container(border=True):
            st.text(f"{s['seq']}. {s['customer_name']} ({s['customer_id']}, tier "
                    f"{s['tier'] or '-'})\nArrive {s['arrival']}, visit {s['start']}-"
                    f"{s['departure']}, open {s['window']}\n{s['address'] or ''}")
            with st.container(horizontal=True):
                st.link_button(f"Navigate ({geo.MAP_APPS[map_app]})", s["navigation"],
                               type="primary", icon=":material/navigation:")
                for other in [a for a in ("amap", "baidu") if a != map_app]:
                    st.link_button(geo.MAP_APPS[other], s[other])
                if s.get("call"):
                    st.link_button("Call", s["call"], icon=":material/call:")


def exports(rp, key: str) -> dict[str, bytes]:
    files = {"csv": planner.to_csv(rp), "ics": planner.to_ics(rp),
             "html": planner.to_html(rp, map_app).encode("utf-8")}
    with st.container(horizontal=True):
        st.download_button("Download CSV", files["csv"], f"{rp.name}.csv", "text/csv",
                           icon=":material/download:", on_click="ignore", key=f"dl_{key}_csv")
        st.download_button("Download calendar (.ics)", files["ics"], f"{rp.name}.ics",
                           "text/calendar", icon=":material/calendar_month:",
                           on_click="ignore", key=f"dl_{key}_ics")
        st.download_button("Download day sheet (HTML)", files["html"], f"{rp.name}.html",
                           "text/html", icon=":material/print:", on_click="ignore",
                           key=f"dl_{key}_html")
    return files


def compliance_table(pp: published_plans.PublishedPlan) -> None:
    table = published_plans.compliance(wh, user.scope, pp)
    kit.grid(table.drop("date"), hide_index=True, width="stretch", column_config={
        "day": "Day", "planned": "Planned", "done_as_planned": "Done that day",
        "done_another_day": "Done another day", "not_done": "Not done",
        "unplanned_visits": st.column_config.NumberColumn(
            "Visits outside the plan", help="Onsite visits that day to customers not planned"),
        "compliance": st.column_config.ProgressColumn("Done as planned", format="percent",
                                                      min_value=0, max_value=1)},
             phone_columns=["day", "planned", "done_as_planned", "compliance"])
    kit.download(table, f"{pp.name}-compliance", label="Download compliance",
                 key="dl_compliance")


week_start = planner.week_days(dates[0])[0]
try:
    published = published_plans.latest(rep_id, week_start)
except UserError as e:
    st.error(kit.md(e))
    published = None

# --- a rep: the published plan, exactly --------------------------------------------------------
if user.role == "rep" and published is not None:
    pp = published
    st.subheader("Your plan")
    st.caption(f"Published by {kit.md(pp.published_by)} on {pp.published_at:%Y-%m-%d %H:%M} "
               f"(version {pp.version}), week of {pp.dates[0]:%a %d %b}: "
               f"{pp.optimised.visits} visits, {pp.optimised.km:,.1f} km.")
    exports(pp, "published")
    st.subheader("Stops in order")
    planned_days = [d for d in pp.dates if pp.visits.filter(pl.col("date") == d).height]
    if not planned_days:
        kit.empty("The published plan has no visits.")
        st.stop()
    today = next((d for d in planned_days if d >= as_of), planned_days[0])
    show = st.segmented_control("Day", planned_days, default=today,
                                format_func=lambda d: f"{d:%a %d %b}", key="routes_rep_day")
    show = show or today
    stop_blocks(pp.visits.filter(pl.col("date") == show))
    kit.chart(route_map(pp, show), width="stretch", key="routes_rep_map")
    st.subheader("Planned against done")
    compliance_table(pp)
    st.stop()

st.caption(f"Visits due by {dates[-1]:%Y-%m-%d} (as of {as_of:%Y-%m-%d}, build "
           f"`{build_id}`), each planned on or after its due day: S and A customers must be "
           f"visited, S twice in a week on days at least {planner.S_DAYS_APART} apart; B, C "
           "and prospects are optional, taken by priority and tier when time allows; churned "
           "customers only as win-back visits. Travel: straight-line distance x "
           f"{routing.ROAD_FACTOR:g} at {routing.SPEED_KMH:g} km/h.")
if user.role == "rep":
    st.info("No plan has been published for you for this week yet; you can plan one below.",
            icon=":material/info:")

with kit.spinner("Loading the due visits ..."):
    try:
        due = kit.cached(planner.due_list, user.scope, rep_id, list(dates),
                         win_back=bool(win_back))
        churned = 0 if win_back else kit.cached(planner.churned_due, user.scope, rep_id,
                                                list(dates))
    except UserError as e:
        st.error(kit.md(e))
        st.stop()

st.subheader("Due visits")
if due.is_empty():
    kit.empty("This rep has no customers due for a visit in these days.")
    st.stop()
must = int(due["is_must_visit"].sum())
st.caption(f"{due.height} customers due, {must} must-visit, {int(due['visits'].sum())} visits "
           f"to plan over {len(dates)} day(s)."
           + (f" {churned} churned customer(s) falling due are left out: switch on win-back "
              "visits to plan them." if churned else ""))
due_view = due.select(
    "customer_id", "customer_name", "tier", "is_must_visit", "visits", "planned_minutes",
    (pl.col("visit_window_start") + "-" + pl.col("visit_window_end")).alias("window"),
    "due_day", "days_overdue", "value", "why")
kit.grid(due_view, hide_index=True, width="stretch", height=260, column_config={
    "customer_id": "Customer", "customer_name": "Name", "tier": "Tier",
    "is_must_visit": st.column_config.CheckboxColumn("Must visit"),
    "visits": st.column_config.NumberColumn("Visits", help="Visits to plan in this span"),
    "planned_minutes": st.column_config.NumberColumn("Minutes", help="Planned visit length"),
    "window": "Customer hours",
    "due_day": st.column_config.DateColumn("From", help="Planned on or after this day"),
    "days_overdue": st.column_config.NumberColumn(
        "Days overdue", help="On the first planned day; negative: falls due later"),
    "value": st.column_config.NumberColumn("Value", format="%.1f",
                                           help="Optional stops: higher is taken first "
                                                "(priority quadrant + tier)"),
    "why": st.column_config.TextColumn("Why due", width="large"),
})
kit.download(due_view, f"due-{rep_id}-{dates[0]:%Y-%m-%d}", label="Download due list",
             key="dl_due")

plan_key = (build_id, user.scope, rep_id, tuple(dates), bool(win_back), bool(balance))
if st.button("Plan route", type="primary", icon=":material/route:", key="routes_run"):
    with st.status("Planning the route ...", expanded=True) as status:
        try:
            result = planner.plan_route(wh, user.scope, rep_id, dates, progress=status.write,
                                        win_back=bool(win_back), balance=bool(balance))
        except UserError as e:
            status.update(label="No route", state="error")
            st.session_state.pop(PLAN_KEY, None)
            st.error(kit.md(e))
            st.stop()
        st.session_state[PLAN_KEY] = {"key": plan_key, "plan": result}
        status.update(label=f"Planned {result.optimised.visits} visits in "
                            f"{result.plan.solve_seconds:.1f} s", state="complete",
                      expanded=False)

stored = st.session_state.get(PLAN_KEY)
if not stored or stored["key"] != plan_key:
    st.info("Press **Plan route** to order the visits.", icon=":material/route:")
    if published is not None and user.role != "rep":
        st.subheader("Published plan")
        st.caption(f"Version {published.version} published by "
                   f"{kit.md(published.published_by)} on "
                   f"{published.published_at:%Y-%m-%d %H:%M}: {published.optimised.visits} "
                   "visits. Planned against done:")
        compliance_table(published)
    st.stop()
rp: planner.RoutePlan = stored["plan"]

# --- totals ----------------------------------------------------------------------------------
st.subheader("Plan")
if rp.rep.base_source != "rep file":
    st.caption(f"Start and end of each day: the {kit.md(rp.rep.base_source)} "
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
if rp.balance is not None:
    b = rp.balance
    st.caption(f"Balanced days: {b.note}. Day lengths "
               f"{', '.join(f'{m / 60:.1f}' for m in b.days_after)} h (least travel alone: "
               f"{', '.join(f'{m / 60:.1f}' for m in b.days_before)} h); balancing costs "
               f"{b.extra_travel_min:+.0f} min of driving.")

kit.grid(rp.days.drop("date"), hide_index=True, width="stretch", column_config={
    "day": "Day", "visits": "Visits", "leave": "Leave base", "back": "Back",
    "km": st.column_config.NumberColumn("km", format="%.1f"),
    "travel_hours": st.column_config.NumberColumn("Driving h", format="%.2f"),
    "visit_hours": st.column_config.NumberColumn("Visits h", format="%.2f"),
    "wait_hours": st.column_config.NumberColumn("Waiting h", format="%.2f"),
    "day_hours": st.column_config.NumberColumn("Day h", format="%.2f"),
    "naive_km": st.column_config.NumberColumn("Naive km", format="%.1f"),
    "naive_day_hours": st.column_config.NumberColumn("Naive day h", format="%.2f"),
}, phone_columns=["day", "visits", "km", "day_hours"])

stored["files"] = exports(rp, "route")
if user.role in ("admin", "manager") and rp.is_week:
    if st.button("Publish to the rep", icon=":material/send:", key="routes_publish",
                 help="The rep sees exactly this plan on this page; earlier publications "
                      "stay in the history."):
        try:
            done = published_plans.publish(rp, user.email, build_id)
        except UserError as e:
            st.error(kit.md(e))
        else:
            st.success(f"Published version {done.version} of {kit.md(rp.rep.rep_name)}'s plan "
                       f"for the week of {rp.dates[0]:%a %d %b}, by "
                       f"{kit.md(done.published_by)} at {done.published_at:%H:%M}.", icon=":material/check_circle:")

st.subheader("Stops in order")
day_options = [d for d in rp.dates if not rp.visits.is_empty()
               and rp.visits.filter(pl.col("date") == d).height]
if not day_options:
    kit.empty("No visit could be planned: see the reasons below.")
else:
    show = st.segmented_control(
        "Day", ["All days", *day_options] if is_week else day_options,
        default="All days" if is_week else day_options[0],
        format_func=lambda d: d if isinstance(d, str) else f"{d:%a %d %b}",
        key="routes_show")
    only = None if show in (None, "All days") else show
    kit.chart(route_map(rp, only), width="stretch", key="routes_map")
    stops_table(rp.visits if only is None else rp.visits.filter(pl.col("date") == only))

st.subheader("Not planned")
if rp.unplanned.is_empty():
    st.success("Every due visit is planned.", icon=":material/check_circle:")
else:
    must_left = int(rp.unplanned["must_visit"].sum())
    if must_left:
        st.warning(f"{must_left} must-visit(s) could not be planned: see why below.")
    kit.grid(rp.unplanned, hide_index=True, width="stretch", column_config={
        "customer_id": "Customer", "customer_name": "Name", "tier": "Tier",
        "must_visit": st.column_config.CheckboxColumn("Must visit"),
        "reason": st.column_config.TextColumn("Why not", width="large")})
    kit.download(rp.unplanned, f"{rp.name}-not-planned", label="Download not planned",
                 key="dl_unplanned")
