"""StepAudio Persona Studio: author voice personas and scene tones, and talk to them live.

Top level: `settings` (every setting), `bootstrap` (open, migrate and seed the library: the one way every
process does it), `server` (FastAPI + Gradio + /v1/realtime), `origin_guard` (which hosts and pages may call
it), `context` and `engines` (what a running app shares). The packages, from the bottom up: `studio` (the
library), `voices`, `exchange` (files in and out), `live` and `realtime` (conversations), `quality`, `web`
(the HTTP boundary), `ui` (panels), `cli`, `bench`. The voice engines are the separate `model` package,
which never imports this one. ARCHITECTURE.md draws the shape; pyproject.toml's import-linter contracts keep it.
"""
