"""pre-orders: items release_date, orders ships_on

Revision ID: 25747da4f971
Revises: 441c9035b73a
Create Date: 2026-12-03 10:53:31.741877

"""
from alembic import op
import sqlalchemy as sa
import storefront.db.timestamps  # noqa: F401  (UTCDateTime columns)


# revision identifiers, used by Alembic.
revision = '25747da4f971'
down_revision = '441c9035b73a'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMNs: batch mode would rebuild `items` on SQLite and drop its search triggers.
    op.add_column('items', sa.Column('release_date', sa.Date(), nullable=True))
    op.add_column('orders', sa.Column('ships_on', sa.Date(), nullable=True))


def downgrade():
    op.drop_column('orders', 'ships_on')  # SQLite 3.35+ drops a column in place
    op.drop_column('items', 'release_date')
