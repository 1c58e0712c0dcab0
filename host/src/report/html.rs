//! The printable result: one HTML document for a run, the answer first.
//!
//! `lvyue evaluate --html FILE` writes it and `lvyue serve` shows it on its page
//! (the same function, [`document`] or [`fragment`]), so a browser's "Save as
//! PDF" gives the deliverable: A4, the entity, the year, the plugin version and
//! the rules digest in every page's header, "page x of y" in its footer, and a
//! signature and stamp block at the end.
//!
//! The order is the order of the questions: the answer (obligation, what to
//! surrender and from which holdings, the shortfall to buy, the deadline, the
//! penalty range; the same headlines and sentence as the workbook's answer
//! sheet, [`super::answer`]), then the surrender plan, the findings, the charts, the
//! plugin's other result tables, every metric with its formula, the decisions,
//! the parameters used with their legal source and confidence, and the trace.
//!
//! Numbers are the report's exact decimal text, only grouped by thousands; each
//! headline number carries its metric key and exact value (`data-metric`,
//! `data-value`) so a reader, or a test, can check what is shown against the
//! JSON. Charts are inline SVG: the document needs no script and no network.

use std::fmt::Write;

use crate::report::render::group_thousands;
use crate::report::{Bilingual, ChartKind, Kind, MetricOut, Report, TableOut};

/// The language of the document's own words (the plugin's labels come in both).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "zh" | "zh-CN" | "zh-Hans" => Some(Lang::Zh),
            "en" | "en-GB" | "en-US" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    fn t(self, zh: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    fn pick(self, b: &Bilingual) -> &str {
        let (first, second) = match self {
            Lang::Zh => (&b.zh, &b.en),
            Lang::En => (&b.en, &b.zh),
        };
        if first.is_empty() { second } else { first }
    }
}

/// What one document shows.
#[derive(Debug, Clone, Copy)]
pub struct Document<'a> {
    /// The reports of the run, one per jurisdiction.
    pub reports: &'a [Report],
    /// Jurisdictions that could not be evaluated, with the reason.
    pub failures: &'a [(String, String)],
    /// The entity the result is for (the document's header), if known.
    pub entity: Option<&'a str>,
    pub lang: Lang,
}

/// The table that says what to surrender from which holdings, shown right after the answer.
pub(crate) const SURRENDER_PLAN: &str = "surrender_plan";

/// The headline metrics of a report, as the workbook's answer sheet shows them
/// ([`super::answer::HEADLINES`] it has a value for, else its first metrics).
pub fn answer(report: &Report) -> Vec<&MetricOut> {
    let known: Vec<&MetricOut> = super::answer::HEADLINES.iter().filter_map(|k| report.metric(k)).filter(|m| m.value.is_some()).collect();
    if known.is_empty() {
        report.metrics.iter().filter(|m| m.value.is_some()).take(super::answer::FALLBACK_HEADLINES).collect()
    } else {
        known
    }
}

/// The whole document (`lvyue evaluate --html`).
pub fn document(d: &Document<'_>) -> String {
    let title = title(d);
    format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"generator\" content=\"lvyue {}\">\n<title>{}</title>\n</head>\n<body>\n{}</body>\n</html>\n",
        d.lang.code(),
        crate::TOOL_VERSION,
        esc(&title),
        fragment(d)
    )
}

/// The document's style and content without `<html>`, for a page to insert (`lvyue serve`).
pub(crate) fn fragment(d: &Document<'_>) -> String {
    let mut out = String::new();
    out.push_str("<style>\n");
    out.push_str(STYLE);
    out.push_str(&page_rules(d));
    out.push_str("</style>\n");
    let _ = writeln!(out, "<article class=\"lvyue-report\" lang=\"{}\">", d.lang.code());
    header(&mut out, d);
    for (i, r) in d.reports.iter().enumerate() {
        report_section(&mut out, r, d.lang, i);
    }
    if !d.failures.is_empty() {
        failures(&mut out, d);
    }
    signatures(&mut out, d.lang);
    out.push_str("</article>\n");
    out
}

