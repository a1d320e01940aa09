"""The raw data contracts (SPEC section 2): entities, columns, types, keys.

This module is the one place that says what a raw file must look like. Ingest checks files
against it, the demo generator writes files that follow it, and the dbt project's copies of
it (the lake contract macro and the sources YAML) are generated from it by
``salesdesk contracts --write`` (``models.pipeline.contract_files``). Lake files carry the contract columns (typed) plus three load columns:

- ``_load_id``: the content hash of the accepted source file (also the lake file name),
- ``_source_row``: the row as a person finds it in the source file: in CSV and XLSX the
  spreadsheet row number (the header is row 1, so data starts at row 2); in Parquet the
  1-based row index,
- ``_loaded_at``: when the file was accepted (UTC).
"""

from __future__ import annotations

from dataclasses import dataclass

from models.core import settings

# Contract types. ``time`` is an HH:MM clock time, kept as text ("08:30") so it is portable.
TYPES = ("text", "integer", "decimal", "double", "date", "timestamp", "boolean", "time", "month")

@dataclass(frozen=True)
class Column:
    name: str
    type: str = "text"
    required: bool = False
    description: str = ""
    # Decimal precision and scale, for type "decimal".
    precision: int = 18
    scale: int = 2

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"unknown contract type {self.type!r} for column {self.name}")

    @property
    def dbt_type(self) -> str:
        """The type in the dbt project (a type DuckDB and Spark both accept)."""
        if self.type == "decimal":
            return f"decimal({self.precision},{self.scale})"
        return {
            "text": "string",
            "integer": "bigint",
            "double": "double",
            "date": "date",
            "timestamp": "timestamp",
            "boolean": "boolean",
            "time": "string",
            "month": "date",
        }[self.type]

    @property
    def duckdb_type(self) -> str:
        return {
            "text": "varchar",
            "integer": "bigint",
            "decimal": f"decimal({self.precision}, {self.scale})",
            "double": "double",
            "date": "date",
            "timestamp": "timestamp",
            "boolean": "boolean",
            "time": "varchar",
            "month": "date",
        }[self.type]


# The three columns every lake file carries after the contract columns.
LOAD_COLUMN_DEFS: tuple[Column, ...] = (
    Column("_load_id", "text", description="Load id: content hash of the accepted source file "
                                           "(the lake file name stem)."),
    Column("_source_row", "integer", description="Row in the source file (spreadsheet row "
                                                 "number; 1-based index in Parquet)."),
    Column("_loaded_at", "timestamp", description="When the file was accepted (UTC)."),
)
LOAD_COLUMNS = tuple(c.name for c in LOAD_COLUMN_DEFS)


@dataclass(frozen=True)
class Entity:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    # Words that, at the start of a file name, mean this entity ("orders_2026.csv" -> sales).
    file_words: tuple[str, ...] = ()
    optional: bool = False
    description: str = ""

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _c(name: str, type_: str = "text", required: bool = False, desc: str = "", **kw) -> Column:
    return Column(name=name, type=type_, required=required, description=desc, **kw)


CHANNELS = (
    "hotel_restaurant",
    "retail_store",
    "supermarket",
    "liquor_tobacco_shop",
    "enterprise",
    "distributor",
    "other",
)
PRICE_BANDS = ("high", "mid", "low")
REP_ROLES = ("rep", "manager")
VISIT_TYPES = ("onsite", "phone")
VISIT_PURPOSES = ("develop", "maintain", "collect", "deliver", "promote")
VISIT_OUTCOMES = ("order", "no_order", "complaint", "closed", "not_met")

