"""The audit key: the secret that keys the chain, kept outside the database and the backups.

Production sets ``LIMS_AUDIT_KEY``. Tests and ``make run`` (``LIMS_AUDIT_KEY_DEV=1``) derive a
development key from SECRET_KEY; anything else without a key refuses to start, saying what to set."""
from __future__ import annotations

import hashlib

MISSING = ("LIMS_AUDIT_KEY is not set. The audit trail is chained with this secret so that whoever can "
           "write the database cannot rewrite history. Set LIMS_AUDIT_KEY to a long random value, e.g. "
           "`python -c 'import secrets; print(secrets.token_hex(32))'`, the same on every app server; keep it "
           "outside the database and apart from the backups, and keep a copy: without it the trail cannot be "
           "verified (a development setup may set LIMS_AUDIT_KEY_DEV=1 instead).")


class AuditKeyMissing(RuntimeError):
    pass


def audit_key_from(config) -> bytes:
    """The key for an app's config (a mapping); raise AuditKeyMissing in production without one."""
    key = config.get("AUDIT_KEY")
    if key:
        if len(key) < 16:
            raise AuditKeyMissing("LIMS_AUDIT_KEY is too short: use at least 16 characters (32 random hex "
                                  "digits or more).")
        return key.encode("utf-8")
    if config.get("TESTING") or config.get("AUDIT_KEY_DEV"):
        return hashlib.sha256(f"lims-development-audit-key:{config['SECRET_KEY']}".encode()).digest()
    raise AuditKeyMissing(MISSING)


def audit_key() -> bytes:
    from flask import current_app

    return audit_key_from(current_app.config)
