"""items restocked_at

Revision ID: 352d16e14f5a
Revises: 88553cd165ca
Create Date: 2026-12-03 10:27:16.278537

"""
from alembic import op
import sqlalchemy as sa
import storefront.db.timestamps  # noqa: F401  (UTCDateTime columns)


# revision identifiers, used by Alembic.
revision = '352d16e14f5a'
down_revision = '88553cd165ca'
branch_labels = None
depends_on = None


def upgrade():
    # Plain statements: batch mode would rebuild `items` on SQLite and drop its search triggers.
    op.add_column('items', sa.Column('restocked_at', storefront.db.timestamps.UTCDateTime(timezone=True),
                                     nullable=True))
    op.create_index(op.f('ix_items_restocked_at'), 'items', ['restocked_at'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_items_restocked_at'), table_name='items')
    op.drop_column('items', 'restocked_at')  # SQLite 3.35+ drops a column in place