fn title(d: &Document<'_>) -> String {
    let what = d.lang.t("履约结果", "Compliance result");
    let plugins: Vec<&str> = d.reports.iter().map(|r| d.lang.pick(&r.plugin.name)).collect();
    let years = years(d);
    match d.entity {
        Some(e) => format!("{e} — {what} {years} — {}", plugins.join(", ")),
        None => format!("{what} {years} — {}", plugins.join(", ")),
    }
}

fn years(d: &Document<'_>) -> String {
    let mut ys: Vec<u16> = d.reports.iter().map(|r| r.year).collect();
    ys.sort();
    ys.dedup();
    ys.iter().map(|y| y.to_string()).collect::<Vec<_>>().join(", ")
}

/// The printed page: A4, the running header and "page x of y".
fn page_rules(d: &Document<'_>) -> String {
    let l = d.lang;
    let plugins: Vec<String> = d
        .reports
        .iter()
        .map(|r| format!("{} {} · {} {}", r.plugin.id, r.plugin.version, l.t("规则摘要", "rules sha256"), short(&r.plugin.rules_sha256)))
        .collect();
    let left = match d.entity {
        Some(e) => format!("{e} · {} {}", l.t("履约年度", "compliance year"), years(d)),
        None => format!("{} {}", l.t("履约年度", "compliance year"), years(d)),
    };
    let (page, of, end) = match l {
        Lang::Zh => ("第 ", " 页，共 ", " 页"),
        Lang::En => ("Page ", " of ", ""),
    };
    format!(
        "@page {{\n  size: A4;\n  margin: 20mm 14mm 18mm 14mm;\n  @top-left {{ content: {}; font-size: 8pt; color: #555; }}\n  @top-right {{ content: {}; font-size: 8pt; color: #555; }}\n  @bottom-center {{ content: \"{page}\" counter(page) \"{of}\" counter(pages) \"{end}\"; font-size: 8pt; color: #555; }}\n  @bottom-right {{ content: {}; font-size: 7pt; color: #888; }}\n}}\n",
        css_string(&left),
        css_string(&plugins.join(" | ")),
        css_string(&format!("lvyue {}", crate::TOOL_VERSION)),
    )
}

fn header(out: &mut String, d: &Document<'_>) {
    let l = d.lang;
    let _ = writeln!(out, "<header class=\"doc-head\">");
    let _ = writeln!(out, "<h1>{}</h1>", esc(&title(d)));
    let _ = writeln!(out, "<table class=\"meta\">");
    if let Some(e) = d.entity {
        row2(out, l.t("主体", "Entity"), &esc(e));
    }
    row2(out, l.t("履约年度", "Compliance year"), &esc(&years(d)));
    for r in d.reports {
        row2(
            out,
            l.t("插件", "Plugin"),
            &format!(
                "{} — <code>{}</code> {} ({}, {} {})",
                esc(l.pick(&r.plugin.name)),
                esc(&r.plugin.id),
                esc(&r.plugin.version),
                esc(&r.plugin.origin),
                l.t("合约", "contract"),
                esc(&r.plugin.contract)
            ),
        );
        row2(out, l.t("规则", "Rules"), &format!("sha256 <code>{}</code> ({})", esc(&r.plugin.rules_sha256), esc(&r.plugin.rules_source)));
    }
    if let Some(r) = d.reports.first() {
        for i in &r.inputs {
            row2(
                out,
                l.t("输入文件", "Input file"),
                &format!("{} <span class=\"digest\">sha256 {}</span>", esc(&i.path), esc(short(&i.sha256))),
            );
        }
        row2(out, l.t("工具", "Tool"), &esc(&r.tool));
    }
    let _ = writeln!(out, "</table>\n</header>");
}

fn row2(out: &mut String, k: &str, v_html: &str) {
    let _ = writeln!(out, "<tr><th>{}</th><td>{v_html}</td></tr>", esc(k));
}

