// Ask: a question box with the conversation so far. Each answer shows its insight, the
// reading in words, a chart chosen from its shape, the table and how it was read.
import { ApiError, api } from "./api.js";
import { announce, append, clear, formatNumber, h, problem, table, text } from "./dom.js";
import { chartFor, loadCharts } from "./chart.js";
import { exportBar } from "./exporter.js";
import { readingBlock } from "./reading.js";
import { loadEditor } from "./editor.js";

const state = { conversation: null, turns: [], examples: null };
const SAVED = "thermodb.ask";
const KEEP_TURNS = 20;
const KEEP_ROWS = 500;

/** The conversation is kept for this tab (sessionStorage), so a reload does not lose it. */
function save() {
  const turns = state.turns
    .filter((t) => !t.pending)
    .slice(-KEEP_TURNS)
    .map((t) => ({
      question: t.question,
      sql: t.sql,
      answer: t.answer ? { ...t.answer, rows: t.answer.rows.slice(0, KEEP_ROWS) } : undefined,
      error: t.error ? { status: t.error.status, body: t.error.body, message: t.error.message } : undefined,
    }));
  try {
    sessionStorage.setItem(SAVED, JSON.stringify({ conversation: state.conversation, turns }));
  } catch {
    /* storage full or off: the conversation still works in this page */
  }
}

function restore() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(SAVED) || "null");
    if (!saved) return;
    state.conversation = saved.conversation;
    state.turns = saved.turns.map((t) => ({
      question: t.question,
      sql: t.sql,
      answer: t.answer,
      responseAt: performance.now(),
      error: t.error ? Object.assign(new ApiError(t.error.status, t.error.body), { message: t.error.message }) : undefined,
    }));
  } catch {
    sessionStorage.removeItem(SAVED);
  }
}

function firstText(...values) {
  for (const v of values) {
    if (typeof v === "string" && v.trim()) return v;
    if (v && typeof v === "object" && typeof v.text === "string") return v.text;
  }
  return "";
}

/** The reading in words, from whichever field the server carries it in. */
function readingInWords(answer) {
  const ex = answer.explain || {};
  return firstText(answer.reading, answer.read_as, answer.explanation, ex.reading, ex.nl?.reading, ex.nl?.read_as);
}

function alternativesOf(answer) {
  const ex = answer.explain || {};
  const alts = answer.alternatives || answer.also_possible || ex.nl?.alternatives || ex.nl?.also_possible || [];
  return (Array.isArray(alts) ? alts : [alts]).map((a) => firstText(a, a?.reading, a?.question)).filter(Boolean);
}

function insightOf(answer) {
  const i = answer.insight;
  if (!i) return "";
  if (typeof i === "string") return i;
  return firstText(i.text, i.sentence, i.summary) || text(i);
}

function confidenceBadge(c) {
  if (typeof c !== "number") return null;
  const pct = Math.round(c * 100);
  const level = pct >= 90 ? "high" : pct >= 70 ? "medium" : "low";
  return h("span", { class: `badge conf-${level}`, title: "How sure the reader is of this reading" }, `confidence ${pct}%`);
}

function answerCard(turn) {
  const answer = turn.answer;
  answer.spec ||= answer.query || null;
  const card = h("article", { class: "answer card", "aria-label": `Answer to: ${turn.question}` });
  const insight = insightOf(answer);
  const words = readingInWords(answer);
  const alts = alternativesOf(answer);
  const notes = answer.explain?.nl?.notes || [];
  append(card, [
    h("header", { class: "answer-head" }, h("p", { class: "insight" }, insight || `${answer.rows.length} row${answer.rows.length === 1 ? "" : "s"}`), confidenceBadge(answer.confidence)),
    words ? h("p", { class: "read-as" }, h("span", { class: "muted" }, "Read as: "), words) : null,
    alts.length ? h("p", { class: "muted" }, "Also possible: ", alts.join("; ")) : null,
    notes.length && !words ? h("ul", { class: "notes" }, notes.map((n) => h("li", null, n))) : null,
  ]);
  const chart = chartFor(answer);
  if (chart.node) card.append(chart.node);
  card.dataset.kind = chart.kind;
  card.dataset.conversation = answer.conversation || "";
  card.dataset.cache = String(answer.explain?.result_cache ?? "");
  if (answer.spec) card.dataset.spec = JSON.stringify(answer.spec);
  if (chart.kind !== "number" || answer.columns.length > 1 || answer.rows.length !== 1) {
    card.append(table(answer.columns, answer.rows, { caption: `Answer table (${answer.rows.length} rows)` }));
  }
  if (answer.truncated) card.append(h("p", { class: "muted" }, "The server's row cap cut this answer short; export gets the first rows only too — narrow the question."));
  const source = () => (answer.spec ? { spec: answer.spec } : { sql: turn.sql });
  if (answer.spec || turn.sql) card.append(exportBar(source, "answer"));
  card.append(readingBlock(answer));
  turn.ready = chart.ready.then(() => {
    const ms = performance.now() - turn.responseAt;
    card.dataset.renderMs = ms.toFixed(1);
    card.dataset.rendered = "true";
  });
  turn.ready.catch((err) => card.append(problem(err)));
  return card;
}

