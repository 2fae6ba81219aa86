// The drkit trajectory viewer (plain ES module, no build step). Talks to the JSON API of `drkit serve viewer`.
const state = { offset: 0, limit: 50, total: 0, selected: -1 };

const element = (tag, attributes = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "class") node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
};

// Inside the workbench the page shows one run of the folder, named by `?source=<run id>`.
const source = new URLSearchParams(location.search).get("source");

async function getJson(path) {
  const url = source ? `${path}${path.includes("?") ? "&" : "?"}source=${encodeURIComponent(source)}` : path;
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

function outcomeBadge(correct) {
  if (correct === true) return element("span", { class: "badge ok" }, "correct");
  if (correct === false) return element("span", { class: "badge bad" }, "wrong");
  return element("span", { class: "badge" }, "unscored");
}

async function loadList() {
  const params = new URLSearchParams({ offset: String(state.offset), limit: String(state.limit) });
  const search = document.getElementById("search").value.trim();
  const outcome = document.getElementById("outcome").value;
  if (search) params.set("search", search);
  if (outcome) params.set("outcome", outcome);
  const page = await getJson(`/api/trajectories?${params}`);
  state.total = page.total;
  const list = document.getElementById("list");
  list.replaceChildren();
  for (const item of page.items) {
    const row = element(
      "li",
      { "data-index": String(item.index) },
      element("span", { class: "q" }, item.question),
      outcomeBadge(item.correct),
      element("span", { class: "badge" }, `${item.turns} turns`),
      element("span", { class: "badge" }, item.termination),
    );
    if (item.index === state.selected) row.classList.add("active");
    row.addEventListener("click", () => select(item.index));
    list.append(row);
  }
  const last = Math.min(state.offset + state.limit, state.total);
  document.getElementById("count").textContent = `${state.total ? state.offset + 1 : 0}–${last} of ${state.total}`;
}

function renderTokens(tokens) {
  const box = element("div", { class: "tokens" });
  let shown = 0;
  for (const span of tokens.spans) {
    for (const [position, id] of span.ids.entries()) {
      if (shown++ > 600) {
        box.append(element("span", {}, "…"));
        return box;
      }
      // Hover: the turn, and for a model token its sampler logprob.
      const logprob = span.source === "model" ? span.logprobs?.[position] : undefined;
      const title = `turn ${span.turn + 1} · ${span.source}${logprob !== undefined ? ` · logprob ${logprob.toFixed(4)}` : ""}`;
      box.append(element("span", { class: span.source === "model" ? "m1" : "m0", title }, String(id)));
    }
  }
  return box;
}

function renderTurn(turn) {
  const timing =
    turn.modelMs !== undefined
      ? ` · model ${(turn.modelMs / 1000).toFixed(2)} s · tools ${((turn.toolMs ?? 0) / 1000).toFixed(2)} s`
      : "";
  const box = element("div", { class: "turn" }, element("h3", {}, `Turn ${turn.index + 1} · ${turn.action}${timing}`));
  if (turn.reasoning) box.append(element("pre", { class: "think" }, turn.reasoning));
  box.append(element("pre", { class: turn.action === "answer" ? "answer" : "think" }, turn.text));
  for (const call of turn.toolCalls) {
    box.append(element("pre", { class: "call" }, `${call.name}(${JSON.stringify(call.arguments)})`));
  }
  if (turn.observation) box.append(element("pre", { class: "obs" }, turn.observation));
  return box;
}

async function select(index) {
  state.selected = index;
  for (const row of document.querySelectorAll("#list li")) {
    row.classList.toggle("active", row.getAttribute("data-index") === String(index));
  }
  const record = await getJson(`/api/trajectories/${index}`);
  const panel = document.getElementById("detail-panel");
  const verdicts = record.verdicts.map((v) => `${v.judge}: ${v.status === "ok" ? v.correct : `error (${v.error})`}`);
  panel.replaceChildren(
    element("h2", {}, record.question),
    element(
      "dl",
      { class: "meta" },
      element("dt", {}, "prediction"),
      element("dd", {}, record.prediction ?? "(none)"),
      element("dt", {}, "gold"),
      element("dd", {}, record.goldAnswers.join(" | ") || "(none)"),
      element("dt", {}, "reward"),
      element("dd", {}, record.reward ? `${record.reward.score} (${record.reward.name})` : "(none)"),
      element("dt", {}, "verdicts"),
      element("dd", {}, verdicts.join("; ") || "(none)"),
      element("dt", {}, "termination"),
      element("dd", {}, record.termination),
      element("dt", {}, "protocol / model"),
      element("dd", {}, `${record.protocol} / ${record.model ?? "?"}`),
      element("dt", {}, "usage"),
      element(
        "dd",
        {},
        `${record.usage.llmCalls} model calls, ${record.usage.toolCalls} tool calls, ${record.usage.totalTokens} tokens, $${record.usage.costUsd.toFixed(4)}, ${record.timings.durationMs} ms`,
      ),
    ),
    ...record.turns.map(renderTurn),
  );
  if (record.tokens) {
    panel.append(
      element("h3", {}, "Token view (blue: model, trained · amber: observation, masked)"),
      renderTokens(record.tokens),
    );
  }
  if (typeof record.metadata?.uid === "string") panel.append(await renderGroup(record));
}

/** A training rollout's group: every sample of the same uid and step, with its reward and advantage. */
async function renderGroup(record) {
  const params = new URLSearchParams({ group: record.metadata.uid, limit: "100" });
  if (typeof record.metadata.step === "number") params.set("step", String(record.metadata.step));
  const page = await getJson(`/api/trajectories?${params}`);
  const table = element("table", { class: "group" });
  table.append(
    element(
      "tr",
      {},
      ...["sample", "prediction", "reward", "advantage", "termination"].map((name) => element("th", {}, name)),
    ),
  );
  for (const item of page.items) {
    const row = element(
      "tr",
      { "data-index": String(item.index), class: item.index === state.selected ? "active" : "" },
      element("td", {}, String(item.sample)),
      element("td", {}, item.prediction ?? "(none)"),
      element("td", {}, item.score === undefined ? "–" : String(item.score)),
      element("td", {}, item.advantage === undefined ? "–" : item.advantage.toFixed(4)),
      element("td", {}, item.termination),
    );
    row.addEventListener("click", () => select(item.index));
    table.append(row);
  }
  const step = typeof record.metadata.step === "number" ? `, step ${record.metadata.step}` : "";
  return element(
    "section",
    { class: "rollout-group" },
    element("h3", {}, `Rollout group (uid ${record.metadata.uid}${step}): ${page.total} samples`),
    table,
  );
}

async function start() {
  const info = await getJson("/api/info");
  document.getElementById("file").textContent =
    `${info.file} · ${info.total} records${info.skipped ? ` · ${info.skipped} lines skipped (not valid records)` : ""}`;
  document.getElementById("filters").addEventListener("submit", (event) => event.preventDefault());
  document.getElementById("search").addEventListener("input", () => {
    state.offset = 0;
    loadList();
  });
  document.getElementById("outcome").addEventListener("change", () => {
    state.offset = 0;
    loadList();
  });
  document.getElementById("prev").addEventListener("click", () => {
    state.offset = Math.max(0, state.offset - state.limit);
    loadList();
  });
  document.getElementById("next").addEventListener("click", () => {
    if (state.offset + state.limit < state.total) state.offset += state.limit;
    loadList();
  });
  await loadList();
  const first = document.querySelector("#list li");
  if (first) await select(Number(first.getAttribute("data-index")));
}

start().catch((error) => {
  document.getElementById("detail-panel").textContent = `Could not load trajectories: ${error.message}`;
});
