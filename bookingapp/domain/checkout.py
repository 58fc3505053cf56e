"""Checkout: closing out a booking at the desk.

Line items (service, addon_service, product, tip, discount) are added while the checkout
is open; products take their stock in the same transaction (refused when there is not
enough) and give it back when removed. What the booking has already paid (its deposit or
prepayment, and any card payment through the provider, from domain.payments) is credited,
and what is left is taken by card through the payment provider or recorded as cash or
card-present. Closing fixes the line items; a correction afterwards is a refund.

Totals, all integer cents:
    subtotal = service + add-ons + products          (what was sold)
    discount = the discount lines, at most the subtotal (percent lines recomputed on each change)
    total    = subtotal - discount + tip
    paid     = provider payments net of refunds + desk payments net of desk refunds
    due      = total - paid                          (negative: paid beyond the total, to give back)

A checkout closes only when due is exactly zero (an over-payment, e.g. a deposit above a
discounted total, is given back first: give_back_excess). So on a closed checkout every
later change to what was paid is a correction: refunded_after_close = total - paid, and
the receipt shows the total after refunds and a balance of zero instead of a "balance"
that reads as owed.

Money changes (take_in_person, start_card_payment, confirm_card_payment, give_back_excess,
close_checkout, refund) lock the checkout row first and re-read it, so two desks (or a
double click) cannot record the same balance twice: the second sees the first's tender and
finds nothing due. Where the booking's row is locked too, it is locked after the checkout's.

The balance by card goes the wizard's way (domain.payments' checkout start: the booking's
row lock, the open page reused, a stale one closed at the provider; see _start_checkout
for what is still interim). Like every function here, these flush and never commit (the
HTTP layer's unit of work does).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bookingapp.db import acquire_write_lock

from bookingapp.domain import audit, booking as booking_ops, notify
from bookingapp.domain.errors import NotFound, ValidationError
from bookingapp.domain.money import format_money_for
from bookingapp.domain.payments import online_checkout
from bookingapp.domain.payments import refunds as payment_refunds
from bookingapp.domain.payments.ledger import balance as payment_balance
from bookingapp.domain.pricing import discount_for, find_promotion, normalise_code, redemption_of, times_used
from bookingapp.domain.states import BookingStatus
from bookingapp.models import Booking, Business, Product, Service
from bookingapp.models.checkout import IN_PERSON_METHODS, Checkout, CheckoutLineItem, CheckoutTender
from bookingapp.models.payment import Promotion, PromotionRedemption
from bookingapp.domain.clock import resolve_now as _now

S = BookingStatus

# A checkout is for a booking being served or just served.
CHECKOUT_STATUSES = (S.IN_PROGRESS.value, S.COMPLETED.value)
SOLD_TYPES = ("service", "addon_service", "product")
MAX_QUANTITY = 99
MAX_TIP_CENTS = 1_000_000


@dataclass(frozen=True)
class Totals:
    currency: str
    subtotal_cents: int
    discount_cents: int
    tip_cents: int
    total_cents: int
    provider_paid_cents: int   # deposit, prepayment, card balance: net of their refunds
    desk_paid_cents: int       # cash and card-present, net of desk refunds
    paid_cents: int            # net of every refund
    due_cents: int             # total - paid; negative after an over-payment: to give back
    gross_paid_cents: int = 0  # money taken, before refunds
    refunded_cents: int = 0    # every refund, by card or over the desk
    refunded_after_close_cents: int = 0  # corrections made on a closed checkout

    @property
    def total_after_refunds_cents(self) -> int:
        return self.total_cents - self.refunded_after_close_cents

    @property
    def balance_cents(self) -> int:
        """What is still owed (positive) or to give back (negative), corrections counted:
        zero on a settled receipt even after a refund."""
        return self.total_after_refunds_cents - self.paid_cents


def _cents(value, param: str, *, allow_zero: bool = True, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError("Enter an amount in whole cents.", param=param)
    if value < 0 or (value == 0 and not allow_zero):
        raise ValidationError("The amount must be above zero.", param=param)
    if maximum is not None and value > maximum:
        raise ValidationError("That amount is too large.", param=param)
    return value


def lock(session: Session, checkout: Checkout) -> Checkout:
    """Take the checkout row for this transaction and re-read it: SQLite's write lock
    (BEGIN IMMEDIATE), SELECT ... FOR UPDATE on PostgreSQL. Whoever comes second waits,
    then sees the first one's tenders and status."""
    session.flush()
    acquire_write_lock(session)
    session.expire(checkout, ["tenders", "line_items"])
    session.refresh(checkout, with_for_update=True)
    return checkout


