"""Route planning: a rep's due visits for a day or a week, in the order that drives least,
on a map, with the stops that did not fit and the exports a rep takes on the road."""

import math
from datetime import date

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from models.core import exports as exports_mod
from models.core.errors import UserError
from models.engines import geo, planner, routing
from models.queries import published_plans
from ui import kit
from ui.i18n import day_label, lang, t

PLAN_KEY = "routes_plan"  # {"key": (...), "plan": RoutePlan, "files": {...}}
DAY_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2"]

st.title(t("Route planning"))
WEEKDAYS = (t("Mon"), t("Tue"), t("Wed"), t("Thu"), t("Fri"), t("Sat"), t("Sun"))


def _day(d: date) -> str:
    """A planned day as a rep reads it: Mon 30 Nov 2026 / 周一 2026-11-30."""
    return f"{WEEKDAYS[d.weekday()]} {day_label(d)}"


def _with_day(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with its ``day`` column written in the page's language (from ``date``)."""
    if frame.is_empty() or "date" not in frame.columns:
        return frame
    return frame.with_columns(pl.col("date").map_elements(_day, return_dtype=pl.String)
                              .alias("day"))

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


with kit.spinner(t("Loading the reps ...")):
    try:
        reps = kit.cached(planner.reps, user.scope)
        as_of = kit.cached(planner.as_of_date, user.scope)
    except UserError as e:
        st.error(kit.md(e))
        st.stop()
if reps.is_empty() or as_of is None:
    kit.empty(t("There is no rep with customers you can plan for."))
    st.stop()

labels = {r["rep_id"]: t("{name} ({rep_id}, {region}) · {n} due", name=r["rep_name"],
                         rep_id=r["rep_id"], region=r["region"], n=r["due_visits"])
          for r in reps.iter_rows(named=True)}
if user.role == "rep" and user.rep_id in labels:
    rep_ids = [user.rep_id]
else:
    rep_ids = list(labels)

with st.container(horizontal=True):
    due_counts = dict(zip(reps["rep_id"], reps["due_visits"]))
    busiest = max(rep_ids, key=due_counts.get)  # the first of the busiest
    rep_id = st.selectbox(t("Rep"), rep_ids, index=rep_ids.index(busiest), format_func=labels.get,
                          key="routes_rep",
                          help=t("A manager plans for the reps of the region; a rep for "
                                 "themselves. The rep with the most due visits is preselected."))
    span_labels = {"Week": t("Week"), "Day": t("Day")}
    span = st.segmented_control(t("Plan"), ["Week", "Day"], default="Week", key="routes_span",
                                format_func=span_labels.get)
    first_day = planner.default_day(as_of)
    if span == "Day":
        chosen = st.date_input(t("Day"), value=first_day, key="routes_day", format="YYYY-MM-DD")
        dates = [chosen]
    else:
        chosen = st.date_input(t("Week of"), value=planner.default_week(as_of),
                               key="routes_week", format="YYYY-MM-DD",
                               help=t("Any day of the week: Monday to Friday are planned."))
        dates = planner.week_days(chosen)
is_week = len(dates) > 1
apps = list(geo.MAP_APPS)
with st.container(horizontal=True):
    map_app = st.selectbox(t("Map app"), apps, index=apps.index(default_app),
                           format_func=geo.MAP_APPS.get, key="routes_map_app",
                           help=t("Which app the navigation links open. The deployment's "
                                  "default is {app} (SALESDESK_MAP_APP). Coordinates are "
                                  "converted to GCJ-02 (BD-09 for Baidu).",
                                  app=geo.MAP_APPS[default_app]))
    win_back = st.toggle(t("Win-back visits"), value=False, key="routes_win_back",
                         disabled=user.role == "rep",
                         help=t("Also plan churned customers falling due, as optional "
                                "win-back visits; they are never filler otherwise."))
    balance = st.toggle(t("Balanced days"), value=True, key="routes_balance",
                        disabled=not is_week,
                        help=t("Even out the week: longest day <= {ratio} x the shortest, every "
                               "day used when there are enough visits, at a bounded extra "
                               "travel.", ratio=f"{routing.BALANCE_TOLERANCE:g}"))
if not is_week and dates[0].weekday() >= 5:
    st.caption(t("That is a weekend day; it is planned like any workday."))

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
        name = _day(day)
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
            hovertemplate="%{text}. %{customdata[0]}<br>" + t("arrive") + " %{customdata[1]}"
                          "<extra>" + name + "</extra>"))
    fig.add_trace(go.Scattermap(lat=[base[0]], lon=[base[1]], mode="markers",
                                marker={"size": 16, "color": "black"}, name=t("Base")))
    fig.update_layout(
        title=_map_title(rp, only), height=560,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        map={"style": "white-bg", "center": {"lat": base[0], "lon": base[1]}, "zoom": 11,
             "layers": [{"sourcetype": "raster", "source": [tiles], "below": "traces"}]})
    return fig


