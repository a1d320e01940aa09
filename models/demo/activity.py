"""The demo's activity month by month: order lines (sales) and visits, drawn from the models of
each customer's size, trend and rep.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from models.demo.common import (Calendar, _choice, _choice_rows, _dates, _decimal_array, _id_array,
                                _strings, _weekday)
from models.demo.constants import (AFTER_CHURN_VISIT_DAYS, AFTER_CHURN_VISITS_PER_MONTH,
                                   BAND_QUANTITY_MEAN, BIG_CUSTOMER_PRICE_CUT, CATEGORIES,
                                   CHECKIN_MAX_M, CHECKIN_SD_M, CLOSED_SHARE, COMPLAINT_SHARE,
                                   DISCOUNT_RATES, DISCOUNTED_LINE_SHARE, EMPTY_NOTES_SHARE,
                                   FAR_CHECKIN_KM, FAR_CHECKIN_SHARE, HOUSE_VISIT_DILIGENCE,
                                   LEVEL_CHANGE_SHARE, LINES_EXTRA_RANGE, LINES_PER_ORDER_MEAN,
                                   LINES_SIZE_EXP, MICROS_PER_DAY, MICROS_PER_MINUTE,
                                   MISSING_END_SHARE, MONTHS, NOT_MET_SHARE, NOTES, ORDER_ID_DIGITS,
                                   ORDER_LINES_AT_SCALE_1, ORDER_OUTCOME_SHARE, ORDER_RATE_RANGE,
                                   ORDER_RATE_SIZE_EXP, OTHER_REP_ORDER_SHARE, PHONE_MINUTES,
                                   PRICE_NOISE_SD, PROSPECT_VISITS_PER_MONTH, QUANTITY_NOISE_SIGMA,
                                   QUANTITY_SIZE_EXP, RETURN_MAX_DELAY_DAYS, RETURN_SHARE,
                                   RETURNED_PART, VISIT_ID_DIGITS, VISIT_MINUTES,
                                   VISIT_PURPOSE_WEIGHTS, VISITS_AT_SCALE_1,
                                   VISITS_PER_MONTH_BY_SIZE)
from models.demo.entities import Customers, Products, Reps, _near, _random_days
from models.pipeline import contracts

# --------------------------------------------------------------------------------------------
# Sales
# --------------------------------------------------------------------------------------------

SALES_SCHEMA = pa.schema([
    ("order_id", pa.string()),
    ("line_number", pa.int64()),
    ("order_date", pa.date32()),
    ("customer_id", pa.string()),
    ("sku", pa.string()),
    ("quantity", pa.decimal128(18, 3)),
    ("unit_price", pa.decimal128(18, 4)),
    ("discount_rate", pa.decimal128(9, 6)),
    ("rep_id", pa.string()),
])
# The demo states unit prices; it has no line_amount nor status (optional, at the end).
assert tuple(SALES_SCHEMA.names) == \
    contracts.ENTITIES["sales"].column_names[:len(SALES_SCHEMA.names)]


@dataclass
class SalesModel:
    """Per customer: active span per month, order rate, lines per order, quantity scale."""

    lo: np.ndarray  # (customers, months) first day the customer may order in the month
    hi: np.ndarray  # last day
    order_rate: np.ndarray  # (customers, months) expected orders
    extra_lines: np.ndarray  # (customers,) mean lines beyond the first
    quantity_scale: np.ndarray
    price_factor: np.ndarray


def sales_model(cust: Customers, cal: Calendar, scale: float) -> SalesModel:
    """Expected orders per customer-month, normalised so lines hit the scale's target."""
    lo = np.maximum(cal.month_start[None, :], cust.opened[:, None])
    hi = np.minimum(cal.month_end[None, :], cust.last_active[:, None])
    active = (hi >= lo) & ~cust.is_prospect[:, None]
    frac = np.where(active, (hi - lo + 1) / cal.month_days[None, :], 0.0)
    base = np.clip(cust.size ** ORDER_RATE_SIZE_EXP, *ORDER_RATE_RANGE)
    rate = base[:, None] * cal.season[None, :] * cust.trend * frac
    extra = np.clip(LINES_PER_ORDER_MEAN * cust.size ** LINES_SIZE_EXP, *LINES_EXTRA_RANGE)
    expected_lines = (rate * (1.0 + extra)[:, None]).sum()
    rate *= ORDER_LINES_AT_SCALE_1 * max(scale, 1e-9) / (expected_lines * (1 + RETURN_SHARE))
    return SalesModel(lo=lo, hi=hi, order_rate=rate, extra_lines=extra,
                      quantity_scale=cust.size ** QUANTITY_SIZE_EXP,
                      price_factor=1.0 - BIG_CUSTOMER_PRICE_CUT * cust.size_pct)