def checkout_of(session: Session, booking: Booking) -> Checkout | None:
    return session.scalar(select(Checkout).where(Checkout.booking_id == booking.id))


def can_check_out(booking: Booking) -> bool:
    return booking.status in CHECKOUT_STATUSES


def _require_open(checkout: Checkout) -> None:
    if checkout.status != "open":
        raise ValidationError("This checkout is closed; its line items are fixed. Make a refund to correct it.",
                              param="checkout")


def _next_position(checkout: Checkout) -> int:
    return max((line.position for line in checkout.line_items), default=-1) + 1


def _add_line(checkout: Checkout, **fields) -> CheckoutLineItem:
    fields.setdefault("quantity", 1)  # column defaults only apply at flush; totals are read before
    line = CheckoutLineItem(position=_next_position(checkout), **fields)
    checkout.line_items.append(line)
    return line


def open_checkout(session: Session, booking: Booking, *, now: datetime | None = None) -> Checkout:
    """The booking's checkout, opened with its service line (the booked price) and the
    promotion it was booked with, if any. Opening twice (a double click, two desks) gives
    the same checkout: the database allows one per booking, and the loser of a race
    takes the winner's."""
    acquire_write_lock(session)
    existing = checkout_of(session, booking)
    if existing is not None:
        return existing
    if not can_check_out(booking):
        raise ValidationError(
            f"Only a booking in progress or completed can be checked out (this one is {booking.status}).",
            param="booking_id",
        )
    now = _now(now)
    checkout = Checkout(business_id=booking.business_id, booking_id=booking.id, booking=booking, status="open",
                        currency=booking.currency, created_at=now, updated_at=now)
    _add_line(checkout, type="service", name=booking.service.name, price_cents=booking.price_cents,
              service_id=booking.service_id)
    redemption = redemption_of(session, booking)
    if redemption is not None and redemption.discount_cents > 0:
        _add_line(checkout, type="discount", name=f"Promotion {redemption.promotion.code}",
                  price_cents=redemption.discount_cents, promo_code=redemption.promotion.code)
    try:
        with session.begin_nested():
            session.add(checkout)
            session.flush()
    except IntegrityError:
        # Another transaction opened it between our look and our insert (PostgreSQL runs
        # both; SQLite's lock above makes this rare). The savepoint undid only our insert.
        existing = checkout_of(session, booking)
        if existing is None:
            raise
        return existing
    return checkout


def _recompute(checkout: Checkout) -> None:
    """Percent discounts follow the subtotal; discounts together never exceed it."""
    subtotal = sum(line.amount_cents for line in checkout.line_items if line.type in SOLD_TYPES)
    for line in checkout.line_items:
        if line.type == "discount" and line.percent is not None:
            line.price_cents = (subtotal * line.percent + 50) // 100


def add_addon_service(session: Session, checkout: Checkout, service: Service) -> CheckoutLineItem:
    _require_open(checkout)
    if service.business_id != checkout.business_id or not service.is_bookable:
        raise ValidationError("Choose one of the business's current services.", param="service_id")
    line = _add_line(checkout, type="addon_service", name=service.name, price_cents=service.price_cents,
                     service_id=service.id)
    _recompute(checkout)
    session.flush()
    return line


