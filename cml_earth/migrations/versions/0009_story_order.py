"""story order: a member's and a group's stories in the pages' exact order (created_at, id)

The lists order by (created_at DESC, id DESC). Indexes on (author_id, created_at) and (group_id,
created_at) left the id to an incremental sort, which must read every story sharing a time:
at a million stories a prolific member's profile read 900 rows to show 20. With the id in the
index the database reads exactly the page.

Revision ID: 0009_story_order
Revises: 0008_safety
Create Date: 2026-11-26

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0009_story_order'
down_revision = '0008_safety'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        'ix_stories_author_id_created_at_id', 'stories', ['author_id', 'created_at', 'id'],
        unique=False,
    )
    op.create_index(
        'ix_stories_group_id_created_at_id', 'stories', ['group_id', 'created_at', 'id'],
        unique=False,
    )
    op.drop_index('ix_stories_author_id_created_at', table_name='stories')
    op.drop_index('ix_stories_group_id_created_at', table_name='stories')


def downgrade():
    op.create_index(
        'ix_stories_group_id_created_at', 'stories', ['group_id', 'created_at'], unique=False
    )
    op.create_index(
        'ix_stories_author_id_created_at', 'stories', ['author_id', 'created_at'], unique=False
    )
    op.drop_index('ix_stories_group_id_created_at_id', table_name='stories')
    op.drop_index('ix_stories_author_id_created_at_id', table_name='stories')
