// Ask: a question box with the conversation so far. Each answer shows its insight, the
// reading in words, a chart chosen from its shape, the table and how it was read.
import { ApiError, api } from "./api.js";
import { announce, append, clear, formatNumber, h, problem, table, text } from "./dom.js";
import { chartFor, loadCharts } from "./chart.js";
import { exportBar } from "./exporter.js";
import { readingBlock } from "./reading.js";
import { loadEditor } from "./editor.js";

const state = { conversation: null, turns: [], examples: null };

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

function wordsNotUnderstood(body, message) {
  for (const k of ["unexplained", "unknown_words", "not_understood", "unknown", "words"]) {
    const v = body[k];
    if (Array.isArray(v) && v.length) return v.map((w) => firstText(w, w?.word));
    if (typeof v === "string" && v) return [v];
  }
  // older servers name the words only in the message, quoted: "I did not understand 'x'"
  if (body.error === "NotUnderstoodError") {
    const m = /not understand ((?:'[^']+'(?:,| and| or)?\s*)+)/.exec(message || "");
    if (m) return [...m[1].matchAll(/'([^']+)'/g)].map((x) => x[1]);
  }
  return [];
}

function suggestionsOf(body) {
  for (const k of ["suggestions", "did_you_mean", "alternatives", "closest"]) {
    const v = body[k];
    if (Array.isArray(v) && v.length) return v.map((s) => firstText(s, s?.question, s?.field, s?.name)).filter(Boolean);
  }
  return [];
}

function refusalCard(turn, ask) {
  const err = turn.error;
  const body = err.body || {};
  const words = wordsNotUnderstood(body, err.message);
  const suggestions = suggestionsOf(body);
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
          suggestions.map((s) => h("button", { type: "button", class: "chip", onclick: () => ask(s) }, s)),
        )
      : null,
  );
}

function turnNode(turn, ask) {
  const li = h("li", { class: "turn" }, h("p", { class: "question" }, h("span", { class: "sr-only" }, "You asked: "), turn.question));
  if (turn.pending) li.append(h("p", { class: "loading", role: "status" }, h("span", { class: "spin", "aria-hidden": "true" }), "Reading the question and running it…"));
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
  },
  async render(main) {
    const list = h("ol", { class: "turns", "aria-label": "Conversation" });
    const input = h("textarea", { id: "question", rows: "2", placeholder: "how many users signed up last week?", "aria-describedby": "ask-help", autocomplete: "off" });
    const convo = h("span", { class: "muted", id: "convo" });
    const redraw = () => {
      clear(list, state.turns.map((t) => turnNode(t, ask)));
      convo.textContent = state.conversation ? `Conversation ${state.conversation} · ${state.turns.length} question${state.turns.length === 1 ? "" : "s"}` : "New conversation";
    };
    async function ask(question) {
      question = question.trim();
      if (!question) return;
      const turn = { question, pending: true };
      state.turns.push(turn);
      redraw();
      list.lastElementChild?.scrollIntoView({ block: "nearest" });
      try {
        const started = performance.now();
        const answer = await api("/v1/ask", { body: { question, conversation: state.conversation || undefined } });
        turn.responseAt = performance.now();
        turn.answer = answer;
        turn.fetchMs = turn.responseAt - started;
        state.conversation = answer.conversation || state.conversation;
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) return;
        turn.error = err;
      }
      turn.pending = false;
      redraw();
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
            onclick: () => {
              state.conversation = null;
              state.turns = [];
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