def add_product(session: Session, checkout: Checkout, product: Product, quantity: int = 1) -> CheckoutLineItem:
    """Sell a product: its stock goes down now, in this transaction, and only if there is
    enough (one conditional UPDATE, so two desks cannot sell the last one twice)."""
    _require_open(checkout)
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
        raise ValidationError(f"Quantity must be between 1 and {MAX_QUANTITY}.", param="quantity")
    if product.business_id != checkout.business_id or not product.is_active or product.deactivated_at is not None:
        raise ValidationError("Choose one of the business's products on sale.", param="product_id")
    if product.inventory_count is not None:
        taken = session.execute(
            update(Product)
            .where(Product.id == product.id, Product.inventory_count >= quantity)
            .values(inventory_count=Product.inventory_count - quantity)
            .execution_options(synchronize_session=False)
        ).rowcount
        session.refresh(product, ["inventory_count"])
        if taken != 1:
            left = product.inventory_count or 0
            raise ValidationError(
                f"{product.name} is out of stock." if left == 0 else f"Only {left} of {product.name} left in stock.",
                param="quantity", details={"in_stock": left},
            )
    line = _add_line(checkout, type="product", name=product.name, price_cents=product.price_cents,
                     quantity=quantity, product_id=product.id)
    _recompute(checkout)
    session.flush()
    return line


def set_tip(session: Session, checkout: Checkout, tip_cents: int) -> None:
    """One tip line, replaced each time; zero removes it."""
    _require_open(checkout)
    tip_cents = _cents(tip_cents, "tip_cents", maximum=MAX_TIP_CENTS)
    for line in [line for line in checkout.line_items if line.type == "tip"]:
        checkout.line_items.remove(line)
    if tip_cents:
        _add_line(checkout, type="tip", name="Tip", price_cents=tip_cents)
    session.flush()


def add_discount(
    session: Session,
    checkout: Checkout,
    *,
    amount_cents: int | None = None,
    percent: int | None = None,
    promo_code: str | None = None,
    now: datetime | None = None,
) -> CheckoutLineItem:
    """A discount: a fixed amount, a percentage of what was sold, or a promotion code."""
    _require_open(checkout)
    given = [v is not None and v != "" for v in (amount_cents, percent, promo_code)]
    if sum(given) != 1:
        raise ValidationError("Give one of: an amount, a percentage or a promotion code.", param="discount")
    if promo_code:
        business = session.get(Business, checkout.business_id)
        applied = [line.promo_code for line in checkout.line_items if line.promo_code]
        if normalise_code(promo_code) in applied:
            raise ValidationError(f"{normalise_code(promo_code)} is already applied.", param="promo_code")
        # find_promotion refuses a code whose uses are up (max_uses), not counting this booking.
        promotion = find_promotion(session, business, promo_code, now=_now(now), booking_id=checkout.booking_id)
        if applied:
            # A booking carries one promotion (one redemption row, which is what counts its
            # use); another discount can be given as an amount or a percentage.
            raise ValidationError(f"{applied[0]} is already applied; one promotion code per booking.",
                                  param="promo_code")
        booked_with = redemption_of(session, checkout.booking)
        if booked_with is not None and booked_with.promotion_id != promotion.id:
            raise ValidationError(f"This booking was made with {booked_with.promotion.code}; one promotion code "
                                  "per booking.", param="promo_code")
        if promotion.kind == "percent":
            line = _add_line(checkout, type="discount", name=f"Promotion {promotion.code} ({promotion.percent_off}%)",
                             price_cents=0, percent=promotion.percent_off, promo_code=promotion.code)
        else:
            line = _add_line(checkout, type="discount", name=f"Promotion {promotion.code}",
                             price_cents=discount_for(promotion, _sold(checkout)), promo_code=promotion.code)
    elif percent is not None:
        if isinstance(percent, bool) or not isinstance(percent, int) or not 1 <= percent <= 100:
            raise ValidationError("A percentage discount is between 1 and 100.", param="percent")
        line = _add_line(checkout, type="discount", name=f"Discount {percent}%", price_cents=0, percent=percent)
    else:
        amount_cents = _cents(amount_cents, "amount_cents", allow_zero=False)
        line = _add_line(checkout, type="discount", name="Discount", price_cents=amount_cents)
    _recompute(checkout)
    if _discounts(checkout) > _sold(checkout):
        checkout.line_items.remove(line)
        raise ValidationError("Discounts cannot come to more than what was sold.", param="discount")
    session.flush()
    return line


