// lvyue serve: the page's script. Hand-written, no build step, no library:
// it calls the JSON API (docs/api.md) and shows what it answers.
"use strict";

const TEXT = {
  zh: {
    "nav.evaluate": "评估", "nav.rules": "规则浏览", "title": "碳市场履约评估",
    "lead": "选择辖区和履约年度，上传排放清单和持有量工作簿，即可看到应清缴多少、用哪些持有量清缴、需购买的缺口、截止日期和罚款区间，每个数字都可追溯到规则条款和输入单元格。文件只在本机处理，评估后即删除。",
    "step.choose": "选择辖区和年度", "step.upload": "上传工作簿", "loading": "加载中…", "year": "履约年度",
    "inventory": "排放清单工作簿", "portfolio": "持有量工作簿", "optional": "（可选）",
    "drop.hint": "拖放文件到这里，或点击选择（.xlsx .xlsm .xls .ods）", "entity": "主体名称",
    "entity.placeholder": "打印结果页眉中的单位名称", "options": "选项（如碳价）",
    "options.help": "每行一个 KEY=VALUE，传给插件，例如 carbon_price_cny=92.50（清缴截止前一个月的平均成交价，元/吨）。",
    "evaluate": "评估", "problems": "输入中的问题", "col.sheet": "工作表", "col.cell": "单元格", "col.found": "实际内容",
    "col.expected": "应为", "result": "评估结果", "print": "打印 / 另存为 PDF", "rules.title": "规则浏览：某一年度生效的参数",
    "jurisdiction": "辖区", "rules.show": "查看", "col.parameter": "参数", "col.value": "数值", "col.effective": "生效",
    "col.reference": "法律依据", "col.confidence": "可信度",
    "footer": "本页面由本机的 lvyue 提供，不连接任何外部网站。JSON API 见 docs/api.md。",
    "template.inventory": "清单模板", "template.portfolio": "持有量模板",
    "years.none": "所选辖区没有共同的履约年度", "choose.one": "请至少选择一个辖区",
    "need.inventory": "请选择排放清单工作簿", "evaluating": "正在评估…", "done": "完成",
    "bad_input": "输入有问题，未评估：", "busy": "服务器繁忙，请稍后重试", "too_large": "上传文件过大",
    "timeout": "评估超时", "failed": "评估失败：", "network": "无法连接服务器：",
    "dl.workbook": "履约工作簿 (.xlsx)", "dl.json": "JSON", "dl.printable": "可打印结果 (.html)", "dl.document": "文书",
    "partial": "部分辖区未能评估，见结果末尾。", "rules.missing": "以下参数在该年度没有取值：", "rules.source": "规则来源",
    "conf.verified": "已核实", "conf.secondary": "二手来源", "conf.unverified": "未核实", "conf.draft": "草案",
    "lang.other": "English",
  },
  en: {
    "nav.evaluate": "Evaluate", "nav.rules": "Rules browser", "title": "Carbon market compliance",
    "lead": "Choose the jurisdiction and compliance year, drop the inventory and portfolio workbooks, and see what must be surrendered, from which holdings, the shortfall to buy, the deadline and the penalty range — every number traced to the rule clause and the input cell. Files are processed on this computer and deleted after each evaluation.",
    "step.choose": "Jurisdiction and year", "step.upload": "Workbooks", "loading": "Loading…", "year": "Compliance year",
    "inventory": "Inventory workbook", "portfolio": "Portfolio workbook", "optional": "(optional)",
    "drop.hint": "Drop a file here, or click to choose (.xlsx .xlsm .xls .ods)", "entity": "Entity",
    "entity.placeholder": "The name in the printed result's header", "options": "Options (e.g. the carbon price)",
    "options.help": "One KEY=VALUE per line, passed to the plugin, e.g. carbon_price_cny=92.50 (the average price in the month before the deadline, CNY/t).",
    "evaluate": "Evaluate", "problems": "Problems in the input", "col.sheet": "Sheet", "col.cell": "Cell", "col.found": "Found",
    "col.expected": "Expected", "result": "Result", "print": "Print / Save as PDF", "rules.title": "Rules browser: the parameters in force for a year",
    "jurisdiction": "Jurisdiction", "rules.show": "Show", "col.parameter": "Parameter", "col.value": "Value", "col.effective": "Effective",
    "col.reference": "Legal reference", "col.confidence": "Confidence",
    "footer": "This page is served by lvyue on this computer and contacts no other site. The JSON API is described in docs/api.md.",
    "template.inventory": "inventory template", "template.portfolio": "portfolio template",
    "years.none": "The chosen jurisdictions share no compliance year", "choose.one": "Choose at least one jurisdiction",
    "need.inventory": "Choose the inventory workbook", "evaluating": "Evaluating…", "done": "Done",
    "bad_input": "The input has problems; nothing was evaluated:", "busy": "The server is busy; try again shortly", "too_large": "The upload is too large",
    "timeout": "The evaluation timed out", "failed": "The evaluation failed:", "network": "Cannot reach the server:",
    "dl.workbook": "Compliance workbook (.xlsx)", "dl.json": "JSON", "dl.printable": "Printable result (.html)", "dl.document": "Document",
    "partial": "Some jurisdictions could not be evaluated; see the end of the result.", "rules.missing": "These parameters have no value for the year:", "rules.source": "Rules",
    "conf.verified": "verified", "conf.secondary": "secondary", "conf.unverified": "unverified", "conf.draft": "draft",
    "lang.other": "中文",
  },
};

