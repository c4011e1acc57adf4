from __future__ import annotations

import io
import logging

from tessera.logs import EscapeControlCharacters, escape_controls


def test_control_characters_are_escaped_in_messages_and_arguments() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(EscapeControlCharacters())
    logger = logging.getLogger("tessera.test_logs")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("login %s failed", "mallory\n2026-12-03 INFO tessera: admin signed in\x1b[2J")
    finally:
        logger.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert lines == ["login mallory\\n2026-12-03 INFO tessera: admin signed in\\x1b[2J failed"]


def test_plain_text_is_left_alone() -> None:
    assert escape_controls("café façade ✓") == "café façade ✓"
    assert escape_controls("a\tb\rc\u2028d") == "a\\tb\\rc\\u2028d"
