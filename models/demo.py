"""Demo data: a deterministic, vectorised generator of the raw inputs (SPEC section 2).

``generate(out_dir, scale=1.0, seed=42)`` writes a field sales force of a consumer-goods
distributor in Jinan: customers, reps, products and quotas as CSV, order lines and visits as
Parquet, 36 months ending with the month of ``today``. The data is shaped to exercise the business
rules of SPEC sections 3-9: skewed customer sizes (about 20 % of customers make 80 % of revenue),
a Spring Festival peak, new, growing, declining and churned customers and prospects, returns,
group-purchase accounts opened by one rep and maintained by another, reps who left (their
unreassigned accounts become house accounts served by the region manager), recent hires, reps
who under-visit, far check-ins and complaints.

With ``dirty=True`` it also appends rows that break the row-level rules of the dbt staging (one
rule each, see ``contracts.REJECTION_RULES``) and lists them in ``_expected_rejections.csv``. Bad
rows are only ever appended, so the clean rows are the same as without ``dirty``, and bad master
rows are new keys nothing references or later duplicates of a kept key, so no fault cascades.

Everything is computed with numpy over whole arrays; the only Python loops run over the 36 months,
the regions or the channels. Sales and visits are written month by month, so memory stays flat.
"""

from __future__ import annotations

import datetime
import decimal
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from models.core import clock
from models.pipeline import contracts

# --------------------------------------------------------------------------------------------
# Business-looking constants
# --------------------------------------------------------------------------------------------

MONTHS = 36
CUSTOMERS_AT_SCALE_1 = 2_000
MIN_CUSTOMERS = 60
REPS_AT_SCALE_1 = 40
MIN_REPS_PER_REGION = 2  # so every region can lose or hire a rep and still be served
PRODUCTS = 300
ORDER_LINES_AT_SCALE_1 = 1_500_000
VISITS_AT_SCALE_1 = 150_000

# The city and its sales regions (compass sectors around the centre).
CITY_NAME_ZH = "济南市"
CITY_CENTRE = (36.6683, 117.0204)  # Jinan, Quancheng Square
KM_PER_DEGREE_LAT = 111.32
CENTRAL_RADIUS_KM = (0.3, 6.0)
OUTER_RADIUS_KM = (6.0, 30.0)
INNER_DISTRICT_KM = 15.0
SECTOR_HALF_WIDTH_DEG = 45.0


@dataclass(frozen=True)
class Region:
    name: str
    bearing_deg: float | None  # centre of the compass sector; None = the city centre
    districts: tuple[str, str]  # central: (west, east); others: (inner, outer)
    districts_zh: tuple[str, str]
    customer_weight: float


REGIONS = (
    Region("Central", None, ("Shizhong", "Lixia"), ("市中区", "历下区"), 0.30),
    Region("North", 0.0, ("Tianqiao", "Jiyang"), ("天桥区", "济阳区"), 0.16),
    Region("East", 90.0, ("Gaoxin", "Licheng"), ("高新区", "历城区"), 0.20),
    Region("South", 180.0, ("Qianfoshan", "Nanshan"), ("千佛山片区", "南部山区"), 0.14),
    Region("West", 270.0, ("Huaiyin", "Changqing"), ("槐荫区", "长清区"), 0.20),
)

# Customer size: lognormal, sigma chosen so that about 20 % of customers make 80 % of revenue.
SIZE_SIGMA = 1.35
# How size shows: orders per month, lines per order and quantity per line grow with it.
ORDER_RATE_SIZE_EXP = 0.55
ORDER_RATE_RANGE = (0.4, 14.0)  # relative orders per month (normalised to the line target)
LINES_PER_ORDER_MEAN = 2.0  # extra lines beyond the first, at median size
LINES_SIZE_EXP = 0.25
LINES_EXTRA_RANGE = (0.5, 12.0)
QUANTITY_SIZE_EXP = 0.35
QUANTITY_NOISE_SIGMA = 0.35

# Monthly seasonality: pre-Spring Festival stocking in January, the festival in January/February,
# a summer dip, Mid-Autumn / National Day in September/October, year-end gifts in December.
SEASON = {1: 1.50, 2: 1.30, 3: 0.85, 4: 0.90, 5: 0.95, 6: 0.90,
          7: 0.82, 8: 0.85, 9: 1.08, 10: 1.05, 11: 0.95, 12: 1.15}

# Customer lifecycle.
OPENED_BEFORE_WINDOW_SHARE = 0.40
OLDEST_OPENED_DATE = datetime.date(2012, 1, 1)
NEW_CUSTOMER_GROWTH = 0.8  # in-window openings: the last month gets 1 + this times the first
NEW_CUSTOMER_RAMP = 0.5  # first months of a new customer start at (1 - this) of its size
MIN_PER_BEHAVIOUR = 3  # at least this many prospects and churned customers, even when tiny
PROSPECT_SHARE = 0.06
PROSPECT_CONTACT_MONTHS = 18
CHURN_SHARE = 0.15
CHURN_MIN_TENURE_DAYS = 240
CHURN_MIN_ACTIVE_DAYS = 90  # a churned customer first orders for at least this long
CHURN_LAST_ORDER_BEFORE_TODAY_DAYS = 100
GROWING_SHARE, DECLINING_SHARE = 0.25, 0.20
MONTHLY_GROWTH = (0.015, 0.045)  # growing customers; declining ones the same, negative
STEADY_GROWTH_SD = 0.005
TREND_RANGE = (0.25, 4.0)

