"""``python -m tessera.entra``: the same command group as ``tessera entra``."""

from tessera.entra.cli import main

main()
