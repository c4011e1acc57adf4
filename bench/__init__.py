"""tessera's benchmarks: ``python -m bench`` (``make bench``) runs every one of them.

A benchmark is a module ``bench/<name>.py`` with a ``main(argv: list[str] | None = None)``
that parses its own options (every benchmark accepts ``--quick`` for a fast smoke run), prints
what it measured together with the command that reproduces it, and returns 0 (or None) when it
ran. ``python -m bench <name>`` runs one; modules whose name starts with ``_`` are helpers.

Benchmarks measure and report; they never assert on timings (that is what the figures in
``docs/benchmarks.md`` are for). They may check that the requests they time succeeded.
"""
