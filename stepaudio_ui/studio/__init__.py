"""The library: personas, scene tones and custom voices, their immutable versions, and the store under them.

Holds the tables (`store`, `voice_table`; SQLite connection setup in `sqlite_setup`), the authored specs
(`specs`), the use cases (`library`: save, restore, publish, archive, with conflict detection; it also
hands on `listing` and `core`), the rows they write (`item_rows`), diff, composition of a persona version
under a scene version into a session config (`compose`), who may reach what (`roles`, `published_scope`,
`scene_choice`) and database backups. May import `model.events` / `model` top-level types only: nothing of live sessions,
the web, the UI or an engine's internals (import-linter).
"""
