"""cycle close reason (DESIGN §10 closing guard) and the platform's delisting review mark (DESIGN §4)

Cycles closed before this migration have no reason (an empty text); no platform is under delisting review
(the mark is set at the close of a second consecutive Fail from now on).

Revision ID: 3b7e51c0a9d4
Revises: 3f1c7a9d2b10
Create Date: 2026-12-01 12:15:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '3b7e51c0a9d4'
down_revision: Union[str, None] = '3f1c7a9d2b10'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('review_cycle', schema=None) as batch_op:
        batch_op.add_column(sa.Column('close_reason', sa.Text(), nullable=False, server_default=''))
    with op.batch_alter_table('platform', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delisting_review', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('delisting_review_cycle_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_platform_delisting_review_cycle_id_review_cycle'), 'review_cycle',
                                    ['delisting_review_cycle_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('platform', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_platform_delisting_review_cycle_id_review_cycle'), type_='foreignkey')
        batch_op.drop_column('delisting_review_cycle_id')
        batch_op.drop_column('delisting_review')
    with op.batch_alter_table('review_cycle', schema=None) as batch_op:
        batch_op.drop_column('close_reason')