fn report_section(out: &mut String, r: &Report, l: Lang, index: usize) {
    let _ = writeln!(
        out,
        "<section class=\"report\" data-jurisdiction=\"{}\" data-year=\"{}\"{}>",
        esc(&r.jurisdiction),
        r.year,
        if index > 0 { " style=\"break-before: page\"" } else { "" }
    );
    let _ = writeln!(out, "<h2>{} — {} {}</h2>", esc(l.pick(&r.plugin.name)), l.t("履约年度", "compliance year"), r.year);
    answer_block(out, r, l);
    if let Some(plan) = r.tables.iter().find(|t| t.key == SURRENDER_PLAN) {
        let _ = writeln!(out, "<h3>{}</h3>", esc(l.pick(&plan.name)));
        table(out, plan, l);
    }
    findings(out, r, l);
    charts(out, r, l);
    for t in r.tables.iter().filter(|t| t.key != SURRENDER_PLAN) {
        let _ = writeln!(out, "<h3>{}</h3>", esc(l.pick(&t.name)));
        table(out, t, l);
    }
    metrics(out, r, l);
    decisions(out, r, l);
    parameters(out, r, l);
    trace(out, r, l);
    let _ = writeln!(out, "</section>");
}

fn metric_value(m: &MetricOut, l: Lang) -> String {
    match (m.kind, m.value.as_deref()) {
        (_, None) => "—".into(),
        (Kind::Number, Some(v)) => group_thousands(v),
        (Kind::Boolean, Some(v)) => match v {
            "true" => l.t("是", "yes").into(),
            "false" => l.t("否", "no").into(),
            other => other.into(),
        },
        (_, Some(v)) => v.into(),
    }
}

fn unit_text(unit: &str) -> &str {
    match unit {
        "date" | "text" | "boolean" | "" => "",
        u => u,
    }
}

fn answer_block(out: &mut String, r: &Report, l: Lang) {
    let _ = writeln!(out, "<div class=\"answer\">\n<h3>{}</h3>", l.t("结论", "The answer"));
    if let Some((zh, en)) = super::answer::sentence(r) {
        let _ = writeln!(out, "<p class=\"sentence\">{}</p>", esc(if l == Lang::Zh { &zh } else { &en }));
    }
    let _ = writeln!(out, "<div class=\"cards\">");
    let items = answer(r);
    let (pmin, pmax) = (r.metric("penalty_min_cny"), r.metric("penalty_max_cny"));
    for m in &items {
        if m.key == "penalty_max_cny" && pmin.is_some_and(|p| p.value.is_some()) {
            continue; // shown with the minimum as a range
        }
        let emphasis = match m.key.as_str() {
            "shortfall_t" | "gap_t" if m.value.as_deref().and_then(crate::decimal::parse).is_some_and(|d| !d.is_zero()) => " alert",
            "neutral" if m.value.as_deref() == Some("false") => " alert",
            _ => "",
        };
        let _ = write!(out, "<div class=\"card{emphasis}\"><div class=\"label\">");
        if m.key == "penalty_min_cny" && pmax.is_some_and(|p| p.value.is_some()) {
            let max = pmax.expect("checked");
            let _ = write!(
                out,
                "{}</div><div class=\"value\"><span data-metric=\"{}\" data-value=\"{}\">{}</span> – <span data-metric=\"{}\" data-value=\"{}\">{}</span> <span class=\"unit\">{}</span></div>",
                l.t("罚款区间", "Penalty range"),
                esc(&m.key),
                esc(m.value.as_deref().unwrap_or("")),
                esc(&metric_value(m, l)),
                esc(&max.key),
                esc(max.value.as_deref().unwrap_or("")),
                esc(&metric_value(max, l)),
                esc(unit_text(&m.unit))
            );
        } else {
            let _ = write!(
                out,
                "{}</div><div class=\"value\"><span data-metric=\"{}\" data-value=\"{}\">{}</span> <span class=\"unit\">{}</span></div>",
                esc(l.pick(&m.label)),
                esc(&m.key),
                esc(m.value.as_deref().unwrap_or("")),
                esc(&metric_value(m, l)),
                esc(unit_text(&m.unit))
            );
        }
        let _ = writeln!(out, "</div>");
    }
    let _ = writeln!(out, "</div>\n</div>");
}

/// Opens a table of class `class` with its header row (texts in the page's language).
fn open_table(out: &mut String, class: &str, heads: &[&str]) {
    let _ = write!(out, "<table class=\"{class}\"><thead><tr>");
    for h in heads {
        let _ = write!(out, "<th>{h}</th>");
    }
    let _ = writeln!(out, "</tr></thead><tbody>");
}

