"""The /v1/realtime WebSocket endpoint: any of our engines, spoken over the realtime protocol.

`server` (the route: admits a connection and opens its session), `connection` (the socket loop), `access`
(tokens, origins, which persona a connection talks to), `limits` (sessions, idle and total time, backlog,
error events) and `record` (conversations recorded like Live ones).
May import `studio`, `live` (the conversation record), `web` helpers and `model`.
"""
