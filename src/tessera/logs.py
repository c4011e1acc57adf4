"""Logging for tessera's processes, configured the same in ``tessera serve`` and in each worker.

Log lines often carry what a caller sent (a login name, a path): a newline in it must not start
a forged line, nor an escape sequence rewrite the operator's terminal. Every handler escapes the
control characters of each record's message (``\\n`` becomes the two characters ``\\n``); the
traceback of an exception, which is ours, stays as it is.
"""

from __future__ import annotations

import logging
import re

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def escape_controls(text: str) -> str:
    return _CONTROL.sub(lambda match: match.group().encode("unicode_escape").decode("ascii"), text)


class EscapeControlCharacters(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        escaped = escape_controls(message)
        if escaped != message:
            record.msg, record.args = escaped, None
        return True


def configure(level: str) -> None:
    """The root logger at ``level``, on standard error, every message escaped."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=level, format=FORMAT)
    root.setLevel(level)
    for handler in root.handlers:
        if not any(isinstance(f, EscapeControlCharacters) for f in handler.filters):
            handler.addFilter(EscapeControlCharacters())
