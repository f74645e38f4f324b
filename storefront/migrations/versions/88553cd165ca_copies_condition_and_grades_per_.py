"""copies: condition and grades per variation

Revision ID: 88553cd165ca
Revises: e218dc61c68f
Create Date: 2026-12-03 10:23:31.266867

"""
from alembic import op
import sqlalchemy as sa
import storefront.db.timestamps  # noqa: F401  (UTCDateTime columns)


# revision identifiers, used by Alembic.
revision = '88553cd165ca'
down_revision = 'e218dc61c68f'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMNs (no table rebuild on SQLite).
    op.add_column('item_variations', sa.Column('condition', sa.String(length=8), server_default='', nullable=False))
    op.add_column('item_variations', sa.Column('media_grade', sa.String(length=16), server_default='', nullable=False))
    op.add_column('item_variations', sa.Column('sleeve_grade', sa.String(length=16), server_default='',
                                               nullable=False))


def downgrade():
    for column in ('sleeve_grade', 'media_grade', 'condition'):
        op.drop_column('item_variations', column)  # SQLite 3.35+ drops a column in place
