"""The words of the demo product, "Kestrel": a workspace app with spaces, chat and tasks.

Plain data, no logic. Weighted tables are (value, weight) pairs.
"""

from __future__ import annotations

__all__ = [
    "AUTH_METHODS",
    "CLIENTS",
    "COUNTRIES",
    "DAYS",
    "ERRORS",
    "FIRST_NAMES",
    "FLAGS",
    "INCIDENT_CAUSES",
    "LAST_NAMES",
    "LEARN_TOPICS",
    "LEVELS",
    "LOG_LINES",
    "MAIL_DOMAINS",
    "MESSAGE_LINES",
    "ORGS",
    "PLANS",
    "PLATFORMS",
    "REACTIONS",
    "ROLES",
    "ROUTES",
    "SERVICES",
    "SPACES",
    "TEAMS",
    "THINGS",
    "TOPICS",
    "VERSIONS",
]

FIRST_NAMES = (
    "Amani", "Bjorn", "Carmen", "Dmitri", "Esi", "Farah", "Gustavo", "Hana", "Ilse", "Joaquin",
    "Keiko", "Lars", "Maribel", "Nikhil", "Oona", "Pablo", "Quynh", "Rania", "Soren", "Thandiwe",
    "Ulla", "Valentina", "Wanjiru", "Xavier", "Yara", "Zeynep", "Anders", "Beatriz", "Chidi",
    "Delphine", "Emeka", "Fiona", "Goran", "Helga", "Imani", "Jae", "Kofi", "Leonie", "Minh",
    "Nadia", "Orla", "Piotr", "Rosalind", "Santiago", "Tariq", "Uma", "Vikram", "Wren", "Yusuf",
)  # fmt: skip
LAST_NAMES = (
    "Achebe", "Bergstrom", "Castellano", "Dlamini", "Eze", "Fonseca", "Gallagher", "Horvat",
    "Ishikawa", "Jovanovic", "Kariuki", "Lindqvist", "Mwangi", "Nakamura", "Oyelaran", "Petrov",
    "Quintero", "Rahimi", "Sandoval", "Tran", "Urquhart", "Varga", "Whitfield", "Xu", "Yilmaz",
    "Zielinski", "Abernathy", "Baptiste", "Coelho", "Duarte", "Ekström", "Farouk", "Grünberg",
)  # fmt: skip

# country, weight, locale, cities
COUNTRIES = (
    ("United States", 24, "en-US", ("Denver", "Portland", "Atlanta", "Boston", "Minneapolis")),
    ("India", 12, "en-IN", ("Chennai", "Delhi", "Kolkata", "Ahmedabad")),
    ("Kenya", 5, "en-KE", ("Nairobi", "Mombasa", "Kisumu")),
    ("Brazil", 7, "pt-BR", ("Belo Horizonte", "Recife", "Porto Alegre")),
    ("Germany", 8, "de-DE", ("Leipzig", "Stuttgart", "Dresden")),
    ("Ireland", 4, "en-IE", ("Dublin", "Cork", "Galway")),
    ("South Korea", 5, "ko-KR", ("Seoul", "Busan", "Incheon")),
    ("Argentina", 4, "es-AR", ("Buenos Aires", "Cordoba", "Rosario")),
    ("Italy", 5, "it-IT", ("Turin", "Bologna", "Naples")),
    ("Vietnam", 4, "vi-VN", ("Hanoi", "Da Nang", "Ho Chi Minh City")),
    ("Norway", 3, "nb-NO", ("Oslo", "Bergen", "Trondheim")),
    ("Turkey", 4, "tr-TR", ("Istanbul", "Izmir", "Ankara")),
    ("Portugal", 3, "pt-PT", ("Lisbon", "Porto", "Braga")),
    ("Indonesia", 4, "id-ID", ("Jakarta", "Bandung", "Surabaya")),
    ("Canada", 6, "en-CA", ("Ottawa", "Calgary", "Halifax")),
    ("Egypt", 2, "ar-EG", ("Cairo", "Alexandria")),
)
MAIL_DOMAINS = (
    ("fastmail.com", 9), ("gmail.com", 40), ("hey.com", 3), ("tutanota.com", 2), ("mail.com", 4),
    ("northwind.co", 8), ("contoso.dev", 8), ("fabrikam.io", 6), ("tailspin.app", 5),
)  # fmt: skip
PLANS = (("starter", 58), ("plus", 24), ("business", 13), ("enterprise", 5))
ROLES = (("viewer", 30), ("editor", 48), ("admin", 16), ("owner", 6))
TEAMS = (
    ("platform", 18), ("growth", 14), ("finance", 7), ("operations", 11), ("research", 9),
    ("customer-success", 16), ("legal", 4), ("brand", 8), ("data", 13),
)  # fmt: skip
TOPICS = ("beta", "early-adopter", "api-user", "mobile-first", "champion", "trial-extended")

PLATFORMS = (("web", 44), ("ios", 21), ("android", 18), ("desktop-mac", 10), ("desktop-win", 7))
VERSIONS = ("7.2.0", "7.2.3", "7.3.0", "7.3.1", "7.4.0", "7.4.2", "7.5.0-rc1")
AUTH_METHODS = (("password", 41), ("sso", 29), ("passkey", 16), ("oauth_github", 14))
CLIENTS = ("web", "ios", "android", "desktop")

