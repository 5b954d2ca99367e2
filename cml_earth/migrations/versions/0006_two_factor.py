"""two-factor sign-in: a member's authenticator (TOTP) secret and one-time recovery codes

The three ``members`` columns are nullable, so they are plain ADD COLUMNs on SQLite too (no
table rebuild); the downgrade drops them in place (SQLite 3.35 and later can).

Revision ID: 0006_two_factor
Revises: 0005_groups
Create Date: 2026-11-26

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0006_two_factor"
down_revision = "0005_groups"
branch_labels = None
depends_on = None

MEMBER_COLUMNS = ("totp_secret", "totp_enabled_at", "totp_last_step")


def upgrade():
    # Room for the secret sealed (encrypted) later; today it is the 32-character base32 text.
    op.add_column("members", sa.Column("totp_secret", sa.String(length=255), nullable=True))
    op.add_column(
        "members", sa.Column("totp_enabled_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("members", sa.Column("totp_last_step", sa.Integer(), nullable=True))

    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_recovery_codes_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_codes")),
        sa.UniqueConstraint(
            "member_id", "code_hash", name=op.f("uq_recovery_codes_member_id_code_hash")
        ),
    )


def downgrade():
    op.drop_table("recovery_codes")
    if op.get_bind().dialect.name == "sqlite":
        # In place: batch mode would rebuild the members table and everything hanging off it.
        for column in reversed(MEMBER_COLUMNS):
            op.execute(f"ALTER TABLE members DROP COLUMN {column}")
    else:
        for column in reversed(MEMBER_COLUMNS):
            op.drop_column("members", column)
