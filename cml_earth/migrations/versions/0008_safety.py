"""safety: side-effect (adverse event) cases, their history, and contact requests about them

Cases name their content by plain numbers (no foreign key): they outlive the post. Their member
is a foreign key with ON DELETE SET NULL: they outlive the account. One case in the works (new
or valid) per piece of content, enforced by a partial unique index on both databases.

Revision ID: 0008_safety
Revises: 0007_moderation
Create Date: 2026-11-26

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_safety'
down_revision = '0007_moderation'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('safety_cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('source', sa.String(length=12), nullable=False),
    sa.Column('target_type', sa.String(length=16), nullable=True),
    sa.Column('target_id', sa.Integer(), nullable=True),
    sa.Column('story_id', sa.Integer(), nullable=True),
    sa.Column('comment_id', sa.Integer(), nullable=True),
    sa.Column('content_title', sa.Text(), nullable=True),
    sa.Column('content_body', sa.Text(), nullable=False),
    sa.Column('content_language', sa.String(length=8), nullable=True),
    sa.Column('written_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('author_handle', sa.String(length=30), nullable=True),
    sa.Column('author_role', sa.String(length=16), nullable=True),
    sa.Column('author_country', sa.String(length=2), nullable=True),
    sa.Column('report_id', sa.Integer(), nullable=True),
    sa.Column('report_reason', sa.String(length=24), nullable=True),
    sa.Column('report_details', sa.Text(), nullable=True),
    sa.Column('medicines', sa.JSON(), nullable=False),
    sa.Column('reactions', sa.JSON(), nullable=False),
    sa.Column('seriousness', sa.String(length=12), nullable=True),
    sa.Column('has_reporter', sa.Boolean(), nullable=False),
    sa.Column('has_patient', sa.Boolean(), nullable=False),
    sa.Column('has_medicine', sa.Boolean(), nullable=False),
    sa.Column('has_reaction', sa.Boolean(), nullable=False),
    sa.Column('narrative', sa.Text(), nullable=True),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('day_zero_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('forwarded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('contact_requested_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('contact_answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('contact_consent', sa.Boolean(), nullable=True),
    sa.CheckConstraint("seriousness IS NULL OR seriousness in ('serious', 'non_serious')", name=op.f('ck_safety_cases_seriousness_known')),
    sa.CheckConstraint("source in ('detection', 'report', 'staff')", name=op.f('ck_safety_cases_source_known')),
    sa.CheckConstraint("status != 'forwarded' OR forwarded_at IS NOT NULL", name=op.f('ck_safety_cases_forwarded_has_date')),
    sa.CheckConstraint("status in ('new', 'not_a_case', 'valid_case', 'forwarded')", name=op.f('ck_safety_cases_status_known')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_safety_cases_member_id_members'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_safety_cases')),
    sa.UniqueConstraint('reference', name=op.f('uq_safety_cases_reference'))
    )
    with op.batch_alter_table('safety_cases', schema=None) as batch_op:
        batch_op.create_index('ix_safety_cases_member_id', ['member_id'], unique=False)
        batch_op.create_index('ix_safety_cases_status_due_on', ['status', 'due_on'], unique=False)
        batch_op.create_index('uq_safety_cases_open_target', ['target_type', 'target_id'], unique=True, sqlite_where=sa.text("status in ('new', 'valid_case')"), postgresql_where=sa.text("status in ('new', 'valid_case')"))

    op.create_table('safety_case_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('actor_ref', sa.Integer(), nullable=True),
    sa.Column('from_status', sa.String(length=12), nullable=True),
    sa.Column('to_status', sa.String(length=12), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['actor_ref'], ['staff_log_identities.id'], name=op.f('fk_safety_case_events_actor_ref_staff_log_identities')),
    sa.ForeignKeyConstraint(['case_id'], ['safety_cases.id'], name=op.f('fk_safety_case_events_case_id_safety_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_safety_case_events'))
    )
    with op.batch_alter_table('safety_case_events', schema=None) as batch_op:
        batch_op.create_index('ix_safety_case_events_case_id_at', ['case_id', 'at'], unique=False)

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('case_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_notifications_case_id_safety_cases'), 'safety_cases', ['case_id'], ['id'], ondelete='SET NULL')



def downgrade():
    # Downgrading deletes the cases: export them first (/safety/export.csv), they are legal records.
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_notifications_case_id_safety_cases'), type_='foreignkey')
        batch_op.drop_column('case_id')

    with op.batch_alter_table('safety_case_events', schema=None) as batch_op:
        batch_op.drop_index('ix_safety_case_events_case_id_at')

    op.drop_table('safety_case_events')
    with op.batch_alter_table('safety_cases', schema=None) as batch_op:
        batch_op.drop_index('uq_safety_cases_open_target', sqlite_where=sa.text("status in ('new', 'valid_case')"), postgresql_where=sa.text("status in ('new', 'valid_case')"))
        batch_op.drop_index('ix_safety_cases_status_due_on')
        batch_op.drop_index('ix_safety_cases_member_id')

    op.drop_table('safety_cases')
