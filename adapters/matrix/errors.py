"""Errors raised by :mod:`hearth.adapters.matrix.ops`.

matrix-nio returns ``*Error`` responses instead of raising; the ops module turns every
one of them into an exception from this small tree (the adapter maps them to core errors)::

    MatrixOpError(status_code, errcode, message)   any failed Matrix request
    ├── MatrixForbidden                            403 / M_FORBIDDEN: missing permission
    ├── MatrixNotFound                             404 / M_NOT_FOUND: no such room/event/state
    └── MatrixRateLimited(retry_after_ms)          429 / M_LIMIT_EXCEEDED
"""

from __future__ import annotations


class MatrixOpError(Exception):
    """A Matrix request failed.

    :param status_code: HTTP status of the response, or ``None`` when unknown
        (nio sometimes builds error responses without one).
    :param errcode: Matrix error code such as ``M_FORBIDDEN``, or ``None``.
    :param message: the server's human-readable ``error`` text.
    :param operation: which ops function (or endpoint) failed, for the message.
    """

    def __init__(
        self,
        status_code: int | None,
        errcode: str | None,
        message: str,
        *,
        operation: str = "",
    ) -> None:
        self.status_code = status_code
        self.errcode = errcode
        self.message = message
        self.operation = operation
        where = f"{operation}: " if operation else ""
        code = " ".join(str(p) for p in (status_code, errcode) if p is not None) or "error"
        super().__init__(f"{where}{code}: {message}")


class MatrixForbidden(MatrixOpError):
    """The homeserver refused the request (HTTP 403, usually ``M_FORBIDDEN``)."""


class MatrixNotFound(MatrixOpError):
    """The room, event, user or state event does not exist (HTTP 404 / ``M_NOT_FOUND``)."""


class MatrixRateLimited(MatrixOpError):
    """The homeserver rate-limited the request (HTTP 429 / ``M_LIMIT_EXCEEDED``).

    :param retry_after_ms: how long the server asked us to wait, or ``None``.
    """

    def __init__(
        self,
        status_code: int | None,
        errcode: str | None,
        message: str,
        *,
        retry_after_ms: int | None = None,
        operation: str = "",
    ) -> None:
        self.retry_after_ms = retry_after_ms
        super().__init__(status_code, errcode, message, operation=operation)
        if retry_after_ms is not None:
            self.args = (f"{self.args[0]} (retry after {retry_after_ms} ms)",)
