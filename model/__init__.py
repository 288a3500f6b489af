"""The voice engines, and the realtime protocol they all speak. Never imports `stepaudio_ui`.

At the top: `events` (the realtime event types), `protocol` (the Engine / EngineSession protocol), `audio`
(sample formats), `text_language`, `example_lines`, `internal_errors`. Then `turn` (VAD and end of turn, shared
by every engine), and the engines, which never import one another: `embedded` (the CPU cascade), `realtime`
(hosted realtime services over a WebSocket) and `step_audio2` (Step-Audio 2 mini on a GPU).
"""