const QUOTED = /'([^']+)'/g;

/** The question's own words that the server quoted back as not understood. */
function wordsNotUnderstood(body, message, question) {
  for (const k of ["unexplained", "unknown_words", "not_understood", "unknown", "words"]) {
    const v = body[k];
    if (Array.isArray(v) && v.length) return v.map((w) => firstText(w, w?.word));
    if (typeof v === "string" && v) return [v];
  }
  if (body.error !== "NotUnderstoodError") return [];
  const q = ` ${question.toLowerCase()} `;
  return [...(message || "").matchAll(QUOTED)].map((m) => m[1]).filter((w) => w.length < 40 && q.includes(w.toLowerCase()) && w.toLowerCase() !== question.toLowerCase());
}

/** Names the server offers instead: a structured list, else the ones its hint names. */
function candidatesOf(body) {
  for (const k of ["suggestions", "did_you_mean", "alternatives", "closest"]) {
    const v = body[k];
    if (Array.isArray(v) && v.length) return { questions: v.map((s) => firstText(s, s?.question, s?.field, s?.name)).filter(Boolean), names: [] };
  }
  const hint = body.hint || "";
  let names = [...hint.matchAll(QUOTED)].map((m) => m[1]);
  const list = /:\s*([\w.\-]+(?:,\s*[\w.\-]+)+)\s*$/.exec(hint);
  if (!names.length && list) names = list[1].split(/,\s*/);
  return { questions: [], names: names.slice(0, 6) };
}

/** Clickable alternatives: the question with the word not understood replaced by each name. */
function alternativesFor(question, words, body) {
  const { questions, names } = candidatesOf(body);
  if (questions.length) return questions.map((q) => ({ label: q, ask: q }));
  if (words.length === 1) {
    const re = new RegExp(words[0].replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "i");
    return names.map((n) => ({ label: question.replace(re, n), ask: question.replace(re, n) }));
  }
  return names.map((n) => ({ label: n, insert: n }));
}

function refusalCard(turn, ask) {
  const err = turn.error;
  const body = err.body || {};
  const words = wordsNotUnderstood(body, err.message, turn.question);
  const suggestions = alternativesFor(turn.question, words, body);
  const notUnderstood = err instanceof ApiError && (body.error === "NotUnderstoodError" || err.status === 422);
  return h(
    "article",
    { class: `answer card refusal`, "aria-label": `Refused: ${turn.question}`, "data-kind": "refusal" },
    h("p", { class: "insight" }, notUnderstood ? "I could not answer that." : "That did not work."),
    h("p", { class: "refusal-detail" }, err.message),
    body.hint ? h("p", { class: "muted" }, body.hint) : null,
    words.length ? h("p", null, "Words not understood: ", words.map((w) => h("mark", { class: "word" }, w))) : null,
    suggestions.length
      ? h(
          "div",
          { class: "suggestions", role: "group", "aria-label": "Try instead" },
          h("span", { class: "muted" }, "Try: "),
          suggestions.map((s) =>
            h(
              "button",
              {
                type: "button",
                class: "chip",
                title: s.ask ? "Ask this" : "Add to the question box",
                onclick: () => (s.ask ? ask(s.ask) : ask.insert(s.insert)),
              },
              s.label,
            ),
          ),
        )
      : null,
  );
}

function turnNode(turn, ask) {
  const li = h("li", { class: "turn" }, h(turn.sql ? "pre" : "p", { class: "question" }, h("span", { class: "sr-only" }, turn.sql ? "You ran: " : "You asked: "), turn.question));
  if (turn.pending) {
    const elapsed = h("span", { class: "muted" });
    const tick = setInterval(() => {
      if (!turn.pending || !li.isConnected) return clearInterval(tick);
      elapsed.textContent = ` ${((performance.now() - turn.started) / 1000).toFixed(1)} s`;
    }, 250);
    li.append(
      h(
        "div",
        { class: "loading", role: "status" },
        h("span", { class: "spin", "aria-hidden": "true" }),
        turn.sql ? "Running the SQL…" : "Reading the question and running it…",
        elapsed,
        h("button", { type: "button", class: "small", onclick: () => turn.controller?.abort() }, "Cancel"),
      ),
    );
  }
  else if (turn.error) li.append(refusalCard(turn, ask));
  else li.append(turn.card || (turn.card = answerCard(turn)));
  return li;
}