@dataclass
class SalesChunk:
    """One month of order lines, as arrays (indices into customers, products, reps)."""

    order_no: np.ndarray
    line_number: np.ndarray
    day: np.ndarray
    cust: np.ndarray
    sku: np.ndarray
    quantity: np.ndarray
    unit_price: np.ndarray
    discount: np.ndarray
    rep: np.ndarray

    def __len__(self) -> int:
        return len(self.order_no)

    def revenue(self) -> np.ndarray:
        return self.quantity * self.unit_price * (1.0 - self.discount)

    def table(self, cust: Customers, products: Products, reps: Reps) -> pa.Table:
        return pa.Table.from_arrays([
            _id_array("SO", self.order_no, ORDER_ID_DIGITS),
            pa.array(self.line_number, pa.int64()),
            pa.array(_dates(self.day), pa.date32()),
            _strings(cust.customer_id, self.cust),
            _strings(products.sku, self.sku),
            _decimal_array(self.quantity, 18, 3),
            _decimal_array(self.unit_price, 18, 4),
            _decimal_array(self.discount, 9, 6),
            _strings(reps.rep_id, self.rep),
        ], schema=SALES_SCHEMA)


def _month_orders(rng: np.random.Generator, model: SalesModel, cust: Customers, cal: Calendar,
                  m: int) -> tuple[np.ndarray, np.ndarray]:
    """(customer, day) of each order of month m; a new account orders in its opening month."""
    n_orders = rng.poisson(model.order_rate[:, m])
    opening = (cal.month_of(cust.opened) == m) & (model.order_rate[:, m] > 0)
    n_orders[opening] = np.maximum(n_orders[opening], 1)
    # A house account orders in the month after its rep left (so rep_left lines always exist).
    after_left = (cal.month_of(cust.house_from) == m - 1) & (model.order_rate[:, m] > 0)
    n_orders[after_left] = np.maximum(n_orders[after_left], 1)
    c = np.repeat(np.arange(len(cust)), n_orders)
    day = _random_days(rng, model.lo[c, m], model.hi[c, m], len(c))
    return c, day


def _order_reps(rng: np.random.Generator, cust: Customers, reps: Reps, cal: Calendar,
                c: np.ndarray, day: np.ndarray, m: int) -> np.ndarray:
    """Who took each order: the serving rep; the developer in a group account's first month;
    now and then another stable rep of the region."""
    rep = cust.rep_on(c, day)
    developer = cust.developer[c]
    first_month = (cust.is_group[c] & (cal.month_of(cust.opened[c]) == m)
                   & (reps.hired[developer] <= day) & (day <= reps.left[developer]))
    rep[first_month] = developer[first_month]
    stable, n_stable = reps.stable_by_region()
    other = rng.random(len(c)) < OTHER_REP_ORDER_SHARE
    region = cust.region[c[other]]
    rep[other] = stable[region, np.floor(rng.random(other.sum()) * n_stable[region]).astype(int)]
    return rep


