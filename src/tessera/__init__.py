"""tessera: an OpenMetadata-compatible metadata catalog with Entra ID sign-in done right.

This module holds only the version: importing ``tessera.entra`` executes it first, and the
emulator must not pull in any other part of tessera.
"""

__version__ = "0.1.0"
