"""The web console in Debian's headless Chromium, driven by Playwright, against a real
server on loopback: sign in, ask (charts with the right number of marks, follow-ups, the
reading edited and re-run, refusals), explore (paging, sorting, filters, facets, record
view, exports), tiers, operate; an unauthorised key sees nothing; stored markup stays text.

Playwright rather than Selenium: it waits for elements by itself (no stale-element retries),
catches downloads, speaks the keyboard and reads performance entries in one API, and needs
no chromedriver. Each view is screenshotted into THERMODB_CONSOLE_SHOTS (or a temporary
folder) with the measured figures in figures.json there.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from console_browser import AXE, DAYS, HOSTILE, STATUSES, ConsoleEnv, launch, shots_dir, start

import thermodb
from services import service_missing
from thermodb.query.spec import QuerySpec

pytest.importorskip("playwright", reason="pip install playwright (the dev extra has it)")
from playwright.sync_api import Page, expect, sync_playwright

TIMEOUT_MS = 30_000
FCP = """() => new Promise((done) => {
  const seen = performance.getEntriesByName("first-contentful-paint")[0];
  if (seen) return done(seen.startTime);
  new PerformanceObserver((list) => {
    const e = list.getEntriesByName("first-contentful-paint")[0];
    if (e) done(e.startTime);
  }).observe({ type: "paint", buffered: true });
  setTimeout(() => done(NaN), 5000);
})"""


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleEnv]:
    db = thermodb.open(tmp_path_factory.mktemp("console") / "data")
    env, live, client = start(db, shots_dir(tmp_path_factory.mktemp("console-shots")))
    try:
        with client:
            yield env
    finally:
        live.__exit__(None, None, None)
        db.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_playwright() as p:
        b = launch(p)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    context.close()
    assert not errors, f"the console raised in the page: {errors}"


def sign_in(page: Page, env: ConsoleEnv, who: str = "admin") -> None:
    page.goto(env.url + "/")
    page.get_by_label("API key").fill(env.keys[who])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def ask(page: Page, question: str) -> Any:
    """Ask and wait until the newest answer (or refusal) is drawn; returns its article."""
    before = page.locator("article.answer").count()
    page.locator("#question").fill(question)
    page.locator("#question").press("Enter")
    expect(page.locator("article.answer")).to_have_count(before + 1)
    card = page.locator("article.answer").nth(before)
    expect(card.locator("xpath=self::*[@data-rendered or @data-kind='refusal']")).to_have_count(1)
    return card


def gold(env: ConsoleEnv, spec: dict[str, Any]) -> list[list[Any]]:
    return env.db.query(QuerySpec.model_validate(spec)).rows


def per_day(where: dict[str, Any] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "collection": "orders",
        "group_by": [{"field": "placed_at", "bucket": "day"}],
        "aggregates": [{"fn": "count"}],
    }
    if where:
        spec["where"] = where
    return spec


def test_ask_charts_follow_up_reading_and_refusal(console: ConsoleEnv, page: Page) -> None:
    sign_in(page, console)
    line = ask(page, "how many orders per day")
    assert line.get_attribute("data-kind") == "line"
    days = gold(console, per_day())
    assert len(days) == DAYS
    expect(line.locator(".chart[data-chart=line] .mark-symbol path")).to_have_count(len(days))
    expect(line.locator(".insight")).not_to_be_empty()
    expect(line.locator("tbody tr")).to_have_count(len(days))

    follow = ask(page, "only the paid ones")  # a follow-up narrows the same reading
    paid_days = gold(console, per_day({"field": "status", "op": "=", "value": "paid"}))
    expect(follow.locator(".mark-symbol path")).to_have_count(len(paid_days))
    expect(page.locator("#convo")).to_contain_text("2 questions")
    assert follow.get_attribute("data-conversation") == line.get_attribute("data-conversation")

    bars = ask(page, "orders by status")
    assert bars.get_attribute("data-kind") == "bar"
    expect(bars.locator(".mark-rect path")).to_have_count(len(STATUSES))

    page.reload()  # the key and the conversation survive a reload of the tab
    expect(page.locator("article.answer[data-rendered]")).to_have_count(3)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.locator("#convo")).to_contain_text("3 questions")

    # How this was read: the QuerySpec and each tier's SQL, editable and re-runnable
    follow.locator("summary", has_text="How this was read").click()
    sql_editor = follow.locator(".editor-sql .cm-content").first
    expect(sql_editor).to_contain_text("SELECT")
    expect(sql_editor).to_contain_text("orders.status")
    keyword = follow.locator(".editor-sql .cm-line span", has_text=re.compile("^SELECT$")).first
    assert keyword.evaluate("e => getComputedStyle(e).color") != sql_editor.evaluate(
        "e => getComputedStyle(e).color"
    ), "SQL keywords are highlighted"
    sql_editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("SELECT status, count(*) AS n FROM orders GROUP BY status ORDER BY status")
    page.keyboard.press("Control+Enter")
    rerun = follow.locator(".rerun").nth(1)
    expect(rerun.locator("tbody tr")).to_have_count(len(STATUSES))
    expect(rerun).to_contain_text("refunded")
    spec_editor = follow.locator(".editor-json .cm-content")
    expect(spec_editor).to_contain_text('"collection": "orders"')
    follow.get_by_role("button", name="Run this QuerySpec").click()
    expect(follow.locator(".rerun").first.locator("tbody tr")).to_have_count(len(paid_days))
    console.shot(page, "ask")

    page.get_by_role("button", name="New conversation").click()
    number = ask(page, "how many orders last week")  # a single number, against the week before
    assert number.get_attribute("data-kind") == "number"
    spec = json.loads(number.get_attribute("data-spec") or "{}")
    total = gold(console, {**spec, "limit": None})[0][0]
    expect(number.locator(".bignum .value")).to_have_text(str(total))
    expect(number.locator(".bignum .change")).to_contain_text("the period before")

    refused = ask(page, "average wibble of orders")
    assert refused.get_attribute("data-kind") == "refusal"
    expect(refused.locator("mark.word")).to_have_text(["wibble"])
    alternatives = refused.locator(".suggestions button")
    assert alternatives.count() >= 1
    offered = alternatives.first.inner_text()
    assert "wibble" not in offered
    before = page.locator("article.answer").count()
    alternatives.first.click()  # a suggestion is a question to ask
    expect(page.locator("article.answer")).to_have_count(before + 1)
    expect(page.locator(".turn .question").last).to_contain_text(offered)
    console.shot(page, "ask-refusal")


def test_cached_answer_and_chart_render_fast(console: ConsoleEnv, page: Page) -> None:
    sign_in(page, console)
    ask(page, "how many orders per day")  # warms the result cache and the chart chunk
    figures = []
    for _ in range(5):
        page.get_by_role("button", name="New conversation").click()
        card = ask(page, "how many orders per day")
        assert card.get_attribute("data-cache") == "hit", "the answer came from the result cache"
        figures.append(float(card.get_attribute("data-render-ms") or "nan"))
    figures.sort()
    console.record("cached_answer_render_ms", figures)
    # the best of five: on a shared CI machine the others measure the neighbours' load
    assert figures[0] < 300, f"a cached answer's chart took {figures} ms after the response"


def test_first_paint_under_a_second(console: ConsoleEnv, page: Page) -> None:
    page.goto(console.url + "/")  # the server is warm; this load is the measured one
    timings = []
    for _ in range(3):
        page.reload()
        page.wait_for_selector("#key")
        timings.append(float(page.evaluate(FCP)))
    timings.sort()
    console.record("first_contentful_paint_ms", timings)
    baseline = []  # the same browser painting a bare response of the same server
    for _ in range(3):
        page.goto(console.url + "/healthz")
        baseline.append(float(page.evaluate(FCP)))
    baseline.sort()
    console.record("first_contentful_paint_baseline_healthz_ms", baseline)
    assert timings[1] < 1000, f"first paint took {timings} ms"

    page.goto(console.url + "/docs")  # Swagger UI from the package: no CDN to reach
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    expect(page.locator(".swagger-ui")).to_contain_text("/v1/ask")
    console.shot(page, "docs")


def test_explore_pages_sorts_filters_facets_and_exports(console: ConsoleEnv, page: Page) -> None:
    sign_in(page, console)
    page.goto(console.url + "/#/explore/orders")
    expect(page.locator("main[data-ready=true]")).to_have_count(1)
    schema = page.locator("table.schema")
    expect(schema.locator("tr", has_text="status").locator("ul.dist li")).to_have_count(3)
    expect(page.locator("#page-info")).to_contain_text("Page 1 of 4 · 90 matching")
    expect(page.locator("table >> nth=-1").locator("tbody tr")).to_have_count(25)

    def sort_by_amount() -> None:
        page.locator(".records thead").get_by_role("button", name="amount", exact=True).click()

    page.get_by_role("button", name="Next →").click()
    expect(page.locator("#page-info")).to_contain_text("Page 2 of 4")
    sort_by_amount()  # ascending, back to page 1
    expect(page.locator("#page-info")).to_contain_text("Page 1 of 4")
    sort_by_amount()  # descending
    records = page.locator(".records table")
    expect(records.locator("th[aria-sort=descending]")).to_contain_text("amount")
    headers = [t.strip() for t in records.locator("thead th").all_inner_texts()]
    amount_col = next(i for i, t in enumerate(headers) if t.startswith("amount"))
    first_amount = records.locator("tbody tr").first.locator("td").nth(amount_col)
    expect(first_amount).to_have_text("100")

    page.locator(".facets").get_by_role("button", name=re.compile("^paid")).click()  # a facet
    expect(page.locator("#page-info")).to_contain_text("Page 1 of 2 · 30 matching")
    page.locator("#filter-field").select_option("amount")
    page.locator("#filter-op").select_option(">=")
    page.locator("#filter-value").fill("70")
    page.get_by_role("button", name="Add filter").click()
    paid_high = [o for o in range(1, 91) if STATUSES[o % 3] == "paid" and 10 + o >= 70]
    expect(page.locator("#page-info")).to_contain_text(f"{len(paid_high)} matching")
    console.shot(page, "explore")

    with page.expect_download() as got:
        page.locator(".records-section .export button[data-format=csv]").click()
    rows = list(csv.reader(io.StringIO(Path(got.value.path()).read_text())))
    assert rows[0][:1] and len(rows) == len(paid_high) + 1
    assert {r[rows[0].index("status")] for r in rows[1:]} == {"paid"}
    with page.expect_download() as got:
        page.locator(".records-section .export button[data-format=json]").click()
    data = json.loads(Path(got.value.path()).read_text())
    assert sorted(r["amount"] for r in data) == sorted(10 + o for o in paid_high)
    with page.expect_download() as got:
        page.locator(".records-section .export button[data-format=parquet]").click()
    import pyarrow.parquet as pq

    table = pq.read_table(got.value.path())
    assert table.num_rows == len(paid_high)
    assert set(table.column("status").to_pylist()) == {"paid"}

    page.locator(".records tbody tr").first.locator("a").first.click()  # the record view
    expect(page.locator("#record-title")).to_contain_text("orders /")
    expect(page.locator(".record-fields")).to_contain_text("order number")
    console.shot(page, "record")


def test_tier_map_and_migration(console: ConsoleEnv, page: Page) -> None:
    sign_in(page, console)
    page.goto(console.url + "/#/tiers")
    expect(page.locator("main[data-ready=true]")).to_have_count(1, timeout=60_000)
    explained = console.db.explain_tiers("orders")
    cold = [s for s in explained["segments"] if s["tier"] == "cold"]
    assert cold, "the fixture moved old windows to the cold tier"
    orders_map = page.locator("section[aria-label='Tier map of orders'] .tiermap")
    # one rectangle per cold segment, and one for the warm rows
    expect(orders_map).to_have_attribute("data-marks", str(len(cold) + 1))
    expect(page.locator("table", has_text="Data by tier")).to_contain_text("orders")
    page.get_by_role("button", name="Run a migration pass").click()
    expect(page.locator(".migrate-out")).to_contain_text(re.compile("Done|Nothing"), timeout=60_000)
    console.shot(page, "tiers")


def test_operate_keys_audit_and_domains(console: ConsoleEnv, page: Page) -> None:
    sign_in(page, console)
    page.goto(console.url + "/#/operate")
    expect(page.locator("main[data-ready=true]")).to_have_count(1)
    page.locator("#key-role").select_option("reader")
    page.locator("#key-collections").fill("orders")
    page.locator("#key-label").fill("console test")
    page.get_by_role("button", name="Create key").click()
    new_key = page.locator("#new-key")
    expect(new_key).to_have_value(re.compile("^tdb_"))
    key = new_key.input_value()
    key_id = key.removeprefix("tdb_").split("_", 1)[0]
    row = page.locator("tr", has_text=key_id)
    expect(row).to_contain_text("console test")
    page.on("dialog", lambda d: d.accept())
    row.get_by_role("button", name=f"Revoke key {key_id}").click()
    expect(page.locator("tr.revoked", has_text=key_id)).to_have_count(1)
    page.get_by_role("button", name="Verify the audit chain").click()
    expect(page.locator(".verify")).to_contain_text("The chain is intact")
    expect(page.locator("table", has_text="Every domain service")).to_contain_text("orders")
    expect(page.locator("table", has_text="newest entries")).to_contain_text("key.create")
    console.shot(page, "operate")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("API key")).to_be_visible()
    assert page.evaluate("() => sessionStorage.length") == 0  # the key left the tab
    page.get_by_label("API key").fill(key)  # the revoked key no longer signs in
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#signin-problem")).to_contain_text("revoked")


def test_unauthorised_key_sees_nothing(console: ConsoleEnv, page: Page) -> None:
    page.goto(console.url + "/")
    page.get_by_label("API key").fill("tdb_not_a_real_key")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#signin-problem")).to_contain_text("401")
    expect(page.locator("#nav")).to_be_hidden()
    for name in ("orders", "messages", "users"):
        assert name not in page.locator("body").inner_text()
    # a bad key kept in the tab and a deep link, loaded afresh, do not get past sign-in
    page.evaluate("() => sessionStorage.setItem('thermodb.key', 'tdb_not_a_real_key')")
    page.goto(console.url + "/?again#/explore/orders")
    expect(page.locator("#signin-problem")).to_contain_text("not valid")
    expect(page.get_by_label("API key")).to_be_visible()
    assert page.evaluate("() => sessionStorage.getItem('thermodb.key')") is None
    assert "paid" not in page.locator("body").inner_text()
    console.shot(page, "signin-refused")

    sign_in(page, console, "ordersreader")  # a reader sees its collections and no Operate
    page.goto(console.url + "/#/explore")
    expect(page.locator("nav.colls")).to_contain_text("orders")
    assert "users" not in page.locator("nav.colls").inner_text()
    expect(page.locator("#nav a[data-view=operate]")).to_be_hidden()


def test_hostile_stored_record_is_text(console: ConsoleEnv, page: Page) -> None:
    sign_in(page, console)
    page.goto(console.url + "/#/explore/messages")
    expect(page.locator("main[data-ready=true]")).to_have_count(1)
    records = page.locator(".records")
    for record in HOSTILE:
        expect(records.locator("td", has_text=str(record["text"]))).to_have_count(1)
    assert records.locator("img, script, b").count() == 0
    page.goto(console.url + "/#/ask")  # and in an answer of SQL typed into the Ask box
    page.locator("#question").fill("SELECT id, text FROM messages WHERE id >= 20 ORDER BY id")
    page.get_by_role("button", name="Run as SQL").click()
    answer = page.locator("article.answer[data-rendered]").last
    expect(answer.locator("td", has_text=str(HOSTILE[1]["text"]))).to_have_count(1)
    assert answer.locator("img, script, b").count() == 0

    page.goto(console.url + "/#/explore/messages/record/20")
    expect(page.locator(".record-fields")).to_contain_text(str(HOSTILE[0]["text"]))
    assert page.locator(".record-fields img").count() == 0
    assert page.evaluate("() => window.__pwned") is None
    console.shot(page, "hostile-record")


def test_keyboard_only_and_axe(console: ConsoleEnv, page: Page) -> None:
    if not AXE.exists():
        service_missing("axe-core", "run `npm ci` in console/ (it installs axe-core)")
    page.goto(console.url + "/")
    page.wait_for_selector("#key")
    axe_source = AXE.read_text()

    def axe(view: str) -> None:
        # evaluated over CDP: the page's Content-Security-Policy stays on (no inline scripts)
        page.evaluate(axe_source + "\n;undefined")
        result = page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length,"
            " target: v.nodes[0] && v.nodes[0].target}))"
        )
        serious = [v for v in result if v["impact"] in ("serious", "critical")]
        console.record(f"axe_{view}", result)
        assert not serious, f"axe-core on {view}: {serious}"

    axe("sign-in")
    # keyboard only from here: type the key, Enter signs in
    page.keyboard.type(console.keys["admin"])
    page.keyboard.press("Enter")
    expect(page.locator("#question")).to_be_focused()
    page.keyboard.type("orders by status")
    page.keyboard.press("Enter")
    expect(page.locator("article.answer[data-rendered]")).to_have_count(1)
    axe("ask")

    def tab_to(predicate: str, limit: int = 80, key: str = "Tab") -> None:
        for _ in range(limit):
            page.keyboard.press(key)
            if page.evaluate(f"() => {{ const e = document.activeElement; return {predicate}; }}"):
                return
        raise AssertionError(f"Tab never reached {predicate}")

    tab_to("e.matches('summary') && e.textContent.includes('How this was read')")
    page.keyboard.press("Enter")
    expect(page.locator("details.reading[open]")).to_have_count(1)
    expect(page.locator(".editor-sql .cm-content").first).to_be_visible()
    for view in ("explore", "tiers", "operate"):
        # back to the header with Shift+Tab, as a keyboard user would
        tab_to(f"e.matches('#nav a[data-view={view}]')", limit=400, key="Shift+Tab")
        page.keyboard.press("Enter")
        expect(page.locator(f"main[data-view={view}][data-ready=true]")).to_have_count(
            1, timeout=60_000
        )
        if view == "explore":
            tab_to("e.matches('nav.colls a') && e.textContent.startsWith('orders')")
            page.keyboard.press("Enter")
            expect(page.locator("main[data-ready=true] #coll-title")).to_have_text("orders")
            tab_to("e.id === 'next-page'")
            page.keyboard.press("Enter")
            expect(page.locator("#page-info")).to_contain_text("Page 2")
        axe(view)
    page.evaluate("() => window.scrollTo(0, 0)")
    console.shot(page, "keyboard-operate")