def _quantities(rng: np.random.Generator, model: SalesModel, products: Products,
                c: np.ndarray, sku: np.ndarray) -> np.ndarray:
    """Quantity per line: band's typical quantity x customer scale x noise; whole units
    (half kilograms for goods sold by weight)."""
    mean = np.array(BAND_QUANTITY_MEAN)[products.band[sku]] * model.quantity_scale[c]
    raw = mean * rng.lognormal(-QUANTITY_NOISE_SIGMA ** 2 / 2, QUANTITY_NOISE_SIGMA, len(c))
    by_weight = np.array([cat.sold_by_weight for cat in CATEGORIES])[products.category[sku]]
    return np.where(by_weight, np.maximum(np.round(raw * 2) / 2, 0.5), np.maximum(np.round(raw), 1))


def month_sales(rng: np.random.Generator, model: SalesModel, cust: Customers, products: Products,
                reps: Reps, cal: Calendar, m: int, first_order_no: int) -> SalesChunk:
    """All order lines of month m (orders plus return orders), sorted, with order numbers."""
    c, day = _month_orders(rng, model, cust, cal, m)
    rep = _order_reps(rng, cust, reps, cal, c, day, m)
    n_lines = 1 + rng.poisson(model.extra_lines[c])
    order = np.repeat(np.arange(len(c)), n_lines)
    line_number = np.arange(len(order)) - np.repeat(np.cumsum(n_lines) - n_lines, n_lines) + 1
    lc = c[order]
    sku = _choice_rows(rng, products.channel_weights, cust.channel[lc])
    quantity = _quantities(rng, model, products, lc, sku)
    noise = rng.normal(1.0, PRICE_NOISE_SD, len(lc)).clip(0.95, 1.05)
    unit_price = (products.list_price[sku] * model.price_factor[lc] * noise).round(2)
    rates = np.array(DISCOUNT_RATES)[rng.integers(0, len(DISCOUNT_RATES), len(lc))]
    discount = np.where(rng.random(len(lc)) < DISCOUNTED_LINE_SHARE, rates, 0.0)

    # Returns: a share of lines come back, each as a one-line order a few days later.
    ret = np.flatnonzero(rng.random(len(lc)) < RETURN_SHARE)
    ret_day = np.minimum(day[order[ret]] + rng.integers(0, RETURN_MAX_DELAY_DAYS + 1, len(ret)),
                         model.hi[lc[ret], m])
    ret_qty = -np.maximum(np.round(quantity[ret] * rng.uniform(*RETURNED_PART, len(ret))),
                          np.minimum(quantity[ret], 1))

    # Number all orders (sales and returns) by date, then sort lines by order and line.
    all_day = np.concatenate([day, ret_day])
    all_cust = np.concatenate([c, lc[ret]])
    rank = np.empty(len(all_day), np.int64)
    rank[np.lexsort((all_cust, all_day))] = np.arange(len(all_day))
    line_order = np.concatenate([order, len(c) + np.arange(len(ret))])
    chunk = SalesChunk(
        order_no=first_order_no + rank[line_order],
        line_number=np.concatenate([line_number, np.ones(len(ret), np.int64)]),
        day=all_day[line_order],
        cust=all_cust[line_order],
        sku=np.concatenate([sku, sku[ret]]),
        quantity=np.concatenate([quantity, ret_qty]),
        unit_price=np.concatenate([unit_price, unit_price[ret]]),
        discount=np.concatenate([discount, discount[ret]]),
        rep=np.concatenate([rep[order], cust.rep_on(lc[ret], ret_day)]),
    )
    by = np.lexsort((chunk.line_number, chunk.order_no))
    return SalesChunk(**{k: v[by] for k, v in vars(chunk).items()})


# --------------------------------------------------------------------------------------------
# Visits
# --------------------------------------------------------------------------------------------

