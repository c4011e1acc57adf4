"""One module per grant type of the token endpoint (RFC 6749 §4), each a ``handle(ctx)``."""
