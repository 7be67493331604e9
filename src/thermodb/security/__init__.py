"""Who may do what: authentication, grants, row filters, masks, rate limits and audit.

Used by the network edges (:mod:`thermodb.server`); it imports the core but no web
framework, so the CLI can manage keys and verify the audit log without the server extra.
"""

from thermodb.security.audit import AuditLog, Signer, VerifyReport
from thermodb.security.config import MaskRule, RateLimit, RowFilter, SecurityConfig
from thermodb.security.gateway import Gateway, QueryAnswer
from thermodb.security.keys import ApiKey, KeyStore
from thermodb.security.policy import Policy, mask_value
from thermodb.security.principal import Principal, parse_grants

__all__ = [
    "ApiKey",
    "AuditLog",
    "Gateway",
    "KeyStore",
    "MaskRule",
    "Policy",
    "Principal",
    "QueryAnswer",
    "RateLimit",
    "RowFilter",
    "SecurityConfig",
    "Signer",
    "VerifyReport",
    "mask_value",
    "parse_grants",
]
