"""Finding 4: the LLM prompt carries only what the caller may see, and few-shot examples
are kept per caller's authority (another tenant's questions and filter values never)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from thermodb.config import load_settings
from thermodb.database import Database
from thermodb.security.config import MaskRule, RowFilter, SecurityConfig
from thermodb.security.gateway import Gateway
from thermodb.security.principal import Principal


class _Chat(BaseHTTPRequestHandler):
    """An OpenAI-protocol endpoint on loopback that records prompts and answers nothing
    useful, so the deterministic reader answers and remembers the examples."""

    seen: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).seen.append(body)
        data = json.dumps({"choices": [{"message": {"content": "no idea"}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[Gateway]:
    server = HTTPServer(("127.0.0.1", 0), _Chat)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    settings = load_settings(tmp_path / "data", environ={"THERMODB_LLM_URL": url})
    db = Database(tmp_path / "data", settings=settings)
    db.ingest(
        [{"id": i, "tenant": ["acme", "globex"][i % 2], "email": f"person{i}@secret.example",
          "plan": ["free", "pro"][i % 2]} for i in range(10)],
        collection="users", key="id",
    )  # fmt: skip
    db.ingest([{"id": 1, "sku": "widget-topsecret"}], collection="products", key="id")
    config = SecurityConfig(
        row_filters={"users": [RowFilter(field="tenant", claim="tenant")]},
        masks={"users": {"email": MaskRule(style="email")}},
        audit_reads=False,
    )
    _Chat.seen = []
    yield Gateway(db, config)
    db.close()
    server.shutdown()
    server.server_close()


def _prompt(n: int = -1) -> str:
    return json.dumps(_Chat.seen[n]["messages"])


def test_prompt_holds_only_the_callers_collections_and_no_hidden_values(
    gateway: Gateway,
) -> None:
    acme = Principal(subject="a", role="reader", claims={"tenant": "acme"},
                     grants={"users": frozenset({"read"})})  # fmt: skip
    gateway.ask(acme, "how many users are there")
    prompt = _prompt()
    assert "collection users" in prompt
    assert "products" not in prompt and "widget-topsecret" not in prompt
    assert "secret.example" not in prompt and "globex" not in prompt


def test_examples_are_kept_per_authority(gateway: Gateway) -> None:
    globex = Principal(subject="g", role="reader", claims={"tenant": "globex"})
    acme = Principal(subject="a", role="reader", claims={"tenant": "acme"})
    gateway.ask(globex, "how many users have plan pro")
    gateway.ask(acme, "how many users have plan pro please")
    shots = [m for m in _Chat.seen[-1]["messages"] if m["role"] == "assistant"]
    assert shots == []  # globex's question is not shown to the model for acme
    gateway.ask(globex, "how many users have plan free")
    shots = [m for m in _Chat.seen[-1]["messages"] if m["role"] == "assistant"]
    assert shots and all("globex" not in m["content"] for m in shots)  # no injected filter
