"""Payments: payment rows (attempts and refunds), promotions and their redemptions, the
Stripe event ids already processed, and the sandbox provider's checkout sessions.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('promotions',
    sa.Column('business_id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('percent_off', sa.Integer(), nullable=True),
    sa.Column('amount_off_cents', sa.Integer(), nullable=True),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=True),
    sa.Column('valid_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('max_uses', sa.Integer(), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(kind = 'percent' AND percent_off BETWEEN 1 AND 100 AND amount_off_cents IS NULL) OR (kind = 'fixed' AND amount_off_cents > 0 AND percent_off IS NULL)", name=op.f('ck_promotions_amount_matches_kind')),
    sa.CheckConstraint("kind IN ('percent', 'fixed')", name=op.f('ck_promotions_kind_known')),
    sa.CheckConstraint('max_uses IS NULL OR max_uses > 0', name=op.f('ck_promotions_max_uses_positive')),
    sa.CheckConstraint('valid_until IS NULL OR valid_from IS NULL OR valid_from < valid_until', name=op.f('ck_promotions_valid_range')),
    sa.ForeignKeyConstraint(['business_id'], ['businesses.id'], name=op.f('fk_promotions_business_id_businesses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_promotions')),
    sa.UniqueConstraint('business_id', 'code', name='uq_promotions_business_code')
    )
    with op.batch_alter_table('promotions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_promotions_business_id'), ['business_id'], unique=False)

    op.create_table('payments',
    sa.Column('business_id', sa.Uuid(), nullable=False),
    sa.Column('booking_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('provider_session_id', sa.String(length=255), nullable=True),
    sa.Column('provider_payment_intent_id', sa.String(length=255), nullable=True),
    sa.Column('provider_refund_id', sa.String(length=255), nullable=True),
    sa.Column('checkout_url', sa.Text(), nullable=True),
    sa.Column('checkout_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('refund_of_id', sa.Uuid(), nullable=True),
    sa.Column('failure_reason', sa.Text(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('actor', sa.String(length=40), nullable=False),
    sa.Column('succeeded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(kind = 'refund') = (refund_of_id IS NOT NULL)", name=op.f('ck_payments_refund_has_parent')),
    sa.CheckConstraint("kind IN ('deposit', 'prepayment', 'balance', 'refund')", name=op.f('ck_payments_kind_known')),
    sa.CheckConstraint("provider IN ('stripe', 'sandbox')", name=op.f('ck_payments_provider_known')),
    sa.CheckConstraint("status IN ('created', 'pending', 'succeeded', 'failed', 'refunded', 'partially_refunded')", name=op.f('ck_payments_status_known')),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_payments_amount_positive')),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_payments_booking_id_bookings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['business_id'], ['businesses.id'], name=op.f('fk_payments_business_id_businesses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['refund_of_id'], ['payments.id'], name=op.f('fk_payments_refund_of_id_payments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments')),
    sa.UniqueConstraint('provider_refund_id', name=op.f('uq_payments_provider_refund_id')),
    sa.UniqueConstraint('provider_session_id', name=op.f('uq_payments_provider_session_id'))
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index('ix_payments_booking', ['booking_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_payments_business_id'), ['business_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payments_provider_payment_intent_id'), ['provider_payment_intent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payments_refund_of_id'), ['refund_of_id'], unique=False)

    op.create_table('promotion_redemptions',
    sa.Column('promotion_id', sa.Uuid(), nullable=False),
    sa.Column('booking_id', sa.Uuid(), nullable=False),
    sa.Column('discount_cents', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('counted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_promotion_redemptions_booking_id_bookings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['promotion_id'], ['promotions.id'], name=op.f('fk_promotion_redemptions_promotion_id_promotions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_promotion_redemptions')),
    sa.UniqueConstraint('booking_id', name=op.f('uq_promotion_redemptions_booking_id'))
    )
    with op.batch_alter_table('promotion_redemptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_promotion_redemptions_promotion_id'), ['promotion_id'], unique=False)

    op.create_table('stripe_events',
    sa.Column('id', sa.String(length=255), nullable=False),
    sa.Column('type', sa.String(length=100), nullable=False),
    sa.Column('object_id', sa.String(length=255), nullable=True),
    sa.Column('outcome', sa.String(length=40), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stripe_events'))
    )

    op.create_table('sandbox_checkout_sessions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('payment_intent_id', sa.String(length=64), nullable=False),
    sa.Column('charge_id', sa.String(length=64), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('payment_status', sa.String(length=20), nullable=False),
    sa.Column('intent_status', sa.String(length=40), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('amount_refunded_cents', sa.Integer(), nullable=False),
    sa.Column('success_url', sa.Text(), nullable=False),
    sa.Column('cancel_url', sa.Text(), nullable=False),
    sa.Column('metadata', sa.JSON(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("payment_status IN ('unpaid', 'paid')", name=op.f('ck_sandbox_checkout_sessions_payment_status_known')),
    sa.CheckConstraint("status IN ('open', 'complete', 'expired')", name=op.f('ck_sandbox_checkout_sessions_status_known')),
    sa.CheckConstraint('amount_refunded_cents >= 0 AND amount_refunded_cents <= amount_cents', name=op.f('ck_sandbox_checkout_sessions_refund_within_amount')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sandbox_checkout_sessions')),
    sa.UniqueConstraint('charge_id', name=op.f('uq_sandbox_checkout_sessions_charge_id')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_sandbox_checkout_sessions_idempotency_key')),
    sa.UniqueConstraint('payment_intent_id', name=op.f('uq_sandbox_checkout_sessions_payment_intent_id'))
    )


def downgrade():
    op.drop_table('sandbox_checkout_sessions')
    op.drop_table('stripe_events')
    with op.batch_alter_table('promotion_redemptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_promotion_redemptions_promotion_id'))
    op.drop_table('promotion_redemptions')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payments_refund_of_id'))
        batch_op.drop_index(batch_op.f('ix_payments_provider_payment_intent_id'))
        batch_op.drop_index(batch_op.f('ix_payments_business_id'))
        batch_op.drop_index('ix_payments_booking')
    op.drop_table('payments')
    with op.batch_alter_table('promotions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_promotions_business_id'))
    op.drop_table('promotions')
