// The console's shell: sign-in, navigation between the views, sign-out.
import { ApiError, api, session } from "./api.js";
import { announce, clear, h, problem } from "./dom.js";
import { askView } from "./ask.js";
import { exploreView } from "./explore.js";
import { tiersView } from "./tiers.js";
import { operateView } from "./operate.js";

const VIEWS = { ask: askView, explore: exploreView, tiers: tiersView, operate: operateView };
const ctx = { me: null, main: null };

function signInForm(message) {
  document.getElementById("nav").hidden = true;
  clear(document.getElementById("who"));
  const input = h("input", {
    id: "key",
    name: "key",
    type: "password",
    autocomplete: "off",
    spellcheck: "false",
    placeholder: "tdb_…",
    required: true,
    "aria-describedby": "key-help",
  });
  const note = h("div", { id: "signin-problem" });
  if (message) note.append(message);
  const form = h(
    "form",
    {
      class: "card signin",
      "aria-labelledby": "signin-title",
      onsubmit: async (event) => {
        event.preventDefault();
        const key = input.value.trim();
        session.set(key);
        try {
          await enter();
          announce("Signed in");
        } catch (err) {
          session.set("");
          clear(note, problem(err));
          input.focus();
        }
      },
    },
    h("h1", { id: "signin-title" }, "Sign in to thermodb"),
    h("label", { for: "key" }, "API key"),
    input,
    h(
      "p",
      { id: "key-help", class: "muted" },
      "The key is kept for this browser tab only (session storage) and sent as a Bearer token. Create one with ",
      h("code", null, "thermodb keys create"),
      ".",
    ),
    h("button", { type: "submit", class: "primary" }, "Sign in"),
    note,
  );
  clear(ctx.main, form);
  input.focus();
}

async function enter() {
  ctx.me = await api("/v1/console/whoami");
  const nav = document.getElementById("nav");
  nav.hidden = false;
  nav.querySelector('[data-view="operate"]').hidden = !ctx.me.admin;
  clear(
    document.getElementById("who"),
    h("span", { class: "muted", title: ctx.me.subject }, ctx.me.subject, " · ", ctx.me.role),
    ctx.me.via === "local" ? null : h("button", { type: "button", id: "signout", onclick: signOut }, "Sign out"),
  );
  await route();
}

function signOut() {
  session.set("");
  ctx.me = null;
  for (const view of Object.values(VIEWS)) view.reset?.();
  location.hash = "";
  signInForm(h("p", { class: "muted" }, "Signed out. The key was removed from this tab."));
  announce("Signed out");
}

async function route() {
  if (!ctx.me) return;
  const [name, ...args] = (location.hash.replace(/^#\/?/, "") || "ask").split("/").map(decodeURIComponent);
  const view = VIEWS[name] && (name !== "operate" || ctx.me.admin) ? VIEWS[name] : VIEWS.ask;
  for (const a of document.querySelectorAll("#nav a[data-view]")) {
    if (a.dataset.view === (VIEWS[name] ? name : "ask")) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  delete ctx.main.dataset.ready;
  ctx.main.dataset.view = VIEWS[name] ? name : "ask";
  document.title = `${name[0].toUpperCase()}${name.slice(1)} · thermodb console`;
  try {
    await view.render(ctx.main, args, ctx);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return;
    clear(ctx.main, problem(err));
  }
}

function boot() {
  ctx.main = document.getElementById("main");
  session.onUnauthorized = (err) => {
    if (!ctx.me) return;
    ctx.me = null;
    session.set("");
    for (const view of Object.values(VIEWS)) view.reset?.();
    signInForm(problem(err));
  };
  window.addEventListener("hashchange", () => route());
  // a key kept from earlier in this tab, or a server run with --no-auth, signs in by itself
  api("/v1/console/config")
    .then((config) => {
      if (config.auth_required && !session.key()) return signInForm(null);
      return enter().catch((err) => {
        session.set("");
        signInForm(problem(err));
      });
    })
    .catch((err) => signInForm(problem(err)));
}

boot();
