"""items starts_at

Revision ID: 441c9035b73a
Revises: 352d16e14f5a
Create Date: 2026-12-03 10:31:46.084792

"""
from alembic import op
import sqlalchemy as sa
import storefront.db.timestamps  # noqa: F401  (UTCDateTime columns)


# revision identifiers, used by Alembic.
revision = '441c9035b73a'
down_revision = '352d16e14f5a'
branch_labels = None
depends_on = None


def upgrade():
    # Plain statements: batch mode would rebuild `items` on SQLite and drop its search triggers.
    op.add_column('items', sa.Column('starts_at', storefront.db.timestamps.UTCDateTime(timezone=True), nullable=True))
    op.create_index(op.f('ix_items_starts_at'), 'items', ['starts_at'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_items_starts_at'), table_name='items')
    op.drop_column('items', 'starts_at')  # SQLite 3.35+ drops a column in place