def _map_title(rp, only: date | None) -> str:
    if only:
        when = _day(only)
    elif rp.is_week:
        when = t("week of {day}", day=_day(rp.dates[0]))
    else:
        when = _day(rp.dates[0])
    return t("Route of {rep}, {when}", rep=kit.plot_text(rp.rep.rep_name), when=when)


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
        name = _day(day)
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
            hovertemplate="%{text}. %{customdata[0]} (%{customdata[2]})<br>" + t("arrive")
                          + " %{customdata[1]}<extra>" + name + "</extra>"))
    fig.add_trace(go.Scatter(x=[rp.rep.lon], y=[rp.rep.lat], mode="markers",
                             marker={"symbol": "star", "size": 18, "color": "black"},
                             name=t("Base"), hovertemplate=t("Base") + "<extra></extra>"))
    fig.update_layout(
        title=_map_title(rp, only),
        xaxis_title=t("Longitude (°)"), yaxis_title=t("Latitude (°)"), height=560,
        margin={"l": 10, "r": 10, "t": 50, "b": 10}, plot_bgcolor="#f4f6f8")
    # one degree of longitude is cos(latitude) degrees of latitude long
    fig.update_yaxes(scaleanchor="x", scaleratio=1 / max(math.cos(math.radians(rp.rep.lat)), 0.1))
    return fig


def stops_table(table: pl.DataFrame) -> None:
    """The ordered stops, with the navigation link of the chosen map app."""
    table = planner.with_navigation(table, map_app) if not table.is_empty() else table
    headers = planner.csv_headers(lang())
    kit.grid(_with_day(table).select("day", "seq", "customer_id", "customer_name", "tier", "window",
                              "arrival", "start", "departure", "travel_minutes", "km",
                              "address", "why", "navigation"),
                 hide_index=True, width="stretch", column_config={
                     "day": t("Day"), "seq": st.column_config.NumberColumn("#"),
                     "customer_id": headers["customer_id"],
                     "customer_name": headers["customer_name"], "tier": headers["tier"],
                     "window": headers["window"], "arrival": headers["arrival"],
                     "start": headers["start"], "departure": headers["departure"],
                     "travel_minutes": st.column_config.NumberColumn(t("Drive min"),
                                                                     format="%.0f"),
                     "km": st.column_config.NumberColumn("km", format="%.1f"),  # i18n: ignore
                     "address": headers["address"], "why": headers["why"],
                     "navigation": st.column_config.LinkColumn(
                         headers["navigation"],
                         display_text=t("open {app}", app=geo.MAP_APPS[map_app]),
                         help=t("Driving directions in the chosen map app (coordinates "
                                "converted to its datum)")),
                 }, phone_columns=["day", "seq", "customer_name", "arrival"],
                 link_label="customer_name")


