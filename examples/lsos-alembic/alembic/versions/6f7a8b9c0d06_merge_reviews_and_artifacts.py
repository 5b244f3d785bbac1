"""merge reviews and artifacts

Revision ID: 6f7a8b9c0d06
Revises: 4d5e6f7a8b04, 5e6f7a8b9c05
Create Date: 2026-01-05 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "6f7a8b9c0d06"
down_revision = ("4d5e6f7a8b04", "5e6f7a8b9c05")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