const state = { lang: "zh", plugins: [], answer: null, urls: [] };

const $ = (id) => document.getElementById(id);
const t = (key) => TEXT[state.lang][key] || TEXT.en[key] || key;
const pick = (b) => (b ? (state.lang === "zh" ? b.zh || b.en : b.en || b.zh) : "");

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) e.append(c);
  return e;
}

function setLang(lang) {
  state.lang = lang;
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.title = lang === "zh" ? "履约 lvyue — 碳市场履约评估" : "lvyue (履约) — carbon market compliance";
  for (const e of document.querySelectorAll("[data-i18n]")) e.textContent = t(e.dataset.i18n);
  for (const e of document.querySelectorAll("[data-i18n-placeholder]")) e.placeholder = t(e.dataset.i18nPlaceholder);
  const toggle = $("lang-toggle");
  toggle.textContent = t("lang.other");
  toggle.lang = lang === "zh" ? "en" : "zh-CN";
  renderPlugins();
  renderTemplates();
  if (state.plugins.length) fillRulesPlugins();
  if (state.answer) renderAnswer();
  if (state.rules) renderRules();
  if (state.problems) renderProblems(state.problems);
}

async function api(path) {
  const res = await fetch(path, { headers: { Accept: "application/json" } });
  const body = await res.json();
  return { status: res.status, body };
}

async function loadPlugins() {
  try {
    const { body } = await api("/api/plugins");
    state.plugins = body.plugins || [];
  } catch (e) {
    $("plugins").textContent = t("network") + " " + e;
    return;
  }
  renderPlugins();
  fillRulesPlugins();
  try {
    const { body } = await api("/api/health");
    $("tool").textContent = body.tool;
    state.maxUpload = body.max_upload_bytes;
  } catch (_) { /* the footer can do without */ }
}

function selected() {
  return [...document.querySelectorAll("#plugins input[type=checkbox]:checked")].map((c) => c.value);
}

function renderPlugins() {
  const box = $("plugins");
  if (!state.plugins.length) return;
  // The national market first, as \`lvyue demo\` does.
  const first = state.plugins.find((p) => p.id === "cn-ets") || state.plugins[0];
  const chosen = new Set(box.querySelector("input") ? selected() : [first.id]);
  box.replaceChildren();
  for (const p of state.plugins) {
    const input = el("input", { type: "checkbox", value: p.id, id: "plugin-" + p.id, checked: chosen.has(p.id), disabled: !!p.error });
    input.addEventListener("change", () => { fillYears(); renderTemplates(); });
    const years = yearsText(p.years || []);
    const label = el("label", { for: "plugin-" + p.id },
      input,
      el("span", {}, el("span", { text: pick(p.name) }), el("br"), el("span", { class: "id", text: `${p.id} ${p.version} · ${years}` }),
        ...(p.error ? [el("br"), el("span", { class: "error", text: p.error })] : [])));
    box.append(label);
  }
  fillYears();
}

// Years as ranges: 2021–2025, 2027 (as \`lvyue plugins\` shows them).
function yearsText(years) {
  const ys = [...new Set(years)].sort((a, b) => a - b);
  const parts = [];
  for (let i = 0; i < ys.length; i++) {
    const start = ys[i];
    while (i + 1 < ys.length && ys[i + 1] === ys[i] + 1) i++;
    parts.push(ys[i] === start ? String(start) : `${start}–${ys[i]}`);
  }
  return parts.join(", ");
}

