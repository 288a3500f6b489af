"""The embedded engine: an offline CPU cascade, split by stage.

`listen/` (speech in: ASR, early ASR, the user's side of a session), `reply/` (what to say: brains, prompts,
history, planning and writing a reply), `speak/` (voices, phrases, TTS). At this level: the engine, its
sessions, the shared models and worker threads, and the response pipeline that runs plan -> write -> speak
(`spoken_response`). May import `model.turn` and `model` top-level modules, never another engine.
"""
