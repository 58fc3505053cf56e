"""Prices: a service's price, a promotion code's discount, and what is due up front.

The booking keeps its own snapshot of price and deposit (bookingapp.domain.booking);
a promotion applied to it is a PromotionRedemption row carrying the discount, so the
snapshot is never rewritten and the discount stays visible. What is paid and owed comes
from the payment rows (bookingapp.domain.payments.ledger).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bookingapp.domain.errors import ValidationError
from bookingapp.domain.messages import N_
from bookingapp.domain.service_terms import ServiceTerms, terms_at
from bookingapp.models import Booking, Business, Location, Service
from bookingapp.models.payment import Promotion, PromotionRedemption
from bookingapp.domain.clock import resolve_now as _now

PROMO_PARAM = "promo_code"


@dataclass(frozen=True)
class Quote:
    """What a booking costs. due_now_cents is what the customer pays before the booking
    is made (0 when the business takes no payment online)."""

    price_cents: int
    discount_cents: int
    total_cents: int
    deposit_cents: int
    due_now_cents: int
    currency: str
    promotion: Promotion | None = None

    @property
    def payment_kind(self) -> str | None:
        """'prepayment' when the whole total is due now, 'deposit' for part of it, None for nothing."""
        if self.due_now_cents <= 0:
            return None
        return "prepayment" if self.due_now_cents >= self.total_cents else "deposit"


def normalise_code(code: str | None) -> str:
    return (code or "").strip().upper()


def due_up_front(business: Business, total_cents: int, deposit_cents: int) -> int:
    """The amount asked before booking, per the business's deposit policy:
    'service_deposit' -> the deposit (never more than the total), 'full_prepayment' -> the
    total, 'none' -> nothing."""
    if business.deposit_policy == "none":
        return 0
    if business.deposit_policy == "full_prepayment":
        return total_cents
    return min(deposit_cents, total_cents)


def discount_for(promotion: Promotion, price_cents: int) -> int:
    """The discount on a price: a percentage (rounded half up to the cent) or a fixed
    amount, never more than the price."""
    if promotion.kind == "percent":
        discount = (price_cents * promotion.percent_off + 50) // 100
    else:
        discount = promotion.amount_off_cents or 0
    return max(0, min(discount, price_cents))


def times_used(session: Session, promotion: Promotion, *, excluding_booking_id=None) -> int:
    """Uses that count: bookings that were paid or confirmed with the code."""
    query = select(func.count(PromotionRedemption.id)).where(
        PromotionRedemption.promotion_id == promotion.id, PromotionRedemption.counted_at.is_not(None)
    )
    if excluding_booking_id is not None:
        query = query.where(PromotionRedemption.booking_id != excluding_booking_id)
    return session.scalar(query) or 0


def find_promotion(
    session: Session, business: Business, code: str, *, now: datetime | None = None, booking_id=None
) -> Promotion:
    """The usable promotion for a code typed by a customer, or ValidationError(param=
    'promo_code') saying exactly why not (unknown, not yet valid, expired, used up)."""
    now = _now(now)
    normalised = normalise_code(code)
    if not normalised:
        raise ValidationError(N_("Enter a promotion code."), param=PROMO_PARAM)
    promotion = session.scalar(
        select(Promotion).where(Promotion.business_id == business.id, Promotion.code == normalised)
    )
    if promotion is None or not promotion.is_active:
        raise ValidationError(N_("%(code)s is not a valid promotion code."), params={"code": normalised}, param=PROMO_PARAM)
    if promotion.valid_from is not None and now < promotion.valid_from:
        raise ValidationError(N_("%(code)s is not valid yet."), params={"code": normalised}, param=PROMO_PARAM)
    if promotion.valid_until is not None and now >= promotion.valid_until:
        raise ValidationError(N_("%(code)s has expired."), params={"code": normalised}, param=PROMO_PARAM)
    if promotion.max_uses is not None and times_used(session, promotion, excluding_booking_id=booking_id) >= promotion.max_uses:
        raise ValidationError(N_("%(code)s has been used up."), params={"code": normalised}, param=PROMO_PARAM)
    return promotion


def _quote(business: Business, price: int, deposit: int, currency: str, promotion: Promotion | None, discount: int | None = None) -> Quote:
    if discount is None:
        discount = discount_for(promotion, price) if promotion else 0
    total = price - discount
    deposit = min(deposit, total)
    return Quote(
        price_cents=price,
        discount_cents=discount,
        total_cents=total,
        deposit_cents=deposit,
        due_now_cents=due_up_front(business, total, deposit),
        currency=currency,
        promotion=promotion,
    )


def quote(
    session: Session,
    business: Business,
    service: Service,
    promo_code: str | None = None,
    *,
    now: datetime | None = None,
    location: Location | None = None,
    terms: ServiceTerms | None = None,
) -> Quote:
    """The price of a service for this business at `location` (its terms there:
    domain.service_terms; None: the primary), with a promotion code if one is given (a
    blank code means none). Raises ValidationError(param='promo_code') on a bad code.
    `terms`: the service's terms at that location when the caller has read them already."""
    promotion = None
    if normalise_code(promo_code):
        promotion = find_promotion(session, business, promo_code, now=now)
    if terms is None:
        terms = terms_at(session, service, location)
    return _quote(business, terms.price_cents, terms.deposit_cents, service.currency, promotion)