VISITS_SCHEMA = pa.schema([
    ("visit_id", pa.string()),
    ("rep_id", pa.string()),
    ("customer_id", pa.string()),
    ("started_at", pa.timestamp("us")),
    ("ended_at", pa.timestamp("us")),
    ("visit_type", pa.string()),
    ("purpose", pa.string()),
    ("outcome", pa.string()),
    ("relationship_level", pa.int64()),
    ("checkin_latitude", pa.float64()),
    ("checkin_longitude", pa.float64()),
    ("notes", pa.string()),
    ("next_step", pa.string()),  # the demo's follows from its note (constants.NOTES)
    # entered in the app only (models/queries/visit_records.py): empty in a visits file
    ("follow_up_date", pa.date32()),
    ("recorded_by", pa.string()),
    ("recorded_at", pa.timestamp("us")),
])
assert tuple(VISITS_SCHEMA.names) == contracts.ENTITIES["visits"].column_names


@dataclass
class VisitModel:
    """Per customer: visitable span and expected visits per month, relationship, opening hours."""

    lo: np.ndarray  # (customers, months)
    hi: np.ndarray
    rate: np.ndarray  # (customers, months) expected visits
    level: np.ndarray  # (customers,) base relationship level
    opens: np.ndarray  # (customers,) visit window, minutes after midnight
    closes: np.ndarray
    workday_start: np.ndarray  # (reps,) minutes after midnight
    workday_end: np.ndarray


def visit_model(rng: np.random.Generator, cust: Customers, reps: Reps, cal: Calendar,
                scale: float) -> VisitModel:
    """Expected visits per customer-month: by size, by the serving rep's diligence; prospects
    monthly; churned customers for a while after their last order. Normalised to the target."""
    lo = np.maximum(cal.month_start[None, :], cust.opened[:, None])
    hi = np.minimum(cal.month_end[None, :], (cust.last_active + AFTER_CHURN_VISIT_DAYS)[:, None])
    span = np.maximum(hi - lo + 1, 0)
    churned = cust.last_active < cal.today
    after = np.clip(hi - np.maximum(lo, cust.last_active[:, None] + 1) + 1, 0, None)
    after *= churned[:, None]
    before = span - after

    by_size = np.zeros(len(cust))
    for threshold, rate in reversed(VISITS_PER_MONTH_BY_SIZE):
        by_size = np.where(cust.size_pct >= threshold, rate, by_size)
    by_size = np.where(cust.is_prospect, PROSPECT_VISITS_PER_MONTH, by_size)
    # Diligence of the rep serving at mid-month (house accounts: the manager visits rarely).
    mid = (cal.month_start + 14)[None, :].repeat(len(cust), 0)
    serving = cust.rep_on(np.repeat(np.arange(len(cust)), MONTHS), mid.ravel()).reshape(mid.shape)
    diligence = np.where(reps.is_manager[serving], HOUSE_VISIT_DILIGENCE, reps.diligence[serving])
    rate = (by_size[:, None] * before + AFTER_CHURN_VISITS_PER_MONTH * after) \
        / cal.month_days[None, :] * diligence
    rate *= VISITS_AT_SCALE_1 * max(scale, 1e-9) / rate.sum()
    level = np.clip(np.round(1 + 4 * cust.size_pct + rng.normal(0, 0.6, len(cust))), 1, 5)
    level = np.where(cust.is_prospect, np.minimum(level, 2), level).astype(np.int64)
    return VisitModel(lo=lo, hi=hi, rate=rate, level=level,
                      opens=_clock(cust.window_start), closes=_clock(cust.window_end),
                      workday_start=_clock(reps.workday_start),
                      workday_end=_clock(reps.workday_end))