function fillYears() {
  const chosen = state.plugins.filter((p) => selected().includes(p.id));
  const select = $("year");
  const before = select.value;
  let years = null;
  for (const p of chosen) {
    const ys = new Set(p.years || []);
    years = years === null ? [...ys] : years.filter((y) => ys.has(y));
  }
  years = (years || []).sort((a, b) => b - a);
  select.replaceChildren(...years.map((y) => el("option", { value: String(y), text: String(y) })));
  if (years.map(String).includes(before)) select.value = before;
  else {
    // The latest year that has ended, else the latest.
    const past = years.find((y) => y < new Date().getFullYear());
    if (past !== undefined) select.value = String(past);
  }
  $("year-note").textContent = chosen.length === 0 ? t("choose.one") : years.length === 0 ? t("years.none") : "";
}

function renderTemplates() {
  const box = $("templates");
  box.replaceChildren();
  const year = $("year").value;
  for (const p of state.plugins.filter((p) => selected().includes(p.id))) {
    const parts = new Set((p.sheets || []).map((s) => s.workbook));
    for (const part of ["inventory", "portfolio"]) {
      if (!parts.has(part)) continue;
      const href = `/api/template/${encodeURIComponent(p.id)}?part=${part}` + (year ? `&year=${year}` : "");
      box.append(el("a", { href, download: "", class: "template", "data-part": part, text: `⤓ ${p.id} ${t("template." + part)}` }));
    }
  }
}

function wireDrop(name) {
  const zone = $("drop-" + name);
  const input = $(name);
  const show = () => {
    const f = input.files && input.files[0];
    $(name + "-name").textContent = f ? `${f.name} (${Math.ceil(f.size / 1024)} KiB)` : "";
    zone.classList.toggle("has-file", !!f);
  };
  input.addEventListener("change", show);
  zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    if (e.dataTransfer.files.length) {
      const dt = new DataTransfer();
      dt.items.add(e.dataTransfer.files[0]);
      input.files = dt.files;
      show();
    }
  });
}

function status(text, isError) {
  const s = $("status");
  s.textContent = text;
  s.classList.toggle("error", !!isError);
}

async function evaluate(event) {
  event.preventDefault();
  const jurisdictions = selected();
  if (!jurisdictions.length) return status(t("choose.one"), true);
  const inventory = $("inventory").files[0];
  if (!inventory) return status(t("need.inventory"), true);
  const portfolioFile = $("portfolio").files[0];
  const size = inventory.size + (portfolioFile ? portfolioFile.size : 0);
  if (state.maxUpload && size > state.maxUpload) {
    return status(`${t("too_large")}: ${Math.ceil(size / 1048576)} MiB > ${Math.floor(state.maxUpload / 1048576)} MiB`, true);
  }
  const form = new FormData();
  for (const j of jurisdictions) form.append("jurisdiction", j);
  form.append("year", $("year").value);
  form.append("inventory", inventory, inventory.name);
  const portfolio = $("portfolio").files[0];
  if (portfolio) form.append("portfolio", portfolio, portfolio.name);
  const options = $("options").value.trim();
  if (options) form.append("option", options);
  const entity = $("entity").value.trim();
  if (entity) form.append("entity", entity);

  const button = $("evaluate-button");
  button.disabled = true;
  status(t("evaluating"));
  $("problems").hidden = true;
  state.problems = null;
  try {
    const res = await fetch("/api/evaluate?format=all", { method: "POST", body: form });
    let body = null;
    try { body = await res.json(); } catch (_) { body = { message: res.statusText }; }
    if (res.ok) {
      state.answer = body;
      renderAnswer();
      status(body.failures && body.failures.length ? t("partial") : t("done"), !!(body.failures && body.failures.length));
      $("result").scrollIntoView({ behavior: "smooth", block: "start" });
    } else if (res.status === 422) {
      state.problems = body;
      renderProblems(body);
      status(t("bad_input"), true);
    } else if (res.status === 503) {
      status(`${t("busy")} (${res.headers.get("Retry-After") || "?"} s)`, true);
    } else if (res.status === 413) {
      status(`${t("too_large")}: ${body.message}`, true);
    } else if (res.status === 504) {
      status(`${t("timeout")}: ${body.message}`, true);
    } else {
      status(`${t("failed")} ${body.message || res.status}`, true);
    }
  } catch (e) {
    status(`${t("network")} ${e}`, true);
  } finally {
    button.disabled = false;
  }
}

function renderProblems(body) {
  $("problems").hidden = false;
  const list = body.problems || [];
  $("problems-message").textContent = list.length ? `${list.length} ✕` : body.message;
  $("problems-body").replaceChildren(...list.map((p) => el("tr", {},
    el("td", { text: p.sheet }), el("td", { text: p.cell }), el("td", { text: p.found }),
    el("td", { text: state.lang === "zh" ? p.expected_zh || p.expected_en : p.expected_en || p.expected_zh }))));
  $("problems").scrollIntoView({ behavior: "smooth", block: "start" });
}

