"""What an LLM prompt may show for one caller, as the security layer decides it.

The NL engine knows no callers; the gateway builds a :class:`PromptScope` from the
caller's grants, row filters and masks and passes it down with the question, so the
schema prompt lists only collections the caller may read and no stored values the caller
could not see, and few-shot examples are kept and retrieved per ``examples_key``.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PromptScope"]


@dataclass(frozen=True)
class PromptScope:
    collections: frozenset[str] | None = None
    """The collections the prompt may name (None: every one)."""
    hidden_values: frozenset[str] = frozenset()
    """Collections (``users``) or fields (``users.email``) whose stored values the prompt
    must not show: masked fields, and collections under a row filter (their values come
    from other callers' rows too)."""
    examples_key: str = ""
    """Few-shot examples are remembered and recalled only under this key."""

    def shows(self, collection: str) -> bool:
        return self.collections is None or collection in self.collections

    def shows_values(self, collection: str, field: str) -> bool:
        if collection in self.hidden_values:
            return False
        parts = field.split(".")
        return not any(
            f"{collection}.{'.'.join(parts[:i])}" in self.hidden_values
            for i in range(1, len(parts) + 1)
        ) and not any(h.startswith(f"{collection}.{field}.") for h in self.hidden_values)
