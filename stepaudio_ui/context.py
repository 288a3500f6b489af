"""What every panel and service of a running app shares: settings, the database, the engines."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class AppContext:
    settings: Any  # stepaudio_ui.settings.Settings (Any keeps this module import-light)
    db: Any  # stepaudio_ui.studio.store.Database
    engines: dict[str, Any] = field(default_factory=dict)  # engine name -> model.protocol.Engine
