"""Notifications: the messages table (emails and text messages, and their delivery log), the
reminder cadence and SMS switch of a business, staff members' email choices, customers'
unsubscribing, and the calendar identity of a booking (UID and SEQUENCE across reschedules).

Customer emails still waiting in the outbox (topic "email.customer", recorded before this
revision) become pending messages, so an upgrade loses none.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""
import json
import uuid
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


DEFAULT_CADENCE = json.dumps([{"hours_before": 24, "email": True, "sms": False}])


def _move_waiting_customer_emails():
    """Outbox rows "email.customer" not yet sent become pending messages (sent by the new
    worker path) and are marked dispatched in the outbox."""
    bind = op.get_bind()
    outbox = sa.table("outbox_events", sa.column("id", sa.Uuid()), sa.column("business_id", sa.Uuid()),
                      sa.column("topic", sa.String()), sa.column("payload", sa.JSON()),
                      sa.column("created_at", sa.DateTime(timezone=True)),
                      sa.column("dispatched_at", sa.DateTime(timezone=True)))
    messages = sa.table("messages", *(sa.column(name, kind) for name, kind in (
        ("id", sa.Uuid()), ("business_id", sa.Uuid()), ("booking_id", sa.Uuid()), ("audience", sa.String()),
        ("kind", sa.String()), ("channel", sa.String()), ("recipient", sa.String()),
        ("recipient_name", sa.String()), ("facts", sa.JSON()), ("transactional", sa.Boolean()),
        ("status", sa.String()), ("created_at", sa.DateTime(timezone=True)),
        ("due_at", sa.DateTime(timezone=True)), ("attempts", sa.Integer()))))
    waiting = bind.execute(sa.select(outbox.c.id, outbox.c.business_id, outbox.c.payload, outbox.c.created_at)
                           .where(outbox.c.topic == "email.customer", outbox.c.dispatched_at.is_(None))).all()
    now = datetime.now(timezone.utc)
    for row in waiting:
        payload = row.payload if isinstance(row.payload, dict) else json.loads(row.payload)
        facts = {key: value for key, value in payload.items()
                 if key not in ("kind", "booking_id", "to", "to_name", "booking")}
        bind.execute(messages.insert().values(
            id=uuid.uuid4(), business_id=row.business_id, booking_id=uuid.UUID(payload["booking_id"]),
            audience="customer", kind=payload["kind"], channel="email", recipient=payload["to"],
            recipient_name=payload.get("to_name"), facts=facts, transactional=True, status="pending",
            created_at=row.created_at, due_at=now, attempts=0))
        bind.execute(outbox.update().where(outbox.c.id == row.id).values(dispatched_at=now))


def upgrade():
    op.create_table('messages',
    sa.Column('business_id', sa.Uuid(), nullable=False),
    sa.Column('booking_id', sa.Uuid(), nullable=True),
    sa.Column('customer_id', sa.Uuid(), nullable=True),
    sa.Column('staff_id', sa.Uuid(), nullable=True),
    sa.Column('audience', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('recipient_name', sa.String(length=200), nullable=True),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.Column('transactional', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('dedupe_key', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('provider_ref', sa.String(length=200), nullable=True),
    sa.Column('resent_from_id', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("audience IN ('customer', 'staff')", name=op.f('ck_messages_audience_known')),
    sa.CheckConstraint("channel IN ('email', 'sms')", name=op.f('ck_messages_channel_known')),
    sa.CheckConstraint("status <> 'sending' OR claimed_until IS NOT NULL", name=op.f('ck_messages_sending_has_lease')),
    sa.CheckConstraint("status IN ('pending', 'sending', 'sent', 'recorded', 'failed', 'skipped', 'cancelled')", name=op.f('ck_messages_status_known')),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_messages_booking_id_bookings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['business_id'], ['businesses.id'], name=op.f('fk_messages_business_id_businesses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_messages_customer_id_customers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['resent_from_id'], ['messages.id'], name=op.f('fk_messages_resent_from_id_messages'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_messages_staff_id_staff'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messages')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_messages_dedupe_key'))
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_messages_booking_id'), ['booking_id'], unique=False)
        batch_op.create_index('ix_messages_business_created', ['business_id', 'created_at'], unique=False)
        batch_op.create_index('ix_messages_due', ['status', 'due_at'], unique=False)

    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calendar_uid', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('calendar_sequence', sa.Integer(), server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('confirmation_silent', sa.Boolean(), server_default=sa.text('false'), nullable=False))

    with op.batch_alter_table('businesses', schema=None) as batch_op:
        # Existing businesses start with the product's default: an email the day before.
        batch_op.add_column(sa.Column('reminder_cadence', sa.JSON(), nullable=False,
                                      server_default=sa.text(f"'{DEFAULT_CADENCE}'")))
        batch_op.add_column(sa.Column('sms_notifications', sa.Boolean(), server_default=sa.text('false'), nullable=False))
        batch_op.add_column(sa.Column('review_requests', sa.Boolean(), server_default=sa.text('true'), nullable=False))

    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unsubscribed_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('booking_emails', sa.Boolean(), server_default=sa.text('true'), nullable=False))
        batch_op.add_column(sa.Column('daily_agenda', sa.Boolean(), server_default=sa.text('false'), nullable=False))

    _move_waiting_customer_emails()



def downgrade():
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_column('daily_agenda')
        batch_op.drop_column('booking_emails')

    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_column('unsubscribed_at')

    with op.batch_alter_table('businesses', schema=None) as batch_op:
        batch_op.drop_column('review_requests')
        batch_op.drop_column('sms_notifications')
        batch_op.drop_column('reminder_cadence')

    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_column('confirmation_silent')
        batch_op.drop_column('calendar_sequence')
        batch_op.drop_column('calendar_uid')

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_due')
        batch_op.drop_index('ix_messages_business_created')
        batch_op.drop_index(batch_op.f('ix_messages_booking_id'))

    op.drop_table('messages')
