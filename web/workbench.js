// The drkit workbench page: runs found in the folder, and the scalars of training runs over steps, several runs
// overlaid (uPlot), with smoothing, log scale, hover values, a click to pin a value, CSV/PNG download and live refresh.

const state = {
  runs: [],
  selected: new Set(),
  scalars: new Map(),
  shown: new Set(["reward", "eval:exact_match"]),
  charts: [],
  compared: [],
  comparison: null,
};
// Exposed for the browser test and for inspection from the devtools console.
window.workbench = state;
const COLORS = [
  "#3465a4",
  "#cc0000",
  "#4e9a06",
  "#75507b",
  "#f57900",
  "#06989a",
  "#c4a000",
  "#5c3566",
  "#8f5902",
  "#204a87",
];

function element(tag, attributes = {}, text) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

async function getJson(path) {
  const response = await fetch(path, { cache: "no-store" });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

function headline(run) {
  const data = state.scalars.get(run.id);
  if (!data) return "";
  const lastEval = data.eval.at(-1);
  if (lastEval && typeof lastEval.exact_match === "number")
    return `held-out EM ${lastEval.exact_match.toFixed(3)} @ ${lastEval.step}`;
  const last = data.metrics.at(-1);
  return last && typeof last.reward === "number" ? `reward ${last.reward.toFixed(3)} @ ${last.step}` : "";
}

function renderRuns() {
  const body = document.querySelector("#runs tbody");
  body.replaceChildren();
  for (const run of state.runs) {
    const row = element("tr", { class: run.kind, "data-run": run.id });
    const pick = element("td");
    if (run.kind === "training") {
      const box = element("input", { type: "checkbox", "aria-label": `plot ${run.name}` });
      box.checked = state.selected.has(run.id);
      box.addEventListener("change", () => toggleRun(run.id, box.checked));
      pick.append(box);
    } else if (run.kind === "evaluation") {
      const box = element("input", { type: "checkbox", "aria-label": `compare ${run.name}`, "data-compare": run.id });
      box.checked = state.compared.includes(run.id);
      box.addEventListener("change", () => toggleCompared(run.id, box.checked));
      pick.append(box);
    }
    const options = Object.entries(run.options)
      .map(([key, value]) => `${key}=${value}`)
      .join(" ");
    const name = element("td");
    if (run.kind === "synthesis") {
      const open = element("a", { href: "#", "data-open": "synthesis" }, run.name);
      open.addEventListener("click", (event) => {
        event.preventDefault();
        showSynthesis(run.id);
      });
      name.append(open);
    } else if (run.kind === "evaluation" || run.kind === "trajectories") {
      name.append(
        element("a", { href: `/viewer?source=${encodeURIComponent(run.id)}`, "data-open": "trajectories" }, run.name),
      );
      if (run.kind === "evaluation")
        name.append(
          " ",
          element("a", { href: `/runs/report?id=${encodeURIComponent(run.id)}`, "data-open": "report" }, "report"),
        );
    } else name.textContent = run.name;
    row.append(pick, element("td", {}, run.kind), name);
    const status = element("td");
    status.append(
      element("span", { class: `status ${run.status}`, ...(run.error ? { title: run.error } : {}) }, run.status),
    );
    row.append(
      status,
      element("td", {}, options),
      element("td", { class: "headline" }, headline(run)),
      element("td", { title: `last change ${run.modifiedAt}` }, run.startedAt.slice(0, 19).replace("T", " ")),
    );
    body.append(row);
  }
}

async function loadScalars(id) {
  const data = await getJson(`/api/runs/scalars?id=${encodeURIComponent(id)}`);
  state.scalars.set(id, data);
}

async function toggleRun(id, on) {
  if (on) {
    state.selected.add(id);
    if (!state.scalars.has(id)) await loadScalars(id);
  } else state.selected.delete(id);
  renderRuns();
  renderScalarPicker();
  renderCharts();
}

/** Every scalar name of the selected runs: metrics keys, and eval keys as `eval:<key>`. */
function scalarNames() {
  const names = new Set();
  for (const id of state.selected) {
    const data = state.scalars.get(id);
    for (const row of data?.metrics ?? [])
      for (const [key, value] of Object.entries(row)) if (key !== "step" && typeof value === "number") names.add(key);
    for (const row of data?.eval ?? [])
      for (const [key, value] of Object.entries(row))
        if (key !== "step" && typeof value === "number") names.add(`eval:${key}`);
  }
  return [...names].sort();
}

function renderScalarPicker() {
  const holder = document.getElementById("scalars");
  holder.replaceChildren();
  for (const name of scalarNames()) {
    const label = element("label");
    const box = element("input", { type: "checkbox", "data-scalar": name });
    box.checked = state.shown.has(name);
    box.addEventListener("change", () => {
      if (box.checked) state.shown.add(name);
      else state.shown.delete(name);
      renderCharts();
    });
    label.append(box, ` ${name}`);
    holder.append(label);
  }
}

function seriesOf(id, name) {
  const data = state.scalars.get(id);
  const rows = name.startsWith("eval:") ? data.eval : data.metrics;
  const key = name.startsWith("eval:") ? name.slice(5) : name;
  return rows
    .filter((row) => typeof row.step === "number" && typeof row[key] === "number")
    .map((row) => [row.step, row[key]]);
}

function smooth(points, weight) {
  if (weight <= 0) return points;
  let last;
  return points.map(([x, y]) => {
    last = last === undefined ? y : last * weight + y * (1 - weight);
    return [x, last];
  });
}

/** uPlot's aligned data: the union of steps, one column per run (null where a run has no value). */
function alignedData(name) {
  const weight = Number(document.getElementById("smoothing").value);
  const ids = [...state.selected];
  const columns = ids.map((id) => new Map(smooth(seriesOf(id, name), weight)));
  const steps = [...new Set(columns.flatMap((column) => [...column.keys()]))].sort((a, b) => a - b);
  return { ids, data: [steps, ...columns.map((column) => steps.map((step) => column.get(step) ?? null))] };
}

function download(name, content, type) {
  const link = element("a", { href: URL.createObjectURL(new Blob([content], { type })), download: name });
  link.click();
  URL.revokeObjectURL(link.href);
}

function csvOf(ids, data) {
  const header = ["step", ...ids].join(",");
  return `${header}\n${data[0].map((step, i) => [step, ...data.slice(1).map((column) => column[i] ?? "")].join(",")).join("\n")}\n`;
}

function renderCharts() {
  for (const chart of state.charts) chart.plot.destroy();
  state.charts = [];
  const holder = document.getElementById("charts");
  holder.replaceChildren();
  document.getElementById("empty").hidden = state.selected.size > 0;
  const log = document.getElementById("log-scale").checked;
  for (const name of scalarNames().filter((scalar) => state.shown.has(scalar))) {
    const { ids, data } = alignedData(name);
    const box = element("div", { class: "chart", "data-chart": name });
    const title = element("h3", {}, name);
    const links = element("span");
    const csv = element("a", { href: "#", "data-download": "csv" }, "CSV");
    const png = element("a", { href: "#", "data-download": "png" }, "PNG");
    links.append(csv, png);
    title.append(links);
    box.append(title);
    holder.append(box);
    const positive = data.slice(1).every((column) => column.every((value) => value === null || value > 0));
    const plot = new uPlot(
      {
        width: 460,
        height: 240,
        scales: { x: { time: false }, y: { distr: log && positive ? 3 : 1 } },
        series: [
          { label: "step" },
          ...ids.map((id, i) => ({ label: id, stroke: COLORS[i % COLORS.length], width: 1.5, spanGaps: true })),
        ],
        axes: [{ label: "step" }, {}],
        cursor: { drag: { x: true, y: false } },
      },
      data,
      box,
    );
    plot.over.addEventListener("click", () => {
      const index = plot.cursor.idx;
      if (index === null || index === undefined) return;
      const values = ids.map((id, i) => `${id}=${plot.data[i + 1][index] ?? "–"}`).join("  ");
      document.getElementById("picked").textContent = `${name} @ step ${plot.data[0][index]}: ${values}`;
    });
    csv.addEventListener("click", (event) => {
      event.preventDefault();
      download(`${name.replace(/[^a-z0-9_-]+/gi, "_")}.csv`, csvOf(ids, plot.data), "text/csv");
    });
    png.addEventListener("click", (event) => {
      event.preventDefault();
      const link = element("a", {
        href: plot.ctx.canvas.toDataURL("image/png"),
        download: `${name.replace(/[^a-z0-9_-]+/gi, "_")}.png`,
      });
      link.click();
    });
    state.charts.push({ name, plot });
  }
}

function checkList(record) {
  const list = element("ul");
  for (const [name, check] of Object.entries(record.checks ?? {})) {
    const failed = check.detail?.failed?.length ? ` (${check.detail.failed.join(", ")})` : "";
    list.append(
      element("li", {}, `${check.passed === true ? "✓" : check.passed === false ? "✗" : "?"} ${name}${failed}`),
    );
  }
  return list;
}

function levelCard(level, record) {
  const card = element("div", { class: "level", "data-level": level });
  card.append(element("h3", {}, `L${level}`));
  if (!record) {
    card.append(element("p", {}, "not produced"));
    return card;
  }
  card.append(element("p", { class: "question" }, record.question));
  card.append(
    element(
      "p",
      { class: record.kept ? "kept" : "dropped" },
      record.kept ? "kept" : `dropped: ${record.drop_reasons.join(", ")}`,
    ),
  );
  if (record.replacements?.length) {
    const replacements = element("ul", { class: "replacements" });
    for (const replacement of record.replacements)
      replacements.append(
        element(
          "li",
          {},
          `${replacement.original} → ${replacement.replacement} (${replacement.kind}${replacement.passageId ? `, ${replacement.passageId}` : ""})`,
        ),
      );
    card.append(replacements);
  }
  card.append(checkList(record));
  return card;
}

function showChain(source) {
  const holder = document.getElementById("synthesis-chain");
  holder.replaceChildren(element("p", {}, `${source.question} [${source.answer}]`));
  const levels = element("div", { class: "levels" });
  for (const level of ["1", "2", "3"]) levels.append(levelCard(level, source.levels[level]));
  holder.append(levels);
  const evidence = element("div", { class: "evidence" });
  for (const passage of source.evidence)
    evidence.append(element("p", {}, `${passage.title} (${passage.id}): ${passage.text}`));
  holder.append(evidence);
}

async function showSynthesis(id) {
  const view = await getJson(`/api/runs/synthesis?id=${encodeURIComponent(id)}`);
  document.getElementById("synthesis-panel").hidden = false;
  document.getElementById("synthesis-name").textContent = id;
  const rows = document.querySelector("#synthesis-levels tbody");
  rows.replaceChildren();
  for (const level of view.report?.levels ?? []) {
    const reasons = Object.entries(level.drop_reasons ?? {})
      .map(([reason, n]) => `${reason} ×${n}`)
      .join(", ");
    const gate = Object.entries(level.readability_failures ?? {})
      .map(([rule, n]) => `${rule} ×${n}`)
      .join(", ");
    const row = element("tr", { "data-level": String(level.level) });
    row.append(
      element("td", {}, `L${level.level}`),
      element("td", {}, String(level.produced)),
      element("td", {}, String(level.kept)),
      element("td", {}, reasons),
      element("td", {}, gate),
    );
    rows.append(row);
  }
  const list = document.getElementById("synthesis-sources");
  list.replaceChildren();
  for (const source of view.sources) {
    const kept = ["1", "2", "3"]
      .map((level) => (source.levels[level]?.kept ? "●" : source.levels[level] ? "○" : "·"))
      .join("");
    const item = element("li", { "data-source": source.sourceId }, `${kept} ${source.question}`);
    item.addEventListener("click", () => {
      for (const other of list.children) other.classList.toggle("active", other === item);
      showChain(source);
    });
    list.append(item);
  }
  if (view.sources[0]) list.firstElementChild.click();
}

/** Two ticked evaluation runs are compared item by item (the oldest tick drops out when a third is ticked). */
async function toggleCompared(id, on) {
  state.compared = state.compared.filter((other) => other !== id);
  if (on) state.compared.push(id);
  if (state.compared.length > 2) state.compared.shift();
  renderRuns();
  const panel = document.getElementById("compare-panel");
  panel.hidden = state.compared.length !== 2;
  if (panel.hidden) return;
  const [a, b] = state.compared;
  state.comparison = await getJson(`/api/evaluations/compare?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`);
  renderComparison();
}

function renderComparison() {
  const comparison = state.comparison;
  document.getElementById("compare-names").textContent = `A = ${comparison.a}, B = ${comparison.b}`;
  const counts = Object.entries(comparison.counts)
    .map(([outcome, n]) => `${outcome}: ${n}`)
    .join(" · ");
  const missing =
    comparison.onlyInA || comparison.onlyInB
      ? ` · only in A: ${comparison.onlyInA} · only in B: ${comparison.onlyInB}`
      : "";
  document.getElementById("compare-counts").textContent = `${counts}${missing}`;
  const differing = document.getElementById("compare-differing").checked;
  const body = document.querySelector("#compare-items tbody");
  body.replaceChildren();
  const cell = (side) =>
    element(
      "td",
      { class: side.correct === true ? "right" : side.correct === false ? "wrong" : "" },
      side.prediction ?? "(no answer)",
    );
  for (const item of comparison.items) {
    if (differing && (item.outcome === "both right" || item.outcome === "both wrong")) continue;
    const row = element("tr", { "data-outcome": item.outcome });
    row.append(
      element("td", {}, item.question),
      element("td", {}, item.goldAnswers.join(" | ")),
      cell(item.a),
      cell(item.b),
    );
    body.append(row);
  }
}

/** Live refresh: runs in progress are re-read every 2 s and their charts get the new steps. */
async function refresh() {
  try {
    const { runs } = await getJson("/api/runs");
    state.runs = runs;
    const live = runs.filter((run) => run.status === "running" && state.selected.has(run.id));
    for (const run of live) await loadScalars(run.id);
    if (live.length > 0) {
      for (const chart of state.charts) chart.plot.setData(alignedData(chart.name).data);
    }
    renderRuns();
  } catch (error) {
    console.warn("refresh failed", error);
  }
}

async function start() {
  const { root, runs } = await getJson("/api/runs");
  document.getElementById("root").textContent = root;
  state.runs = runs;
  renderRuns();
  // Headlines come after the list is on screen.
  await Promise.all(runs.filter((run) => run.kind === "training").map((run) => loadScalars(run.id)));
  renderRuns();
  document.getElementById("smoothing").addEventListener("input", (event) => {
    document.getElementById("smoothing-value").textContent = event.target.value;
    renderCharts();
  });
  document.getElementById("log-scale").addEventListener("change", renderCharts);
  document.getElementById("compare-differing").addEventListener("change", () => state.comparison && renderComparison());
  setInterval(refresh, 2000);
}

start();
