"""Alembic glue: each service keeps its own migrations and version table inside its own schema."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool, text
from sqlalchemy.ext.asyncio import async_engine_from_config


def alembic_config(migrations_dir: Path, database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir))
    cfg.set_main_option("sqlalchemy.url", database_url)
    return cfg


def upgrade(migrations_dir: Path, database_url: str, revision: str = "head") -> None:
    """Apply a service's migrations (synchronous: call it from a thread inside an event loop)."""
    command.upgrade(alembic_config(migrations_dir, database_url), revision)


def run_env(target_metadata: MetaData) -> None:
    """Body of every service's migrations/env.py (online mode, async engine)."""
    schema = target_metadata.schema

    def do_run(connection) -> None:
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        context.configure(connection=connection, target_metadata=target_metadata, version_table_schema=schema,
                          include_schemas=True, include_name=lambda name, type_, _: type_ != "schema"
                          or name == schema)
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = async_engine_from_config(context.config.get_section(context.config.config_ini_section, {}),
                                          prefix="sqlalchemy.", poolclass=pool.NullPool)
        async with engine.begin() as connection:
            await connection.run_sync(do_run)
        await engine.dispose()

    asyncio.run(run())


def revision(migrations_dir: Path, database_url: str, message: str) -> None:
    """Autogenerate a revision from the service's models; files are named by date and slug."""
    cfg = alembic_config(migrations_dir, database_url)
    cfg.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(slug)s")
    command.revision(cfg, message=message, autogenerate=True)


if __name__ == "__main__":
    import os
    import sys

    service, message = sys.argv[1], sys.argv[2]
    folder = Path(__file__).resolve().parent.parent / "services" / service / "migrations"
    url = os.environ.get("DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:54320/groeiruimte")
    upgrade(folder, url)
    revision(folder, url, message)