fn findings(out: &mut String, r: &Report, l: Lang) {
    let _ = writeln!(out, "<h3>{} ({})</h3>", l.t("问题", "Findings"), r.findings.len());
    if r.findings.is_empty() {
        let _ = writeln!(out, "<p>{}</p>", l.t("无。", "None."));
        return;
    }
    let mut sorted: Vec<_> = r.findings.iter().collect();
    sorted.sort_by_key(|f| f.severity);
    open_table(out, "findings", &[l.t("级别", "Severity"), l.t("代码", "Code"), l.t("说明", "Message"), l.t("单元格", "Cells")]);
    for f in sorted {
        let sev = match (l, f.severity.as_str()) {
            (Lang::Zh, "error") => "错误",
            (Lang::Zh, "warning") => "警告",
            (Lang::Zh, _) => "提示",
            (Lang::En, s) => s,
        };
        let _ = writeln!(
            out,
            "<tr class=\"sev-{}\"><td>{}</td><td><code>{}</code></td><td>{}</td><td class=\"cells\">{}</td></tr>",
            f.severity.as_str(),
            sev,
            esc(&f.code),
            esc(l.pick(&f.message)),
            esc(&f.cells.join(", "))
        );
    }
    let _ = writeln!(out, "</tbody></table>");
}

fn table(out: &mut String, t: &TableOut, l: Lang) {
    let _ = write!(out, "<table class=\"result\" data-table=\"{}\"><thead><tr>", esc(&t.key));
    for c in &t.columns {
        let unit = c.unit.as_deref().map(|u| format!(" <span class=\"unit\">[{}]</span>", esc(u))).unwrap_or_default();
        let _ = write!(out, "<th>{}{unit}</th>", esc(l.pick(&c.name)));
    }
    let _ = writeln!(out, "</tr></thead><tbody>");
    for row in &t.rows {
        out.push_str("<tr>");
        for cell in row {
            match cell.as_deref() {
                None => out.push_str("<td></td>"),
                Some(v) if crate::decimal::parse(v).is_some() => {
                    let _ = write!(out, "<td class=\"num\">{}</td>", esc(&group_thousands(v)));
                }
                Some(v) => {
                    let _ = write!(out, "<td>{}</td>", esc(v));
                }
            }
        }
        out.push_str("</tr>\n");
    }
    let _ = writeln!(out, "</tbody></table>");
}

const PALETTE: &[&str] = &["#2e7d32", "#1565c0", "#ef6c00", "#6a1b9a", "#00838f", "#ad1457", "#558b2f", "#4e342e"];

fn charts(out: &mut String, r: &Report, l: Lang) {
    let all: Vec<(&TableOut, &crate::report::ChartOut)> = r.tables.iter().flat_map(|t| t.charts.iter().map(move |c| (t, c))).collect();
    if all.is_empty() {
        return;
    }
    let _ = writeln!(out, "<h3>{}</h3>\n<div class=\"charts\">", l.t("图表", "Charts"));
    for (t, c) in all {
        let Some(cat) = t.columns.iter().position(|col| col.key == c.category_column) else { continue };
        let cols: Vec<(usize, &crate::report::ColumnOut)> =
            c.value_columns.iter().filter_map(|k| t.columns.iter().enumerate().find(|(_, col)| &col.key == k)).collect();
        let rows: Vec<(String, Vec<(String, f64)>)> = t
            .rows
            .iter()
            .map(|row| {
                let label = row.get(cat).cloned().flatten().unwrap_or_default();
                let vals = cols
                    .iter()
                    .map(|(i, _)| {
                        let text = row.get(*i).cloned().flatten().unwrap_or_default();
                        let f = text.parse::<f64>().unwrap_or(0.0);
                        (text, f)
                    })
                    .collect();
                (label, vals)
            })
            .collect();
        let _ = writeln!(out, "<figure class=\"chart\">\n<figcaption>{}</figcaption>", esc(l.pick(&c.title)));
        match c.kind {
            ChartKind::Pie => pie(out, &rows),
            ChartKind::Column | ChartKind::Bar => bars(out, &rows, &cols.iter().map(|(_, col)| l.pick(&col.name)).collect::<Vec<_>>()),
        }
        let _ = writeln!(out, "</figure>");
    }
    let _ = writeln!(out, "</div>");
}

