"""staff photos: item_photos, item_details.photos

Revision ID: f49e91efdeeb
Revises: 25747da4f971
Create Date: 2026-12-03 17:10:39.000903

"""
from alembic import op
import sqlalchemy as sa
import storefront.db.timestamps  # noqa: F401  (UTCDateTime columns)


# revision identifiers, used by Alembic.
revision = 'f49e91efdeeb'
down_revision = '25747da4f971'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('item_photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('variation_id', sa.Integer(), nullable=True),
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('caption', sa.String(length=255), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('source_url', sa.String(length=500), nullable=False),
    sa.Column('ecs_status', sa.String(length=16), nullable=False),
    sa.Column('ecs_image_id', sa.String(length=64), nullable=True),
    sa.Column('ecs_error', sa.String(length=255), nullable=False),
    sa.Column('created_at', storefront.db.timestamps.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_item_photos_item_id_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['variation_id'], ['item_variations.id'], name=op.f('fk_item_photos_variation_id_item_variations'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_photos')),
    sa.UniqueConstraint('key', name=op.f('uq_item_photos_key'))
    )
    op.create_index(op.f('ix_item_photos_item_id'), 'item_photos', ['item_id'], unique=False)
    op.add_column('item_details', sa.Column('photos', sa.JSON(), server_default=sa.text("'[]'"), nullable=False))



def downgrade():
    op.drop_column('item_details', 'photos')  # SQLite 3.35+ drops a column in place
    op.drop_index(op.f('ix_item_photos_item_id'), table_name='item_photos')

    op.drop_table('item_photos')
