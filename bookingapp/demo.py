"""The demo business: a small hair and beauty salon with a realistic past and future.

Every booking goes through the same domain functions as the real front doors (with the
clock set back for the past ones), so the demo data obeys the same rules as live data.
"""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bookingapp.domain import booking as booking_ops
from bookingapp.domain import locations
from bookingapp.domain.availability import find_availability
from bookingapp.domain.customers import find_or_create_customer
from bookingapp.domain.errors import SlotUnavailable
from bookingapp.domain.payments.online_checkout import confirm_checkout, start_checkout
from bookingapp.domain.reviews import public_name
from bookingapp.domain.clock import resolve_now
from bookingapp.models import (
    Business, BusinessHours, Message, Product, Review, Service, ServiceCategory, Staff, StaffHours, TimeOff,
)
from bookingapp.payments.sandbox import SUCCESS_CARD, SandboxProvider, try_card

DEMO_SLUG = "juniper-hair-studio"
DEMO_TZ = "Europe/London"
# The demo's first dashboard account (Amara, the owner); scripts/run prints it.
DEMO_OWNER_EMAIL = "amara@juniper-studio.example"
DEMO_OWNER_PASSWORD = "juniper-demo-owner"

# (category, name, minutes, buffer before, buffer after, price, deposit, description)
SERVICES = [
    ("Hair", "Women's Cut & Finish", 60, 0, 10, 5500, 1500, "Consultation, wash, precision cut and blow-dry finish."),
    ("Hair", "Men's Cut", 30, 0, 5, 2800, 0, "Scissor or clipper cut, wash and style."),
    ("Hair", "Blow-dry", 45, 0, 5, 3200, 0, "Wash and a long-lasting blow-dry, straight or curls."),
    ("Hair", "Full Head Colour", 120, 10, 15, 9500, 3000, "Permanent colour root to tip, with gloss."),
    ("Hair", "Balayage", 150, 10, 15, 14500, 4000, "Hand-painted highlights with toner and finish."),
    ("Nails", "Classic Manicure", 30, 0, 10, 2500, 0, "Shape, cuticle care and polish."),
    ("Nails", "Gel Manicure", 45, 0, 10, 3500, 1000, "Long-wear gel polish, cured under LED."),
    ("Nails", "Luxury Pedicure", 50, 0, 10, 4200, 1000, "Soak, scrub, massage and polish."),
    ("Skin & Brows", "Signature Facial", 60, 5, 10, 6500, 2000, "Cleanse, exfoliate, extract and mask, tailored to your skin."),
    ("Skin & Brows", "Brow Shape & Tint", 20, 0, 5, 1800, 0, "Wax, thread and tint for defined brows."),
    ("Skin & Brows", "Lash Lift", 45, 0, 10, 4500, 1000, "Lift and tint for six weeks of curl."),
    ("Massage", "Back, Neck & Shoulder Massage", 30, 0, 10, 3800, 0, "Deep-tissue work where tension lives."),
]

# (name, role, bio, categories performed, weekly hours at the main salon or None for its hours)
STAFF = [
    ("Amara Okafor", "owner", "Founder and colour specialist with fifteen years behind the chair.", {"Hair"}, None),
    ("Ben Hollis", "staff", "Precision cutter; men's grooming and short styles.", {"Hair"},
     {1: [(time(9), time(17))], 2: [(time(9), time(17))], 4: [(time(9), time(17))]}),
    ("Chloe Martin", "staff", "Nail artist and brow expert.", {"Nails", "Skin & Brows"},
     {**{d: [(time(9), time(13)), (time(14), time(18))] for d in (0, 1, 2)}, 5: [(time(9), time(13))]}),
    ("Dev Patel", "staff", "Skin therapist and massage therapist.", {"Skin & Brows", "Massage"},
     {d: [(time(10), time(18))] for d in (2, 3, 4, 5)}),
    ("Erin Walsh", "front_desk", "Keeps the day running and the coffee hot.", set(), None),
]

# Monday 0 .. Sunday 6; Sunday closed.
OPENING_HOURS = {
    0: [(time(10), time(18))],
    1: [(time(9), time(18))],
    2: [(time(9), time(18))],
    3: [(time(9), time(20))],
    4: [(time(9), time(18))],
    5: [(time(9), time(17))],
}

