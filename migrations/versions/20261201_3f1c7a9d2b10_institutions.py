"""institutions: the noun (names, aliases, parent, credit code); users and platforms refer to one; conflicts
of interest on assignments (the rules that hold, the kind of a declaration)

The data step turns today's free text (users' affiliation, platforms' host institution) into institutions by
normalised name (``domain.institutions.normalise``): one institution per key, named by the first spelling met
(platforms' hosts first, then users', each by id), the other spellings kept as its aliases. The text columns
stay (the name as given, still readable), so the downgrade drops the references and the table and loses nothing.
An assignment whose conflict was declared is conflicted by rule C2; the downgrade keeps the declaration.

Revision ID: 3f1c7a9d2b10
Revises: c99120982119
Create Date: 2026-12-01 12:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel
import platform_mgr.models.base
from platform_mgr import clock
from platform_mgr.domain.institutions import normalise

# revision identifiers, used by Alembic.
revision: str = '3f1c7a9d2b10'
down_revision: Union[str, None] = 'c99120982119'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('institution',
    sa.Column('updated_at', platform_mgr.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', platform_mgr.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name_zh', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('name_en', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('name_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('aliases', sa.JSON(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('credit_code', sqlmodel.sql.sqltypes.AutoString(length=18), nullable=True),
    sa.ForeignKeyConstraint(['parent_id'], ['institution.id'], name=op.f('fk_institution_parent_id_institution'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_institution')),
    sa.UniqueConstraint('credit_code', name=op.f('uq_institution_credit_code'))
    )
    with op.batch_alter_table('institution', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_institution_name_key'), ['name_key'], unique=True)
        batch_op.create_index(batch_op.f('ix_institution_parent_id'), ['parent_id'], unique=False)
    for table in ('platform', 'user'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('institution_id', sa.Integer(), nullable=True))
            batch_op.create_index(batch_op.f(f'ix_{table}_institution_id'), ['institution_id'], unique=False)
            batch_op.create_foreign_key(batch_op.f(f'fk_{table}_institution_id_institution'), 'institution',
                                        ['institution_id'], ['id'], ondelete='SET NULL')
    _institutions_from_text()
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('conflict_kind', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('conflicted', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('conflict_rules', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.create_index(batch_op.f('ix_assignment_conflicted'), ['conflicted'], unique=False)
        batch_op.create_check_constraint(op.f('ck_assignment_conflict_kind'),
                                         "conflict_kind IN ('employment', 'co_applicant', 'financial', 'family', 'other')")
    assignment = sa.Table('assignment', sa.MetaData(), sa.Column('conflict_declared', sa.Boolean),
                          sa.Column('conflicted', sa.Boolean), sa.Column('conflict_rules', sa.JSON))
    op.get_bind().execute(assignment.update().where(assignment.c.conflict_declared.is_(True))
                          .values(conflicted=True, conflict_rules=["C2_DECLARED"]))


def _institutions_from_text() -> None:
    bind = op.get_bind()
    meta = sa.MetaData()
    platform = sa.Table('platform', meta, sa.Column('id', sa.Integer), sa.Column('host_institution', sa.String),
                        sa.Column('institution_id', sa.Integer))
    user = sa.Table('user', meta, sa.Column('id', sa.Integer), sa.Column('affiliation', sa.String),
                    sa.Column('institution_id', sa.Integer))
    institution = sa.Table('institution', meta, sa.Column('id', sa.Integer), sa.Column('name_zh', sa.String),
                           sa.Column('name_en', sa.String), sa.Column('name_key', sa.String),
                           sa.Column('aliases', sa.JSON), sa.Column('created_at', platform_mgr.models.base.UTCDateTime()),
                           sa.Column('updated_at', platform_mgr.models.base.UTCDateTime()))
    rows = [(platform, pid, text) for pid, text in bind.execute(sa.select(platform.c.id, platform.c.host_institution)
                                                                 .order_by(platform.c.id))]
    rows += [(user, uid, text) for uid, text in bind.execute(sa.select(user.c.id, user.c.affiliation).order_by(user.c.id))]
    names: dict[str, list[str]] = {}
    members: dict[str, list[tuple[sa.Table, int]]] = {}
    for table, row_id, text in rows:
        key = normalise(text)
        if not key:
            continue
        spelling = " ".join((text or "").split())
        if spelling not in names.setdefault(key, []):
            names[key].append(spelling)
        members.setdefault(key, []).append((table, row_id))
    now = clock.now()
    for key, spellings in names.items():
        new_id = bind.execute(institution.insert().values(
            name_zh=spellings[0][:200], name_en="", name_key=key[:200], aliases=spellings[1:],
            created_at=now, updated_at=now).returning(institution.c.id)).scalar_one()
        for table, row_id in members[key]:
            bind.execute(table.update().where(table.c.id == row_id).values(institution_id=new_id))


def downgrade() -> None:
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_assignment_conflict_kind'), type_='check')
        batch_op.drop_index(batch_op.f('ix_assignment_conflicted'))
        batch_op.drop_column('conflict_rules')
        batch_op.drop_column('conflicted')
        batch_op.drop_column('conflict_kind')
    for table in ('user', 'platform'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'fk_{table}_institution_id_institution'), type_='foreignkey')
            batch_op.drop_index(batch_op.f(f'ix_{table}_institution_id'))
            batch_op.drop_column('institution_id')
    with op.batch_alter_table('institution', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_institution_parent_id'))
        batch_op.drop_index(batch_op.f('ix_institution_name_key'))
    op.drop_table('institution')
