"""Every websocket close code the server sends, in one place (SSE streams end with the same
codes in their `end` frame)."""

from enum import IntEnum


class CloseCode(IntEnum):
    SERVER_RESTARTING = 1012  # sent by uvicorn on shutdown: reconnect and resume
    TRY_AGAIN_LATER = 1013  # too many handshakes at once (admission.py): retry with backoff
    ACCOUNT_DISABLED = 4001  # after FORCE_LOGOUT; reconnecting with the token is refused
    SIGNED_OUT = 4003  # after FORCE_LOGOUT: signed out everywhere or a new password; sign in
    TOKEN_EXPIRED = 4002  # refresh the access token, reconnect, resume with cursors
    TOO_MANY_CONNECTIONS = 4029  # over the sockets allowed per account or per address
    # graphql-transport-ws's own codes (also used for legacy graphql-ws sockets):
    BAD_REQUEST = 4400  # a malformed message or connection_init payload
    UNAUTHORIZED = 4401  # an operation before connection_ack
    FORBIDDEN = 4403  # connection_init refused: bad token, disabled account
    INIT_TIMEOUT = 4408  # no connection_init in time
    TOO_MANY_INITS = 4429  # a second connection_init on one socket
