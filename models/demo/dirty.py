"""Dirty mode: rows appended to each file that each break one row-level rule of the dbt staging
(``contracts.REJECTION_RULES``), listed for the expected-rejections file.
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from models.demo.common import Calendar, _date, _id_array, _zero_padded
from models.demo.constants import (BAD_ROWS_PER_KIND, DUPLICATE_NAME_SUFFIX, DUPLICATE_NOTE,
                                   FUTURE_DAYS, ORDER_ID_DIGITS,
                                   UNKNOWN_CUSTOMER_ID, UNKNOWN_REP_ID, UNKNOWN_SKU,
                                   VISIT_ID_DIGITS, VISIT_MINUTES)

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
    bad.set("name", bad.where("duplicate_key"), lambda v: f"{v}{DUPLICATE_NAME_SUFFIX}")
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
    bad.set("notes", bad.where("duplicate_key"), DUPLICATE_NOTE)
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
