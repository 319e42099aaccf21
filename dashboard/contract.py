"""The source-export contract: every table, its columns, their types, keys and references.

The generator writes exactly this, the build validates against it. See DESIGN.md, "Source exports".
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

# A published warehouse version id (DESIGN.md "Warehouse": kept versions, `v=` in links): its build time in UTC
# and a microsecond suffix, e.g. 20201126T164023Z-0d6117. Sortable by build time.
VERSION_RE = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{6}$")


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # DuckDB type: VARCHAR, DATE, BIGINT, DOUBLE, BOOLEAN
    nullable: bool = False
    accepted: tuple[str, ...] | None = None  # accepted values for a code column
    non_negative: bool = False
    first_of_month: bool = False
    # An id (of a bill, payment or request): BIGINT when every value in a source is a canonical whole number,
    # else VARCHAR kept as written (codes such as HD000123). Decided per source by exports.id_type.
    id: bool = False
    # A column an export may leave out, filled with this value (branches.company_code: single-company exports
    # from before the corporation level stay valid, every branch in DEFAULT_COMPANY)
    default: str | None = None


@dataclass(frozen=True)
class Reference:
    column: str
    table: str
    target: str
    where: str | None = None  # extra condition on the referenced table (fixed SQL, no values)


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: str | None = None
    references: tuple[Reference, ...] = field(default_factory=tuple)
    reference_data: bool = False  # small hand-kept table shipped in sample_data/
    # an export may leave the file out: the build then reads sample_data/reference/<name>.csv (companies: a
    # single-company export names no companies, and the built-in table names every EVNCPC company)
    optional: bool = False

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


C = Column
CUSTOMER_TYPES = ("household", "business", "industry", "public", "other")
READ_METHODS = ("remote", "manual", "estimated")
REQUEST_STATUSES = ("completed", "in_progress", "postponed", "cancelled")
# The company of a branch when its export names none: PC Phú Yên, the company this dashboard began with
DEFAULT_COMPANY = "PC08"

TABLES: dict[str, Table] = {
    t.name: t
    for t in [
        Table(
            "companies",
            (
                C("company_code", "VARCHAR"),
                C("company_name_vi", "VARCHAR"),
                C("company_name_en", "VARCHAR"),
                C("province", "VARCHAR"),
                C("notes", "VARCHAR", nullable=True),
            ),
            key="company_code",
            reference_data=True,
            optional=True,
        ),
        Table(
            "branches",
            (
                C("branch_code", "VARCHAR"),
                C("branch_name", "VARCHAR"),
                C("district", "VARCHAR"),
                C("company_code", "VARCHAR", default=DEFAULT_COMPANY),
            ),
            key="branch_code",
            references=(Reference("company_code", "companies", "company_code"),),
            reference_data=True,
        ),
        Table(
            "channels",
            (
                C("channel_code", "VARCHAR"),
                C("kind", "VARCHAR", accepted=("payment", "request")),
                C("name_vi", "VARCHAR"),
                C("name_en", "VARCHAR"),
                C("is_online", "BOOLEAN"),
            ),
            key="channel_code",
            reference_data=True,
        ),
        Table(
            "customers",
            (
                C("customer_id", "VARCHAR"),
                C("branch_code", "VARCHAR"),
                C("customer_type", "VARCHAR", accepted=CUSTOMER_TYPES),
                C("connected_on", "DATE"),
                C("disconnected_on", "DATE", nullable=True),
                C("phone_registered_on", "DATE", nullable=True),
                C("email_registered_on", "DATE", nullable=True),
                C("app_registered_on", "DATE", nullable=True),
                C("zalo_registered_on", "DATE", nullable=True),
                C("remote_meter_since", "DATE", nullable=True),
            ),
            key="customer_id",
            references=(Reference("branch_code", "branches", "branch_code"),),
        ),
        Table(
            "bills",
            (
                C("bill_id", "BIGINT", id=True),
                C("customer_id", "VARCHAR"),
                C("period", "DATE", first_of_month=True),
                C("read_on", "DATE"),
                C("read_method", "VARCHAR", accepted=READ_METHODS),
                C("kwh", "DOUBLE", non_negative=True),
                C("offset_kwh", "DOUBLE"),
                C("amount_vnd", "BIGINT", non_negative=True),
            ),
            key="bill_id",
            references=(Reference("customer_id", "customers", "customer_id"),),
        ),
        Table(
            "payments",
            (
                C("payment_id", "BIGINT", id=True),
                C("bill_id", "BIGINT", id=True),
                C("customer_id", "VARCHAR"),
                C("paid_on", "DATE"),
                C("amount_vnd", "BIGINT", non_negative=True),
                C("channel_code", "VARCHAR"),
            ),
            key="payment_id",
            references=(
                Reference("bill_id", "bills", "bill_id"),
                Reference("customer_id", "customers", "customer_id"),
                Reference("channel_code", "channels", "channel_code", where="kind = 'payment'"),
            ),
        ),
        Table(
            "service_requests",
            (
                C("request_id", "BIGINT", id=True),
                C("branch_code", "VARCHAR"),
                C("customer_id", "VARCHAR", nullable=True),
                C("request_type", "VARCHAR"),
                C("channel_code", "VARCHAR"),
                C("submitted_on", "DATE"),
                C("postponed_on", "DATE", nullable=True),
                C("completed_on", "DATE", nullable=True),
                C("status", "VARCHAR", accepted=REQUEST_STATUSES),
            ),
            key="request_id",
            references=(
                Reference("branch_code", "branches", "branch_code"),
                Reference("customer_id", "customers", "customer_id"),
                Reference("channel_code", "channels", "channel_code", where="kind = 'request'"),
            ),
        ),
        Table(
            "targets",
            (
                C("kpi", "VARCHAR"),
                C("branch_code", "VARCHAR", nullable=True),
                C("valid_from", "DATE"),
                C("valid_to", "DATE"),
                C("target", "DOUBLE"),
                C("direction", "VARCHAR", accepted=("higher", "lower")),
            ),
            references=(Reference("branch_code", "branches", "branch_code"),),
            reference_data=True,
        ),
        Table(
            "annotations",
            (
                C("period", "DATE", first_of_month=True),
                C("branch_code", "VARCHAR", nullable=True),
                C("text_vi", "VARCHAR"),
                C("text_en", "VARCHAR"),
            ),
            references=(Reference("branch_code", "branches", "branch_code"),),
            reference_data=True,
        ),
    ]
}

# Load order: a table's references are loaded before it.
LOAD_ORDER = ["companies", "branches", "channels", "customers", "bills", "payments", "service_requests", "targets",
              "annotations"]
