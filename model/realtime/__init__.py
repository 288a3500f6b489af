"""Hosted realtime services as an engine: StepAudio 2.5 Realtime, gpt-realtime, or another /v1/realtime.

`client` is the engine; `connect` opens the socket; `wire` turns events into JSON and back (base64 audio only
here, at the wire); `dialect`, `openai_dialect` and `stepfun_dialect` say how each service spells them;
`presets` names the services.
"""
