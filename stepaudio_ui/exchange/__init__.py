"""Files in and out of the library: our JSON export format, Character Card V2 (JSON or PNG), voice files.

Everything here reads files someone else wrote, so parsing is bounded (`untrusted_json`, `png_text`) and an
import is all or nothing. May import `studio` and `voices`; nothing imports this but the UI, the CLI and
`bootstrap` (the seed library is an export).
"""