def remove_line(session: Session, checkout: Checkout, line_id: uuid.UUID) -> None:
    """Take a line off an open checkout; a product's stock comes back."""
    _require_open(checkout)
    line = next((line for line in checkout.line_items if line.id == line_id), None)
    if line is None:
        raise NotFound("No such line on this checkout.", param="line_id")
    if line.type == "service":
        raise ValidationError("The booked service stays on the checkout; discount it instead.", param="line_id")
    if line.type == "product" and line.product_id is not None:
        session.execute(
            update(Product).where(Product.id == line.product_id, Product.inventory_count.is_not(None))
            .values(inventory_count=Product.inventory_count + line.quantity)
            .execution_options(synchronize_session=False)
        )
    checkout.line_items.remove(line)
    _recompute(checkout)
    if _discounts(checkout) > _sold(checkout):
        raise ValidationError("Removing this would leave discounts above what was sold; remove a discount first.",
                              param="line_id")
    session.flush()


def _money(session: Session, checkout: Checkout, cents: int) -> str:
    return format_money_for(session.get(Business, checkout.business_id), cents, checkout.currency)


def _sold(checkout: Checkout) -> int:
    return sum(line.amount_cents for line in checkout.line_items if line.type in SOLD_TYPES)


def _discounts(checkout: Checkout) -> int:
    return sum(line.amount_cents for line in checkout.line_items if line.type == "discount")


def _desk_net(checkout: Checkout) -> int:
    return sum(t.amount_cents if t.kind == "payment" else -t.amount_cents for t in checkout.tenders)


def totals(session: Session, checkout: Checkout, *, provider=None) -> Totals:
    """The checkout's sums; `provider`: the booking's payments balance (ledger.balance)
    when the caller has it already."""
    subtotal = _sold(checkout)
    discount = min(_discounts(checkout), subtotal)
    tip = sum(line.amount_cents for line in checkout.line_items if line.type == "tip")
    total = checkout.total_cents if checkout.status == "closed" else subtotal - discount + tip
    if provider is None:
        provider = payment_balance(session, checkout.booking)
    desk_paid = _desk_net(checkout)
    desk_refunded = sum(t.amount_cents for t in checkout.tenders if t.kind == "refund")
    paid = provider.net_paid_cents + desk_paid
    # Closing needs due == 0, so on a closed checkout what is paid below the total is
    # what was refunded since: a correction of the sale, not money owed.
    after_close = max(0, total - paid) if checkout.status == "closed" else 0
    return Totals(
        currency=checkout.currency, subtotal_cents=subtotal, discount_cents=discount, tip_cents=tip,
        total_cents=total, provider_paid_cents=provider.net_paid_cents, desk_paid_cents=desk_paid, paid_cents=paid,
        due_cents=total - paid, gross_paid_cents=provider.paid_cents + desk_paid + desk_refunded,
        refunded_cents=provider.refunded_cents + desk_refunded, refunded_after_close_cents=after_close,
    )


def take_in_person(
    session: Session, checkout: Checkout, method: str, amount_cents: int | None = None, *, actor: str,
    now: datetime | None = None,
) -> CheckoutTender:
    """Record cash or card-present money for the balance due (the whole balance when no
    amount is given)."""
    lock(session, checkout)
    _require_open(checkout)
    if method not in IN_PERSON_METHODS:
        raise ValidationError("Choose cash or card present.", param="method")
    due = totals(session, checkout).due_cents
    if due <= 0:
        raise ValidationError("Nothing is due on this checkout.", param="amount_cents")
    amount = due if amount_cents is None else _cents(amount_cents, "amount_cents", allow_zero=False)
    if amount > due:
        raise ValidationError(f"Only {_money(session, checkout, due)} is due.", param="amount_cents")
    tender = CheckoutTender(method=method, kind="payment", amount_cents=amount, actor=actor[:40], created_at=_now(now))
    checkout.tenders.append(tender)
    session.flush()
    return tender