# Accounts and reps.
GROUP_PURCHASE_SHARE = 0.10
KEY_ACCOUNT_SHARE = 0.01
MIN_KEY_ACCOUNTS = 2
KEY_ACCOUNT_POOL_SHARE = 0.10  # key accounts are picked among the largest customers
DEVELOPER_RECORDED_SHARE = 0.60  # other accounts: developer = the rep at opening, else empty
REP_LEFT_SHARE = 0.08
REP_NEW_HIRE_SHARE = 0.12
REP_UNDER_VISIT_SHARE = 0.10
UNDER_VISIT_DILIGENCE = 0.35
LEFT_REP_REASSIGNED_SHARE = 0.70  # the rest stay on the left rep: house accounts
HOUSE_VISIT_DILIGENCE = 0.30
OTHER_REP_ORDER_SHARE = 0.05
MANAGER_AS_DEVELOPER_WEIGHT = 1e-3  # a group account's developer is a manager only if no rep can be
OLDEST_HIRED_DATE = datetime.date(2012, 3, 1)

# Order lines.
RETURN_SHARE = 0.01
RETURN_MAX_DELAY_DAYS = 10
RETURNED_PART = (0.1, 0.6)  # of the line's quantity
DISCOUNTED_LINE_SHARE = 0.25
DISCOUNT_RATES = (0.02, 0.03, 0.05, 0.08, 0.10, 0.12, 0.15)
PRICE_NOISE_SD = 0.015
BIG_CUSTOMER_PRICE_CUT = 0.04  # the largest customers pay up to 4 % under list

# Visits.
VISITS_PER_MONTH_BY_SIZE = ((0.95, 8.0), (0.80, 4.3), (0.50, 2.2), (0.0, 1.1))  # (percentile, rate)
PROSPECT_VISITS_PER_MONTH = 1.2
AFTER_CHURN_VISIT_DAYS = 60
AFTER_CHURN_VISITS_PER_MONTH = 0.6
PHONE_SHARE, UNDER_VISIT_PHONE_SHARE = 0.12, 0.35
VISIT_MINUTES = (10, 60)
PHONE_MINUTES = (10, 20)
MISSING_END_SHARE = 0.005
CHECKIN_SD_M, CHECKIN_MAX_M = 35.0, 95.0
FAR_CHECKIN_SHARE = 0.02
FAR_CHECKIN_KM = (1.2, 8.0)
COMPLAINT_SHARE = 0.025
NOT_MET_SHARE = 0.06
CLOSED_SHARE = 0.015
ORDER_OUTCOME_SHARE = (0.30, 0.60)  # smallest .. largest customer
EMPTY_NOTES_SHARE = 0.55
LEVEL_CHANGE_SHARE = 0.10  # visits that record a relationship level one up or down

# Quotas: typical monthly revenue times a stretch.
QUOTA_STRETCH = (1.00, 1.10)
QUOTA_ROUNDING = 100
FALLBACK_QUOTA = 100_000  # for a rep with no finished month of sales

# Dirty mode.
BAD_ROWS_PER_KIND = 3
FUTURE_DAYS = 400
UNKNOWN_REP_ID = "R9999"
UNKNOWN_CUSTOMER_ID = "C9999999"
UNKNOWN_SKU = "P9999"

# Id formats: C000001 customers, R0001 reps, P0001 products, SO000000001 orders, V000000001 visits.
ORDER_ID_DIGITS = VISIT_ID_DIGITS = 9

# --------------------------------------------------------------------------------------------
# Lookup lists (names, channels, products)
# --------------------------------------------------------------------------------------------

CHANNEL_WEIGHTS = {  # base share, and how much bigger customers lean to the channel
    "hotel_restaurant": (0.28, 0.0),
    "retail_store": (0.30, -0.5),
    "supermarket": (0.10, 0.6),
    "liquor_tobacco_shop": (0.18, 0.1),
    "enterprise": (0.06, 0.4),
    "distributor": (0.03, 1.0),
    "other": (0.05, -0.3),
}
SHOP_WORDS_ZH = ("福源", "鑫隆", "华联", "金泉", "老街", "泉城", "瑞丰", "宏达", "万家", "佳乐",
                 "和顺", "兴旺", "永安", "聚福", "百味", "东方", "明湖", "趵突", "千佛", "舜耕",
                 "鲁味", "齐鲁", "恒丰", "嘉禾", "利民")
SHOP_SUFFIX_ZH = {
    "hotel_restaurant": ("饭店", "酒楼", "大酒店", "餐馆", "火锅店"),
    "retail_store": ("便利店", "商店", "小卖部", "百货"),
    "supermarket": ("超市", "生鲜超市", "购物广场"),
    "liquor_tobacco_shop": ("烟酒店", "名烟名酒", "酒行"),
    "enterprise": ("科技有限公司", "实业有限公司", "机关食堂"),
    "distributor": ("商贸有限公司", "批发部", "贸易公司"),
    "other": ("加油站便利店", "社区服务站", "茶社"),
}
STREETS_ZH = ("经十路", "泉城路", "历山路", "解放路", "二环东路", "工业南路", "北园大街", "和平路",
              "山大路", "舜耕路", "英雄山路", "二环西路", "经七路", "纬二路", "花园路", "旅游路")
SURNAMES_ZH = ("王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱",
               "胡", "郭", "何", "高", "林", "罗")
GIVEN_NAMES_ZH = ("伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰",
                  "娟", "涛", "明", "超", "秀英", "华", "鹏", "志强", "建国", "晓东", "海燕")