def stop_blocks(table: pl.DataFrame) -> None:
    """One block per stop, for a phone: who, when, and buttons that open the map app and call
    (data values as plain text, never markdown)."""
    table = planner.with_navigation(table, map_app)
    for s in table.iter_rows(named=True):
        with st.container(border=True):
            st.text(t("{seq}. {customer} ({customer_id}, tier {tier})\nArrive {arrival}, "
                      "visit {start}-{end}, open {window}\n{address}", seq=s["seq"],
                      customer=s["customer_name"], customer_id=s["customer_id"],
                      tier=s["tier"] or "-", arrival=s["arrival"], start=s["start"],
                      end=s["departure"], window=s["window"], address=s["address"] or ""))
            with st.container(horizontal=True):
                st.link_button(t("Navigate ({app})", app=geo.MAP_APPS[map_app]), s["navigation"],
                               type="primary", icon=":material/navigation:")
                for other in [a for a in ("amap", "baidu") if a != map_app]:
                    st.link_button(geo.MAP_APPS[other], s[other])
                if s.get("call"):
                    st.link_button(t("Call"), s["call"], icon=":material/call:")


def exports(rp, key: str) -> dict[str, bytes]:
    """The route's files in the page's language (the CSV's headers the column keys when the
    analysts' box is ticked)."""
    keys = st.session_state.get(f"dl_{key}_keys", False)
    files = {"csv": planner.to_csv(rp, lang(), keys=keys), "ics": planner.to_ics(rp, lang()),
             "html": planner.to_html(rp, map_app, lang=lang()).encode("utf-8")}
    first_day = f"{rp.dates[0]:%Y-%m-%d}"
    name = (t("route-{rep_id}-week-{first_day}", rep_id=rp.rep.rep_id, first_day=first_day)
            if rp.is_week else
            t("route-{rep_id}-{first_day}", rep_id=rp.rep.rep_id, first_day=first_day))
    with st.container(horizontal=True):
        st.download_button(t("Download CSV"), files["csv"], file_name=f"{name}.csv",
                           mime="text/csv",
                           icon=":material/download:", on_click="ignore", key=f"dl_{key}_csv")
        st.download_button(t("Download calendar (.ics)"), files["ics"],
                           file_name=f"{name}.ics", mime="text/calendar",
                           icon=":material/calendar_month:",
                           on_click="ignore", key=f"dl_{key}_ics")
        st.download_button(t("Download day sheet (HTML)"), files["html"],
                           file_name=f"{name}.html", mime="text/html", icon=":material/print:",
                           on_click="ignore",
                           key=f"dl_{key}_html")
        st.checkbox(t("Column keys for analysts"), key=f"dl_{key}_keys",
                    help=t("CSV headers as the stable English column keys (customer_name ...), "
                           "for scripts and analysts."))
    return files


