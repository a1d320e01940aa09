"""The demo's reps, products and customers: who sells, what is sold, who buys (sizes, places,
lifecycles, the rep who opened and the rep who maintains each account).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.demo.common import (Calendar, _choice, _choice_rows, _day, _normal_quantile, _pick,
                                _zero_padded)
from models.demo.constants import (ALWAYS, BAND_MARGIN_RANGE, BAND_PRICE_RANGE, BRANCH_SHOP_SHARE,
                                   CATEGORIES, CENTRAL_RADIUS_KM, CHANNEL_CATEGORY_AFFINITY,
                                   CHANNEL_WEIGHTS, CHANNELS, CHURN_LAST_ORDER_BEFORE_TODAY_DAYS,
                                   CHURN_MIN_ACTIVE_DAYS, CHURN_MIN_TENURE_DAYS, CHURN_SHARE,
                                   CITY_CENTRE, CITY_NAME_ZH, CUSTOMERS_AT_SCALE_1, DECLINING_SHARE,
                                   DEVELOPER_RECORDED_SHARE, GIVEN_NAMES_ZH, GROUP_PURCHASE_SHARE,
                                   GROWING_SHARE, INNER_DISTRICT_KM, KEY_ACCOUNT_POOL_SHARE,
                                   KEY_ACCOUNT_SHARE, KM_PER_DEGREE_LAT, LEFT_REP_REASSIGNED_SHARE,
                                   MANAGER_AS_DEVELOPER_WEIGHT, MIN_CUSTOMERS, MIN_KEY_ACCOUNTS,
                                   MIN_PER_BEHAVIOUR, MIN_REPS_PER_REGION, MONTHLY_GROWTH, MONTHS,
                                   NEVER, NEW_CUSTOMER_GROWTH, NEW_CUSTOMER_RAMP, OLDEST_HIRED_DATE,
                                   OLDEST_OPENED_DATE, OPENED_BEFORE_WINDOW_SHARE, OUTER_RADIUS_KM,
                                   PAYMENT_TERMS_DAYS, PHONE_SHARE, PRODUCT_BRANDS,
                                   PRODUCT_POPULARITY_EXP, PRODUCTS, PROSPECT_CONTACT_MONTHS,
                                   PROSPECT_SHARE, REGIONS, REP_LEFT_SHARE, REP_NEW_HIRE_SHARE,
                                   REP_UNDER_VISIT_SHARE, REPS_AT_SCALE_1, SECTOR_HALF_WIDTH_DEG,
                                   SHOP_SUFFIX_ZH, SHOP_WORDS_ZH, SIZE_SIGMA, STEADY_GROWTH_SD,
                                   STREETS_ZH, SURNAMES_ZH, TREND_RANGE, UNDER_VISIT_DILIGENCE,
                                   UNDER_VISIT_PHONE_SHARE, VISIT_WINDOWS, WORKDAYS)

# --------------------------------------------------------------------------------------------
# Reps
# --------------------------------------------------------------------------------------------


@dataclass
class Reps:
    """Managers (one per region, first) and reps, as arrays by rep index."""

    rep_id: np.ndarray
    name: np.ndarray
    region: np.ndarray  # region index
    is_manager: np.ndarray
    manager: np.ndarray  # rep index of the region's manager, -1 for managers
    hired: np.ndarray
    left: np.ndarray  # NEVER if still employed
    is_new: np.ndarray
    is_stable: np.ndarray  # hired before the window, still employed, not a manager
    base_lat: np.ndarray
    base_lon: np.ndarray
    workday_start: np.ndarray  # "HH:MM"
    workday_end: np.ndarray
    diligence: np.ndarray  # visit rate multiplier
    phone_share: np.ndarray

    def __len__(self) -> int:
        return len(self.rep_id)

    def stable_by_region(self) -> tuple[np.ndarray, np.ndarray]:
        """(matrix of stable rep indices per region padded with -1, count per region)."""
        groups = [np.flatnonzero(self.is_stable & (self.region == r)) for r in range(len(REGIONS))]
        counts = np.array([len(g) for g in groups])
        matrix = np.full((len(groups), counts.max()), -1)
        for r, g in enumerate(groups):
            matrix[r, : len(g)] = g
        return matrix, counts


def _random_days(rng: np.random.Generator, lo: np.ndarray | int, hi: np.ndarray | int,
                 size: int) -> np.ndarray:
    """Uniform day numbers in [lo, hi]."""
    lo, hi = np.broadcast_to(lo, size), np.broadcast_to(hi, size)
    return lo + np.floor(rng.random(size) * (np.maximum(hi - lo, 0) + 1)).astype(np.int64)


def _chinese_names(rng: np.random.Generator, n: int) -> np.ndarray:
    surnames = np.array(SURNAMES_ZH)[rng.integers(0, len(SURNAMES_ZH), n)]
    given = np.array(GIVEN_NAMES_ZH)[rng.integers(0, len(GIVEN_NAMES_ZH), n)]
    return np.strings.add(surnames, given)


def _near(rng: np.random.Generator, lat: np.ndarray, lon: np.ndarray, km: np.ndarray
          ) -> tuple[np.ndarray, np.ndarray]:
    """Points ``km`` away from (lat, lon) in random directions."""
    angle = rng.random(len(km)) * 2 * np.pi
    dlat = km * np.cos(angle) / KM_PER_DEGREE_LAT
    dlon = km * np.sin(angle) / (KM_PER_DEGREE_LAT * np.cos(np.radians(lat)))
    return lat + dlat, lon + dlon


def _region_centres() -> tuple[np.ndarray, np.ndarray]:
    """A point in the middle of each region (for rep bases)."""
    lat0, lon0 = CITY_CENTRE
    lat, lon = np.full(len(REGIONS), lat0), np.full(len(REGIONS), lon0)
    for r, region in enumerate(REGIONS):
        if region.bearing_deg is not None:
            b = np.radians(region.bearing_deg)
            lat[r] += 12.0 * np.cos(b) / KM_PER_DEGREE_LAT
            lon[r] += 12.0 * np.sin(b) / (KM_PER_DEGREE_LAT * np.cos(np.radians(lat0)))
    return lat, lon


def make_reps(rng: np.random.Generator, scale: float, cal: Calendar) -> Reps:
    """One manager per region, then its reps; a few left, a few hired recently, a few lazy."""
    n_regions = len(REGIONS)
    per_region = max(MIN_REPS_PER_REGION, round(REPS_AT_SCALE_1 * scale / n_regions))
    n = n_regions * (1 + per_region)
    region = np.concatenate([np.arange(n_regions), np.repeat(np.arange(n_regions), per_region)])
    is_manager = np.arange(n) < n_regions
    manager = np.where(is_manager, -1, region)  # managers are rep indices 0..n_regions-1

    # Status: the first rep of each region is always stable; others may leave or be new.
    first_of_region = n_regions + np.arange(n_regions) * per_region
    others = np.setdiff1d(np.arange(n_regions, n), first_of_region)
    n_reps = n - n_regions
    left_idx = _pick(rng, n, max(1, round(REP_LEFT_SHARE * n_reps)), others)
    new_idx = _pick(rng, n, max(1, round(REP_NEW_HIRE_SHARE * n_reps)),
                    np.setdiff1d(others, left_idx))
    is_new, is_left = np.isin(np.arange(n), new_idx), np.isin(np.arange(n), left_idx)
    is_stable = ~is_manager & ~is_new & ~is_left
    lazy_idx = _pick(rng, n, max(1, round(REP_UNDER_VISIT_SHARE * n_reps)),
                     np.setdiff1d(np.flatnonzero(is_stable), first_of_region))

    hired = _random_days(rng, _day(OLDEST_HIRED_DATE), cal.start - 60, n)
    hired[is_new] = _random_days(rng, cal.today - 365, cal.today - 45, is_new.sum())
    left = np.full(n, NEVER)
    left[is_left] = _random_days(rng, cal.start + 120, cal.today - 45, is_left.sum())

    c_lat, c_lon = _region_centres()
    base_lat, base_lon = _near(rng, c_lat[region], c_lon[region], rng.uniform(0.5, 3.0, n))
    workday = _choice(rng, np.array([w[2] for w in WORKDAYS]), n)
    diligence = np.where(np.isin(np.arange(n), lazy_idx), UNDER_VISIT_DILIGENCE, 1.0)
    return Reps(
        rep_id=_zero_padded("R", np.arange(1, n + 1), 4),
        name=_chinese_names(rng, n),
        region=region, is_manager=is_manager, manager=manager,
        hired=hired, left=left, is_new=is_new, is_stable=is_stable,
        base_lat=base_lat.round(6), base_lon=base_lon.round(6),
        workday_start=np.array([w[0] for w in WORKDAYS])[workday],
        workday_end=np.array([w[1] for w in WORKDAYS])[workday],
        diligence=diligence,
        phone_share=np.where(diligence < 1, UNDER_VISIT_PHONE_SHARE, PHONE_SHARE),
    )


# --------------------------------------------------------------------------------------------
# Products
# --------------------------------------------------------------------------------------------


@dataclass
class Products:
    """The catalogue as arrays by product index."""

    sku: np.ndarray
    name: np.ndarray
    category: np.ndarray  # category index
    band: np.ndarray  # 0 high, 1 mid, 2 low
    list_price: np.ndarray
    unit_cost: np.ndarray
    channel_weights: np.ndarray  # (channels, products) purchase weights

    def __len__(self) -> int:
        return len(self.sku)


def make_products(rng: np.random.Generator) -> Products:
    """About 300 SKUs in categories and price bands, with list prices and 10-40 % margins."""
    n = PRODUCTS
    category = rng.integers(0, len(CATEGORIES), n)
    band_weights = np.array([c.band_weights for c in CATEGORIES])
    band = _choice_rows(rng, band_weights, category)
    lo, hi = np.array(BAND_PRICE_RANGE)[band].T
    list_price = np.exp(rng.uniform(np.log(lo), np.log(hi))).round(2)
    m_lo, m_hi = np.array(BAND_MARGIN_RANGE)[band].T
    unit_cost = (list_price * (1 - rng.uniform(m_lo, m_hi))).round(2)

    popularity = 1.0 / (rng.permutation(n) + 5.0) ** PRODUCT_POPULARITY_EXP
    weights = popularity[None, :] * CHANNEL_CATEGORY_AFFINITY[:, category]

    brand = np.array(PRODUCT_BRANDS)[rng.integers(0, len(PRODUCT_BRANDS), n)]
    labels = np.array([c.label for c in CATEGORIES])[category]
    packs = np.array([[c.packs[k % len(c.packs)] for k in range(3)] for c in CATEGORIES])
    pack = packs[category, rng.integers(0, 3, n)]
    name = np.strings.add(np.strings.add(brand, labels), np.strings.add(" ", pack))
    return Products(sku=_zero_padded("P", np.arange(1, n + 1), 4), name=name,
                    category=category, band=band, list_price=list_price, unit_cost=unit_cost,
                    channel_weights=weights)


# --------------------------------------------------------------------------------------------
# Customers
# --------------------------------------------------------------------------------------------


@dataclass
class Customers:
    """Customer master plus the hidden drivers of their behaviour, as arrays by customer index."""

    customer_id: np.ndarray
    name: np.ndarray
    channel: np.ndarray  # channel index
    region: np.ndarray
    district: np.ndarray
    address: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    size: np.ndarray  # relative size, median 1
    size_pct: np.ndarray  # 0 smallest .. 1 largest
    is_prospect: np.ndarray
    opened: np.ndarray  # day number; prospects: the first contact (opened_date is empty)
    last_active: np.ndarray  # last day the customer may order (today unless churned)
    trend: np.ndarray  # (customers, months) multiplier on the order rate
    maintainer: np.ndarray
    previous: np.ndarray  # rep before the handover, -1 if none
    handover: np.ndarray  # day the maintainer took over (ALWAYS if always)
    house_from: np.ndarray  # day the maintainer left without successor (NEVER if not)
    manager: np.ndarray
    developer: np.ndarray  # -1 when empty
    is_group: np.ndarray
    is_key: np.ndarray
    payment_terms: np.ndarray
    window_start: np.ndarray  # "HH:MM"
    window_end: np.ndarray

    def __len__(self) -> int:
        return len(self.customer_id)

    def rep_on(self, c: np.ndarray, day: np.ndarray) -> np.ndarray:
        """The rep serving customers ``c`` on ``day``: previous, maintainer or (house) manager."""
        rep = self.maintainer[c].copy()
        before = day < self.handover[c]
        rep[before] = self.previous[c][before]
        house = day >= self.house_from[c]
        rep[house] = self.manager[c][house]
        return rep


def _customer_sizes(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Lognormal sizes from jittered stratified quantiles (a stable shape even for 60 customers)."""
    pct = (rng.permutation(n) + rng.random(n)) / n
    return np.exp(SIZE_SIGMA * _normal_quantile(pct)), pct


