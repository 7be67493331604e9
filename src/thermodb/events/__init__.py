"""The change stream: a transactional outbox, cursors per consumer, forwarders to brokers."""

from thermodb.events.model import Event
from thermodb.events.outbox import Outbox

__all__ = ["Event", "Outbox"]
