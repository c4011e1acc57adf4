"""Microsoft's sign-in hosts, shared by the server's token validator and the ingestion client.

An authority on one of these hosts is Microsoft Entra ID itself (the public cloud or a national
cloud); any other host is a private identity provider such as ``tessera.entra``, which needs its
own CA bundle and is treated as an emulator.
"""

from __future__ import annotations

MICROSOFT_HOSTS = frozenset(
    {
        # The public cloud, and the legacy names Entra still answers on and issues v1 tokens from.
        "login.microsoftonline.com",
        "login.microsoft.com",
        "login.windows.net",
        "sts.windows.net",
        # National clouds: US Government and China (21Vianet).
        "login.microsoftonline.us",
        "login.chinacloudapi.cn",
        "login.partner.microsoftonline.cn",
    }
)