def _customer_places(rng: np.random.Generator, region: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Coordinates in each region's sector and district for each customer."""
    n = len(region)
    lat0, lon0 = CITY_CENTRE
    bearing = np.array([r.bearing_deg if r.bearing_deg is not None else 0.0 for r in REGIONS])
    central = np.array([r.bearing_deg is None for r in REGIONS])[region]
    u = rng.random(n)
    (c_lo, c_hi), (o_lo, o_hi) = CENTRAL_RADIUS_KM, OUTER_RADIUS_KM
    # Even density in the centre; thinning out towards the edge of the city.
    radius = np.where(central, c_lo + (c_hi - c_lo) * np.sqrt(u), o_lo + (o_hi - o_lo) * u ** 1.6)
    spread = rng.uniform(-SECTOR_HALF_WIDTH_DEG, SECTOR_HALF_WIDTH_DEG, n)
    angle = np.where(central, rng.random(n) * 360.0, bearing[region] + spread)
    east_km = radius * np.sin(np.radians(angle))
    lat = lat0 + radius * np.cos(np.radians(angle)) / KM_PER_DEGREE_LAT
    lon = lon0 + east_km / (KM_PER_DEGREE_LAT * np.cos(np.radians(lat0)))
    second = np.where(central, east_km > 0, radius > INNER_DISTRICT_KM).astype(int)
    district = np.array([r.districts for r in REGIONS])[region, second]
    return lat.round(6), lon.round(6), district


def _opened_days(rng: np.random.Generator, cal: Calendar, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Opening days: some years before the window, the rest spread over its months, growing."""
    before = rng.random(n) < OPENED_BEFORE_WINDOW_SHARE
    opened = _random_days(rng, _day(OLDEST_OPENED_DATE), cal.start - 1, n)
    k = int((~before).sum())
    # Stratified month draws, weighted towards later months: every month gets new customers.
    weights = 1.0 + NEW_CUSTOMER_GROWTH * np.arange(MONTHS) / (MONTHS - 1)
    cdf = np.cumsum(weights) / weights.sum()
    month = np.searchsorted(cdf, (rng.permutation(k) + rng.random(k)) / k, side="right")
    month = month.clip(0, MONTHS - 1)
    opened[~before] = _random_days(rng, cal.month_start[month], cal.month_end[month], k)
    return opened, before


def _trends(rng: np.random.Generator, cal: Calendar, opened: np.ndarray) -> np.ndarray:
    """Per customer-month multiplier: growing, declining or steady, with a ramp-up when new."""
    n = len(opened)
    kind = rng.random(n)
    growth = np.where(kind < GROWING_SHARE, rng.uniform(*MONTHLY_GROWTH, n),
                      np.where(kind < GROWING_SHARE + DECLINING_SHARE,
                               -rng.uniform(*MONTHLY_GROWTH, n),
                               rng.normal(0.0, STEADY_GROWTH_SD, n)))
    open_month = cal.month_of(opened)
    age = np.arange(MONTHS)[None, :] - np.maximum(open_month, 0)[:, None]
    trend = np.exp(growth[:, None] * np.maximum(age, 0)).clip(*TREND_RANGE)
    new = (open_month >= 0)[:, None]
    ramp = np.where(new, 1.0 - NEW_CUSTOMER_RAMP * np.exp(-np.maximum(age, 0) / 2.0), 1.0)
    return trend * ramp


def _assign_reps(rng: np.random.Generator, reps: Reps, region: np.ndarray, opened: np.ndarray,
                 is_prospect: np.ndarray, last_active: np.ndarray, size: np.ndarray, today: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Maintainer, previous rep, handover day and house-from day for each customer.

    Customers are spread over the region's reps. A left rep's customers mostly move to a stable
    rep (the left rep is the previous one until the left date); the others stay with the left rep
    and are served by the region manager from then on (house accounts). A new hire's customers
    that were opened before the hire were served by a stable rep until the hire date.
    """
    n = len(region)
    stable, n_stable = reps.stable_by_region()
    maintainer = np.empty(n, np.int64)
    for r in range(len(REGIONS)):  # loop over the five regions
        pool = np.flatnonzero(~reps.is_manager & (reps.region == r))
        mine = np.flatnonzero(region == r)
        maintainer[mine] = pool[rng.integers(0, len(pool), len(mine))]
    some_stable = stable[region, np.floor(rng.random(n) * n_stable[region]).astype(int)]

    previous, handover, house_from = np.full(n, -1), np.full(n, ALWAYS), np.full(n, NEVER)
    left_day = reps.left[maintainer]
    opened_after_left = opened >= left_day
    maintainer = np.where(opened_after_left, some_stable, maintainer)
    of_left_rep = reps.left[maintainer] < NEVER
    moved = of_left_rep & (rng.random(n) < LEFT_REP_REASSIGNED_SHARE)
    previous[moved], handover[moved] = maintainer[moved], reps.left[maintainer[moved]]
    maintainer[moved] = some_stable[moved]
    house = of_left_rep & ~moved
    house_from[house] = reps.left[maintainer[house]]

    hired_later = reps.is_new[maintainer] & (opened < reps.hired[maintainer])
    previous[hired_later] = some_stable[hired_later]
    handover[hired_later] = reps.hired[maintainer[hired_later]]

    # Guarantee: a house account that still orders after its rep left (commission tests need
    # orders credited to the house account with reason rep_left, whatever the date and seed).
    left_rep = np.flatnonzero(reps.left < NEVER)[0]
    active_house = house & ~is_prospect & (last_active >= today)
    if not active_house.any():
        ordering = (region == reps.region[left_rep]) & ~is_prospect & (last_active >= today)
        eligible = ordering & (opened >= reps.hired[left_rep]) & (opened < reps.left[left_rep])
        if not eligible.any():  # no account opened while the rep was employed: any older one
            eligible = ordering & (opened < reps.left[left_rep])
        if not eligible.any():  # a tiny demo: any account of any region that still orders
            eligible = ~is_prospect & (last_active >= today)
        if not eligible.any():
            eligible = ~is_prospect
        c = np.flatnonzero(eligible)[np.argmax(size[eligible])]  # the biggest: surely orders
        maintainer[c], previous[c], handover[c] = left_rep, -1, ALWAYS
        house_from[c] = reps.left[left_rep]
    return maintainer, previous, handover, house_from


def _developers(rng: np.random.Generator, reps: Reps, cust_region: np.ndarray,
                opened: np.ndarray, rep_at_open: np.ndarray, maintainer: np.ndarray,
                is_group: np.ndarray, is_prospect: np.ndarray) -> np.ndarray:
    """Group purchase: another rep of the region, employed when the account opened; other
    accounts: the rep at opening, or empty."""
    n = len(maintainer)
    developer = np.where(rng.random(n) < DEVELOPER_RECORDED_SHARE, rep_at_open, -1)
    for r in range(len(REGIONS)):  # loop over the five regions
        pool = np.flatnonzero(reps.region == r)
        mine = np.flatnonzero(is_group & (cust_region == r))
        employed = ((reps.hired[pool][None, :] <= opened[mine][:, None])
                    & (reps.left[pool][None, :] > opened[mine][:, None]))
        # A field rep employed at opening; failing that the region manager; never the maintainer.
        preference = np.where(reps.is_manager[pool], MANAGER_AS_DEVELOPER_WEIGHT, 1.0)
        not_maintainer = pool[None, :] != maintainer[mine][:, None]
        weights = np.where(employed, preference, 1e-9) * not_maintainer
        developer[mine] = pool[_choice_rows(rng, weights, np.arange(len(mine)))]
    developer[is_prospect] = -1
    return developer


def _visit_windows(rng: np.random.Generator, channel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """When the owner is there, by channel (restaurants around meals, shops into the evening)."""
    n = len(channel)
    start, end = np.full(n, "08:30", dtype="<U5"), np.full(n, "17:30", dtype="<U5")
    for ch, name in enumerate(CHANNELS):  # loop over the seven channels
        mine = np.flatnonzero(channel == ch)
        options = VISIT_WINDOWS[name]
        pick = _choice(rng, np.array([w for _, w in options]), len(mine))
        windows = np.array([o for o, _ in options])[pick]
        start[mine] = np.strings.slice(windows, 0, 5)
        end[mine] = np.strings.slice(windows, 6, 11)
    return start, end


def _payment_terms(rng: np.random.Generator, channel: np.ndarray) -> np.ndarray:
    """Days of credit, by channel (small shops pay cash, supermarkets and enterprises later)."""
    terms = np.zeros(len(channel), np.int64)
    for ch, name in enumerate(CHANNELS):  # loop over the seven channels
        mine = np.flatnonzero(channel == ch)
        options = np.array(PAYMENT_TERMS_DAYS[name])
        terms[mine] = options[rng.integers(0, len(options), len(mine))]
    return terms


def _shop_names(rng: np.random.Generator, channel: np.ndarray, district: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """Chinese-looking shop names and street addresses."""
    n = len(channel)
    width = max(len(s) for s in SHOP_SUFFIX_ZH.values())
    suffixes = np.array([[s[k % len(s)] for k in range(width)] for s in SHOP_SUFFIX_ZH.values()])
    word = np.array(SHOP_WORDS_ZH)[rng.integers(0, len(SHOP_WORDS_ZH), n)]
    name = np.strings.add(word, suffixes[channel, rng.integers(0, width, n)])
    branch = rng.random(n) < BRANCH_SHOP_SHARE
    name = np.where(branch, np.strings.add(name, "(二店)"), name)
    street = np.array(STREETS_ZH)[rng.integers(0, len(STREETS_ZH), n)]
    number = np.strings.mod("%d号", rng.integers(1, 400, n))
    address = np.strings.add(np.strings.add(CITY_NAME_ZH, district),
                             np.strings.add(street, number))
    return name, address


def make_customers(rng: np.random.Generator, scale: float, cal: Calendar, reps: Reps) -> Customers:
    """Customers with skewed sizes, lifecycles, reps and the fields of the customer master."""
    n = max(MIN_CUSTOMERS, round(CUSTOMERS_AT_SCALE_1 * scale))
    size, pct = _customer_sizes(rng, n)
    z = _normal_quantile(pct)
    base = np.array([w for w, _ in CHANNEL_WEIGHTS.values()])
    lean = np.array([b for _, b in CHANNEL_WEIGHTS.values()])
    channel = _choice_rows(rng, base[None, :] * np.exp(lean[None, :] * z[:, None]), np.arange(n))
    region = _choice(rng, np.array([r.customer_weight for r in REGIONS]), n)
    lat, lon, district = _customer_places(rng, region)
    name, address = _shop_names(rng, channel, district)

    opened, opened_before = _opened_days(rng, cal, n)
    # Prospects: smaller-than-top customers, first contacted within the last months, no orders.
    n_prospects = max(MIN_PER_BEHAVIOUR, round(PROSPECT_SHARE * n))
    is_prospect = np.isin(np.arange(n), _pick(rng, n, n_prospects, np.flatnonzero(pct < 0.8)))
    opened[is_prospect] = _random_days(rng, cal.today - PROSPECT_CONTACT_MONTHS * 30,
                                       cal.today - 20, n_prospects)
    # Churned: stop ordering for good, at least CHURN_LAST_ORDER_BEFORE_TODAY_DAYS ago.
    last_active = np.full(n, cal.today)
    can_churn = np.flatnonzero(~is_prospect & (opened <= cal.today - CHURN_MIN_TENURE_DAYS))
    churned = _pick(rng, n, max(MIN_PER_BEHAVIOUR, round(CHURN_SHARE * n)), can_churn)
    first = np.maximum(opened[churned], cal.start) + CHURN_MIN_ACTIVE_DAYS
    last_active[churned] = _random_days(rng, first, cal.today - CHURN_LAST_ORDER_BEFORE_TODAY_DAYS,
                                        len(churned))
    last_active[churned] = np.minimum(last_active[churned],
                                      cal.today - CHURN_LAST_ORDER_BEFORE_TODAY_DAYS)

    maintainer, previous, handover, house_from = _assign_reps(
        rng, reps, region, opened, is_prospect, last_active, size, cal.today)
    rep_at_open = np.where(opened < handover, previous, maintainer)
    # Group purchase: mostly enterprises and accounts opened within the window.
    group_weight = np.where(channel == CHANNELS.index("enterprise"), 4.0, 1.0)
    group_weight *= np.where(opened_before, 1.0, 2.0) * ~is_prospect
    is_group = np.isin(np.arange(n), _pick(rng, n, round(GROUP_PURCHASE_SHARE * n),
                                           p=group_weight))
    # Guarantee: a group account opened inside the window and still ordering two months on, so
    # its developer's first order month (100 %) and later months (the split) are both there.
    opened_inside = (~is_prospect & (opened > cal.start) & (opened <= cal.today - 62)
                     & (last_active >= cal.today))
    if not (is_group & opened_inside).any():
        is_group[np.flatnonzero(opened_inside)[np.argmax(size[opened_inside])]] = True
    developer = _developers(rng, reps, region, opened, rep_at_open, maintainer, is_group,
                           is_prospect)
    key_pool = np.flatnonzero((pct >= 1 - KEY_ACCOUNT_POOL_SHARE) & ~is_prospect)
    n_key = max(MIN_KEY_ACCOUNTS, round(KEY_ACCOUNT_SHARE * n))
    is_key = np.isin(np.arange(n), _pick(rng, n, n_key, key_pool))
    window_start, window_end = _visit_windows(rng, channel)

    return Customers(
        customer_id=_zero_padded("C", np.arange(1, n + 1), 6), name=name, channel=channel,
        region=region, district=district, address=address, lat=lat, lon=lon,
        size=size, size_pct=pct, is_prospect=is_prospect, opened=opened,
        last_active=last_active, trend=_trends(rng, cal, opened),
        maintainer=maintainer, previous=previous, handover=handover, house_from=house_from,
        manager=reps.manager[maintainer], developer=developer, is_group=is_group, is_key=is_key,
        payment_terms=_payment_terms(rng, channel),
        window_start=window_start, window_end=window_end,
    )