# Visit windows per channel: (window, weight); the default is 08:30-17:30.
VISIT_WINDOWS = {
    "hotel_restaurant": (("10:00-14:00", 0.45), ("16:00-21:00", 0.35), ("08:30-17:30", 0.20)),
    "supermarket": (("08:30-17:30", 0.6), ("08:00-20:00", 0.4)),
    "liquor_tobacco_shop": (("08:30-17:30", 0.7), ("09:00-21:00", 0.3)),
    "enterprise": (("08:30-17:30", 0.6), ("09:00-17:00", 0.4)),
    "retail_store": (("08:30-17:30", 0.8), ("08:00-12:00", 0.1), ("13:30-17:30", 0.1)),
    "distributor": (("08:30-17:30", 0.8), ("08:00-18:00", 0.2)),
    "other": (("08:30-17:30", 0.9), ("09:00-18:00", 0.1)),
}
PAYMENT_TERMS_DAYS = {
    "hotel_restaurant": (7, 15, 30),
    "retail_store": (0, 7),
    "supermarket": (30, 45, 60),
    "liquor_tobacco_shop": (0, 7, 15, 30),
    "enterprise": (30, 60, 90),
    "distributor": (30, 60),
    "other": (0, 7, 15),
}
CREDIT_LIMIT_MONTHS = (0.8, 2.5)  # credit limit = this many months of typical revenue
MIN_CREDIT_LIMIT = 5_000
WORKDAYS = (("08:00", "18:00", 0.85), ("08:30", "17:30", 0.10), ("09:00", "18:00", 0.05))
BRANCH_SHOP_SHARE = 0.15  # names ending in "(二店)"


@dataclass(frozen=True)
class Category:
    name: str
    label: str
    band_weights: tuple[float, float, float]  # high, mid, low
    packs: tuple[str, ...]
    sold_by_weight: bool = False


CATEGORIES = (
    Category("baijiu", "Baijiu", (0.45, 0.35, 0.20), ("52% 500ml", "42% 500ml", "53% 500ml x6")),
    Category("beer", "Beer", (0.02, 0.28, 0.70), ("500ml x12", "330ml x24", "1L")),
    Category("wine", "Wine", (0.35, 0.45, 0.20), ("750ml", "750ml x6")),
    Category("beverage", "Drink", (0.0, 0.25, 0.75), ("500ml x15", "1.5L x6", "250ml x24")),
    Category("frozen_food", "Frozen", (0.05, 0.45, 0.50), ("dumplings kg", "meatballs kg"), True),
    Category("snacks", "Snacks", (0.0, 0.30, 0.70), ("box", "bag x20")),
    Category("grain_oil", "Grain & Oil", (0.10, 0.50, 0.40), ("5L", "10kg", "2.5L x4")),
    Category("tobacco", "Cigarettes", (0.30, 0.50, 0.20), ("carton",)),
)
PRODUCT_BRANDS = ("Quancheng", "Mingshui", "Baotu", "Qilu", "Taishan", "Huanghe", "Daming",
                  "Lushang", "Jinxiu", "Qianfo", "Licheng", "Zhangqiu")
BAND_PRICE_RANGE = ((180.0, 1500.0), (30.0, 180.0), (3.0, 30.0))  # high, mid, low list prices
BAND_MARGIN_RANGE = ((0.25, 0.40), (0.15, 0.30), (0.10, 0.20))
BAND_QUANTITY_MEAN = (2.5, 6.0, 18.0)
PRODUCT_POPULARITY_EXP = 0.9
# How much each channel buys of each category (rows follow CHANNEL_WEIGHTS, columns CATEGORIES).
CHANNEL_CATEGORY_AFFINITY = np.array([
    # baijiu beer wine bev frozen snacks grain tobacco
    [3.0, 3.0, 1.0, 2.0, 2.5, 0.3, 1.5, 0.3],  # hotel_restaurant
    [1.0, 2.5, 0.3, 3.0, 0.5, 3.0, 1.0, 2.0],  # retail_store
    [1.5, 2.0, 1.5, 2.5, 2.0, 2.5, 2.5, 1.0],  # supermarket
    [4.0, 1.0, 2.5, 0.5, 0.1, 0.5, 0.3, 4.0],  # liquor_tobacco_shop
    [3.0, 0.5, 2.0, 1.0, 0.5, 0.5, 3.0, 0.5],  # enterprise
    [2.0, 2.0, 1.5, 2.0, 2.0, 2.0, 2.0, 1.0],  # distributor
    [1.0, 1.0, 0.5, 2.0, 0.5, 2.0, 1.0, 1.0],  # other
])

VISIT_PURPOSE_WEIGHTS = {"maintain": 0.55, "promote": 0.15, "collect": 0.15, "deliver": 0.10,
                         "develop": 0.05}
NOTES = {
    "order": ("restocked shelves", "took order for next week", "new product tasting went well",
              "festival stock order"),
    "no_order": ("stock still high", "owner will call back", "checked displays",
                 "price comparison with competitor"),
    "complaint": ("complained about late delivery", "damaged cases in last delivery",
                  "price higher than competitor"),
    "closed": ("shop closed", "closed for renovation"),
    "not_met": ("owner away", "manager in a meeting"),
}

EPOCH = np.datetime64("1970-01-01", "D")
NEVER = np.iinfo(np.int64).max // 4  # a day number later than any date
ALWAYS = -NEVER  # a day number earlier than any date
MICROS_PER_MINUTE = 60_000_000
MICROS_PER_DAY = 86_400_000_000
CHANNELS = list(CHANNEL_WEIGHTS)
assert tuple(CHANNELS) == contracts.CHANNELS


# --------------------------------------------------------------------------------------------
# Summary
# --------------------------------------------------------------------------------------------


@dataclass
class DemoSummary:
    """What ``generate`` wrote: files, row counts per entity, injected bad rows, time taken."""

    out_dir: Path
    scale: float
    seed: int
    today: datetime.date
    dirty: bool
    files: dict[str, Path] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    bad_rows: dict[str, int] = field(default_factory=dict)  # injected rows per entity (dirty)
    seconds: float = 0.0

    def __str__(self) -> str:
        head = (f"Demo data in {self.out_dir} (scale {self.scale:g}, seed {self.seed}, "
                f"as of {self.today}{', dirty' if self.dirty else ''}):")
        lines = [head]
        for entity, path in self.files.items():
            size_mb = path.stat().st_size / 1e6 if path.exists() else 0.0
            bad = self.bad_rows.get(entity, 0)
            extra = f", {bad} bad" if bad else ""
            lines.append(f"  {entity:<22} {self.rows.get(entity, 0):>12,} rows{extra:<10} "
                         f"{path.name} ({size_mb:.1f} MB)")
        lines.append(f"  generated in {self.seconds:.1f} s")
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def _day(d: datetime.date) -> int:
    """A date as a day number (days since 1970-01-01)."""
    return int((np.datetime64(d, "D") - EPOCH).astype(np.int64))


