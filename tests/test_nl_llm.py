"""The optional LLM provider, against a small OpenAI-protocol server on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

import thermodb
from thermodb.config import load_settings
from thermodb.database import Database

NOW = datetime(2026, 3, 18, 15, 30, tzinfo=UTC)


class _Chat(BaseHTTPRequestHandler):
    reply = "{}"
    seen: ClassVar[list[dict[str, object]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).seen.append(body)
        payload = {"choices": [{"message": {"role": "assistant", "content": type(self).reply}}]}
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def llm_db(tmp_path: Path) -> Iterator[tuple[Database, type[_Chat]]]:
    server = HTTPServer(("127.0.0.1", 0), _Chat)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    settings = load_settings(tmp_path / "data", environ={"THERMODB_LLM_URL": url})
    db = Database(tmp_path / "data", settings=settings)
    db.ingest([{"id": i, "plan": ["free", "pro"][i % 2]} for i in range(10)], collection="users")
    _Chat.seen = []
    yield db, _Chat
    db.close()
    server.shutdown()
    server.server_close()


def test_llm_spec_is_validated_and_run(llm_db: tuple[Database, type[_Chat]]) -> None:
    db, chat = llm_db
    chat.reply = (
        'Here you go: {"collection": "users", "where": {"field": "plan", "op": "=", '
        '"value": "pro"}, "aggregates": [{"fn": "count"}]}'
    )
    answer = db.ask("how many paying users", now=NOW)
    assert answer.rows == [[5]]
    assert answer.source == "llm"
    prompt = chat.seen[0]["messages"][0]["content"]  # type: ignore[index]
    assert "plan: text values: free, pro" in prompt


def test_invalid_llm_reply_falls_back_to_rules(llm_db: tuple[Database, type[_Chat]]) -> None:
    db, chat = llm_db
    chat.reply = '{"collection": "users", "where": {"field": "salary", "op": ">", "value": 1}}'
    answer = db.ask("how many pro users", now=NOW)
    assert answer.source == "rules"
    assert answer.rows == [[5]]
    assert any("unknown field 'salary'" in n for n in answer.notes)


def test_rules_answers_become_examples_for_the_model(tmp_path: Path) -> None:
    db = thermodb.open(tmp_path / "data")
    db.ingest([{"id": 1, "plan": "pro"}], collection="users")
    db.ask("how many pro users", now=NOW)
    from thermodb.nl.examples import ExampleStore

    (question, spec), *_ = ExampleStore(db.store).nearest("count the pro users")
    assert question == "how many pro users"
    assert json.loads(spec)["collection"] == "users"
    db.close()
