"""The demo's numbers and word lists: sizes, shares, rates, the city and its regions, channels,
names and products. Every tunable of the generator is here.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import numpy as np

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
    name: str  # as the distributor names its sales regions (written to the region columns)
    bearing_deg: float | None  # centre of the compass sector; None = the city centre
    districts: tuple[str, str]  # central: (west, east); others: (inner, outer)
    customer_weight: float


# One city's sales regions, named as a city distributor names its territories (片区, "area"):
# 华北/华东/华南 are provinces-wide regions of a national company and would misname sectors of one
# city. The districts are Jinan's (区) or a well-known part of one (片区).
REGIONS = (
    Region("中心片区", None, ("市中区", "历下区"), 0.30),
    Region("城北片区", 0.0, ("天桥区", "济阳区"), 0.16),
    Region("城东片区", 90.0, ("高新区", "历城区"), 0.20),
    Region("城南片区", 180.0, ("千佛山片区", "南部山区"), 0.14),
    Region("城西片区", 270.0, ("槐荫区", "长清区"), 0.20),
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


CATEGORIES = (  # name: the category code (ASCII, stable); label and packs: the product names
    Category("baijiu", "白酒", (0.45, 0.35, 0.20), ("52度 500ml", "42度 500ml", "53度 500ml×6")),
    Category("beer", "啤酒", (0.02, 0.28, 0.70), ("500ml×12", "330ml×24", "1L")),
    Category("wine", "葡萄酒", (0.35, 0.45, 0.20), ("750ml", "750ml×6")),
    Category("beverage", "饮料", (0.0, 0.25, 0.75), ("500ml×15", "1.5L×6", "250ml×24")),
    Category("frozen_food", "速冻", (0.05, 0.45, 0.50), ("水饺 1kg", "丸子 1kg"), True),
    Category("snacks", "休闲食品", (0.0, 0.30, 0.70), ("礼盒", "袋装×20")),
    Category("grain_oil", "粮油", (0.10, 0.50, 0.40), ("5L", "10kg", "2.5L×4")),
    Category("tobacco", "卷烟", (0.30, 0.50, 0.20), ("条装",)),
)
PRODUCT_BRANDS = ("泉城", "明水", "趵突", "齐鲁", "泰山", "黄河", "大明", "鲁商", "锦绣", "千佛",
                  "历城", "章丘")
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
# Visit notes by outcome, and the next step each note leads to (None: no next step recorded).
NOTES = {
    "order": (("补货上架", "下周回访确认到货"), ("下周订单已下", None),
              ("新品品鉴反馈好", "跟进新品首单"), ("节日备货订单", "节前再补一次货")),
    "no_order": (("库存仍多", "两周后再访"), ("老板稍后回电", "电话跟进"),
                 ("检查陈列", None), ("与竞品比价", "申请促销支持")),
    "complaint": (("投诉送货迟到", "协调物流准时送货"), ("上批货有破损", "办理退换货"),
                  ("价格比竞品高", "报经理审批价格")),
    "closed": (("店铺关门", "改天再访"), ("装修停业", None)),
    "not_met": (("老板不在", "约时间再访"), ("店长在开会", None)),
}
DUPLICATE_NOTE = "重复上传"  # the notes of the dirty demo's duplicate visits
DUPLICATE_NAME_SUFFIX = "(重复)"  # the name of the dirty demo's duplicate products

EPOCH = np.datetime64("1970-01-01", "D")
NEVER = np.iinfo(np.int64).max // 4  # a day number later than any date
ALWAYS = -NEVER  # a day number earlier than any date
MICROS_PER_MINUTE = 60_000_000
MICROS_PER_DAY = 86_400_000_000
CHANNELS = list(CHANNEL_WEIGHTS)
assert tuple(CHANNELS) == contracts.CHANNELS
