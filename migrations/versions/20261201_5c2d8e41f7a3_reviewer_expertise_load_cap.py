"""reviewer expertise (platform fields) and maximum load per cycle (DESIGN §10)

Every existing user has no expertise (an empty list) and no cap (NULL): the balanced assignment behaves as
before until an admin sets them.

Revision ID: 5c2d8e41f7a3
Revises: 3b7e51c0a9d4
Create Date: 2026-12-01 13:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '5c2d8e41f7a3'
down_revision: Union[str, None] = '3b7e51c0a9d4'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expertise', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('max_load', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(op.f('ck_user_max_load'), 'max_load IS NULL OR max_load >= 1')


def downgrade() -> None:
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_user_max_load'), type_='check')
        batch_op.drop_column('max_load')
        batch_op.drop_column('expertise')
