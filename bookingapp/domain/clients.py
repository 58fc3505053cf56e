"""Clients: the business's customers aggregated from their bookings, grouped by email
(customers are unique per email within a business, see domain.customers)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from bookingapp.domain.states import BookingStatus as S
from bookingapp.domain.test_mode import live_bookings, test_bookings
from bookingapp.models import Booking, Business, Checkout, Customer, PromotionRedemption

# A visit is a booking that was made and not withdrawn; money counts only once it is earned.
VISIT_STATUSES = (S.PENDING.value, S.CONFIRMED.value, S.IN_PROGRESS.value, S.COMPLETED.value, S.NO_SHOW.value)
SPENT_STATUSES = (S.COMPLETED.value,)


@dataclass(frozen=True)
class ClientSummary:
    customer_id: str
    email: str
    name: str
    phone: str | None
    total_bookings: int
    total_spent_cents: int
    first_booking_at: datetime | None
    last_booking_at: datetime | None


def charged_cents():
    """What a booking actually brought in, as a SQL expression over Booking: the total of
    its closed checkout when it has one (the lines really sold: extras, products,
    discounts, tip), else its price less the promotion discount it was booked with. The
    clients' spend and the analytics' revenue both use it, so they agree."""
    closed_total = (select(Checkout.total_cents)
                    .where(Checkout.booking_id == Booking.id, Checkout.status == "closed")
                    .correlate(Booking).scalar_subquery())
    discount = (select(func.coalesce(func.sum(PromotionRedemption.discount_cents), 0))
                .where(PromotionRedemption.booking_id == Booking.id)
                .correlate(Booking).scalar_subquery())
    return func.coalesce(closed_total, Booking.price_cents - discount)


def client_query(business: Business, *, test: bool = False):
    """Customers with at least one visit, most recent visit first. Only live bookings
    count; test=True (a test API key) counts test bookings only."""
    spent = func.coalesce(func.sum(case((Booking.status.in_(SPENT_STATUSES), charged_cents()), else_=0)), 0)
    return (
        select(
            Customer.id, Customer.email, Customer.name, Customer.phone,
            func.count(Booking.id).label("total_bookings"),
            spent.label("total_spent_cents"),
            func.min(Booking.starts_at).label("first_booking_at"),
            func.max(Booking.starts_at).label("last_booking_at"),
        )
        .join(Booking, Booking.customer_id == Customer.id)
        .where(Customer.business_id == business.id, Booking.business_id == business.id,
               Booking.status.in_(VISIT_STATUSES), test_bookings() if test else live_bookings())
        .group_by(Customer.id, Customer.email, Customer.name, Customer.phone)
        .order_by(func.max(Booking.starts_at).desc(), Customer.email)
    )


def list_clients(session: Session, business: Business, *, offset: int = 0, limit: int | None = None,
                 test: bool = False) -> tuple[list[ClientSummary], int]:
    query = client_query(business, test=test)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    if limit is not None:
        query = query.offset(offset).limit(limit)
    rows = session.execute(query).all()
    from bookingapp.models.base import UTCDateTime  # aggregate results bypass the column type on SQLite

    convert = UTCDateTime().process_result_value
    dialect = session.get_bind().dialect
    return [
        ClientSummary(
            customer_id=str(row.id), email=row.email, name=row.name, phone=row.phone,
            total_bookings=int(row.total_bookings), total_spent_cents=int(row.total_spent_cents),
            first_booking_at=_as_utc(row.first_booking_at, convert, dialect),
            last_booking_at=_as_utc(row.last_booking_at, convert, dialect),
        )
        for row in rows
    ], int(total)


def _as_utc(value, convert, dialect):
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return convert(value, dialect)


# --------------------------------------------------------------------------- the dashboard's client list
# (added for the dashboard; the API's list_clients above is unchanged)


@dataclass(frozen=True)
class ClientRow:
    summary: ClientSummary
    no_shows: int


def list_clients_with_no_shows(session: Session, business: Business, *, search: str | None = None,
                               offset: int = 0, limit: int | None = None) -> tuple[list[ClientRow], int]:
    """The same clients and numbers as list_clients, with their no-shows, optionally
    narrowed to a name or email containing `search`."""
    no_shows = func.coalesce(func.sum(case((Booking.status == S.NO_SHOW.value, 1), else_=0)), 0).label("no_shows")
    query = client_query(business).add_columns(no_shows)
    if search and search.strip():
        # A typed % or _ is a character to find, not a wildcard.
        typed = search.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{typed}%"
        query = query.where(func.lower(Customer.name).like(pattern, escape="\\")
                            | func.lower(Customer.email).like(pattern, escape="\\"))
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    if limit is not None:
        query = query.offset(offset).limit(limit)
    from bookingapp.models.base import UTCDateTime

    convert = UTCDateTime().process_result_value
    dialect = session.get_bind().dialect
    return [
        ClientRow(
            summary=ClientSummary(
                customer_id=str(row.id), email=row.email, name=row.name, phone=row.phone,
                total_bookings=int(row.total_bookings), total_spent_cents=int(row.total_spent_cents),
                first_booking_at=_as_utc(row.first_booking_at, convert, dialect),
                last_booking_at=_as_utc(row.last_booking_at, convert, dialect),
            ),
            no_shows=int(row.no_shows),
        )
        for row in session.execute(query).all()
    ], int(total)


def client_history(session: Session, business: Business, customer: Customer) -> list[Booking]:
    """Every booking of one client, newest first, whatever its status (cancellations too:
    the front desk wants to see them); test bookings (made with a test API key) are not
    the client's history."""
    return list(session.scalars(
        select(Booking).where(Booking.business_id == business.id, Booking.customer_id == customer.id, live_bookings())
        .order_by(Booking.starts_at.desc())
    ))