def _date(day: int) -> datetime.date:
    """A day number as a date."""
    return datetime.date(1970, 1, 1) + datetime.timedelta(days=int(day))


def _dates(days: np.ndarray) -> np.ndarray:
    """Day numbers as numpy dates."""
    return EPOCH + days.astype("timedelta64[D]")


def _normal_quantile(p: np.ndarray) -> np.ndarray:
    """Standard normal quantile, Tukey's lambda approximation (good to about 1 %)."""
    return (p ** 0.14 - (1.0 - p) ** 0.14) / 0.1975


def _choice(rng: np.random.Generator, weights: np.ndarray, size: int) -> np.ndarray:
    """Indices drawn with the given (unnormalised) weights."""
    cdf = np.cumsum(weights, dtype=np.float64)
    return np.searchsorted(cdf / cdf[-1], rng.random(size), side="right").clip(0, len(cdf) - 1)


def _choice_rows(rng: np.random.Generator, weights: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """One draw per element of ``rows`` from the weight row ``weights[rows]`` (2-D weights)."""
    cdf = np.cumsum(weights, axis=1)
    cdf = cdf / cdf[:, -1:]
    flat = (cdf + np.arange(len(weights))[:, None]).ravel()
    hit = np.searchsorted(flat, rows + rng.random(len(rows)), side="right")
    return (hit - rows * weights.shape[1]).clip(0, weights.shape[1] - 1)


def _pick(rng: np.random.Generator, n: int, k: int, candidates: np.ndarray | None = None,
          p: np.ndarray | None = None) -> np.ndarray:
    """k distinct indices among the candidates (default all n), optionally weighted."""
    pool = np.arange(n) if candidates is None else np.asarray(candidates)
    k = min(k, len(pool))
    if p is not None:
        p = p / p.sum()
    return np.sort(rng.choice(pool, size=k, replace=False, p=p))


def _zero_padded(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    """Ids like C000123 as a numpy string array."""
    return np.strings.add(prefix, np.strings.zfill(numbers.astype(str), width))


def _id_array(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """Fixed-width ids (prefix + zero-padded number) built straight into an Arrow string array."""
    n, head = len(numbers), np.frombuffer(prefix.encode(), np.uint8)
    digits = (numbers[:, None] // 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)) % 10
    data = np.empty((n, len(head) + width), np.uint8)
    data[:, : len(head)] = head
    data[:, len(head):] = digits + ord("0")
    offsets = np.arange(n + 1, dtype=np.int32) * data.shape[1]
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))


def _decimal_array(values: np.ndarray, precision: int, scale: int) -> pa.Array:
    """Floats as an Arrow decimal128 array, rounded to ``scale`` (little-endian int128 buffer)."""
    units = np.rint(np.asarray(values, np.float64) * 10.0 ** scale).astype(np.int64)
    buf = np.empty((len(units), 2), np.int64)
    buf[:, 0], buf[:, 1] = units, units >> 63
    return pa.Array.from_buffers(pa.decimal128(precision, scale), len(units),
                                 [None, pa.py_buffer(buf)])


def _strings(lookup: np.ndarray | list | tuple, idx: np.ndarray,
             valid: np.ndarray | None = None) -> pa.Array:
    """Arrow strings ``lookup[idx]``, null where ``valid`` is False."""
    indices = pa.array(idx, mask=None if valid is None else ~valid)
    return pa.array(np.asarray(lookup, dtype=object)).take(indices)


def _weekday(days: np.ndarray) -> np.ndarray:
    """Monday = 0 .. Sunday = 6 (1970-01-01 was a Thursday)."""
    return (days + 3) % 7


# --------------------------------------------------------------------------------------------
# Calendar
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Calendar:
    """The 36 months as day numbers; the last month ends on ``today``."""

    today: int
    month_start: np.ndarray
    month_end: np.ndarray  # last day of the month, never after today
    month_days: np.ndarray  # full length of the month
    month_of_year: np.ndarray

    @classmethod
    def ending(cls, today: datetime.date) -> Calendar:
        last = np.datetime64(today, "M")
        months = last - np.arange(MONTHS - 1, -1, -1)
        start = (months.astype("datetime64[D]") - EPOCH).astype(np.int64)
        nxt = ((months + 1).astype("datetime64[D]") - EPOCH).astype(np.int64)
        t = _day(today)
        return cls(today=t, month_start=start, month_end=np.minimum(nxt - 1, t),
                   month_days=nxt - start, month_of_year=months.astype(np.int64) % 12 + 1)

    @property
    def start(self) -> int:
        return int(self.month_start[0])

    def month_of(self, days: np.ndarray) -> np.ndarray:
        """Month index (0..35, -1 before the window) of day numbers."""
        return np.searchsorted(self.month_start, days, side="right") - 1

    @property
    def season(self) -> np.ndarray:
        return np.array([SEASON[m] for m in self.month_of_year])


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
    name = np.strings.add(np.strings.add(np.strings.add(brand, " "), labels),
                          np.strings.add(" ", pack))
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
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Coordinates in each region's sector, district (names and Chinese) for each customer."""
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
    district_zh = np.array([r.districts_zh for r in REGIONS])[region, second]
    return lat.round(6), lon.round(6), district, district_zh


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


def _shop_names(rng: np.random.Generator, channel: np.ndarray, district_zh: np.ndarray
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
    address = np.strings.add(np.strings.add(CITY_NAME_ZH, district_zh),
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
    lat, lon, district, district_zh = _customer_places(rng, region)
    name, address = _shop_names(rng, channel, district_zh)

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
    # entered in the app only (models/queries/visit_records.py): empty in a visits file
    ("next_step", pa.string()),
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
        notes, _ = _flat_notes()
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
            *[pa.nulls(len(self), VISITS_SCHEMA.field(name).type)
              for name in ("next_step", "follow_up_date", "recorded_by", "recorded_at")],
        ], schema=VISITS_SCHEMA)


def _flat_notes() -> tuple[list[str], np.ndarray]:
    """All note texts in one list, and the (outcome, k) -> index matrix (-1 padded)."""
    texts, index = [], np.full((len(contracts.VISIT_OUTCOMES), 4), -1)
    for o, outcome in enumerate(contracts.VISIT_OUTCOMES):
        for k, text in enumerate(NOTES[outcome]):
            index[o, k] = len(texts)
            texts.append(text)
    return texts, index


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
    _, note_index = _flat_notes()
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


# --------------------------------------------------------------------------------------------
# Master tables (CSV)
# --------------------------------------------------------------------------------------------


def customers_table(cust: Customers, reps: Reps, cal: Calendar, monthly_revenue: np.ndarray,
                    rng: np.random.Generator) -> pa.Table:
    """The customer master; credit limits from each customer's typical monthly revenue."""
    months_active = np.maximum((monthly_revenue > 0).sum(axis=1), 1)
    typical = monthly_revenue.sum(axis=1) / months_active
    credit = np.maximum(typical * rng.uniform(*CREDIT_LIMIT_MONTHS, len(cust)), MIN_CREDIT_LIMIT)
    credit = np.round(credit, -3)
    has_developer = cust.developer >= 0
    return pa.Table.from_arrays([
        pa.array(cust.customer_id), pa.array(cust.name),
        _strings(CHANNELS, cust.channel),
        _strings([r.name for r in REGIONS], cust.region),
        pa.array(cust.district), pa.array(cust.address),
        pa.array(cust.lat), pa.array(cust.lon),
        pa.array(_dates(cust.opened), pa.date32(), mask=cust.is_prospect),
        _strings(reps.rep_id, np.maximum(cust.developer, 0), has_developer),
        _strings(reps.rep_id, cust.maintainer),
        pa.array(cust.is_group), pa.array(cust.is_key),
        _decimal_array(credit, 18, 2),
        pa.array(cust.payment_terms, pa.int64()),
        pa.array(cust.window_start), pa.array(cust.window_end),
        *_contacts(len(cust)),
        # the demo's customers file is loaded once: no assigned_from column (optional)
    ], names=[c for c in contracts.ENTITIES["customers"].column_names if c != "assigned_from"])


CONTACT_SURNAMES = ("王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙")
CONTACT_TITLES = ("老板", "经理", "店长", "总")
NO_PHONE_EVERY = 9  # every ninth customer has no contact on file (the columns are optional)


def _contacts(n: int) -> tuple[pa.Array, pa.Array]:
    """Contact name and mobile number per customer: a function of the index only (no random
    draw, so adding them changed no other column of the demo)."""
    i = np.arange(n)
    missing = i % NO_PHONE_EVERY == NO_PHONE_EVERY - 1
    names = [f"{CONTACT_SURNAMES[k % len(CONTACT_SURNAMES)]}{CONTACT_TITLES[(k // 12) % 4]}"
             for k in range(n)]
    phones = [f"13{(k * 7919) % 10}{(k * 104729 + 5550123) % 100_000_000:08d}" for k in range(n)]
    return (pa.array(names, pa.string(), mask=missing),
            pa.array(phones, pa.string(), mask=missing))


def reps_table(reps: Reps) -> pa.Table:
    has_manager = reps.manager >= 0
    return pa.Table.from_arrays([
        pa.array(reps.rep_id), pa.array(reps.name),
        _strings([r.name for r in REGIONS], reps.region),
        _strings(reps.rep_id, np.maximum(reps.manager, 0), has_manager),
        _strings(contracts.REP_ROLES, reps.is_manager.astype(np.int64)),
        pa.array(_dates(reps.hired), pa.date32()),
        pa.array(_dates(np.where(reps.left < NEVER, reps.left, 0)), pa.date32(),
                 mask=reps.left == NEVER),
        pa.array(reps.base_lat), pa.array(reps.base_lon),
        pa.array(reps.workday_start), pa.array(reps.workday_end),
    ], names=list(contracts.ENTITIES["reps"].column_names))


def products_table(products: Products) -> pa.Table:
    return pa.Table.from_arrays([
        pa.array(products.sku), pa.array(products.name),
        _strings([c.name for c in CATEGORIES], products.category),
        _strings(contracts.PRICE_BANDS, products.band),
        _decimal_array(products.list_price, 18, 2),
        _decimal_array(products.unit_cost, 18, 2),
    ], names=list(contracts.ENTITIES["products"].column_names))


def quotas_table(rng: np.random.Generator, reps: Reps, cal: Calendar,
                 rep_revenue: np.ndarray) -> pa.Table:
    """One row per field rep and month employed: the rep's typical (deseasonalised) monthly
    revenue over finished months, times the month's season and a stretch."""
    employed = ((reps.hired[:, None] <= cal.month_end[None, :])
                & (reps.left[:, None] >= cal.month_start[None, :]) & ~reps.is_manager[:, None])
    season = cal.season / cal.season.mean()
    finished = employed.copy()
    finished[:, -1] = False  # the current month is not over
    weight = (season[None, :] * finished).sum(axis=1)
    typical = np.divide((rep_revenue * finished).sum(axis=1), weight,
                        out=np.zeros(len(reps)), where=weight > 0)
    known = typical > 0
    typical[~known] = np.median(typical[known]) if known.any() else FALLBACK_QUOTA
    quota = typical[:, None] * season[None, :] * rng.uniform(*QUOTA_STRETCH, employed.shape)
    quota = np.round(quota / QUOTA_ROUNDING) * QUOTA_ROUNDING
    r, m = np.nonzero(employed)
    return pa.Table.from_arrays([
        _strings(reps.rep_id, r),
        pa.array(_dates(cal.month_start[m]), pa.date32()),
        _decimal_array(quota[r, m], 18, 2),
    ], names=list(contracts.ENTITIES["quotas"].column_names))


def _write_csv(table: pa.Table, path: Path) -> None:
    pl.from_arrow(table).write_csv(path)


# --------------------------------------------------------------------------------------------
# Dirty rows
# --------------------------------------------------------------------------------------------


class BadRows:
    """Copies of valid template rows, one per fault, edited so each breaks exactly one rule.

    ``rules`` lists the rule of each row in order; ``where(*rules)`` selects rows to edit.
    """

    def __init__(self, rng: np.random.Generator, template: pa.Table, faults: dict[str, int]):
        self.rules = [rule for rule, k in faults.items() for _ in range(k)]
        n = len(self.rules)
        rows = rng.choice(template.num_rows, size=n, replace=n > template.num_rows)
        self.table = template.take(pa.array(rows))

    def where(self, *rules: str) -> np.ndarray:
        return np.isin(np.array(self.rules), rules)

    def fresh(self) -> np.ndarray:
        """Rows that get a new key (all but the duplicates)."""
        return ~self.where("duplicate_key")

    def set(self, column: str, rows: np.ndarray, value) -> None:
        """Set ``column`` on the selected rows to ``value`` (None = null), or to ``value(old)``
        if it is callable, or to successive items if it is an iterator."""
        col = self.table[column].combine_chunks()
        values = col.to_pylist()
        for i in np.flatnonzero(rows):  # a handful of injected rows
            if callable(value):
                values[i] = value(values[i])
            elif hasattr(value, "__next__"):
                values[i] = next(value)
            else:
                values[i] = value
        self.table = self.table.set_column(self.table.schema.get_field_index(column), column,
                                           pa.array(values, type=col.type))

    def set_nth(self, column: str, rule: str, part: slice, value) -> None:
        """Like ``set``, on a slice of the rows of one rule (to split a rule over two faults)."""
        rows = np.flatnonzero(self.where(rule))[part]
        self.set(column, np.isin(np.arange(len(self.rules)), rows), value)


def _new_ids(prefix: str, first: int, width: int, n: int) -> Iterator[str]:
    """n new ids from ``first`` on, for the injected rows."""
    return iter(_zero_padded(prefix, first + np.arange(n), width).tolist())


def dirty_customers(rng: np.random.Generator, good: pa.Table, cal: Calendar) -> BadRows:
    """Empty name, later duplicate, latitude 123.4, opened in the future, unknown maintainer."""
    bad = BadRows(rng, good, {"missing_required": BAD_ROWS_PER_KIND,
                              "duplicate_key": BAD_ROWS_PER_KIND,
                              "coordinates_out_of_range": BAD_ROWS_PER_KIND,
                              "date_in_future": BAD_ROWS_PER_KIND,
                              "unknown_rep": BAD_ROWS_PER_KIND})
    fresh = bad.fresh()
    bad.set("customer_id", fresh, _new_ids("C", 9_900_000, 7, len(bad.rules)))
    bad.set("developer_rep_id", fresh, None)
    bad.set("opened_date", fresh, _date(cal.start))
    bad.set("name", bad.where("missing_required"), None)
    bad.set("name", bad.where("duplicate_key"), lambda v: f"{v}(重复)")
    bad.set("latitude", bad.where("coordinates_out_of_range"), 123.4)
    bad.set("opened_date", bad.where("date_in_future"), _date(cal.today + FUTURE_DAYS))
    bad.set("maintainer_rep_id", bad.where("unknown_rep"), UNKNOWN_REP_ID)
    return bad


def dirty_reps(rng: np.random.Generator, good: pa.Table, cal: Calendar) -> BadRows:
    """Later duplicate, left before hired, base longitude 200, hired in the future."""
    field_reps = good.filter(pc.equal(good["role"], "rep"))
    bad = BadRows(rng, field_reps, {"duplicate_key": BAD_ROWS_PER_KIND,
                                    "ended_before_started": BAD_ROWS_PER_KIND,
                                    "coordinates_out_of_range": BAD_ROWS_PER_KIND,
                                    "date_in_future": BAD_ROWS_PER_KIND})
    fresh = bad.fresh()
    bad.set("rep_id", fresh, _new_ids("R", 9_001, 4, len(bad.rules)))
    bad.set("left_date", fresh, None)
    bad.set("name", bad.where("duplicate_key"), lambda v: f"{v}(重复)")
    ended = bad.where("ended_before_started")
    bad.set("hired_date", ended, _date(cal.start + 200))
    bad.set("left_date", ended, _date(cal.start + 100))
    bad.set("base_longitude", bad.where("coordinates_out_of_range"), 200.0)
    bad.set("hired_date", bad.where("date_in_future"), _date(cal.today + FUTURE_DAYS))
    return bad


def dirty_products(rng: np.random.Generator, good: pa.Table) -> BadRows:
    """Later duplicate, negative unit cost, price band 'premium'."""
    bad = BadRows(rng, good, {"duplicate_key": BAD_ROWS_PER_KIND,
                              "negative_price": BAD_ROWS_PER_KIND,
                              "invalid_value": BAD_ROWS_PER_KIND})
    bad.set("sku", bad.fresh(), _new_ids("P", 9_001, 4, len(bad.rules)))
    bad.set("name", bad.where("duplicate_key"), lambda v: f"{v} (dup)")
    bad.set("unit_cost", bad.where("negative_price"), lambda v: -abs(v) - 1)
    bad.set("price_band", bad.where("invalid_value"), "premium")
    return bad


def dirty_sales(rng: np.random.Generator, template: pa.Table, cal: Calendar,
                next_order_no: int) -> BadRows:
    """Bad order lines, each a new one-line order except the duplicates. Missing customers are
    null, and one is an empty string."""
    bad = BadRows(rng, template, {
        "missing_required": BAD_ROWS_PER_KIND + 1, "duplicate_key": BAD_ROWS_PER_KIND,
        "negative_price": BAD_ROWS_PER_KIND, "invalid_value": BAD_ROWS_PER_KIND,
        "date_in_future": BAD_ROWS_PER_KIND, "unknown_customer": BAD_ROWS_PER_KIND,
        "unknown_sku": BAD_ROWS_PER_KIND, "unknown_rep": BAD_ROWS_PER_KIND})
    fresh = bad.fresh()
    bad.set("order_id", fresh, iter(_id_array("SO", next_order_no + np.arange(len(bad.rules)),
                                              ORDER_ID_DIGITS).to_pylist()))
    bad.set("line_number", fresh, 1)
    bad.set_nth("customer_id", "missing_required", slice(None, -1), None)
    bad.set_nth("customer_id", "missing_required", slice(-1, None), "")
    bad.set("quantity", bad.where("duplicate_key"), lambda v: v + 1)
    bad.set("unit_price", bad.where("negative_price"), lambda v: -abs(v) - 1)
    bad.set("discount_rate", bad.where("invalid_value"), decimal.Decimal("1.5"))
    bad.set("order_date", bad.where("date_in_future"), _date(cal.today + FUTURE_DAYS))
    bad.set("customer_id", bad.where("unknown_customer"), UNKNOWN_CUSTOMER_ID)
    bad.set("sku", bad.where("unknown_sku"), UNKNOWN_SKU)
    bad.set("rep_id", bad.where("unknown_rep"), UNKNOWN_REP_ID)
    return bad


def dirty_visits(rng: np.random.Generator, template: pa.Table, next_visit_no: int) -> BadRows:
    """Bad visits from onsite visits with an end; invalid values are a relationship level of 9
    or a visit type 'video'."""
    bad = BadRows(rng, template, {
        "duplicate_key": BAD_ROWS_PER_KIND, "ended_before_started": BAD_ROWS_PER_KIND,
        "coordinates_out_of_range": BAD_ROWS_PER_KIND, "date_in_future": BAD_ROWS_PER_KIND,
        "unknown_customer": BAD_ROWS_PER_KIND, "unknown_rep": BAD_ROWS_PER_KIND,
        "invalid_value": BAD_ROWS_PER_KIND + 1})
    bad.set("visit_id", bad.fresh(), iter(_id_array("V", next_visit_no + np.arange(len(bad.rules)),
                                                    VISIT_ID_DIGITS).to_pylist()))
    bad.set("notes", bad.where("duplicate_key"), "duplicate upload")
    bad.set("ended_at", bad.where("ended_before_started"),
            lambda v: v - datetime.timedelta(minutes=VISIT_MINUTES[1] + 30))
    bad.set("checkin_latitude", bad.where("coordinates_out_of_range"), -95.0)
    future = bad.where("date_in_future")
    bad.set("started_at", future, lambda v: v + datetime.timedelta(days=FUTURE_DAYS))
    bad.set("ended_at", future, lambda v: v + datetime.timedelta(days=FUTURE_DAYS))
    bad.set("customer_id", bad.where("unknown_customer"), UNKNOWN_CUSTOMER_ID)
    bad.set("rep_id", bad.where("unknown_rep"), UNKNOWN_REP_ID)
    half = (BAD_ROWS_PER_KIND + 1) // 2
    bad.set_nth("relationship_level", "invalid_value", slice(None, half), 9)
    bad.set_nth("visit_type", "invalid_value", slice(half, None), "video")
    return bad


# --------------------------------------------------------------------------------------------
# The generator
# --------------------------------------------------------------------------------------------

FILES = {
    "customers": "customers.csv",
    "reps": "reps.csv",
    "products": "products.csv",
    "quotas": "quotas.csv",
    "sales": "sales.parquet",
    "visits": "visits.parquet",
}
EXPECTED_REJECTIONS_FILE = "_expected_rejections.csv"
PARQUET_COMPRESSION = "zstd"
TEMPLATE_ROWS = 200  # valid rows kept to copy into bad rows


@dataclass
class World:
    """Everything drawn before the files are written, with one random stream per concern (so
    that, for example, dirty mode does not change a single clean row)."""

    cal: Calendar
    reps: Reps
    products: Products
    customers: Customers
    scale: float
    rng: dict[str, np.random.Generator]

    @classmethod
    def build(cls, scale: float, seed: int, today: datetime.date) -> World:
        names = ("reps", "products", "customers", "sales", "visits", "quotas", "credit", "dirty")
        rng = dict(zip(names, (np.random.default_rng(s)
                               for s in np.random.SeedSequence(seed).spawn(len(names)))))
        cal = Calendar.ending(today)
        reps = make_reps(rng["reps"], scale, cal)
        return cls(cal=cal, reps=reps, products=make_products(rng["products"]),
                   customers=make_customers(rng["customers"], scale, cal, reps),
                   scale=scale, rng=rng)


@dataclass
class Rejections:
    """The injected bad rows: (entity, source_row, rule)."""

    rows: list[tuple[str, int, str]] = field(default_factory=list)

    def add(self, entity: str, first_source_row: int, rules: list[str]) -> None:
        self.rows += [(entity, first_source_row + i, rule) for i, rule in enumerate(rules)]

    def table(self) -> pa.Table:
        """Sorted by entity (in FILES order) and source row."""
        rows = sorted(self.rows, key=lambda r: (list(FILES).index(r[0]), r[1]))
        return pa.table({"entity": [r[0] for r in rows],
                         "source_row": pa.array([r[1] for r in rows], pa.int64()),
                         "rule": [r[2] for r in rows]})


def write_sales(world: World, path: Path, rejections: Rejections | None
                ) -> tuple[int, np.ndarray, np.ndarray]:
    """Write order lines month by month; returns (rows, revenue per customer-month,
    revenue per rep-month)."""
    cust, reps = world.customers, world.reps
    model = sales_model(cust, world.cal, world.scale)
    cust_revenue = np.zeros((len(cust), MONTHS))
    rep_revenue = np.zeros((len(reps), MONTHS))
    next_order, rows, template = 1, 0, None
    with pq.ParquetWriter(path, SALES_SCHEMA, compression=PARQUET_COMPRESSION) as writer:
        for m in range(MONTHS):
            chunk = month_sales(world.rng["sales"], model, cust, world.products, reps, world.cal,
                                m, next_order)
            revenue = chunk.revenue()
            cust_revenue[:, m] = np.bincount(chunk.cust, revenue, len(cust))
            rep_revenue[:, m] = np.bincount(chunk.rep, revenue, len(reps))
            table = chunk.table(cust, world.products, reps)
            writer.write_table(table)
            if len(chunk):
                next_order = int(chunk.order_no.max()) + 1
                template = table.slice(0, TEMPLATE_ROWS)
            rows += len(chunk)
        if rejections is not None and template is not None:
            bad = dirty_sales(world.rng["dirty"], template, world.cal, next_order)
            writer.write_table(bad.table.cast(SALES_SCHEMA))
            rejections.add("sales", rows + 1, bad.rules)  # Parquet: 1-based row index
            rows += len(bad.rules)
    return rows, cust_revenue, rep_revenue


def write_visits(world: World, path: Path, rejections: Rejections | None) -> int:
    """Write visits month by month; returns the number of rows."""
    cust, reps = world.customers, world.reps
    model = visit_model(world.rng["visits"], cust, reps, world.cal, world.scale)
    next_visit, template = 1, None
    with pq.ParquetWriter(path, VISITS_SCHEMA, compression=PARQUET_COMPRESSION) as writer:
        for m in range(MONTHS):
            chunk = month_visits(world.rng["visits"], model, cust, reps, m, next_visit)
            table = chunk.table(cust, reps)
            writer.write_table(table)
            next_visit += len(chunk)
            keep = np.flatnonzero(~chunk.is_phone & chunk.has_end)[:TEMPLATE_ROWS]
            if len(keep):
                template = table.take(pa.array(keep))
        rows = next_visit - 1
        if rejections is not None and template is not None:
            bad = dirty_visits(world.rng["dirty"], template, next_visit)
            writer.write_table(bad.table.cast(VISITS_SCHEMA))
            rejections.add("visits", rows + 1, bad.rules)
            rows += len(bad.rules)
    return rows


def master_tables(world: World, cust_revenue: np.ndarray, rep_revenue: np.ndarray,
                  rejections: Rejections | None) -> dict[str, pa.Table]:
    """Customers, reps, products and quotas; in dirty mode bad rows follow the good ones."""
    tables = {
        "customers": customers_table(world.customers, world.reps, world.cal, cust_revenue,
                                     world.rng["credit"]),
        "reps": reps_table(world.reps),
        "products": products_table(world.products),
        "quotas": quotas_table(world.rng["quotas"], world.reps, world.cal, rep_revenue),
    }
    if rejections is not None:
        rng = world.rng["dirty"]
        injected = {
            "customers": dirty_customers(rng, tables["customers"], world.cal),
            "reps": dirty_reps(rng, tables["reps"], world.cal),
            "products": dirty_products(rng, tables["products"]),
        }
        for entity, bad in injected.items():
            good = tables[entity]
            rejections.add(entity, good.num_rows + 2, bad.rules)  # CSV: the header is row 1
            tables[entity] = pa.concat_tables([good, bad.table.cast(good.schema)])
    return tables


def generate(out_dir: Path, *, scale: float = 1.0, seed: int = 42, dirty: bool = False,
             today: datetime.date | None = None) -> DemoSummary:
    """Write demo raw inputs into ``out_dir`` and return what was written.

    ``scale`` multiplies customers and reps (products stay ~300); ``seed`` makes the output
    reproducible; ``today`` (default: ``clock.today()``, the real today unless
    ``$SALESDESK_TODAY`` is set) is the last day with orders or visits;
    ``dirty`` appends rows that the staging must reject and writes ``_expected_rejections.csv``.
    """
    if not scale > 0:
        raise ValueError(f"scale must be above 0, not {scale!r}")
    started = time.perf_counter()
    today = today or clock.today()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    world = World.build(scale, seed, today)
    summary = DemoSummary(out_dir=out_dir, scale=scale, seed=seed, today=today, dirty=dirty,
                          files={e: out_dir / f for e, f in FILES.items()})
    rejections = Rejections() if dirty else None

    rows = {}
    rows["sales"], cust_revenue, rep_revenue = write_sales(world, summary.files["sales"],
                                                           rejections)
    rows["visits"] = write_visits(world, summary.files["visits"], rejections)
    for entity, table in master_tables(world, cust_revenue, rep_revenue, rejections).items():
        _write_csv(table, summary.files[entity])
        rows[entity] = table.num_rows
    summary.rows = {e: rows[e] for e in FILES}

    if rejections is not None:
        path = out_dir / EXPECTED_REJECTIONS_FILE
        _write_csv(rejections.table(), path)
        summary.files["expected_rejections"] = path
        summary.rows["expected_rejections"] = len(rejections.rows)
        for entity, _, _ in rejections.rows:
            summary.bad_rows[entity] = summary.bad_rows.get(entity, 0) + 1
    summary.seconds = time.perf_counter() - started
    return summary