ENTITIES: dict[str, Entity] = {
    e.name: e
    for e in (
        Entity(
            name="customers",
            key=("customer_id",),
            file_words=("customers", "customer", "clients", "accounts"),
            description="Customer master: one row per customer account.",
            columns=(
                _c("customer_id", required=True, desc="Customer code."),
                _c("name", required=True, desc="Customer (shop) name."),
                _c("channel", desc="One of: " + ", ".join(CHANNELS) + "."),
                _c("region", desc="Sales region."),
                _c("district", desc="District within the region."),
                _c("address", desc="Street address of the shop."),
                _c("latitude", "double", desc="Latitude of the shop, degrees (-90..90)."),
                _c("longitude", "double", desc="Longitude of the shop, degrees (-180..180)."),
                _c("opened_date", "date", desc="When the account was opened."),
                _c("developer_rep_id", desc="The rep who opened the account."),
                _c("maintainer_rep_id", desc="The rep who serves it now (empty: unassigned, the house account)."),
                _c("is_group_purchase", "boolean", desc="Group-buying / enterprise account."),
                _c("is_key_account", "boolean", desc="Manual key-account flag."),
                _c("credit_limit", "decimal", desc="Credit limit granted to the customer."),
                _c("payment_terms_days", "integer", desc="Payment terms in days."),
                _c("visit_window_start", "time", desc="When the owner is there (default 08:30)."),
                _c("visit_window_end", "time", desc="Default 17:30."),
                _c("contact_name", desc="The person the rep deals with (owner, buyer)."),
                _c("phone", desc="The contact's phone number (any format; digits are dialled)."),
                _c("assigned_from", "date",
                   desc="From when the maintainer, developer and region of this row are in force "
                        "(empty: from the load date; the first load of a customer covers all "
                        "earlier history)."),
            ),
        ),
        Entity(
            name="reps",
            key=("rep_id",),
            file_words=("reps", "rep", "salesreps", "staff", "employees"),
            description="Sales reps and their managers.",
            columns=(
                _c("rep_id", required=True, desc="Rep (employee) code."),
                _c("name", required=True, desc="Rep name."),
                _c("region", required=True, desc="Region the rep works in."),
                _c("manager_rep_id", desc="rep_id of the rep's manager."),
                _c("role", desc="rep or manager."),
                _c("hired_date", "date", desc="When the rep was hired."),
                _c("left_date", "date", desc="When the rep left (empty while employed)."),
                _c("base_latitude", "double",
                   desc="Latitude of the rep's base (start and end of a route day)."),
                _c("base_longitude", "double", desc="Longitude of the rep's base."),
                _c("workday_start", "time", desc="Default 08:00."),
                _c("workday_end", "time", desc="Default 18:00."),
            ),
        ),
        Entity(
            name="products",
            key=("sku",),
            file_words=("products", "product", "skus", "sku", "items"),
            description="Product catalogue.",
            columns=(
                _c("sku", required=True, desc="Product code (stock keeping unit)."),
                _c("name", required=True, desc="Product name."),
                _c("category", desc="Product category."),
                _c("price_band", desc="high, mid or low."),
                _c("list_price", "decimal", precision=18, scale=4, desc="List price per unit."),
                _c("unit_cost", "decimal", required=True, precision=18, scale=4,
                   desc="Cost per unit."),
            ),
        ),
        Entity(
            name="sales",
            key=("order_id", "line_number"),
            file_words=("sales", "orders", "order_lines", "orderlines", "order"),
            description="Sales order lines; a negative quantity is a return.",
            columns=(
                _c("order_id", required=True, desc="Order number."),
                _c("line_number", "integer", required=True, desc="Line number within the order."),
                _c("order_date", "date", required=True, desc="Date of the order."),
                _c("customer_id", required=True, desc="Customer who ordered."),
                _c("sku", required=True, desc="Product ordered."),
                _c("quantity", "decimal", required=True, precision=18, scale=3,
                   desc="Negative for a return."),
                _c("unit_price", "decimal", required=True, precision=18, scale=4,
                   desc="Price per unit before discount."),
                _c("discount_rate", "decimal", precision=9, scale=6, desc="0 to 1."),
                _c("rep_id", desc="The rep who took the order."),
                _c("line_amount", "decimal", precision=18, scale=2,
                   desc="quantity x unit_price before discount_rate, as the export states it. "
                        "Without unit_price, unit_price = line_amount / quantity (4 places); "
                        "with it, the two must agree within a cent."),
                _c("status", desc="active or cancelled (a mapping file maps the export's "
                                  "values); cancelled lines are left out at ingest."),
            ),
        ),
        Entity(
            name="visits",
            key=("visit_id",),
            file_words=("visits", "visit", "visit_logs", "calls"),
            description="Rep visit log.",
            columns=(
                _c("visit_id", required=True, desc="Visit code."),
                _c("rep_id", required=True, desc="Rep who made the visit."),
                _c("customer_id", required=True, desc="Customer visited."),
                _c("started_at", "timestamp", required=True,
                   desc="When the visit started (local time)."),
                _c("ended_at", "timestamp", desc="When the visit ended (local time)."),
                _c("visit_type", desc="onsite or phone."),
                _c("purpose", desc="develop, maintain, collect, deliver or promote."),
                _c("outcome", desc="order, no_order, complaint, closed or not_met."),
                _c("relationship_level", "integer", desc="1 acquainted .. 5 trusted."),
                _c("checkin_latitude", "double", desc="Latitude where the rep checked in."),
                _c("checkin_longitude", "double", desc="Longitude where the rep checked in."),
                _c("notes", desc="Free-text notes."),
                _c("next_step", desc="What the rep will do next (free text)."),
                _c("follow_up_date", "date", desc="When to follow up (may be after the as-of date)."),
                _c("recorded_by", desc="Who entered the record (the app: the signed-in e-mail)."),
                _c("recorded_at", "timestamp", desc="When the record was entered (UTC)."),
            ),
        ),
        Entity(
            name="quotas",
            key=("rep_id", "month"),
            file_words=("quotas", "quota", "targets"),
            optional=True,
            description="Optional monthly sales quota per rep.",
            columns=(
                _c("rep_id", required=True, desc="Rep the quota is for."),
                _c("month", "month", required=True, desc="First day of the month (or YYYY-MM)."),
                _c("sales_quota", "decimal", required=True,
                   desc="Sales (revenue) quota for the month."),
            ),
        ),
        Entity(
            name="assessments",
            key=("customer_id", "criterion", "assessed_date"),
            file_words=("assessments", "assessment"),
            optional=True,
            description="Optional manual judgements per customer and criterion.",
            columns=(
                _c("customer_id", required=True, desc="Customer assessed."),
                _c("criterion", required=True,
                   desc="Criterion judged (a potential-checklist criterion)."),
                _c("score", "decimal", required=True, precision=9, scale=2, desc="Score given."),
                _c("assessed_date", "date", required=True, desc="When the judgement was made."),
                _c("assessor", desc="Who made it."),
            ),
        ),
    )
}