def start_card_payment(
    session: Session, provider, checkout: Checkout, *, success_url: str, cancel_url: str, actor: str,
    now: datetime | None = None,
) -> online_checkout.CheckoutStart:
    """The balance due, by card on the payment provider's hosted page: a Payment of kind
    balance that confirm_checkout completes (the return page, the webhook).

    It goes the wizard's way (domain.payments.start_checkout): the booking's row is locked,
    an open page for the same amount is reused (a double click, "back" from the page), and
    any other open page of the booking is closed at the provider before a new one opens, so
    two pages can never both be paid. The checkout row is locked first, as for every money
    change here, so the amount is the due that no desk is changing meanwhile: what was sold
    (add-ons, products, tip, discounts), less the deposit and the desk's own tenders, which
    the booking's balance alone does not know.

    success_url should carry the literal {CHECKOUT_SESSION_ID} placeholder."""
    now = _now(now)
    lock(session, checkout)
    _require_open(checkout)
    due = totals(session, checkout).due_cents
    if due <= 0:
        raise ValidationError("Nothing is due on this checkout.", param="amount_cents")
    return online_checkout.start_checkout(
        session, provider, checkout.booking, success_url=success_url, cancel_url=cancel_url, now=now,
        amount_cents=due, actor=actor,
    )


def confirm_card_payment(
    session: Session, provider, checkout: Checkout, provider_session_id: str, *, actor: str,
    now: datetime | None = None,
) -> online_checkout.CheckoutOutcome:
    """The card page came back: confirm its payment as the wizard's return page and the
    webhook do (payments.confirm_checkout, whichever comes first acts), and close the
    checkout when that settles it. The checkout row is locked before the booking's, the
    order every money change of a checkout takes, so this cannot deadlock with a second
    "pay by card" click. More paid than the total (cash taken while the page was open)
    leaves the checkout open with the excess to give back."""
    now = _now(now)
    lock(session, checkout)
    outcome = online_checkout.confirm_checkout(session, provider, provider_session_id, now=now, actor=actor[:40])
    if checkout.status == "open" and totals(session, checkout).due_cents == 0:
        close_checkout(session, checkout, actor=actor, now=now)
    return outcome


def close_checkout(session: Session, checkout: Checkout, *, actor: str, now: datetime | None = None) -> Checkout:
    """Close a fully paid checkout: its lines and totals are fixed from now on. A booking
    still in progress is completed. More paid than the total (a deposit above a discounted
    total) must be given back first (give_back_excess), so the books and the receipt agree.
    A promotion code applied here counts as a use of it from now on."""
    lock(session, checkout)
    _require_open(checkout)
    now = _now(now)
    money = totals(session, checkout)
    if money.due_cents > 0:
        raise ValidationError(
            f"{_money(session, checkout, money.due_cents)} is still due.", param="checkout",
            details={"due_cents": money.due_cents},
        )
    if money.due_cents < 0:
        raise ValidationError(
            f"{_money(session, checkout, -money.due_cents)} was paid beyond the total: "
            "give it back before closing.", param="checkout", details={"excess_cents": -money.due_cents},
        )
    _count_promotion_use(session, checkout, now=now)
    if checkout.booking.status == S.IN_PROGRESS.value:
        booking_ops.complete(session, checkout.booking, now=now, actor=actor)
    checkout.status = "closed"
    checkout.total_cents = money.total_cents
    checkout.tip_cents = money.tip_cents
    checkout.closed_at = now
    checkout.closed_by = actor[:200]
    checkout.updated_at = now
    session.flush()
    audit.record(session, checkout.business_id, "checkout.closed", actor=actor, subject=checkout, now=now, details={
        "total_cents": money.total_cents, "tip_cents": money.tip_cents, "currency": checkout.currency,
        "booking_id": str(checkout.booking_id), "booking_number": checkout.booking.booking_number})
    notify.receipt(session, checkout, now=now)
    return checkout


def refund(
    session: Session, provider, checkout: Checkout, amount_cents: int, *, method: str, actor: str,
    reason: str | None = None, now: datetime | None = None,
) -> None:
    """Give money back on a closed checkout: by card through the provider (domain.payments)
    or over the desk (cash / card present), never more than was paid that way."""
    lock(session, checkout)
    if checkout.status != "closed":
        raise ValidationError("Refunds are made on a closed checkout; change the lines while it is open.",
                              param="checkout")
    amount = _cents(amount_cents, "amount_cents", allow_zero=False)
    if method == "card":
        payment_refunds.refund(session, provider, checkout.booking, amount, reason=reason, now=now, actor=actor[:40])
        return
    if method not in IN_PERSON_METHODS:
        raise ValidationError("Refund by card, cash or card present.", param="method")
    available = sum(t.amount_cents if t.kind == "payment" else -t.amount_cents
                    for t in checkout.tenders if t.method == method)
    if amount > available:
        raise ValidationError(
            f"At most {_money(session, checkout, available)} can be refunded by {method.replace('_', ' ')}.",
            param="amount_cents", details={"refundable_cents": available},
        )
    checkout.tenders.append(CheckoutTender(method=method, kind="refund", amount_cents=amount, reason=reason,
                                           actor=actor[:40], created_at=_now(now)))
    session.flush()
    _audit_desk_refund(session, checkout, amount, method, reason, actor=actor, now=now)


