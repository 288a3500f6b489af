"""Live conversations in the browser: the WebRTC bridge, paced reply audio, and the conversation record.

`handler` is fastrtc's handler (one per connection: microphone frames in, engine events, reply frames out),
`pacing` releases reply audio at real time, `session` and `view` are what the Live panel sends and shows,
`conversations` / `history_export` / `turn_audio` record and export what was said. May import `studio`,
`voices` and `model`; never the UI.
"""