def redemption_of(session: Session, booking: Booking) -> PromotionRedemption | None:
    return session.scalar(select(PromotionRedemption).where(PromotionRedemption.booking_id == booking.id))


# "Not read yet" for an argument whose None means "read, and there is none".
UNREAD: Any = object()


def quote_booking(session: Session, booking: Booking, business: Business, *, redemption: Any = UNREAD) -> Quote:
    """What a placed booking costs: its price and deposit snapshot less the discount of
    the promotion applied to it (as recorded when it was applied). `redemption`: the
    booking's PromotionRedemption (or None) when the caller has already read it."""
    if redemption is UNREAD:
        redemption = redemption_of(session, booking)
    return _quote(
        business, booking.price_cents, booking.deposit_cents, booking.currency,
        redemption.promotion if redemption else None,
        discount=redemption.discount_cents if redemption else 0,
    )


def apply_promotion(
    session: Session, booking: Booking, business: Business, promo_code: str | None, *, now: datetime | None = None
) -> Quote:
    """Apply (or, with a blank code, remove) a promotion code on a booking; returns the
    new quote. ValidationError(param='promo_code') on a bad code, in which case the booking
    keeps what it had.

    This only prices: it is for a booking being placed (domain.booking.book). A booking
    that may have payments changes its code through
    domain.payments.online_checkout.change_promotion, which first closes an open payment
    page and refuses once money has been taken."""
    now = _now(now)
    if booking.business_id != business.id:
        raise ValidationError("Booking does not belong to this business.", param="booking_id")
    existing = redemption_of(session, booking)
    if not normalise_code(promo_code):
        if existing is not None:
            session.delete(existing)
            session.flush()
        return quote_booking(session, booking, business)
    promotion = find_promotion(session, business, promo_code, now=now, booking_id=booking.id)
    discount = discount_for(promotion, booking.price_cents)
    if existing is None:
        existing = PromotionRedemption(booking_id=booking.id, promotion_id=promotion.id, created_at=now, discount_cents=discount)
        session.add(existing)
    else:
        existing.promotion_id = promotion.id
        existing.promotion = promotion
        existing.discount_cents = discount
    session.flush()
    return quote_booking(session, booking, business)


def count_promotion_use(session: Session, booking: Booking, *, now: datetime | None = None) -> None:
    """Count the booking's promotion towards its use limit (once), when the booking is
    paid or confirmed. The promotion row is locked so two bookings counting at once are
    counted one after the other. A customer who saw and paid the discounted price keeps
    it even if the last use went to someone else meanwhile."""
    redemption = redemption_of(session, booking)
    if redemption is None or redemption.counted_at is not None:
        return
    session.scalar(select(Promotion.id).where(Promotion.id == redemption.promotion_id).with_for_update())
    redemption.counted_at = _now(now)
    session.flush()
