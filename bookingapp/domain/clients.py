"""Clients: the business's customers aggregated from their bookings, one row per customer
(customers are unique per email within a business, see domain.customers; a walk-in booked
at the front desk by name only is a customer of their own)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from bookingapp.domain.customers import customer_matches
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
# The API's list_clients above is its documented contract and is left as it is. The
# dashboard's list answers the front desk's questions instead: everyone who ever booked
# (a client who only ever cancelled is still a client to call back), visits that really
# happened, and what is still to come, apart.

# A booking made, whatever became of it; holds and expired holds were never made.
BOOKED_STATUSES = (*VISIT_STATUSES, S.CANCELLED.value)
VISITED = S.COMPLETED.value
UPCOMING = (S.PENDING.value, S.CONFIRMED.value)


@dataclass(frozen=True)
class ClientRow:
    customer_id: str
    email: str | None
    name: str
    phone: str | None
    visits: int                      # completed visits whose time has passed
    spent_cents: int                 # what those visits brought in (charged_cents)
    no_shows: int
    cancellations: int
    upcoming: int                    # pending or confirmed, still ahead
    first_visit_at: datetime | None
    last_visit_at: datetime | None
    next_booking_at: datetime | None


def dashboard_clients(session: Session, business: Business, *, now: datetime, search: str | None = None,
                      customer_id=None, offset: int = 0, limit: int | None = None,
                      location_ids=None) -> tuple[list[ClientRow], int]:
    """Everyone with a live booking made (cancelled ones included), the most recently
    booked first; narrowed to a name, email or phone containing `search`, or to one
    customer. Visits, spend, first and last visit count completed visits up to `now`;
    upcoming bookings are counted apart, with the next one's time. `location_ids` (None:
    every location) counts only the bookings at those locations, so an account limited to
    some branches lists the clients who booked there, with their numbers there."""
    visited = (Booking.status == VISITED) & (Booking.starts_at <= now)
    ahead = Booking.status.in_(UPCOMING) & (Booking.starts_at > now)

    def count(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    query = (
        select(
            Customer.id, Customer.email, Customer.name, Customer.phone,
            count(visited).label("visits"),
            func.coalesce(func.sum(case((visited, charged_cents()), else_=0)), 0).label("spent_cents"),
            count(Booking.status == S.NO_SHOW.value).label("no_shows"),
            count(Booking.status == S.CANCELLED.value).label("cancellations"),
            count(ahead).label("upcoming"),
            func.min(case((visited, Booking.starts_at))).label("first_visit_at"),
            func.max(case((visited, Booking.starts_at))).label("last_visit_at"),
            func.min(case((ahead, Booking.starts_at))).label("next_booking_at"),
        )
        .join(Booking, Booking.customer_id == Customer.id)
        .where(Customer.business_id == business.id, Booking.business_id == business.id,
               Booking.status.in_(BOOKED_STATUSES), live_bookings())
        .group_by(Customer.id, Customer.email, Customer.name, Customer.phone)
        .order_by(func.max(Booking.starts_at).desc(), Customer.name, Customer.id)
    )
    if customer_id is not None:
        query = query.where(Customer.id == customer_id)
    if location_ids is not None:
        query = query.where(Booking.location_id.in_(location_ids))
    if search and search.strip():
        query = query.where(customer_matches(search.strip()))
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    if limit is not None:
        query = query.offset(offset).limit(limit)
    from bookingapp.models.base import UTCDateTime

    convert = UTCDateTime().process_result_value
    dialect = session.get_bind().dialect
    return [
        ClientRow(
            customer_id=str(row.id), email=row.email, name=row.name, phone=row.phone, visits=int(row.visits),
            spent_cents=int(row.spent_cents), no_shows=int(row.no_shows), cancellations=int(row.cancellations),
            upcoming=int(row.upcoming),
            first_visit_at=_as_utc(row.first_visit_at, convert, dialect),
            last_visit_at=_as_utc(row.last_visit_at, convert, dialect),
            next_booking_at=_as_utc(row.next_booking_at, convert, dialect),
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


def split_history(history: list[Booking], now: datetime) -> tuple[list[Booking], list[Booking]]:
    """A client's bookings still to come (pending or confirmed, after `now`; soonest
    first) and the rest (newest first), for the client page's two lists."""
    upcoming = [b for b in history if b.status in UPCOMING and b.starts_at > now]
    past = [b for b in history if b not in upcoming]
    return sorted(upcoming, key=lambda b: b.starts_at), past
