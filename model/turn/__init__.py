"""Who has the floor: voice activity (Silero), the end-of-turn model (Smart Turn) and the turn-taker
(`turn_taking`, with its waits in `turn_timing` and its word check in `turn_words`).

Shared by every engine that hears raw audio (embedded, Step-Audio 2). Imports only `model` top-level modules.
"""
