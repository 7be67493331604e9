"""The network edges of thermodb: the HTTP API (FastAPI), the web console and MCP servers.

Nothing in the core imports this package; it imports the core. Install with
``pip install 'thermodb[server]'``.
"""

from thermodb.server.app import create_app

__all__ = ["create_app"]