# A required column that ingest derives from others when the file does not have it:
# (entity, column) -> the columns it is derived from (see models.pipeline.ingest).
DERIVED_COLUMNS: dict[tuple[str, str], tuple[str, ...]] = {
    ("sales", "unit_price"): ("line_amount", "quantity"),
}
SALES_STATUSES = ("active", "cancelled")

# Foreign column names mapped onto the contract. Headers are first normalised (trimmed,
# lower-cased, spaces and dashes to underscores); then this map is looked up. A header that is
# neither a contract column nor in this map is kept out of the lake (reported as ignored).
COLUMN_ALIASES: dict[str, str] = {
    # identifiers
    "cust_id": "customer_id", "customer_code": "customer_id", "customer_no": "customer_id",
    "客户编号": "customer_id", "客户编码": "customer_id", "客户id": "customer_id",
    "customer_name": "name", "客户名称": "name", "rep_name": "name", "product_name": "name",
    "salesrep_id": "rep_id", "employee_id": "rep_id", "业务员编号": "rep_id", "业务员id": "rep_id",
    "product_code": "sku", "item_code": "sku", "商品编码": "sku", "产品编码": "sku",
    "order_no": "order_id", "order_number": "order_id", "订单号": "order_id", "订单编号": "order_id",
    "line": "line_number", "line_no": "line_number", "行号": "line_number",
    # dates and amounts
    "date": "order_date", "订单日期": "order_date", "下单日期": "order_date",
    "qty": "quantity", "数量": "quantity",
    "price": "unit_price", "单价": "unit_price",
    "amount": "line_amount", "line_total": "line_amount", "金额": "line_amount",
    "order_status": "status", "状态": "status",
    "discount": "discount_rate", "折扣率": "discount_rate",
    "cost": "unit_cost", "成本": "unit_cost", "单位成本": "unit_cost",
    "lat": "latitude", "lng": "longitude", "lon": "longitude", "纬度": "latitude", "经度": "longitude",
    "渠道": "channel", "区域": "region", "片区": "district", "地址": "address",
    "developer": "developer_rep_id", "maintainer": "maintainer_rep_id",
    "开发人": "developer_rep_id", "维护人": "maintainer_rep_id",
    "start": "started_at", "end": "ended_at", "start_time": "started_at", "end_time": "ended_at",
    "拜访编号": "visit_id", "开始时间": "started_at", "结束时间": "ended_at",
    "quota": "sales_quota", "target": "sales_quota",
}


def entity_for_file(file_name: str) -> str | None:
    """The entity a file name means, from its first word ("sales_2026-10.csv" -> "sales")."""
    import re
    from pathlib import PurePath

    stem = PurePath(file_name).name.lower()
    stem = stem.split(".", 1)[0]
    for entity in ENTITIES.values():
        for word in entity.file_words:
            if re.match(rf"^{re.escape(word)}(?:$|[^a-z])", stem):
                return entity.name
    return None


def row_key(entity: str, values: dict) -> str:
    """The key of a row as shown to people: key values joined by '|'."""
    return "|".join("" if values.get(k) is None else str(values[k]) for k in ENTITIES[entity].key)


# Row-level rules applied by the dbt staging layer, rule -> meaning. A rejected row carries
# exactly one rule: the first that fails, in this order. The dbt project applies them, so they
# are written down once, as the var rejection_rules of dbt_project/dbt_project.yml, read here.
REJECTION_RULES: dict[str, str] = {
    str(rule): str(meaning)
    for rule, meaning in settings.dbt_project_vars()["rejection_rules"].items()
}