def _audit_desk_refund(session: Session, checkout: Checkout, amount: int, method: str, reason: str | None, *,
                       actor: str, now: datetime | None) -> None:
    """Money given back over the desk (a card refund is audited by domain.payments)."""
    audit.record(session, checkout.business_id, "payment.refunded", actor=actor, subject=checkout, now=now, details={
        "amount_cents": amount, "currency": checkout.currency, "method": method, "reason": reason,
        "booking_id": str(checkout.booking_id), "booking_number": checkout.booking.booking_number})


def give_back_excess(
    session: Session, provider, checkout: Checkout, method: str, *, actor: str, now: datetime | None = None,
) -> Checkout:
    """When more was paid than the total (a deposit above a discounted total), give the
    excess back, by refunding the card (through the provider) or over the desk, and close."""
    lock(session, checkout)
    _require_open(checkout)
    now = _now(now)
    excess = -totals(session, checkout).due_cents
    if excess <= 0:
        raise ValidationError("Nothing was paid beyond the total.", param="checkout")
    if method == "card":
        payment_refunds.refund(session, provider, checkout.booking, excess, reason="paid beyond the checkout total",
                               now=now, actor=actor[:40])
    elif method in IN_PERSON_METHODS:
        checkout.tenders.append(CheckoutTender(method=method, kind="refund", amount_cents=excess,
                                               reason="paid beyond the checkout total", actor=actor[:40],
                                               created_at=now))
        session.flush()
        _audit_desk_refund(session, checkout, excess, method, "paid beyond the checkout total", actor=actor, now=now)
    else:
        raise ValidationError("Give it back by card, cash or card present.", param="method")
    return close_checkout(session, checkout, actor=actor, now=now)


def _count_promotion_use(session: Session, checkout: Checkout, *, now: datetime) -> None:
    """A promotion code applied at the desk is a use of it, like one applied when booking:
    recorded as the booking's PromotionRedemption (what pricing.times_used counts, so the
    wizard and the API see it too), counted now. The limit is checked again under the
    promotion's row lock: two desks cannot both take its last use.

    (This lives here rather than in domain.pricing, which is the payments engineer's.)"""
    line = next((line for line in checkout.line_items if line.type == "discount" and line.promo_code), None)
    if line is None:
        return
    promotion = session.scalar(
        select(Promotion).where(Promotion.business_id == checkout.business_id, Promotion.code == line.promo_code)
        .with_for_update()
    )
    if promotion is None:
        return
    redemption = redemption_of(session, checkout.booking)
    if redemption is not None and redemption.promotion_id == promotion.id and redemption.counted_at is not None:
        return  # booked with this code: its use was counted when the booking was confirmed
    if promotion.max_uses is not None and times_used(
        session, promotion, excluding_booking_id=checkout.booking_id
    ) >= promotion.max_uses:
        raise ValidationError(f"{promotion.code} has been used up since it was applied; remove it.",
                              param="promo_code")
    # The redemption records the discount on the booking's own price (a percentage of a
    # checkout with products can be more), so the booking's price less it never goes below zero.
    on_booking = min(line.amount_cents, checkout.booking.price_cents)
    if redemption is None:
        session.add(PromotionRedemption(promotion_id=promotion.id, booking_id=checkout.booking_id,
                                        discount_cents=on_booking, created_at=now, counted_at=now))
    elif redemption.promotion_id == promotion.id:
        redemption.counted_at = now
    # A redemption of another code that was removed at the desk stays as it was: that use
    # was counted when the booking was confirmed.
    session.flush()
