"""The page cache's second level, shared by every app process: ``page_cache`` (a rendered
page under the SHA-256 of its key). UNLOGGED on PostgreSQL — a cache needs no WAL, crash
safety or replication, and writing a page should cost no more than the insert; a plain table on
SQLite, where the shared level is not used (the schema stays the same on both).

Revision ID: e5a7c3f92b14
Revises: c8e2a4f61d07
Create Date: 2026-12-05 17:30:00

"""
from alembic import op
import sqlalchemy as sa

from lims.database import UTCDateTime

# revision identifiers, used by Alembic.
revision = 'e5a7c3f92b14'
down_revision = 'c8e2a4f61d07'
branch_labels = None
depends_on = None


def upgrade():
    unlogged = ["UNLOGGED"] if op.get_bind().dialect.name == "postgresql" else []
    op.create_table(
        'page_cache',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('body', sa.LargeBinary(), nullable=False),
        sa.Column('content_type', sa.String(length=120), nullable=False),
        sa.Column('etag', sa.String(length=120), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_page_cache')),
        prefixes=unlogged,
    )


def downgrade():
    op.drop_table('page_cache')
