"""The closed-loop index advisor: propose, estimate, create, validate, keep or revert, drop.

Engine differences (hypothetical indexes, concurrent builds, reading plans) live in one
backend module per engine (`sqlite`, `postgres`) behind `IndexBackend`.
"""
