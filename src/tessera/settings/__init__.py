"""OpenMetadata's system settings (``/api/v1/system/settings``): what the UI and clients read and
administrators change, stored in the database; the security settings come from tessera's
configuration and are shown, never changed, here."""