/// Horizontal bars, one row per category, one bar per value column.
fn bars(out: &mut String, rows: &[(String, Vec<(String, f64)>)], names: &[&str]) {
    let max = rows.iter().flat_map(|(_, v)| v.iter().map(|(_, f)| f.abs())).fold(0.0_f64, f64::max);
    let (label_w, bar_w, value_w, line) = (260.0, 300.0, 130.0, 16.0);
    let per_row = line * names.len().max(1) as f64 + 6.0;
    let height = per_row * rows.len() as f64 + if names.len() > 1 { 22.0 } else { 4.0 };
    let width = label_w + bar_w + value_w;
    let _ = writeln!(out, "<svg viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" role=\"img\">");
    for (r, (label, vals)) in rows.iter().enumerate() {
        let y0 = r as f64 * per_row;
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" class=\"cat\">{}</text>",
            label_w - 6.0,
            y0 + per_row / 2.0 + 4.0,
            esc(&clip_width(label, label_w - 10.0))
        );
        for (i, (text, f)) in vals.iter().enumerate() {
            let w = if max > 0.0 { (f.abs() / max * bar_w).max(if *f != 0.0 { 1.0 } else { 0.0 }) } else { 0.0 };
            let y = y0 + i as f64 * line + 2.0;
            let color = PALETTE[i % PALETTE.len()];
            let _ = writeln!(out, "<rect x=\"{label_w}\" y=\"{y}\" width=\"{w:.1}\" height=\"{}\" fill=\"{color}\"/>", line - 3.0);
            let _ = writeln!(
                out,
                "<text x=\"{:.1}\" y=\"{}\" class=\"val\">{}</text>",
                label_w + w + 4.0,
                y + line - 5.0,
                esc(&group_thousands(text))
            );
        }
    }
    if names.len() > 1 {
        let y = height - 6.0;
        let mut x = label_w;
        for (i, n) in names.iter().enumerate() {
            let _ = writeln!(out, "<rect x=\"{x}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{}\"/>", y - 9.0, PALETTE[i % PALETTE.len()]);
            let _ = writeln!(out, "<text x=\"{}\" y=\"{y}\" class=\"cat\">{}</text>", x + 14.0, esc(n));
            x += 24.0 + 7.0 * n.chars().count() as f64;
        }
    }
    let _ = writeln!(out, "</svg>");
}

/// A pie of the first value column, with a legend giving each exact value.
fn pie(out: &mut String, rows: &[(String, Vec<(String, f64)>)]) {
    let parts: Vec<(&str, &str, f64)> =
        rows.iter().filter_map(|(label, v)| v.first().map(|(t, f)| (label.as_str(), t.as_str(), f.max(0.0)))).collect();
    let total: f64 = parts.iter().map(|p| p.2).sum();
    let height = (parts.len() as f64 * 20.0 + 10.0).max(170.0);
    let _ = writeln!(out, "<svg viewBox=\"0 0 560 {height}\" width=\"560\" height=\"{height}\" role=\"img\">");
    let (cx, cy, rad) = (80.0, 82.0, 76.0);
    let mut angle = -std::f64::consts::FRAC_PI_2;
    for (i, (_, _, f)) in parts.iter().enumerate() {
        if total <= 0.0 || *f <= 0.0 {
            continue;
        }
        let color = PALETTE[i % PALETTE.len()];
        let share = f / total;
        if share >= 0.999_999 {
            let _ = writeln!(out, "<circle cx=\"{cx}\" cy=\"{cy}\" r=\"{rad}\" fill=\"{color}\"/>");
            continue;
        }
        let end = angle + share * std::f64::consts::TAU;
        let (x1, y1) = (cx + rad * angle.cos(), cy + rad * angle.sin());
        let (x2, y2) = (cx + rad * end.cos(), cy + rad * end.sin());
        let large = if share > 0.5 { 1 } else { 0 };
        let _ = writeln!(out, "<path d=\"M{cx},{cy} L{x1:.2},{y1:.2} A{rad},{rad} 0 {large} 1 {x2:.2},{y2:.2} Z\" fill=\"{color}\"/>");
        angle = end;
    }
    for (i, (label, text, f)) in parts.iter().enumerate() {
        let y = 18.0 + i as f64 * 20.0;
        let pct = if total > 0.0 { f / total * 100.0 } else { 0.0 };
        let _ = writeln!(out, "<rect x=\"180\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{}\"/>", y - 10.0, PALETTE[i % PALETTE.len()]);
        let _ = writeln!(
            out,
            "<text x=\"198\" y=\"{y}\" class=\"cat\">{} — {} ({pct:.1} %)</text>",
            esc(&clip_width(label, 300.0)),
            esc(&group_thousands(text))
        );
    }
    let _ = writeln!(out, "</svg>");
}