# The second branch, with its own hours (Tuesday to Saturday, and Sunday afternoons).
CANAL_SIDE = {
    "name": "Juniper Canal Side", "slug": "canal-side", "phone": "+442079460001",
    "address": {"street": "3 Wharf Road", "city": "London", "zip": "N1 7GR", "country": "GB"},
}
CANAL_SIDE_HOURS = {**{d: [(time(10), time(19))] for d in (1, 2, 3, 4, 5)}, 6: [(time(11), time(16))]}
# Ben and Chloe work at both: their hours at the main salon are in STAFF, these at Canal Side.
# On Saturdays Chloe does mornings at the main salon and afternoons at Canal Side.
CANAL_SIDE_STAFF_HOURS = {
    "Ben Hollis": {3: [(time(11), time(19))], 5: [(time(10), time(17))]},
    "Chloe Martin": {4: [(time(10), time(14)), (time(15), time(19))], 5: [(time(14), time(18))]},
}
# The colour bar is at the main salon only.
MAIN_SALON_ONLY = ("Full Head Colour", "Balayage")

PRODUCTS = [
    ("Hydrating Leave-In Conditioner", "Hair Care", 2400, "HC-LIC-001", 42),
    ("Repair Shampoo 250ml", "Hair Care", 1800, "HC-SH-250", 30),
    ("Heat Protect Spray", "Hair Care", 1600, "HC-HPS-01", 25),
    ("Cuticle Oil", "Nail Care", 900, "NC-CO-01", 60),
    ("SPF 50 Day Cream", "Skincare", 3200, "SK-SPF-50", 12),
    ("Gift Card", "Gifts", 5000, "GC-50", None),
]

CUSTOMERS = [
    ("Olivia Thompson", "olivia.thompson@example.com", "07911 123001"),
    ("Maya Chen", "maya.chen@example.com", "07911 123002"),
    ("Sam Reilly", "sam.reilly@example.com", None),
    ("Priya Shah", "priya.shah@example.com", "07911 123004"),
    ("Tom Baker", "tom.baker@example.com", "07911 123005"),
    ("Hannah Novak", "hannah.novak@example.com", None),
    ("Luca Romano", "luca.romano@example.com", "07911 123007"),
    ("Grace Adeyemi", "grace.adeyemi@example.com", "07911 123008"),
    ("Jack Murphy", "jack.murphy@example.com", None),
    ("Zara Ahmed", "zara.ahmed@example.com", "07911 123010"),
    ("Ella Fischer", "ella.fischer@example.com", "07911 123011"),
    ("Noah Kim", "noah.kim@example.com", None),
]

REVIEW_COMMENTS = {
    5: ["Absolutely loved it, will be back!", "Best cut I've had in years.", "So relaxing, thank you."],
    4: ["Great result, only a short wait.", "Lovely team, very happy."],
    3: ["Good but ran a little late."],
    2: ["Not quite what I asked for."],
}