function blobUrl(file) {
  const bytes = Uint8Array.from(atob(file.base64), (c) => c.charCodeAt(0));
  const url = URL.createObjectURL(new Blob([bytes], { type: file.media_type }));
  state.urls.push(url);
  return url;
}

function renderAnswer() {
  const a = state.answer;
  for (const u of state.urls) URL.revokeObjectURL(u);
  state.urls = [];
  const box = $("downloads");
  box.replaceChildren();
  for (const f of a.files || []) {
    if (f.kind === "printable" && f.lang !== state.lang) continue;
    const label = f.kind === "workbook" ? t("dl.workbook") : f.kind === "json" ? t("dl.json") : f.kind === "printable" ? t("dl.printable") : `${t("dl.document")}: ${f.name}`;
    box.append(el("a", { href: blobUrl(f), download: f.name, "data-kind": f.kind, title: f.name, text: label }));
  }
  // The result is lvyue's own HTML (report/html.rs), every value in it escaped by the server.
  $("report").innerHTML = a.html[state.lang];
  $("result").hidden = false;
}

function fillRulesPlugins() {
  const select = $("rules-plugin");
  const before = select.value;
  select.replaceChildren(...state.plugins.map((p) => el("option", { value: p.id, text: `${p.id} — ${pick(p.name)}` })));
  const first = state.plugins.find((p) => p.id === "cn-ets") || state.plugins[0];
  select.value = before || (first ? first.id : "");
  if (!select.dataset.wired) {
    select.addEventListener("change", fillRulesYears);
    select.dataset.wired = "1";
  }
  fillRulesYears();
}

function fillRulesYears() {
  const p = state.plugins.find((p) => p.id === $("rules-plugin").value);
  const years = ((p && p.years) || []).slice().sort((a, b) => b - a);
  const select = $("rules-year");
  const before = select.value;
  select.replaceChildren(...years.map((y) => el("option", { value: String(y), text: String(y) })));
  if (years.map(String).includes(before)) select.value = before;
}

async function showRules() {
  const id = $("rules-plugin").value;
  const year = $("rules-year").value;
  if (!id || !year) return;
  try {
    const { body } = await api(`/api/rules/${encodeURIComponent(id)}?year=${year}`);
    state.rules = body;
  } catch (e) {
    $("rules-meta").textContent = `${t("network")} ${e}`;
    return;
  }
  renderRules();
}

function renderRules() {
  const r = state.rules;
  if (!r.parameters) {
    $("rules-meta").textContent = r.message || "";
    $("rules-table").hidden = true;
    return;
  }
  $("rules-meta").textContent = `${r.jurisdiction} ${r.year} · ${r.plugin.id} ${r.plugin.version} · ${t("rules.source")}: ${r.source} · sha256 ${r.plugin.rules_sha256.slice(0, 12)} · ${r.parameters.length}`;
  const missing = $("rules-missing");
  missing.hidden = !(r.missing && r.missing.length);
  missing.replaceChildren(el("p", { text: t("rules.missing") }), el("ul", {}, ...(r.missing || []).map((m) => el("li", { text: m }))));
  $("rules-body").replaceChildren(...r.parameters.map((p) => el("tr", {},
    el("td", {}, el("span", { text: pick(p.name) }), el("br"), el("code", { text: p.key })),
    el("td", { class: "num", text: `${p.value}${p.unit ? " " + p.unit : ""}` }),
    el("td", { text: p.effective + (p.until ? ` – ${p.until}` : "") }),
    el("td", { text: p.reference + (p.note ? ` (${p.note})` : "") }),
    el("td", {}, el("span", { class: "conf conf-" + p.confidence, text: t("conf." + p.confidence) })))));
  $("rules-table").hidden = false;
}

function init() {
  const asked = new URLSearchParams(location.search).get("lang");
  const lang = asked === "en" || asked === "zh" ? asked : (navigator.language || "zh").toLowerCase().startsWith("zh") ? "zh" : "en";
  $("lang-toggle").addEventListener("click", () => setLang(state.lang === "zh" ? "en" : "zh"));
  $("year").addEventListener("change", renderTemplates);
  $("evaluate-form").addEventListener("submit", evaluate);
  $("print").addEventListener("click", () => window.print());
  $("rules-show").addEventListener("click", showRules);
  wireDrop("inventory");
  wireDrop("portfolio");
  setLang(lang);
  loadPlugins().then(() => { renderTemplates(); setLang(state.lang); });
}

document.addEventListener("DOMContentLoaded", init);
