"""Realistic sample data for `thermodb demo`: users, sessions, messages, logs and metrics.

Standard library only (plus orjson to write), deterministic per seed, and dated relative
to now so that time questions ("last week") have answers.
"""

from thermodb.demo.files import COLLECTIONS, write_demo_files

__all__ = ["COLLECTIONS", "write_demo_files"]
