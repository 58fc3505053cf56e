"""All models, imported here so that Alembic and the app see the complete metadata."""
from bookingapp.models.base import Base
from bookingapp.models.api import ApiKey, IdempotencyRecord, WebhookDelivery, WebhookEndpoint
from bookingapp.models.account import Account, SignInAttempt, account_locations
from bookingapp.models.audit import AuditEvent, DataRequest
from bookingapp.models.booking import BOOKING_SOURCES, Booking, BookingEvent
from bookingapp.models.checkout import Checkout, CheckoutLineItem
from bookingapp.models.business import Business, BusinessHours
from bookingapp.models.catalog import Product, Service, ServiceCategory
from bookingapp.models.customer import Customer
from bookingapp.models.location import Location, LocationHours, service_locations, staff_locations
from bookingapp.models.custom_field import CUSTOM_FIELD_TYPES, CustomFieldDefinition
from bookingapp.models.message import MESSAGE_STATUSES, Message
from bookingapp.models.outbox import OutboxEvent
from bookingapp.models.payment import Payment, Promotion, PromotionRedemption, SandboxCheckoutSession, StripeEvent
from bookingapp.models.review import Review
from bookingapp.models.staff import STAFF_ROLES, Staff, StaffHours, TimeOff, staff_services

__all__ = [
    "BOOKING_SOURCES", "STAFF_ROLES", "Base", "Booking", "BookingEvent", "Business", "BusinessHours",
    "Customer", "OutboxEvent", "Product", "Review", "Service", "ServiceCategory", "Staff", "StaffHours", "TimeOff",
    "staff_services",
    "ApiKey", "IdempotencyRecord", "WebhookDelivery", "WebhookEndpoint",
    "Payment", "Promotion", "PromotionRedemption", "SandboxCheckoutSession", "StripeEvent",
    "AuditEvent", "DataRequest",
    "Location", "LocationHours", "service_locations", "staff_locations", "account_locations",
    "CUSTOM_FIELD_TYPES", "CustomFieldDefinition", "MESSAGE_STATUSES", "Message",
]