fn metrics(out: &mut String, r: &Report, l: Lang) {
    let _ = writeln!(out, "<h3>{}</h3>", l.t("全部指标", "All metrics"));
    open_table(
        out,
        "metrics",
        &[
            l.t("指标", "Metric"),
            l.t("键", "Key"),
            l.t("数值", "Value"),
            l.t("单位", "Unit"),
            l.t("公式", "Formula"),
            l.t("追溯步骤", "Trace step"),
        ],
    );
    for m in &r.metrics {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td><code>{}</code></td><td class=\"num\">{}</td><td>{}</td><td><code>{}</code></td><td class=\"num\">{}</td></tr>",
            esc(l.pick(&m.label)),
            esc(&m.key),
            esc(&metric_value(m, l)),
            esc(unit_text(&m.unit)),
            esc(m.formula.as_deref().unwrap_or("")),
            m.trace_step.map(|s| s.to_string()).unwrap_or_default()
        );
    }
    let _ = writeln!(out, "</tbody></table>");
}

fn decisions(out: &mut String, r: &Report, l: Lang) {
    if r.decisions.is_empty() {
        return;
    }
    let _ = writeln!(out, "<h3>{}</h3>", l.t("逐行判定", "Decisions, row by row"));
    open_table(
        out,
        "decisions",
        &[l.t("输入行", "Input row"), l.t("对象", "Subject"), l.t("结果", "Outcome"), l.t("数量", "Amount"), l.t("原因", "Reasons")],
    );
    for d in &r.decisions {
        let reasons: Vec<String> = d
            .reasons
            .iter()
            .map(|c| match r.codes.get(c) {
                Some(text) => format!("{c}: {}", l.pick(text)),
                None => c.clone(),
            })
            .collect();
        let amount = d.amount.as_deref().map(|a| format!("{} {}", group_thousands(a), d.unit.as_deref().unwrap_or(""))).unwrap_or_default();
        let _ = writeln!(
            out,
            "<tr><td class=\"cells\">{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            esc(&d.row),
            esc(&d.subject),
            esc(&d.outcome),
            esc(amount.trim()),
            esc(&reasons.join("; "))
        );
    }
    let _ = writeln!(out, "</tbody></table>");
}

fn parameters(out: &mut String, r: &Report, l: Lang) {
    let _ = writeln!(out, "<h3>{} ({})</h3>", l.t("所用参数", "Parameters used"), r.parameters.len());
    open_table(
        out,
        "parameters",
        &[
            l.t("参数", "Parameter"),
            l.t("数值", "Value"),
            l.t("生效", "Effective"),
            l.t("法律依据", "Legal reference"),
            l.t("可信度", "Confidence"),
            l.t("规则文件", "Rules file"),
        ],
    );
    for p in &r.parameters {
        let conf = p.confidence.as_str();
        let conf_text = match (l, conf) {
            (Lang::Zh, "verified") => "已核实",
            (Lang::Zh, "secondary") => "二手来源",
            (Lang::Zh, "unverified") => "未核实",
            (Lang::Zh, "draft") => "草案",
            (_, c) => c,
        };
        let until = p.until.as_deref().map(|u| format!(" – {u}")).unwrap_or_default();
        let _ = writeln!(
            out,
            "<tr><td>{}<br><code>{}</code></td><td class=\"num\">{} {}</td><td>{}{}</td><td>{}{}</td><td><span class=\"conf conf-{conf}\">{}</span></td><td><code>{}</code></td></tr>",
            esc(l.pick(&p.name)),
            esc(&p.key),
            esc(&group_thousands(&p.value)),
            esc(p.unit.as_deref().unwrap_or("")),
            esc(&p.effective),
            esc(&until),
            esc(&p.reference),
            p.note.as_deref().map(|n| format!("<br><span class=\"note\">{}</span>", esc(n))).unwrap_or_default(),
            conf_text,
            esc(&p.file)
        );
    }
    let _ = writeln!(out, "</tbody></table>");
}