def compliance_table(pp: published_plans.PublishedPlan) -> None:
    table = published_plans.compliance(wh, user.scope, pp)
    config = {
        "day": t("Day"), "planned": t("Planned"), "done_as_planned": t("Done that day"),
        "done_another_day": t("Done another day"), "not_done": t("Not done"),
        "unplanned_visits": st.column_config.NumberColumn(
            t("Visits outside the plan"),
            help=t("Onsite visits that day to customers not planned")),
        "compliance": st.column_config.ProgressColumn(t("Done as planned"), format="percent",
                                                      min_value=0, max_value=1)}
    kit.grid(_with_day(table).drop("date"), hide_index=True, width="stretch",
             column_config=config,
             phone_columns=["day", "planned", "done_as_planned", "compliance"])
    headers = {k: v if isinstance(v, str) else v.get("label") for k, v in config.items()}
    headers["date"] = t("Date")
    kit.download(exports_mod.headed(table, headers,
                                    st.session_state.get("dl_published_keys", False)),
                 t("{name}-compliance", name=pp.name), label=t("Download compliance"),
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
    st.subheader(t("Your plan"))
    st.caption(t("Published by {who} on {when} (version {version}), week of {day}: {visits} "
                 "visits, {km} km.", who=kit.md(pp.published_by),
                 when=f"{pp.published_at:%Y-%m-%d %H:%M}", version=pp.version,
                 day=_day(pp.dates[0]), visits=pp.optimised.visits,
                 km=f"{pp.optimised.km:,.1f}"))
    exports(pp, "published")
    st.subheader(t("Stops in order"))
    planned_days = [d for d in pp.dates if pp.visits.filter(pl.col("date") == d).height]
    if not planned_days:
        kit.empty(t("The published plan has no visits."))
        st.stop()
    today = next((d for d in planned_days if d >= as_of), planned_days[0])
    show = st.segmented_control(t("Day"), planned_days, default=today,
                                format_func={d: _day(d) for d in planned_days}.get,
                                key="routes_rep_day")
    show = show or today
    stop_blocks(pp.visits.filter(pl.col("date") == show))
    kit.chart(route_map(pp, show), width="stretch", key="routes_rep_map")
    st.subheader(t("Planned against done"))
    compliance_table(pp)
    st.stop()

st.caption(t("Visits due by {last_day} (as of {as_of}, build `{build}`), each planned on or "
             "after its due day: S and A customers must be visited, S twice in a week on days "
             "at least {apart} apart; B, C and prospects are optional, taken by priority and "
             "tier when time allows; churned customers only as win-back visits. Travel: "
             "straight-line distance x {factor} at {speed} km/h.",
             last_day=f"{dates[-1]:%Y-%m-%d}", as_of=f"{as_of:%Y-%m-%d}", build=build_id,
             apart=planner.S_DAYS_APART, factor=f"{routing.ROAD_FACTOR:g}",
             speed=f"{routing.SPEED_KMH:g}"))
if user.role == "rep":
    st.info(t("No plan has been published for you for this week yet; you can plan one below."),
            icon=":material/info:")

with kit.spinner(t("Loading the due visits ...")):
    try:
        due = kit.cached(planner.due_list, user.scope, rep_id, list(dates),
                         win_back=bool(win_back))
        churned = 0 if win_back else kit.cached(planner.churned_due, user.scope, rep_id,
                                                list(dates))
    except UserError as e:
        st.error(kit.md(e))
        st.stop()

st.subheader(t("Due visits"))
if due.is_empty():
    kit.empty(t("This rep has no customers due for a visit in these days."))
    st.stop()
must = int(due["is_must_visit"].sum())
st.caption(t("{customers} customers due, {must} must-visit, {visits} visits to plan over {days} "
             "day(s).", customers=due.height, must=must, visits=int(due["visits"].sum()),
             days=len(dates))
           + (t(" {n} churned customer(s) falling due are left out: switch on win-back visits "
                "to plan them.", n=churned) if churned else ""))
due_view = due.select(
    "customer_id", "customer_name", "tier", "is_must_visit", "visits", "planned_minutes",
    (pl.col("visit_window_start") + "-" + pl.col("visit_window_end")).alias("window"),
    "due_day", "days_overdue", "value", "why")
HEADERS = planner.csv_headers(lang())
due_config = {
    "customer_id": HEADERS["customer_id"], "customer_name": HEADERS["customer_name"],
    "tier": HEADERS["tier"],
    "is_must_visit": st.column_config.CheckboxColumn(HEADERS["must_visit"]),
    "visits": st.column_config.NumberColumn(t("Visits"), help=t("Visits to plan in this span")),
    "planned_minutes": st.column_config.NumberColumn(t("Minutes"),
                                                     help=t("Planned visit length")),
    "window": HEADERS["window"],
    "due_day": st.column_config.DateColumn(t("From"), help=t("Planned on or after this day")),
    "days_overdue": st.column_config.NumberColumn(
        t("Days overdue"), help=t("On the first planned day; negative: falls due later")),
    "value": st.column_config.NumberColumn(t("Value"), format="%.1f",
                                           help=t("Optional stops: higher is taken first "
                                                  "(priority quadrant + tier)")),
    "why": st.column_config.TextColumn(HEADERS["why"], width="large"),
}
kit.grid(due_view, hide_index=True, width="stretch", height=260, column_config=due_config)
due_keys = st.checkbox(t("Column keys for analysts"), key="dl_due_keys",
                       help=t("CSV headers as the stable English column keys (customer_name ...), "
                              "for scripts and analysts."))
kit.download(exports_mod.headed(due_view, {k: v if isinstance(v, str) else v.get("label")
                                           for k, v in due_config.items()}, due_keys),
             t("due-{rep_id}-{first_day}", rep_id=rep_id, first_day=f"{dates[0]:%Y-%m-%d}"),
             label=t("Download due list"), key="dl_due")

plan_key = (build_id, user.scope, rep_id, tuple(dates), bool(win_back), bool(balance))
if st.button(t("Plan route"), type="primary", icon=":material/route:", key="routes_run"):
    with st.status(t("Planning the route ..."), expanded=True) as status:
        try:
            result = planner.plan_route(wh, user.scope, rep_id, dates, progress=status.write,
                                        win_back=bool(win_back), balance=bool(balance),
                                        lang=lang())
        except UserError as e:
            status.update(label=t("No route"), state="error")
            st.session_state.pop(PLAN_KEY, None)
            st.error(kit.md(e))
            st.stop()
        st.session_state[PLAN_KEY] = {"key": plan_key, "plan": result}
        status.update(label=t("Planned {visits} visits in {seconds} s",
                              visits=result.optimised.visits,
                              seconds=f"{result.plan.solve_seconds:.1f}"),
                      state="complete", expanded=False)

stored = st.session_state.get(PLAN_KEY)
if not stored or stored["key"] != plan_key:
    st.info(t("Press **Plan route** to order the visits."), icon=":material/route:")
    if published is not None and user.role != "rep":
        st.subheader(t("Published plan"))
        st.caption(t("Version {version} published by {who} on {when}: {visits} visits. "
                     "Planned against done:", version=published.version,
                     who=kit.md(published.published_by),
                     when=f"{published.published_at:%Y-%m-%d %H:%M}",
                     visits=published.optimised.visits))
        compliance_table(published)
    st.stop()
rp: planner.RoutePlan = stored["plan"]

# --- totals ----------------------------------------------------------------------------------
st.subheader(t("Plan"))
if rp.rep.base_source != "rep file":
    st.caption(t("Start and end of each day: the {base} ({lat}, {lon}); the warehouse has no "
                 "base coordinates for the reps yet. Workday {start}-{end}.",
                 base=kit.md(rp.rep.base_source), lat=f"{rp.rep.lat:.5f}",
                 lon=f"{rp.rep.lon:.5f}", start=planner.clock(rp.rep.workday_start_min),
                 end=planner.clock(rp.rep.workday_end_min)))
cols = st.columns(5)
cols[0].metric(t("Visits planned"), f"{rp.optimised.visits}",
               help=t("of {n} due", n=int(rp.due["visits"].sum())))
cols[1].metric(t("Distance"), f"{rp.optimised.km:,.1f} km")  # i18n: ignore
cols[2].metric(t("Driving"), t("{hours} h", hours=f"{rp.optimised.travel_hours:,.1f}"))
cols[3].metric(t("Saved vs naive order"), f"{rp.km_saved:,.1f} km",  # i18n: ignore
               help=t("The same visits each day taken in the order they fell due: {km} km",
                      km=f"{rp.naive.km:,.1f}"))
cols[4].metric(t("Hours saved"), t("{hours} h", hours=f"{rp.hours_saved:,.1f}"),
               help=t("Leaving the base to coming back, summed over the days: naive order "
                      "{naive} h, this plan {planned} h", naive=f"{rp.naive.day_hours:,.1f}",
                      planned=f"{rp.optimised.day_hours:,.1f}"))
if rp.balance is not None:
    b = rp.balance
    ratio = routing.Balance.ratio(b.days_after)
    note = t("longest day {ratio} x the shortest", ratio=f"{ratio or 0:.2f}")
    if not b.met:
        note += t(" (tolerance {tolerance} not reached)", tolerance=f"{b.tolerance:g}")
    st.caption(t("Balanced days: {note}. Day lengths {after} h (least travel alone: {before} h); "
                 "balancing costs {extra} min of driving.", note=note,
                 after=", ".join(f"{m / 60:.1f}" for m in b.days_after),
                 before=", ".join(f"{m / 60:.1f}" for m in b.days_before),
                 extra=f"{b.extra_travel_min:+.0f}"))

kit.grid(_with_day(rp.days).drop("date"), hide_index=True, width="stretch", column_config={
    "day": t("Day"), "visits": t("Visits"), "leave": t("Leave base"), "back": t("Back"),
    "km": st.column_config.NumberColumn("km", format="%.1f"),  # i18n: ignore
    "travel_hours": st.column_config.NumberColumn(t("Driving h"), format="%.2f"),
    "visit_hours": st.column_config.NumberColumn(t("Visits h"), format="%.2f"),
    "wait_hours": st.column_config.NumberColumn(t("Waiting h"), format="%.2f"),
    "day_hours": st.column_config.NumberColumn(t("Day h"), format="%.2f"),
    "naive_km": st.column_config.NumberColumn(t("Naive km"), format="%.1f"),
    "naive_day_hours": st.column_config.NumberColumn(t("Naive day h"), format="%.2f"),
}, phone_columns=["day", "visits", "km", "day_hours"])

stored["files"] = exports(rp, "route")
if user.role in ("admin", "manager") and rp.is_week:
    if st.button(t("Publish to the rep"), icon=":material/send:", key="routes_publish",
                 help=t("The rep sees exactly this plan on this page; earlier publications "
                        "stay in the history.")):
        try:
            done = published_plans.publish(rp, user.email, build_id)
        except UserError as e:
            st.error(kit.md(e))
        else:
            st.success(t("Published version {version} of {rep}'s plan for the week of {day}, "
                         "by {who} at {time}.", version=done.version,
                         rep=kit.md(rp.rep.rep_name), day=_day(rp.dates[0]),
                         who=kit.md(done.published_by), time=f"{done.published_at:%H:%M}"),
                       icon=":material/check_circle:")

st.subheader(t("Stops in order"))
day_options = [d for d in rp.dates if not rp.visits.is_empty()
               and rp.visits.filter(pl.col("date") == d).height]
if not day_options:
    kit.empty(t("No visit could be planned: see the reasons below."))
else:
    show = st.segmented_control(
        t("Day"), ["All days", *day_options] if is_week else day_options,
        default="All days" if is_week else day_options[0],
        format_func={"All days": t("All days"), **{d: _day(d) for d in day_options}}.get,
        key="routes_show")
    only = None if show in (None, "All days") else show
    kit.chart(route_map(rp, only), width="stretch", key="routes_map")
    stops_table(rp.visits if only is None else rp.visits.filter(pl.col("date") == only))

st.subheader(t("Not planned"))
if rp.unplanned.is_empty():
    st.success(t("Every due visit is planned."), icon=":material/check_circle:")
else:
    must_left = int(rp.unplanned["must_visit"].sum())
    if must_left:
        st.warning(t("{n} must-visit(s) could not be planned: see why below.", n=must_left))
    unplanned_config = {
        "customer_id": HEADERS["customer_id"], "customer_name": HEADERS["customer_name"],
        "tier": HEADERS["tier"],
        "must_visit": st.column_config.CheckboxColumn(HEADERS["must_visit"]),
        "reason": st.column_config.TextColumn(t("Why not"), width="large")}
    kit.grid(rp.unplanned, hide_index=True, width="stretch", column_config=unplanned_config)
    kit.download(exports_mod.headed(rp.unplanned,
                                    {k: v if isinstance(v, str) else v.get("label")
                                     for k, v in unplanned_config.items()},
                                    st.session_state.get("dl_route_keys", False)),
                 t("{name}-not-planned", name=rp.name), label=t("Download not planned"),
                 key="dl_unplanned")
