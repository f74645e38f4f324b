"""wantlist: wantlist_entries, wantlist_alerts, wantlist_recipients, outbound_emails.list_unsubscribe

Revises the head at the time (f49e91efdeeb, staff photos), which itself revises 25747da4f971.

Revision ID: 8ad8a05d34f0
Revises: f49e91efdeeb
Create Date: 2026-12-03 17:33:21.250259

"""
from alembic import op
import sqlalchemy as sa
import storefront.db.timestamps  # noqa: F401  (UTCDateTime columns)


# revision identifiers, used by Alembic.
revision = '8ad8a05d34f0'
down_revision = 'f49e91efdeeb'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('wantlist_recipients',
    sa.Column('recipient', sa.String(length=260), nullable=False),
    sa.Column('last_digest_at', storefront.db.timestamps.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('recipient', name=op.f('pk_wantlist_recipients'))
    )
    op.create_table('wantlist_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipient', sa.String(length=260), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('artist', sa.String(length=255), nullable=False),
    sa.Column('search', sa.String(length=1000), nullable=False),
    sa.Column('min_grade', sa.String(length=4), nullable=False),
    sa.Column('max_price', sa.BigInteger(), nullable=True),
    sa.Column('created_at', storefront.db.timestamps.UTCDateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', storefront.db.timestamps.UTCDateTime(timezone=True), nullable=True),
    sa.Column('confirmation_sent_at', storefront.db.timestamps.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_wantlist_entries_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_wantlist_entries_item_id_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wantlist_entries'))
    )
    with op.batch_alter_table('wantlist_entries', schema=None) as batch_op:
        batch_op.create_index('ix_wantlist_entries_customer', ['customer_id'], unique=False)
        batch_op.create_index('ix_wantlist_entries_kind_item', ['kind', 'item_id'], unique=False)
        batch_op.create_index('ix_wantlist_entries_recipient', ['recipient'], unique=False)

    op.create_table('wantlist_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('recipient', sa.String(length=260), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('variation_id', sa.Integer(), nullable=False),
    sa.Column('grade', sa.String(length=16), nullable=False),
    sa.Column('price_amount', sa.BigInteger(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('created_at', storefront.db.timestamps.UTCDateTime(timezone=True), nullable=False),
    sa.Column('digest_token', sa.String(length=32), nullable=True),
    sa.Column('sent_at', storefront.db.timestamps.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['entry_id'], ['wantlist_entries.id'], name=op.f('fk_wantlist_alerts_entry_id_wantlist_entries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_wantlist_alerts_item_id_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['variation_id'], ['item_variations.id'], name=op.f('fk_wantlist_alerts_variation_id_item_variations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wantlist_alerts'))
    )
    with op.batch_alter_table('wantlist_alerts', schema=None) as batch_op:
        batch_op.create_index('ix_wantlist_alerts_entry_variation', ['entry_id', 'variation_id'], unique=False)
        batch_op.create_index('ix_wantlist_alerts_recipient_digest', ['recipient', 'digest_token'], unique=False)

    with op.batch_alter_table('outbound_emails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('list_unsubscribe', sa.String(length=1000), nullable=True))



def downgrade():
    with op.batch_alter_table('outbound_emails', schema=None) as batch_op:
        batch_op.drop_column('list_unsubscribe')

    with op.batch_alter_table('wantlist_alerts', schema=None) as batch_op:
        batch_op.drop_index('ix_wantlist_alerts_recipient_digest')
        batch_op.drop_index('ix_wantlist_alerts_entry_variation')

    op.drop_table('wantlist_alerts')
    with op.batch_alter_table('wantlist_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_wantlist_entries_recipient')
        batch_op.drop_index('ix_wantlist_entries_kind_item')
        batch_op.drop_index('ix_wantlist_entries_customer')

    op.drop_table('wantlist_entries')
    op.drop_table('wantlist_recipients')