fn trace(out: &mut String, r: &Report, l: Lang) {
    if r.trace.is_empty() {
        return;
    }
    let _ = writeln!(out, "<h3>{}</h3>", l.t("追溯", "Trace"));
    open_table(
        out,
        "trace",
        &[
            "#",
            l.t("条款", "Clause"),
            l.t("说明", "Step"),
            l.t("参数", "Parameters"),
            l.t("输入单元格", "Input cells"),
            l.t("结果", "Value"),
        ],
    );
    for s in &r.trace {
        let value = s.value.as_deref().map(|v| format!("{} {}", group_thousands(v), s.unit.as_deref().unwrap_or(""))).unwrap_or_default();
        let _ = writeln!(
            out,
            "<tr><td class=\"num\">{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td class=\"cells\">{}</td><td class=\"num\">{}</td></tr>",
            s.index,
            esc(&s.clause),
            esc(l.pick(&s.description)),
            esc(&s.parameters.join(", ")),
            esc(&s.inputs.join(", ")),
            esc(value.trim())
        );
    }
    let _ = writeln!(out, "</tbody></table>");
}

fn failures(out: &mut String, d: &Document<'_>) {
    let l = d.lang;
    let _ =
        writeln!(out, "<section class=\"failures\">\n<h2>{}</h2>\n<table><tbody>", l.t("未能评估的辖区", "Jurisdictions not evaluated"));
    for (j, e) in d.failures {
        let _ = writeln!(out, "<tr><th><code>{}</code></th><td class=\"pre\">{}</td></tr>", esc(j), esc(e));
    }
    let _ = writeln!(out, "</tbody></table>\n</section>");
}

fn signatures(out: &mut String, l: Lang) {
    let _ = writeln!(
        out,
        "<section class=\"signatures\">\n<h3>{}</h3>\n<div class=\"sign-grid\">\n<div class=\"sign\"><div class=\"line\"></div>{}</div>\n<div class=\"sign\"><div class=\"line\"></div>{}</div>\n<div class=\"sign\"><div class=\"line\"></div>{}</div>\n<div class=\"stamp\">{}</div>\n</div>\n</section>",
        l.t("签字与盖章", "Signatures and stamp"),
        l.t("编制人 / 日期", "Prepared by / date"),
        l.t("审核人 / 日期", "Reviewed by / date"),
        l.t("负责人 / 日期", "Approved by / date"),
        l.t("单位盖章", "Company seal")
    );
}

/// The first 12 hex digits of a digest (the full one is in the header table and the JSON).
fn short(digest: &str) -> &str {
    digest.get(..12).unwrap_or(digest)
}

