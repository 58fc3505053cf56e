"""Stripe Checkout through the official `stripe` package.

Every create call carries an idempotency key derived from our own row id, so a retried
request (ours or the library's) never creates a second session or refund. Everything is
read back by id; nothing from a browser or an event body is trusted.
"""
from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import stripe

from bookingapp.payments.base import (
    Charge, CheckoutSession, PaymentIntent, ProviderRejected, ProviderUnavailable, Refund,
)


def _plain(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if hasattr(value, "to_dict"):
        value = value.to_dict()
    return {str(k): str(v) for k, v in dict(value).items()}


def _id_of(value: Any) -> str | None:
    """An id field that may come back expanded (an object) or as a plain id."""
    if value is None or isinstance(value, str):
        return value
    return getattr(value, "id", None)


def _to_session(obj: Any) -> CheckoutSession:
    return CheckoutSession(
        id=obj.id,
        url=getattr(obj, "url", None),
        status=getattr(obj, "status", None) or "open",
        payment_status=getattr(obj, "payment_status", None) or "unpaid",
        amount_total=getattr(obj, "amount_total", None) or 0,
        currency=(getattr(obj, "currency", None) or "").lower(),
        payment_intent_id=_id_of(getattr(obj, "payment_intent", None)),
        metadata=_plain(getattr(obj, "metadata", None)),
    )


class StripeProvider:
    name = "stripe"

    def __init__(self, secret_key: str, *, api_base: str | None = None, max_network_retries: int = 2):
        options: dict[str, Any] = {"http_client": stripe.RequestsClient(), "max_network_retries": max_network_retries}
        if api_base:
            options["base_addresses"] = {"api": api_base.rstrip("/")}
        self.client = stripe.StripeClient(secret_key, **options)

    def _call(self, fn, *args, **kwargs):
        """Run one API call, sorting Stripe's errors into "try again later" (network,
        rate limit, Stripe's own 5xx, our key refused) and "the request itself is wrong"."""
        try:
            return fn(*args, **kwargs)
        except (stripe.APIConnectionError, stripe.RateLimitError, stripe.AuthenticationError,
                stripe.PermissionError) as error:
            raise ProviderUnavailable(str(error)) from error
        except stripe.InvalidRequestError as error:
            raise ProviderRejected(error.user_message or str(error)) from error
        except stripe.StripeError as error:
            if (error.http_status or 500) >= 500:
                raise ProviderUnavailable(str(error)) from error
            raise ProviderRejected(error.user_message or str(error)) from error

    def create_checkout_session(
        self,
        *,
        amount_cents: int,
        currency: str,
        description: str,
        metadata: dict[str, str],
        success_url: str,
        cancel_url: str,
        expires_at: datetime,
        idempotency_key: str,
        customer_email: str | None = None,
    ) -> CheckoutSession:
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": [{
                "quantity": 1,
                "price_data": {
                    "currency": currency.lower(),
                    "unit_amount": amount_cents,
                    "product_data": {"name": description},
                },
            }],
            "metadata": metadata,
            # The same ids on the payment intent, so payment_intent.* events find the booking.
            "payment_intent_data": {"metadata": metadata, "description": description},
            "client_reference_id": metadata.get("booking_id"),
            "success_url": success_url,
            "cancel_url": cancel_url,
            # Rounded up, never down: a floored second could land under Stripe's minimum.
            "expires_at": math.ceil(expires_at.timestamp()),
        }
        if customer_email:
            params["customer_email"] = customer_email
        created = self._call(
            self.client.v1.checkout.sessions.create, params=params, options={"idempotency_key": idempotency_key}
        )
        return _to_session(created)

    def retrieve_checkout_session(self, session_id: str) -> CheckoutSession:
        return _to_session(self._call(self.client.v1.checkout.sessions.retrieve, session_id))

    def expire_checkout_session(self, session_id: str) -> CheckoutSession:
        return _to_session(self._call(self.client.v1.checkout.sessions.expire, session_id))

    def retrieve_payment_intent(self, payment_intent_id: str) -> PaymentIntent:
        intent = self._call(self.client.v1.payment_intents.retrieve, payment_intent_id)
        error = getattr(intent, "last_payment_error", None)
        return PaymentIntent(
            id=intent.id,
            status=getattr(intent, "status", None) or "",
            amount=getattr(intent, "amount", None) or 0,
            currency=(getattr(intent, "currency", None) or "").lower(),
            metadata=_plain(getattr(intent, "metadata", None)),
            failure_message=getattr(error, "message", None) if error else None,
        )

    def retrieve_charge(self, charge_id: str) -> Charge:
        charge = self._call(self.client.v1.charges.retrieve, charge_id)
        return Charge(
            id=charge.id,
            payment_intent_id=_id_of(getattr(charge, "payment_intent", None)),
            amount=getattr(charge, "amount", None) or 0,
            amount_refunded=getattr(charge, "amount_refunded", None) or 0,
            currency=(getattr(charge, "currency", None) or "").lower(),
        )

    def create_refund(
        self, *, payment_intent_id: str, amount_cents: int, metadata: dict[str, str], idempotency_key: str
    ) -> Refund:
        refund = self._call(
            self.client.v1.refunds.create,
            params={"payment_intent": payment_intent_id, "amount": amount_cents, "metadata": metadata},
            options={"idempotency_key": idempotency_key},
        )
        return Refund(id=refund.id, status=getattr(refund, "status", None) or "pending", amount=refund.amount)


def verify_signature(payload: bytes, signature_header: str | None, secret: str, *, tolerance: int = 300) -> None:
    """Check a webhook's Stripe-Signature against the secret, before the body is read as
    an event (provider_events.read_event does that, refusing what can never be used).
    Raises stripe.SignatureVerificationError (bad, stale or missing signature) or
    ValueError (a body that is not UTF-8: no signature can be checked over it)."""
    stripe.WebhookSignature.verify_header(payload, signature_header, secret, tolerance=tolerance)
