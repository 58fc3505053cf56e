"""One money summary of a booking: what it lists at, what was taken off, added (add-ons,
products, tip), charged, paid, refunded and what is still due. The manage page, the
dashboard and the API all show this one summary, so the customer never reads "due at the
venue" for a visit the owner has already checked out, or a balance on a no-show.

Where the numbers come from:
* a checkout (open or closed) is the bill: its lines, tip, discount and total, and its
  payments (card through the provider, cash and card-present at the desk);
* without one, the list price less any promotion, and the provider payments;
* a booking that will not go ahead (cancelled, no-show, expired, moved away) owes nothing:
  what it was charged is what was kept (a deposit kept under the cancellation policy)."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import event, select
from sqlalchemy.orm import ORMExecuteState, Session

from bookingapp.domain import checkout as checkout_domain
from bookingapp.domain.payments import balance
from bookingapp.domain.states import BookingStatus as S
from bookingapp.models import Booking, Business
from bookingapp.models.checkout import Checkout
from bookingapp.models.payment import Payment, PromotionRedemption

# Visits that take place (or have): their bill stands and may still be owed.
GOING_AHEAD = (S.HELD.value, S.RESERVED.value, S.PENDING.value, S.CONFIRMED.value, S.IN_PROGRESS.value,
               S.COMPLETED.value)


@dataclass(frozen=True)
class MoneySummary:
    currency: str
    list_price_cents: int      # the service as booked
    extras_cents: int          # add-ons and products added at checkout
    discount_cents: int        # promotion or checkout discount
    tip_cents: int
    charged_cents: int         # the bill: list + extras - discount + tip; for a visit that did not happen, what was kept
    paid_cents: int            # money taken, before refunds (card and desk)
    refunded_cents: int
    net_paid_cents: int        # paid - refunded
    balance_due_cents: int     # still to pay (never negative; 0 for a visit that did not happen)
    checked_out: bool          # the owner closed the bill

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class MoneyRows:
    """What a booking's money is read from: its payments (oldest first, as
    ledger.payments_of), its checkout and its promotion redemption (each at most one)."""
    payments: list[Payment]
    checkout: Checkout | None
    redemption: PromotionRedemption | None


# One statement for all three (a booking has at most one checkout and one redemption, so
# the rows are its payments, or one row of NULLs without any): reading them apart cost five
# round trips per API booking answer, which read payments and the checkout twice.
_MONEY_ROWS = (
    select(Payment, Checkout, PromotionRedemption)
    .select_from(Booking)
    .outerjoin(Payment, Payment.booking_id == Booking.id)
    .outerjoin(Checkout, Checkout.booking_id == Booking.id)
    .outerjoin(PromotionRedemption, PromotionRedemption.booking_id == Booking.id)
)


# Bookings this transaction inserted, while it has written no money row (session.info).
# A booking's id is made at its insert, so until a payment, checkout or redemption row is
# written in the same transaction, none can point at it: its money is known without a
# read. The answer to every placement (each hold among them) used to read it anyway.
_FRESH = "booking_money_fresh_bookings"
_MONEY_TYPES = (Payment, Checkout, PromotionRedemption)


def note_fresh(session: Session, booking: Booking) -> None:
    """`booking` was inserted by this transaction, with no money row (domain/booking._place
    for a new booking, not a reschedule's replacement, which takes over the old one's)."""
    session.info.setdefault(_FRESH, set()).add(booking.id)


def _known_to_have_none(session: Session, booking: Booking) -> bool:
    fresh = session.info.get(_FRESH)
    if not fresh or booking.id not in fresh:
        return False
    # A money row waiting to be flushed would be flushed by the read this skips.
    return not any(isinstance(obj, _MONEY_TYPES) for obj in session.new)


@event.listens_for(Session, "before_flush")
def _forget_on_money_flush(session: Session, flush_context, instances) -> None:
    if _FRESH in session.info and any(isinstance(obj, _MONEY_TYPES)
                                      for objects in (session.new, session.dirty) for obj in objects):
        session.info.pop(_FRESH, None)


@event.listens_for(Session, "do_orm_execute")
def _forget_on_written_statement(state: ORMExecuteState) -> None:
    # Any statement that writes, whatever its table (a reschedule carrying payments over is
    # one): telling the tables apart would save nothing a placement's answer needs.
    if not state.is_select:
        state.session.info.pop(_FRESH, None)


@event.listens_for(Session, "after_transaction_end")
def _forget_at_transaction_end(session: Session, transaction) -> None:
    if transaction.parent is None:  # the outermost: committed or rolled back
        session.info.pop(_FRESH, None)


def money_rows(session: Session, booking: Booking) -> MoneyRows:
    if _known_to_have_none(session, booking):
        return MoneyRows(payments=[], checkout=None, redemption=None)
    found = session.execute(
        _MONEY_ROWS.where(Booking.id == booking.id).order_by(Payment.created_at, Payment.id)
    ).all()
    first = found[0] if found else (None, None, None)
    return MoneyRows(payments=[row[0] for row in found if row[0] is not None], checkout=first[1],
                     redemption=first[2])


def money_summary(session: Session, booking: Booking, business: Business | None = None, *,
                  rows: MoneyRows | None = None) -> MoneySummary:
    """`rows`: money_rows(session, booking) when the caller needs them too (the API shows
    the payments and the checkout's lines beside the summary)."""
    rows = money_rows(session, booking) if rows is None else rows
    provider = balance(session, booking, business, payments=rows.payments, redemption=rows.redemption)
    checkout = rows.checkout
    going_ahead = booking.status in GOING_AHEAD
    if checkout is not None:
        totals = checkout_domain.totals(session, checkout, provider=provider)
        list_price = booking.price_cents
        paid, refunded, net = totals.gross_paid_cents, totals.refunded_cents, totals.paid_cents
        summary = dict(
            list_price_cents=list_price, extras_cents=max(totals.subtotal_cents - list_price, 0),
            discount_cents=totals.discount_cents, tip_cents=totals.tip_cents,
            charged_cents=totals.total_after_refunds_cents, checked_out=checkout.status == "closed",
        )
        due = 0 if checkout.status == "closed" else max(totals.due_cents, 0)
    else:
        paid, refunded, net = provider.paid_cents, provider.refunded_cents, provider.net_paid_cents
        summary = dict(
            list_price_cents=provider.price_cents, extras_cents=0, discount_cents=provider.discount_cents,
            tip_cents=0, charged_cents=provider.total_cents, checked_out=False,
        )
        due = max(provider.total_cents - net, 0)
    if not going_ahead:
        summary["charged_cents"] = max(net, 0)
        due = 0
    return MoneySummary(
        currency=booking.currency, paid_cents=paid, refunded_cents=refunded, net_paid_cents=net,
        balance_due_cents=due, **summary,
    )