SPACES = (
    ("#lobby", 20), ("#launch-orion", 13), ("#platform-oncall", 9), ("#design-crit", 7.5),
    ("#customer-voice", 8), ("#finance-close", 4), ("#data-guild", 6), ("#offtopic", 11),
    ("#brand-studio", 4.5), ("#legal-requests", 2), ("#kudos", 3.5), ("#release-train", 6),
)  # fmt: skip
MESSAGE_LINES = (
    "can someone review the {thing} before {day}?",
    "pushed the {thing} draft, comments welcome",
    "the {svc} dashboard looks off since this morning",
    "standup moved to {hh}:15",
    "who is covering {svc} on-call this weekend?",
    "shipping {ver} to the beta ring today",
    "customer at {org} asked about SAML again",
    "nice work on the {thing}, {name}!",
    "blocked on the {svc} migration, any ideas?",
    "retro notes are in the {thing} doc",
    "reminder: quarterly planning starts {day}",
    "lunch-and-learn on {topic} at {hh}:00",
    "is the {svc} outage related to the deploy?",
    "closing the loop with {org} on the renewal",
    "moving this thread to {space}",
    "anyone tried the new {thing} template?",
    "thanks {name}, that fixed it",
    "heads up: {svc} maintenance window {day} {hh}:00 UTC",
    "q: do we support CSV export for {thing}s?",
    "the {ver} changelog is up",
)
THINGS = ("roadmap", "spec", "mockup", "invoice run", "pricing page", "onboarding flow", "RFC")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
ORGS = ("Northwind", "Contoso", "Fabrikam", "Tailspin", "Litware", "Adatum", "Proseware")
LEARN_TOPICS = ("observability", "SQL window functions", "accessibility", "pricing", "Rust")
REACTIONS = ("+1", "tada", "eyes", "heart", "rocket", "white_check_mark", "laughing")

SERVICES = (
    ("edge-proxy", 28, ("edge-a", "edge-b")),
    ("workspace-api", 24, ("app-1", "app-2", "app-3")),
    ("identity", 12, ("app-1", "app-2")),
    ("sync-engine", 15, ("sync-1", "sync-2")),
    ("search-indexer", 8, ("worker-1",)),
    ("mailer", 6, ("worker-1",)),
    ("billing", 4, ("worker-2",)),
    ("exporter", 3, ("worker-2",)),
)
ROUTES = {
    "edge-proxy": (("GET", "/", 20), ("GET", "/assets/*", 50), ("GET", "/healthz", 30)),
    "workspace-api": (
        ("GET", "/v3/spaces", 30), ("GET", "/v3/spaces/{id}/messages", 28),
        ("POST", "/v3/spaces/{id}/messages", 18), ("PATCH", "/v3/tasks/{id}", 12),
        ("GET", "/v3/search", 8), ("DELETE", "/v3/tasks/{id}", 4),
    ),
    "identity": (("POST", "/v1/sessions", 55), ("POST", "/v1/token/refresh", 35),
                 ("POST", "/v1/passkeys", 10)),
    "sync-engine": (("GET", "/sync/pull", 60), ("POST", "/sync/push", 40)),
    "search-indexer": (("POST", "/index/batch", 100),),
    "mailer": (("POST", "/send", 100),),
    "billing": (("POST", "/invoices", 40), ("POST", "/webhooks/stripe", 60)),
    "exporter": (("POST", "/exports", 100),),
}  # fmt: skip
LEVELS = (("DEBUG", 12), ("INFO", 66), ("WARN", 14), ("ERROR", 7), ("FATAL", 1))
LOG_LINES = {
    "DEBUG": ("cache lookup {key} hit", "feature gate {flag} resolved", "query plan reused"),
    "INFO": (
        "request served",
        "request served",
        "user signed in",
        "sync batch applied",
        "index batch committed",
        "email queued",
        "export finished",
        "invoice created",
    ),
    "WARN": (
        "slow request",
        "retrying upstream call (attempt {n})",
        "rate limit near for tenant",
        "deprecated endpoint used",
        "queue backlog growing",
    ),
    "ERROR": (
        "upstream timed out",
        "database connection reset",
        "payment provider returned 502",
        "unhandled exception in handler",
        "message rejected by validator",
    ),
    "FATAL": ("worker crashed and restarted", "out of memory, process killed"),
}
FLAGS = ("new_editor", "ai_summaries", "offline_mode", "bulk_invite")
ERRORS = (
    ("TimeoutError", "deadline of {ms} ms exceeded"),
    ("ConnectionResetError", "peer closed the connection"),
    ("UpstreamError", "502 Bad Gateway from {svc}"),
    ("ValidationError", "field 'body' is too long"),
    ("KeyError", "'workspace_id'"),
)
INCIDENT_CAUSES = (
    "database connection pool exhausted",
    "bad deploy rolled back",
    "upstream DNS failures",
    "memory leak in worker",
    "certificate expired on internal endpoint",
)
