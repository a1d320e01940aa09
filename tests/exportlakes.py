"""Small lakes shaped like a distributor's first real ERP export, for build-level tests.

- ``write_history_lake``: sales of 2015-01 to 2019-12 (older than the commission plan, which
  starts 2020-01-01), ending long before the suite's today; a customer without a maintainer; a
  customer with no orders; one product in five without a unit cost (so more than 5 % of the
  products and of the order lines are rejected); no visits file at all.
- ``write_dead_products_lake``: every product without a unit cost, so every order line is
  ``unknown_sku``.

Every value is fixed (no random draws, no calendar): the tests pin exact answers.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tests.lakefiles import write_lake_file

LOADED_AT = "2020-01-15 08:00:00"
HISTORY_START = dt.date(2015, 1, 1)
HISTORY_END = dt.date(2019, 12, 30)  # the latest order date of the history lake

REPS = [
    dict(rep_id="M1", name="Mia Chen", region="East", role="manager", hired_date="2014-01-01"),
    dict(rep_id="R1", name="Li Wei", region="East", manager_rep_id="M1", role="rep",
         hired_date="2014-01-01"),
    dict(rep_id="R2", name="Zhao Min", region="East", manager_rep_id="M1", role="rep",
         hired_date="2014-01-01"),
]
CUSTOMERS = [
    dict(customer_id="C1", name="Corner Shop", channel="supermarket", region="East",
         maintainer_rep_id="R1", opened_date="2014-06-01"),
    dict(customer_id="C2", name="Kiosk 7", channel="kiosk", region="East",
         maintainer_rep_id="R2", opened_date="2014-06-01"),
    dict(customer_id="C3", name="Golden Hotel", channel="hotel_restaurant", region="East",
         maintainer_rep_id="R1", developer_rep_id="R2", is_group_purchase=True),
    # no maintainer in the export: an unassigned customer
    dict(customer_id="C4", name="Harbour Canteen", channel="other", region="East"),
    # opened, never ordered
    dict(customer_id="C5", name="New Bakery", channel="kiosk", region="East",
         maintainer_rep_id="R2", opened_date="2019-11-01"),
]
PRODUCTS = [
    dict(sku="P1", name="Baijiu 500ml", category="liquor", price_band="high", list_price=120,
         unit_cost=80),
    dict(sku="P2", name="Beer case", category="liquor", price_band="mid", list_price=60,
         unit_cost=45),
    dict(sku="P3", name="Dumplings 1kg", category="frozen", price_band="low", list_price=12,
         unit_cost=9),
    dict(sku="P4", name="Green tea", category="drinks", price_band="low", list_price=8,
         unit_cost=5),
    # the export left the cost empty: rejected (missing_required), its lines unknown_sku
    dict(sku="P5", name="Rice wine", category="liquor", price_band="mid", list_price=40),
]
# (customer, sku, quantity, unit price): one order a month for each, from 2015 to 2019.
ORDER_PATTERN = [("C1", "P1", 3, 118.30), ("C1", "P3", 11, 12.45), ("C2", "P2", 2, 59.99),
                 ("C3", "P1", 5, 117.77), ("C4", "P4", 7, 7.83)]


def history_sales() -> list[dict]:
    """60 months x 5 lines, the last order on HISTORY_END; 3 lines of P5 (rejected)."""
    rows = []
    for q in range(60):
        year, month = 2015 + q // 12, 1 + q % 12
        day = dt.date(year, month, 10 + q % 7)
        for i, (customer, sku, quantity, price) in enumerate(ORDER_PATTERN, start=1):
            rows.append(dict(order_id=f"O{q:03d}{customer}", line_number=i,
                             order_date=day.isoformat(), customer_id=customer, sku=sku,
                             quantity=quantity, unit_price=price,
                             discount_rate=0.05 if q % 3 == 0 else None))
    rows.append(dict(order_id="OLAST", line_number=1, order_date=HISTORY_END.isoformat(),
                     customer_id="C1", sku="P1", quantity=1, unit_price=120))
    for i in range(3):
        rows.append(dict(order_id=f"OP5{i}", line_number=1, order_date=f"2019-0{i + 1}-05",
                         customer_id="C2", sku="P5", quantity=1, unit_price=40))
    return rows


def write_history_lake(lake: Path) -> None:
    for entity, rows in dict(reps=REPS, customers=CUSTOMERS, products=PRODUCTS,
                             sales=history_sales()).items():
        write_lake_file(lake, entity, rows, load_id=f"{entity}-1", loaded_at=LOADED_AT)


DEAD_PRODUCTS = [dict(p, unit_cost=None) for p in PRODUCTS[:4]]


def write_dead_products_lake(lake: Path) -> None:
    for entity, rows in dict(reps=REPS, customers=CUSTOMERS, products=DEAD_PRODUCTS,
                             sales=history_sales()[:200]).items():
        write_lake_file(lake, entity, rows, load_id=f"{entity}-1", loaded_at=LOADED_AT)
