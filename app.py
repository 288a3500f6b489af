"""Entry point: `python app.py` serves the studio (also the Hugging Face Spaces `app_file`)."""

from __future__ import annotations

import logging

from stepaudio_ui.server import serve
from stepaudio_ui.settings import Settings

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    serve(Settings())
