// Operate (admin): API keys (create, list, revoke; a new key is shown once), the audit log
// with verification of its hash chain, and the domain registry with health.
import { api } from "./api.js";
import { announce, clear, h, problem, spinner, table, text } from "./dom.js";

async function keysSection(box, onChange) {
  const keys = await api("/v1/keys");
  const shown = h("div", { class: "newkey", "aria-live": "polite" });
  const role = h("select", { id: "key-role", name: "role" }, ["reader", "writer", "admin"].map((r) => h("option", { value: r }, r)));
  const colls = h("input", { id: "key-collections", name: "collections", placeholder: "users,messages:write (empty: all)", autocomplete: "off" });
  const label = h("input", { id: "key-label", name: "label", placeholder: "who or what it is for", autocomplete: "off" });
  const form = h(
    "form",
    {
      class: "keyform",
      "aria-label": "Create a key",
      onsubmit: async (e) => {
        e.preventDefault();
        try {
          const made = await api("/v1/keys", { body: { role: role.value, collections: colls.value.trim() || null, label: label.value.trim() } });
          const secret = h("input", { id: "new-key", readonly: true, value: made.key, "aria-label": "The new key", size: "70" });
          const copy = h(
            "button",
            {
              type: "button",
              class: "small",
              onclick: async () => {
                secret.select();
                try {
                  await navigator.clipboard.writeText(made.key);
                  announce("Key copied");
                } catch {
                  announce("Select the key and copy it");
                }
              },
            },
            "Copy",
          );
          clear(shown, h("div", { class: "card once", role: "alert" }, h("strong", null, "New key — shown once. Copy it now; only its id is kept."), h("div", { class: "row" }, secret, copy)));
          secret.focus();
          secret.select();
          await refreshList();
          onChange();
        } catch (err) {
          clear(shown, problem(err));
        }
      },
    },
    h("label", { for: "key-role" }, "Role"),
    role,
    h("label", { for: "key-collections" }, "Collections"),
    colls,
    h("label", { for: "key-label" }, "Label"),
    label,
    h("button", { type: "submit", class: "primary" }, "Create key"),
  );
  const list = h("div");
  async function refreshList(data) {
    const all = data || (await api("/v1/keys"));
    clear(
      list,
      h(
        "div",
        { class: "table-wrap", tabindex: "0", role: "region", "aria-label": "Key list" },
        h(
          "table",
          null,
          h("caption", null, `${all.length} keys`),
          h("thead", null, h("tr", null, ["id", "role", "grants", "label", "created", "revoked"].map((c) => h("th", { scope: "col" }, c)), h("th", { scope: "col" }, h("span", { class: "sr-only" }, "actions")))),
          h(
            "tbody",
            null,
            all.map((k) =>
              h(
                "tr",
                { class: k.revoked_at ? "revoked" : null },
                h("td", null, h("code", null, k.id)),
                h("td", null, k.role),
                h("td", null, Object.keys(k.grants || {}).length ? Object.entries(k.grants).map(([c, p]) => `${c}:${p.join("+")}`).join(", ") : "all"),
                h("td", null, k.label),
                h("td", null, k.created_at),
                h("td", null, k.revoked_at || ""),
                h(
                  "td",
                  null,
                  k.revoked_at
                    ? null
                    : h(
                        "button",
                        {
                          type: "button",
                          class: "small danger",
                          "aria-label": `Revoke key ${k.id}`,
                          onclick: async () => {
                            if (!confirm(`Revoke key ${k.id}${k.label ? ` (${k.label})` : ""}? Requests with it will be refused.`)) return;
                            try {
                              await api(`/v1/keys/${encodeURIComponent(k.id)}`, { method: "DELETE" });
                              announce(`Key ${k.id} revoked`);
                              await refreshList();
                              onChange();
                            } catch (err) {
                              list.prepend(problem(err));
                            }
                          },
                        },
                        "Revoke",
                      ),
                ),
              ),
            ),
          ),
        ),
      ),
    );
  }
  await refreshList(keys);
  clear(box, h("h2", { id: "keys-title" }, "API keys"), form, shown, list);
}

async function auditSection(box) {
  const out = h("div", { class: "verify", "aria-live": "polite" });
  const verify = h(
    "button",
    {
      type: "button",
      class: "primary",
      id: "verify-audit",
      onclick: async () => {
        clear(out, spinner("Verifying the chain…"));
        try {
          const r = await api("/v1/audit/verify");
          clear(
            out,
            h(
              "p",
              { class: r.ok ? "ok" : "problem", role: r.ok ? "status" : "alert" },
              r.ok ? "✓ The chain is intact: " : "✗ The chain is broken: ",
              `${r.entries} entries, ${r.checkpoints_verified} of ${r.checkpoints} checkpoints verified`,
              r.first_bad_seq ? `; first bad entry #${r.first_bad_seq}` : "",
            ),
            r.problems?.length ? h("ul", null, r.problems.map((p) => h("li", null, p))) : null,
          );
        } catch (err) {
          clear(out, problem(err));
        }
      },
    },
    "Verify the audit chain",
  );
  const entries = await api("/v1/audit?limit=50");
  clear(
    box,
    h("h2", { id: "audit-title" }, "Audit log"),
    h("div", { class: "row" }, verify, h("span", { class: "muted" }, "Each entry carries the hash of the one before; signed checkpoints anchor the chain.")),
    out,
    table(
      ["seq", "at", "actor", "action", "target", "outcome", "detail"],
      entries.reverse().map((e) => [e.seq, e.at, e.actor, e.action, e.target, e.outcome, text(e.detail)]),
      { caption: "The 50 newest entries" },
    ),
  );
}

async function domainsSection(box) {
  const ds = await api("/v1/domains");
  clear(
    box,
    h("h2", { id: "domains-title" }, "Domain registry"),
    table(
      ["domain", "kind", "health", "rows", "warm", "cold", "requests/min", "MCP endpoint"],
      ds.map((d) => [d.name, d.kind, h("span", { class: `health health-${d.health}` }, d.health), d.rows, d.tiers?.warm, d.tiers?.cold, d.requests_per_min, h("code", null, d.mcp)]),
      { caption: "Every domain service" },
    ),
  );
}

export const operateView = {
  async render(main) {
    const keys = h("section", { class: "card", "aria-labelledby": "keys-title" }, spinner("Loading keys…"));
    const audit = h("section", { class: "card", "aria-labelledby": "audit-title" }, spinner("Loading the audit log…"));
    const domains = h("section", { class: "card", "aria-labelledby": "domains-title" }, spinner("Loading domains…"));
    clear(main, h("h1", null, "Operate"), keys, audit, domains);
    const refreshAudit = () => auditSection(audit).catch((err) => clear(audit, problem(err)));
    await Promise.all(
      [
        [keys, (box) => keysSection(box, refreshAudit)],
        [audit, auditSection],
        [domains, domainsSection],
      ].map(([box, fill]) => fill(box).catch((err) => clear(box, problem(err)))),
    );
    main.dataset.ready = "true";
  },
};