def load_demo(session: Session, *, now: datetime | None = None, seed: int = 7) -> Business:
    """Create the demo business with staff, services, hours, time off, products, customers,
    past bookings (completed, no-shows, cancellations, reviews) and future bookings."""
    now = resolve_now(now)
    rng = random.Random(seed)
    tz = ZoneInfo(DEMO_TZ)

    business = Business(
        name="Juniper Hair & Beauty Studio",
        slug=DEMO_SLUG,
        description="A bright neighbourhood salon for hair, nails, skin and massage.",
        timezone=DEMO_TZ,
        currency="GBP",
        email="hello@juniper-studio.example",
        phone="+442079460000",
        website="https://juniper-studio.example",
        address_street="14 Elm Row",
        address_city="London",
        address_zip="N1 7AA",
        address_country="GB",
        slot_interval_minutes=15,
        min_notice_minutes=60,
        max_advance_days=60,
        hold_seconds=600,
        auto_confirm=True,
        deposit_policy="service_deposit",
        free_cancellation_hours=24,
        assignment_policy="balanced",
        # Reminders switched on: an email the day before, a text message two hours before.
        reminder_cadence=[{"hours_before": 24, "email": True, "sms": False},
                          {"hours_before": 2, "email": False, "sms": True}],
    )
    for weekday, windows in OPENING_HOURS.items():
        for opens, closes in windows:
            business.hours.append(BusinessHours(weekday=weekday, opens_at=opens, closes_at=closes))
    session.add(business)
    session.flush()

    categories: dict[str, ServiceCategory] = {}
    services: list[Service] = []
    for order, (category, name, minutes, before, after, price, deposit, description) in enumerate(SERVICES):
        if category not in categories:
            categories[category] = ServiceCategory(business_id=business.id, name=category, sort_order=len(categories))
            session.add(categories[category])
            session.flush()
        service = Service(
            business_id=business.id, category_id=categories[category].id, name=name, description=description,
            duration_minutes=minutes, buffer_before_minutes=before, buffer_after_minutes=after,
            price_cents=price, deposit_cents=deposit, currency="GBP", sort_order=order,
        )
        services.append(service)
        session.add(service)

    staff_members: list[Staff] = []
    for order, (name, role, bio, performs, weekly) in enumerate(STAFF):
        first = name.split()[0].lower()
        member = Staff(
            business_id=business.id, name=name, role=role, bio=bio, sort_order=order,
            email=f"{first}@juniper-studio.example",
            daily_agenda=order == 0,  # the owner reads her day's agenda each morning
            services=[s for s in services if categories_name(s, categories) in performs],
        )
        for weekday, windows in (weekly or {}).items():
            for starts, ends in windows:
                member.hours.append(StaffHours(weekday=weekday, starts_at=starts, ends_at=ends))
        session.add(member)
        staff_members.append(member)

    main = locations.primary_location(session, business)
    shared = [member for member in staff_members if member.name in CANAL_SIDE_STAFF_HOURS]
    canal = locations.create_location(session, business, CANAL_SIDE, hours=CANAL_SIDE_HOURS, staff=shared, now=now)
    for member in shared:
        locations.set_staff_hours_at(session, business, member, canal, CANAL_SIDE_STAFF_HOURS[member.name], now=now)
    for service in services:
        if service.name in MAIN_SALON_ONLY:
            locations.set_service_locations(session, business, service, [main], now=now)

    for order, (name, category, price, sku, stock) in enumerate(PRODUCTS):
        session.add(Product(
            business_id=business.id, name=name, category=category, price_cents=price, sku=sku,
            inventory_count=stock, sort_order=order,
        ))
    session.flush()

    today = now.astimezone(tz).date()
    # Ben is away for three days next week; the salon closes on a bank holiday ten days out.
    ben = staff_members[1]
    away = today + timedelta(days=8 - today.weekday())
    session.add(TimeOff(
        business_id=business.id, staff_id=ben.id, reason="Holiday",
        starts_at=_local(away, time(0), tz), ends_at=_local(away + timedelta(days=3), time(0), tz),
    ))
    closure = today + timedelta(days=10)
    session.add(TimeOff(
        business_id=business.id, staff_id=None, reason="Bank holiday",
        starts_at=_local(closure, time(0), tz), ends_at=_local(closure + timedelta(days=1), time(0), tz),
    ))
    # Chloe's dentist appointment tomorrow afternoon.
    chloe = staff_members[2]
    session.add(TimeOff(
        business_id=business.id, staff_id=chloe.id, reason="Dentist",
        starts_at=_local(today + timedelta(days=1), time(15), tz), ends_at=_local(today + timedelta(days=1), time(16, 30), tz),
    ))
    session.flush()

    customers = [
        find_or_create_customer(session, business, email=email, name=name, phone=phone)
        for name, email, phone in CUSTOMERS
    ]
    session.flush()

    _book_range(session, business, services, customers, rng, today - timedelta(days=30), today - timedelta(days=1), past=True)
    _book_range(session, business, services, customers, rng, today, today + timedelta(days=14), past=False, now=now)
    # Canal Side's own diary, drawn from a random stream of its own so the main salon's stays as it was.
    canal_rng = random.Random(seed + 1)
    canal_services = [service for service in services if service.name not in MAIN_SALON_ONLY]
    _book_range(session, business, canal_services, customers, canal_rng, today - timedelta(days=30),
                today - timedelta(days=1), past=True, location=canal)
    _book_range(session, business, canal_services, customers, canal_rng, today, today + timedelta(days=14),
                past=False, now=now, location=canal)
    session.flush()
    # The past weeks' messages read as the history they would be (recorded when they were
    # due; no provider is configured for the demo); those of bookings made today wait for
    # the worker, which writes them where ./scripts/run says.
    session.execute(
        update(Message).where(Message.business_id == business.id, Message.due_at < now)
        .values(status="recorded", sent_at=Message.due_at, attempts=1)
    )
    from bookingapp.auth.accounts import create_owner

    create_owner(session, DEMO_SLUG, DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD)
    return business