/// Clips a label to about `px` pixels of 11 px text (a CJK character is about twice as wide).
fn clip_width(s: &str, px: f64) -> String {
    let width = |c: char| if c.is_ascii() { 6.2 } else { 11.0 };
    if s.chars().map(width).sum::<f64>() <= px {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = width('…');
    for c in s.chars() {
        used += width(c);
        if used > px {
            break;
        }
        out.push(c);
    }
    out + "…"
}

/// Text for HTML element content and attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A CSS string literal; nothing in it can end the string or the style element.
fn css_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' | '\\' | '<' | '>' | '&' => {
                let _ = write!(out, "\\{:x} ", c as u32);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\{:x} ", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

const STYLE: &str = r#".lvyue-report { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "Noto Sans", "Helvetica Neue", Arial, sans-serif; color: #1f2933; line-height: 1.45; font-size: 14px; }
.lvyue-report h1 { font-size: 1.5em; margin: 0 0 .4em; border-bottom: 2px solid #2e7d32; padding-bottom: .3em; }
.lvyue-report h2 { font-size: 1.3em; margin: 1.2em 0 .5em; color: #1b5e20; }
.lvyue-report h3 { font-size: 1.08em; margin: 1.2em 0 .4em; color: #2e7d32; break-after: avoid; }
.lvyue-report table { border-collapse: collapse; width: 100%; margin: .3em 0 .8em; font-size: .86em; }
.lvyue-report th, .lvyue-report td { border: 1px solid #d0d7de; padding: .25em .45em; vertical-align: top; text-align: left; }
.lvyue-report thead th { background: #e8f5e9; }
.lvyue-report thead { display: table-header-group; }
.lvyue-report tr { break-inside: avoid; }
.lvyue-report td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.lvyue-report td.cells { font-size: .9em; color: #52606d; }
.lvyue-report table.findings td:first-child, .lvyue-report table.findings td:nth-child(2) code { word-break: normal; white-space: nowrap; }
.lvyue-report td.pre { white-space: pre-wrap; }
.lvyue-report table.meta { width: auto; font-size: .85em; }
.lvyue-report table.meta th { background: #f5f7fa; white-space: nowrap; }
.lvyue-report .digest, .lvyue-report .note { color: #616e7c; font-size: .9em; }
.lvyue-report code { font-size: .9em; word-break: break-all; }
.lvyue-report .answer { border: 2px solid #2e7d32; border-radius: 6px; padding: .6em .9em; margin: .6em 0 1em; background: #f6fbf6; break-inside: avoid; }
.lvyue-report .answer h3 { margin-top: .1em; }
.lvyue-report .sentence { font-size: 1.08em; font-weight: 600; margin: .2em 0 .6em; }
.lvyue-report .cards { display: flex; flex-wrap: wrap; gap: .5em; }
.lvyue-report .card { flex: 1 1 12em; border: 1px solid #c8e6c9; background: #fff; border-radius: 4px; padding: .4em .6em; }
.lvyue-report .card.alert { border-color: #c62828; background: #fff5f5; }
.lvyue-report .card .label { font-size: .82em; color: #52606d; }
.lvyue-report .card .value { font-size: 1.25em; font-weight: 700; font-variant-numeric: tabular-nums; }
.lvyue-report .unit { font-size: .8em; font-weight: normal; color: #616e7c; }
.lvyue-report .sev-error td:first-child { color: #c62828; font-weight: 700; }
.lvyue-report .sev-warning td:first-child { color: #b45309; font-weight: 700; }
.lvyue-report .sev-info td:first-child { color: #1565c0; }
.lvyue-report .conf { padding: 0 .3em; border-radius: 3px; white-space: nowrap; }
.lvyue-report .conf-verified { background: #e8f5e9; color: #1b5e20; }
.lvyue-report .conf-secondary { background: #fff8e1; color: #8d6e00; }
.lvyue-report .conf-unverified, .lvyue-report .conf-draft { background: #fdecea; color: #b71c1c; }
.lvyue-report .charts { display: flex; flex-wrap: wrap; gap: 1em; }
.lvyue-report figure.chart { margin: 0; break-inside: avoid; }
.lvyue-report figure.chart figcaption { font-weight: 600; font-size: .9em; margin-bottom: .3em; }
.lvyue-report svg { max-width: 100%; height: auto; }
.lvyue-report svg text { font-size: 11px; fill: #1f2933; }
.lvyue-report .signatures { margin-top: 2em; break-inside: avoid; }
.lvyue-report .sign-grid { display: grid; grid-template-columns: 1fr 1fr 1fr 9em; gap: 1.5em; align-items: end; }
.lvyue-report .sign .line { border-bottom: 1px solid #1f2933; height: 3.5em; margin-bottom: .3em; }
.lvyue-report .sign { font-size: .85em; color: #52606d; }
.lvyue-report .stamp { width: 8.5em; height: 8.5em; border: 1.5px dashed #9e9e9e; border-radius: 50%; display: flex; align-items: center; justify-content: center; color: #9e9e9e; font-size: .85em; text-align: center; }
@media print {
  .lvyue-report { font-size: 10pt; }
  .lvyue-report h1 { font-size: 15pt; }
  .lvyue-report table { font-size: 8pt; }
  .lvyue-report .answer { background: none; }
  .lvyue-report a { color: inherit; text-decoration: none; }
}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_text_and_css_strings() {
        assert_eq!(esc("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
        assert_eq!(css_string("a\"b</style>"), "\"a\\22 b\\3c /style\\3e \"");
        assert_eq!(css_string("x\ny"), "\"x\\a y\"");
    }

    #[test]
    fn clips_long_labels_by_width() {
        assert_eq!(clip_width("abc", 100.0), "abc");
        assert_eq!(clip_width("排放源排放源排放源", 50.0), "排放源…");
    }
}
