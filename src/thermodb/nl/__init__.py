"""Natural language: questions → QuerySpec, conversations, insights, optional LLM provider."""

from thermodb.nl.engine import Answer, NLEngine

__all__ = ["Answer", "NLEngine"]
