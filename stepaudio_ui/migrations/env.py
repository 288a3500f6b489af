"""Alembic environment, run programmatically by `Database.migrate()` on an open connection."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "these migrations run through stepaudio_ui.studio.store.Database.migrate(), which passes a connection; "
        "use `stepaudio-ui` (it migrates on start) instead of the alembic command line"
    )

# render_as_batch: SQLite cannot ALTER most things in place; batch mode copies the table instead.
context.configure(connection=connection, target_metadata=None, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
