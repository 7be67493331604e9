"""Clause readers that build a QuerySpec from a read question, one module per topic."""
