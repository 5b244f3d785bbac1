"""Alembic environment of the sample LSOS schema.

The database URL comes from ``-x url=…`` or, failing that, the LSOS_ALEMBIC_URL
environment variable. A SQLAlchemy URL (``postgresql+psycopg2://…``) is used as is; a
libpq URL (``postgres://…`` or ``postgresql://…``, as lsosgov's test kit hands out, with
a unix-socket ``host=`` parameter) is given to psycopg2 unchanged. Offline mode
(``--sql``) needs no URL and renders PostgreSQL SQL.
"""
import os

from alembic import context
from sqlalchemy import create_engine, pool

config = context.config

# The schema is written as explicit DDL in the revisions; there is no MetaData to
# autogenerate from.
target_metadata = None


def database_url():
    url = context.get_x_argument(as_dictionary=True).get("url")
    if not url:
        url = os.environ.get("LSOS_ALEMBIC_URL")
    return url


def run_migrations_offline() -> None:
    """Render SQL without a database: ``alembic upgrade a:b --sql``."""
    context.configure(
        dialect_name="postgresql",
        target_metadata=target_metadata,
        literal_binds=True,
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def engine_for(url):
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg2

        return create_engine(
            "postgresql+psycopg2://",
            creator=lambda: psycopg2.connect(url),
            poolclass=pool.NullPool,
        )
    return create_engine(url, poolclass=pool.NullPool)


def run_migrations_online() -> None:
    url = database_url()
    if not url:
        raise SystemExit(
            "lsos-alembic: no database URL; pass -x url=… or set LSOS_ALEMBIC_URL"
        )
    engine = engine_for(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            transaction_per_migration=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
