"""``tessera quickstart``: the Azure SSO guide (``docs/azure-sso.md``) running on one machine.

A local Entra ID (``tessera.entra``) gets the guide's tenant, step by step; ``tessera serve``
runs with ``provider: azure`` against it; the ingestion bot is switched to Azure SSO (step 10);
and ``tessera ingest`` catalogs a bundled sample database with the ingestion application's
client credentials. ``run.py`` orchestrates, ``steps.py`` holds one function per guide step,
``sample.py`` the sample database, ``processes.py`` the child processes, ``state.py`` the files
under ``$TESSERA_HOME/quickstart``.
"""
