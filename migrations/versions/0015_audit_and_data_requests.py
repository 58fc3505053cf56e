"""The audit trail (append-only: the database refuses UPDATE and DELETE on it) and
customers' data requests (export or erasure, asked from a manage link, confirmed by the
owner).

The append-only rule is a trigger on both databases. TRUNCATE is left alone: it is a
whole-table operation only a database administrator (or the test suite's reset) runs.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

REFUSAL = 'audit_events is append-only'


def upgrade():
    op.create_table(
        'audit_events',
        sa.Column('business_id', sa.Uuid(), nullable=False),
        sa.Column('action', sa.String(length=60), nullable=False),
        sa.Column('actor_kind', sa.String(length=10), nullable=False),
        sa.Column('actor_id', sa.String(length=64), nullable=True),
        sa.Column('actor_label', sa.String(length=300), nullable=False),
        sa.Column('subject_type', sa.String(length=40), nullable=True),
        sa.Column('subject_id', sa.String(length=64), nullable=True),
        sa.Column('details', sa.JSON(), nullable=False),
        sa.Column('ip_address', sa.String(length=64), nullable=True),
        sa.Column('user_agent', sa.String(length=300), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.CheckConstraint("actor_kind IN ('account', 'api_key', 'customer', 'system')",
                           name=op.f('ck_audit_events_actor_kind_known')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events')),
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_events_business_created', ['business_id', 'created_at'], unique=False)

    op.create_table(
        'data_requests',
        sa.Column('business_id', sa.Uuid(), nullable=False),
        sa.Column('customer_id', sa.Uuid(), nullable=False),
        sa.Column('booking_id', sa.Uuid(), nullable=True),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decided_by', sa.String(length=300), nullable=True),
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.CheckConstraint("kind IN ('export', 'erasure')", name=op.f('ck_data_requests_kind_known')),
        sa.CheckConstraint("status IN ('pending', 'completed', 'declined')", name=op.f('ck_data_requests_status_known')),
        sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_data_requests_booking_id_bookings'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['business_id'], ['businesses.id'],
                                name=op.f('fk_data_requests_business_id_businesses'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'],
                                name=op.f('fk_data_requests_customer_id_customers'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_data_requests')),
    )
    with op.batch_alter_table('data_requests', schema=None) as batch_op:
        batch_op.create_index('ix_data_requests_business_status', ['business_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_data_requests_customer_id'), ['customer_id'], unique=False)

    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f"""
            CREATE FUNCTION audit_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{REFUSAL}' USING ERRCODE = 'integrity_constraint_violation';
            END
            $$
        """)
        op.execute("""
            CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
            FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change()
        """)
    else:
        for verb in ('UPDATE', 'DELETE'):
            op.execute(f"""
                CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events
                BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END
            """)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_refuse_change()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
    with op.batch_alter_table('data_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_data_requests_customer_id'))
        batch_op.drop_index('ix_data_requests_business_status')
    op.drop_table('data_requests')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_business_created')
    op.drop_table('audit_events')
