"""Data lifecycle: online backups with a manifest of checksums, verified restores."""

from thermodb.lifecycle.backup import BackupReport, take_backup
from thermodb.lifecycle.restore import RestoreReport, restore_backup, verify_backup

__all__ = ["BackupReport", "RestoreReport", "restore_backup", "take_backup", "verify_backup"]