async function examples(ctxMain) {
  if (state.examples) return state.examples;
  try {
    const colls = await api("/v1/collections");
    state.examples = colls.slice(0, 4).flatMap((c) => {
      const out = [`how many ${c.name} are there?`];
      if (c.time_field) out.push(`${c.name} per day last month`);
      return out;
    });
  } catch {
    state.examples = [];
  }
  void ctxMain;
  return state.examples;
}

export const askView = {
  reset() {
    state.conversation = null;
    state.turns = [];
    state.examples = null;
    sessionStorage.removeItem(SAVED);
  },
  async render(main) {
    if (!state.turns.length) restore();
    const list = h("ol", { class: "turns", "aria-label": "Conversation" });
    const input = h("textarea", { id: "question", rows: "2", placeholder: "how many users signed up last week?", "aria-describedby": "ask-help", autocomplete: "off" });
    const convo = h("span", { class: "muted", id: "convo" });
    const redraw = () => {
      clear(list, state.turns.map((t) => turnNode(t, ask)));
      convo.textContent = state.conversation ? `Conversation ${state.conversation} · ${state.turns.length} question${state.turns.length === 1 ? "" : "s"}` : "New conversation";
    };
    ask.insert = (word) => {
      input.value = `${input.value.trim()} ${word}`.trim();
      input.focus();
    };
    async function ask(question, { sql = false } = {}) {
      question = question.trim();
      if (!question) return;
      const controller = new AbortController();
      const turn = { question, pending: true, sql: sql ? question : undefined, controller, started: performance.now() };
      state.turns.push(turn);
      redraw();
      list.lastElementChild?.scrollIntoView({ block: "nearest" });
      try {
        const answer = sql
          ? await api("/v1/sql", { body: { sql: question }, signal: controller.signal })
          : await api("/v1/ask", { body: { question, conversation: state.conversation || undefined }, signal: controller.signal });
        turn.responseAt = performance.now();
        turn.answer = answer;
        turn.fetchMs = turn.responseAt - turn.started;
        if (!sql) state.conversation = answer.conversation || state.conversation;
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) return;
        turn.error = err.name === "AbortError" ? Object.assign(new Error("Cancelled: the answer was not waited for."), { body: {} }) : err;
      }
      turn.pending = false;
      redraw();
      save();
      announce(turn.error ? `Refused: ${turn.error.message}` : insightOf(turn.answer) || "Answered");
      list.lastElementChild?.scrollIntoView({ block: "nearest" });
    }
    const form = h(
      "form",
      {
        class: "askbar",
        onsubmit: (event) => {
          event.preventDefault();
          const q = input.value;
          input.value = "";
          ask(q);
        },
      },
      h("label", { for: "question" }, "Question"),
      input,
      h(
        "div",
        { class: "row" },
        h("button", { type: "submit", class: "primary", id: "ask" }, "Ask"),
        h(
          "button",
          {
            type: "button",
            id: "run-sql",
            title: "Run the text as one read-only SELECT",
            onclick: () => {
              const q = input.value;
              input.value = "";
              ask(q, { sql: true });
            },
          },
          "Run as SQL",
        ),
        h(
          "button",
          {
            type: "button",
            onclick: () => {
              state.conversation = null;
              state.turns = [];
              save();
              redraw();
              input.focus();
              announce("New conversation");
            },
          },
          "New conversation",
        ),
        convo,
      ),
      h("p", { id: "ask-help", class: "muted" }, "Enter asks; Shift+Enter starts a new line. A follow-up (\u201conly last week\u201d, \u201cby plan\u201d) continues the conversation."),
    );
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey) {
        e.preventDefault();
        form.requestSubmit();
      }
    });
    const exampleBox = h("div", { class: "suggestions", role: "group", "aria-label": "Example questions" });
    clear(main, h("h1", null, "Ask"), list, form, exampleBox);
    redraw();
    input.focus();
    examples().then((ex) => {
      if (!ex.length) return;
      clear(exampleBox, h("span", { class: "muted" }, "Examples: "), ex.map((q) => h("button", { type: "button", class: "chip", onclick: () => ask(q) }, q)));
    });
    // warm the chart and editor chunks while the user types
    loadCharts();
    setTimeout(loadEditor, 500);
    askView.ask = ask;
  },
};
export { formatNumber };
