"""The one way a process opens the library: create the data folder, migrate the schema, seed an empty database.

The app (`server.create_app`), every `stepaudio-ui` command that reads the library, the quality CLI and the
benches call `open_database`, so all of them always see the same library. It imports neither the web stack
nor an engine: a CLI command stays quick to start.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlmodel import Session, select

from stepaudio_ui.exchange.formats import load_seed_dir
from stepaudio_ui.package_data import seed_dir as seed_dir_of
from stepaudio_ui.settings import Settings
from stepaudio_ui.studio.store import Database, Persona, Scene

logger = logging.getLogger(__name__)


def open_database(settings: Settings) -> Database:
    """The database of `settings`, migrated to the newest schema, with the seed library loaded if it was empty."""
    db = Database.from_settings(settings)  # creates the data folder of a SQLite file first
    db.migrate()
    seed_dir = seed_dir_of(settings)
    if seed_dir.is_dir():
        with db.session() as session:
            loaded = seed_if_empty(session, seed_dir)
        if loaded:
            logger.info("Loaded %d seed personas and scene tones from %s", loaded, seed_dir)
    else:
        logger.warning("Seed folder %s does not exist: starting with an empty library", seed_dir)
    return db


def seed_if_empty(session: Session, seed_dir: Path) -> int:
    """Load `seed_dir/personas/*.json` and `seed_dir/scenes/*.json` (our export format) into an
    empty database, in one transaction. Returns how many items were loaded; 0 once anything exists."""
    has_any = session.exec(select(Persona.id).limit(1)).first() or session.exec(select(Scene.id).limit(1)).first()
    if has_any is not None:
        return 0
    return load_seed_dir(session, Path(seed_dir))
