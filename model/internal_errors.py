"""Internal failures reported to a client without their exception text.

An exception's text can name files, SQL, hosts or library internals; a client gets a plain sentence and
an id, and the server log gets the traceback under the same id, so the two can be matched.
"""

from __future__ import annotations

import logging

from model.events import ErrorEvent, error_event, new_id


def internal_error_message(log: logging.Logger, what: str, exc: BaseException | None = None) -> str:
    """Log `exc` (default: the exception being handled) under a fresh id; return `what` and the id for the client."""
    error_id = new_id("err")
    log.error("%s [error id %s]", what, error_id, exc_info=exc or True)
    return f"{what}: an internal error occurred (error id {error_id}; the server log has the details)"


def internal_error_event(
    log: logging.Logger, what: str, *, code: str = "server_error", exc: BaseException | None = None
) -> ErrorEvent:
    """An `error` event for `exc` (default: the exception being handled): `what` failed, and an id to find
    the traceback in the log."""
    return error_event(internal_error_message(log, what, exc), code=code)