def _visit_days(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Uniform days in [lo, hi], Sundays moved to the Saturday before (or Monday after)."""
    day = _random_days(rng, lo, hi, len(lo))
    sunday = _weekday(day) == 6
    day = np.where(sunday & (day - 1 >= lo), day - 1,
                   np.where(sunday & (day + 1 <= hi), day + 1, day))
    return day


def _clock(hhmm: np.ndarray) -> np.ndarray:
    """'HH:MM' strings to minutes after midnight."""
    return (np.strings.slice(hhmm, 0, 2).astype(np.int64) * 60
            + np.strings.slice(hhmm, 3, 5).astype(np.int64))


def _outcomes(rng: np.random.Generator, cust: Customers, c: np.ndarray, day: np.ndarray
              ) -> np.ndarray:
    """Outcome index (contracts.VISIT_OUTCOMES order): orders from active customers only."""
    outcomes = {o: i for i, o in enumerate(contracts.VISIT_OUTCOMES)}
    u = rng.random(len(c))
    low, high = ORDER_OUTCOME_SHARE
    p_order = low + (high - low) * cust.size_pct[c]
    cuts = np.cumsum([COMPLAINT_SHARE, NOT_MET_SHARE, CLOSED_SHARE])
    result = np.select(
        [u < cuts[0], u < cuts[1], u < cuts[2], u < cuts[2] + p_order],
        [outcomes["complaint"], outcomes["not_met"], outcomes["closed"], outcomes["order"]],
        outcomes["no_order"])
    gone = day > cust.last_active[c]
    result[gone] = np.array([outcomes["closed"], outcomes["not_met"], outcomes["no_order"]])[
        rng.integers(0, 3, gone.sum())]
    never = cust.is_prospect[c] & (result == outcomes["order"])
    result[never] = outcomes["no_order"]
    return result


def _checkins(rng: np.random.Generator, cust: Customers, c: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
    """Check-in points: mostly within 100 m of the customer, about 2 % over a kilometre away."""
    far = rng.random(len(c)) < FAR_CHECKIN_SHARE
    km = np.where(far, rng.uniform(*FAR_CHECKIN_KM, len(c)),
                  np.minimum(np.abs(rng.normal(0, CHECKIN_SD_M, len(c))), CHECKIN_MAX_M) / 1000)
    lat, lon = _near(rng, cust.lat[c], cust.lon[c], km)
    return lat.round(6), lon.round(6)


@dataclass
class VisitChunk:
    """One month of visits, as arrays."""

    visit_no: np.ndarray
    rep: np.ndarray
    cust: np.ndarray
    started: np.ndarray  # microseconds since the epoch
    ended: np.ndarray
    has_end: np.ndarray
    is_phone: np.ndarray
    purpose: np.ndarray
    outcome: np.ndarray
    level: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    note: np.ndarray  # index into the flattened notes, -1 = none

    def __len__(self) -> int:
        return len(self.visit_no)

    def table(self, cust: Customers, reps: Reps) -> pa.Table:
        onsite = ~self.is_phone
        notes, next_steps, _ = _flat_notes()
        has_step = (self.note >= 0) & (np.asarray(next_steps, dtype=object)[
            np.maximum(self.note, 0)] != None)  # noqa: E711 (element-wise)
        return pa.Table.from_arrays([
            _id_array("V", self.visit_no, VISIT_ID_DIGITS),
            _strings(reps.rep_id, self.rep),
            _strings(cust.customer_id, self.cust),
            pa.array(self.started.astype("datetime64[us]"), pa.timestamp("us")),
            pa.array(self.ended.astype("datetime64[us]"), pa.timestamp("us"), mask=~self.has_end),
            _strings(contracts.VISIT_TYPES, self.is_phone.astype(np.int64)),
            _strings(contracts.VISIT_PURPOSES, self.purpose),
            _strings(contracts.VISIT_OUTCOMES, self.outcome),
            pa.array(self.level, pa.int64()),
            pa.array(self.lat, pa.float64(), mask=~onsite),
            pa.array(self.lon, pa.float64(), mask=~onsite),
            _strings(notes, np.maximum(self.note, 0), self.note >= 0),
            _strings([s or "" for s in next_steps], np.maximum(self.note, 0), has_step),
            *[pa.nulls(len(self), VISITS_SCHEMA.field(name).type)
              for name in ("follow_up_date", "recorded_by", "recorded_at")],
        ], schema=VISITS_SCHEMA)


def _flat_notes() -> tuple[list[str], list[str | None], np.ndarray]:
    """All note texts in one list, their next steps (None: none) and the (outcome, k) -> index
    matrix (-1 padded). The next step follows from the note: no random draw."""
    texts, steps, index = [], [], np.full((len(contracts.VISIT_OUTCOMES), 4), -1)
    for o, outcome in enumerate(contracts.VISIT_OUTCOMES):
        for k, (text, step) in enumerate(NOTES[outcome]):
            index[o, k] = len(texts)
            texts.append(text)
            steps.append(step)
    return texts, steps, index


def month_visits(rng: np.random.Generator, model: VisitModel, cust: Customers, reps: Reps,
                 m: int, first_visit_no: int) -> VisitChunk:
    """All visits of month m, sorted by start, with visit numbers."""
    c = np.repeat(np.arange(len(cust)), rng.poisson(model.rate[:, m]))
    day = _visit_days(rng, model.lo[c, m], model.hi[c, m])
    rep = cust.rep_on(c, day)
    n = len(c)
    is_phone = rng.random(n) < reps.phone_share[rep]

    minutes = np.where(is_phone, rng.integers(PHONE_MINUTES[0], PHONE_MINUTES[1] + 1, n),
                       np.clip(np.round(15 + 30 * cust.size_pct[c] + rng.normal(0, 8, n)),
                               *VISIT_MINUTES)).astype(np.int64)
    day_start, day_end = model.workday_start[rep], model.workday_end[rep]
    earliest = np.maximum(model.opens[c], day_start)
    latest = np.minimum(model.closes[c], day_end) - minutes
    no_overlap = latest < earliest  # the windows do not meet: any time in the rep's workday
    earliest = np.where(no_overlap, day_start, earliest)
    latest = np.where(no_overlap, day_end - minutes, latest)
    start_min = earliest + np.floor(rng.random(n) * (latest - earliest + 1)).astype(np.int64)
    started = day * MICROS_PER_DAY + start_min * MICROS_PER_MINUTE
    ended = started + minutes * MICROS_PER_MINUTE

    purposes = list(VISIT_PURPOSE_WEIGHTS)
    purpose = np.array([contracts.VISIT_PURPOSES.index(p) for p in purposes])[
        _choice(rng, np.array(list(VISIT_PURPOSE_WEIGHTS.values())), n)]
    purpose[cust.is_prospect[c]] = contracts.VISIT_PURPOSES.index("develop")
    outcome = _outcomes(rng, cust, c, day)
    change = (rng.random(n) < LEVEL_CHANGE_SHARE) * rng.choice([-1, 1], n)
    level = np.clip(model.level[c] + change, 1, 5)
    lat, lon = _checkins(rng, cust, c)
    _, _, note_index = _flat_notes()
    n_notes = (note_index >= 0).sum(axis=1)
    note = note_index[outcome, np.floor(rng.random(n) * n_notes[outcome]).astype(int)]
    note[rng.random(n) < EMPTY_NOTES_SHARE] = -1

    by = np.lexsort((c, started))
    chunk = VisitChunk(visit_no=np.empty(n, np.int64), rep=rep, cust=c, started=started,
                       ended=ended, has_end=rng.random(n) >= MISSING_END_SHARE, is_phone=is_phone,
                       purpose=purpose, outcome=outcome, level=level, lat=lat, lon=lon, note=note)
    chunk = VisitChunk(**{k: v[by] for k, v in vars(chunk).items()})
    chunk.visit_no = first_visit_no + np.arange(n)
    return chunk
