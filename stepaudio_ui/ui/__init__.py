"""The Gradio interface: panels only, layout and wiring, no business rules.

Each panel module has one `build_*` function that lays out its components and wires them to use cases of
`studio`, `exchange`, `live`, `quality` and `voices`; `app.build_ui` puts the tabs together. Panels never
touch the store directly (import-linter).
"""
