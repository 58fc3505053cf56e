"""Locations: a business's branches, who works where, which services each offers, and the
location of every booking.

The data migration gives every existing business its primary location (named after the
business, slug "main", with its address and phone), links every staff member to it and
puts every booking there; the booking's time, staff member, service and price are not
touched. The primary's time zone, hold length and opening hours are left unset, which
means "the business's" (models.location): they are the values the business has today,
and the settings pages that edit them keep governing the primary. Staff hours keep
`location_id` NULL, which means "at the primary location".

At most one primary per business: a partial unique index, on both databases.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30
"""
import uuid

from alembic import op
import sqlalchemy as sa

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('locations',
    sa.Column('business_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('address_street', sa.String(length=200), nullable=True),
    sa.Column('address_city', sa.String(length=100), nullable=True),
    sa.Column('address_state', sa.String(length=100), nullable=True),
    sa.Column('address_zip', sa.String(length=20), nullable=True),
    sa.Column('address_country', sa.String(length=2), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=True),
    sa.Column('hold_seconds', sa.Integer(), nullable=True),
    sa.Column('is_primary', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('sort_order', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('hold_seconds IS NULL OR hold_seconds > 0', name=op.f('ck_locations_hold_positive')),
    sa.ForeignKeyConstraint(['business_id'], ['businesses.id'], name=op.f('fk_locations_business_id_businesses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_locations')),
    sa.UniqueConstraint('business_id', 'slug', name='uq_locations_business_slug')
    )
    with op.batch_alter_table('locations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_locations_business_id'), ['business_id'], unique=False)
        batch_op.create_index('uq_locations_one_primary_per_business', ['business_id'], unique=True,
                              sqlite_where=sa.text('is_primary'), postgresql_where=sa.text('is_primary'))

    op.create_table('location_hours',
    sa.Column('location_id', sa.Uuid(), nullable=False),
    sa.Column('weekday', sa.SmallInteger(), nullable=False),
    sa.Column('opens_at', sa.Time(), nullable=False),
    sa.Column('closes_at', sa.Time(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint('opens_at < closes_at', name=op.f('ck_location_hours_opens_before_closes')),
    sa.CheckConstraint('weekday BETWEEN 0 AND 6', name=op.f('ck_location_hours_weekday_range')),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_location_hours_location_id_locations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_location_hours'))
    )
    with op.batch_alter_table('location_hours', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_location_hours_location_id'), ['location_id'], unique=False)

    for table, owner in (('staff_locations', 'staff'), ('service_locations', 'service')):
        owner_table = 'staff' if owner == 'staff' else 'services'
        op.create_table(table,
        sa.Column(f'{owner}_id', sa.Uuid(), nullable=False),
        sa.Column('location_id', sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f(f'fk_{table}_location_id_locations'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint([f'{owner}_id'], [f'{owner_table}.id'], name=op.f(f'fk_{table}_{owner}_id_{owner_table}'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint(f'{owner}_id', 'location_id', name=op.f(f'pk_{table}'))
        )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f'ix_{table}_location_id'), ['location_id'], unique=False)

    for table in ('staff_hours', 'time_off', 'bookings'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('location_id', sa.Uuid(), nullable=True))
            batch_op.create_index(batch_op.f(f'ix_{table}_location_id'), ['location_id'], unique=False)
            batch_op.create_foreign_key(batch_op.f(f'fk_{table}_location_id_locations'), 'locations', ['location_id'], ['id'],
                                        ondelete=None if table == 'bookings' else 'CASCADE')

    _give_every_business_its_primary_location()

    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.alter_column('location_id', existing_type=sa.Uuid(), nullable=False)


def _give_every_business_its_primary_location():
    connection = op.get_bind()
    businesses = sa.table('businesses', sa.column('id', sa.Uuid()), sa.column('name', sa.String()),
                          sa.column('phone', sa.String()), sa.column('address_street', sa.String()),
                          sa.column('address_city', sa.String()), sa.column('address_state', sa.String()),
                          sa.column('address_zip', sa.String()), sa.column('address_country', sa.String()))
    locations = sa.table('locations', *(sa.column(name) for name in (
        'id', 'business_id', 'name', 'slug', 'phone', 'address_street', 'address_city', 'address_state',
        'address_zip', 'address_country', 'is_primary', 'is_active', 'sort_order', 'created_at', 'updated_at')))
    staff = sa.table('staff', sa.column('id', sa.Uuid()), sa.column('business_id', sa.Uuid()))
    staff_locations = sa.table('staff_locations', sa.column('staff_id', sa.Uuid()), sa.column('location_id', sa.Uuid()))
    bookings = sa.table('bookings', sa.column('business_id', sa.Uuid()), sa.column('location_id', sa.Uuid()))
    uuid_type = sa.Uuid()
    now = sa.func.current_timestamp()
    for row in connection.execute(sa.select(businesses)).mappings().all():
        location_id = uuid.uuid4()
        connection.execute(locations.insert().values(
            id=sa.literal(location_id, uuid_type), business_id=sa.literal(row['id'], uuid_type), name=row['name'],
            slug='main', phone=row['phone'], address_street=row['address_street'],
            address_city=row['address_city'], address_state=row['address_state'], address_zip=row['address_zip'],
            address_country=row['address_country'], is_primary=True, is_active=True, sort_order=0,
            created_at=now, updated_at=now,
        ))
        connection.execute(staff_locations.insert().from_select(
            ['staff_id', 'location_id'],
            sa.select(staff.c.id, sa.literal(location_id, uuid_type)).where(staff.c.business_id == row['id']),
        ))
        connection.execute(bookings.update().where(bookings.c.business_id == row['id'])
                           .values(location_id=sa.literal(location_id, uuid_type)))


def downgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_bookings_location_id_locations'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_bookings_location_id'))
        batch_op.drop_column('location_id')
    # A location's own closures and hours elsewhere than the primary have no place without
    # locations: they go with them (a closure of one branch must not close the business).
    connection = op.get_bind()
    connection.execute(sa.text('DELETE FROM time_off WHERE location_id IS NOT NULL'))
    connection.execute(sa.text(
        'DELETE FROM staff_hours WHERE location_id IS NOT NULL AND location_id NOT IN '
        '(SELECT id FROM locations WHERE is_primary)'))
    for table in ('time_off', 'staff_hours'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'fk_{table}_location_id_locations'), type_='foreignkey')
            batch_op.drop_index(batch_op.f(f'ix_{table}_location_id'))
            batch_op.drop_column('location_id')
    for table in ('service_locations', 'staff_locations'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_location_id'))
        op.drop_table(table)
    with op.batch_alter_table('location_hours', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_location_hours_location_id'))
    op.drop_table('location_hours')
    with op.batch_alter_table('locations', schema=None) as batch_op:
        batch_op.drop_index('uq_locations_one_primary_per_business')
        batch_op.drop_index(batch_op.f('ix_locations_business_id'))
    op.drop_table('locations')