def categories_name(service: Service, categories: dict[str, ServiceCategory]) -> str:
    return next(name for name, category in categories.items() if category.id == service.category_id)


def _local(day: date, at: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=tz).astimezone(timezone.utc)


def _book_range(session, business, services, customers, rng, first: date, last: date, *, past: bool, now=None,
                location=None) -> None:
    tz = ZoneInfo(business.timezone)
    day = first
    while day <= last:
        # Pretend the bookings were made a few days ahead, so notice rules hold.
        booked_at = now if not past else _local(day, time(8), tz) - timedelta(days=3)
        for _ in range(rng.randint(4, 9)):
            service = rng.choice(services)
            availability = find_availability(session, business, service, day, now=booked_at, location=location)
            if not availability.slots:
                continue
            slot = rng.choice(availability.slots)
            customer = rng.choice(customers)
            source = rng.choice(["web", "web", "dashboard", "api"])
            try:
                if not past and service.deposit_cents:
                    _book_with_paid_deposit(session, business, service, slot.start, customer, now=booked_at, source=source,
                                            location=location)
                    continue
                booking = booking_ops.create_booking(
                    session, business, service, slot.start, customer, now=booked_at, source=source, actor="demo",
                    location=location,
                )
            except SlotUnavailable:
                continue
            if past:
                _play_out(session, business, booking, customer, rng)
        day += timedelta(days=1)


def _book_with_paid_deposit(session, business, service, start, customer, *, now: datetime, source: str,
                            location=None):
    """A future booking whose deposit (service_deposit policy) the customer paid online:
    held, paid with the test card on the sandbox's hosted page, and booked by that
    payment, as the booking wizard does it. The payment is a real sandbox payment (the
    sandbox knows its session and intent), so cancelling the booking refunds it on every
    door; checkout shows it credited."""
    provider = SandboxProvider(session, now=lambda: now)
    held = booking_ops.hold(session, business, service, start, customer=customer, now=now, source=source, actor="demo",
                            location=location)
    page = start_checkout(
        session, provider, held, now=now,
        success_url=f"/{business.slug}/booking/return?session_id={{CHECKOUT_SESSION_ID}}",
        cancel_url=f"/{business.slug}",
    )
    try_card(provider, page.payment.provider_session_id, SUCCESS_CARD)
    outcome = confirm_checkout(session, provider, page.payment.provider_session_id, now=now)
    assert outcome.result == "booked", outcome.message  # the demo's own data: a failure here is a bug
    return outcome.booking


def _play_out(session, business, booking, customer, rng) -> None:
    """Move a past booking to where it would be today, and sometimes leave a review."""
    fate = rng.random()
    if fate < 0.08:
        booking_ops.cancel(session, booking, reason="Customer could not make it", now=booking.starts_at - timedelta(days=1), actor="customer")
        return
    if fate < 0.14:
        booking_ops.no_show(session, booking, now=booking.ends_at, actor="staff")
        return
    booking_ops.start(session, booking, now=booking.starts_at, actor="staff")
    booking_ops.complete(session, booking, now=booking.ends_at, actor="staff")
    if rng.random() < 0.45:
        rating = rng.choices([5, 4, 3, 2], weights=[60, 25, 10, 5])[0]
        review = Review(
            business_id=business.id, booking_id=booking.id, rating=rating,
            comment=rng.choice(REVIEW_COMMENTS[rating]), would_recommend=rating >= 4,
            customer_name=public_name(customer.name), created_at=booking.ends_at + timedelta(hours=3),
        )
        if rating <= 3 or rng.random() < 0.3:
            review.business_reply = "Thank you for the feedback, we'd love to see you again."
            review.business_reply_at = review.created_at + timedelta(hours=20)
        session.add(review)


def demo_exists(session: Session) -> bool:
    return session.scalar(select(Business.id).where(Business.slug == DEMO_SLUG)) is not None
