//! What the plugin declares: areas, parameter keys, metrics, findings, input.

use lvyue_sdk::eval::{Catalogue, FindingDef, MetricDef};
use lvyue_sdk::schemas;
use lvyue_sdk::{ParameterSpec, Severity, SheetSpec, TextZhEn, ValueKind, t};

/// The five CATI activity areas, in IPE's order: (key, zh, en).
pub const AREAS: [(&str, &str, &str); 5] = [
    ("governance", "治理机制", "Governance & management"),
    ("measurement", "碳核算与披露", "Measurement & disclosure"),
    ("targets", "目标设定", "Carbon targets setting"),
    ("performance", "目标绩效", "Performance against targets"),
    ("action", "减排行动", "Climate action"),
];

pub fn area_index(key: &str) -> Option<usize> {
    AREAS.iter().position(|a| a.0 == key)
}

pub fn area_label(i: usize) -> String {
    format!("{} {}", AREAS[i].1, AREAS[i].2)
}

// ---- parameter keys ------------------------------------------------------------------

/// `weights.area.<area>`: the area's default weight (points of 100).
pub fn weight_key(area: usize) -> String {
    format!("weights.area.{}", AREAS[area].0)
}

/// `weights.industry.<industry>.<area>`: the industry weighting factor of an area.
pub const INDUSTRY_PREFIX: &str = "weights.industry.";
pub const DEFAULT_INDUSTRY: &str = "default";

pub fn industry_key(industry: &str, area: usize) -> String {
    format!("{INDUSTRY_PREFIX}{industry}.{}", AREAS[area].0)
}

/// `indicator.<area>.<id>.<field>`: the scoring catalogue (see rules/supply-chain-cati/indicators.toml).
pub const INDICATOR_PREFIX: &str = "indicator.";

pub const P_CITI_FACTOR: &str = "citi.indicator_4_1_factor";
pub const P_VIOLATION_POLICY: &str = "violations.open_record_policy";
pub const P_VIOLATION_CAP: &str = "violations.open_record_cap";

/// Option: how many of the lowest-scoring suppliers the hotspot finding names.
pub const OPT_HOTSPOT_SUPPLIERS: &str = "hotspot_suppliers";

/// Names of the bundled catalogue's indicators, for tables and the template's
/// help (the plugin receives no parameter names; an indicator a user adds is
/// shown by its id).
pub const INDICATOR_NAMES: &[(&str, &str, &str)] = &[
    ("G1", "董事会或高管层负责气候事务", "Board or senior management oversees climate issues"),
    ("G2", "公开的气候政策或承诺", "Public climate policy or commitment"),
    ("G3", "能源或环境管理体系（如 ISO 50001、ISO 14001）", "Energy or environmental management system (e.g. ISO 50001, ISO 14001)"),
    ("M1", "核算范围一、二排放", "Scope 1 and 2 emissions measured"),
    ("M2", "核算范围三排放", "Scope 3 emissions measured"),
    ("M3", "排放数据经第三方核查", "Emissions verified by a third party"),
    ("M4", "公开披露近两年排放数据（如蔚蓝地图 PRTR）", "Two years of emission data publicly disclosed (e.g. Blue Map PRTR)"),
    ("T1", "量化减排目标（绝对量或强度）", "Quantified reduction target (absolute or intensity)"),
    ("T2", "目标经科学碳目标倡议验证或承诺", "Target validated by, or committed to, SBTi"),
    ("T3", "碳中和或净零目标年份", "Carbon-neutrality or net-zero target year"),
    ("T4", "可再生电力目标", "Renewable electricity target"),
    ("P1", "目标完成进度（已实现的目标减排量 %）", "Progress against target (% of the targeted reduction achieved)"),
    ("P2", "排放量或排放强度较上年下降", "Emissions or intensity down on the prior year"),
    ("A1", "可再生电力占比（%）", "Renewable electricity share (%)"),
    ("A2", "实施节能减排项目并量化减排量", "Energy-efficiency or reduction projects with quantified savings"),
    ("A3", "不使用燃煤（已淘汰或从未使用）", "No coal use (phased out or never used)"),
    ("A4", "已开展气候合作的关键供应商占比（%）", "Share of key suppliers engaged on climate (%)"),
    ("A5", "公开披露减排行动成效", "Results of reduction actions publicly disclosed"),
];

pub fn parameters() -> Vec<ParameterSpec> {
    let number = |key: String, required: bool| ParameterSpec { key, kind: ValueKind::Number, unit: None, required };
    let mut out: Vec<ParameterSpec> = (0..AREAS.len()).map(|a| number(weight_key(a), true)).collect();
    out.extend((0..AREAS.len()).map(|a| number(industry_key(DEFAULT_INDUSTRY, a), true)));
    out.push(number(P_CITI_FACTOR.into(), true));
    out.push(ParameterSpec { key: P_VIOLATION_POLICY.into(), kind: ValueKind::Text, unit: None, required: true });
    out.push(number(P_VIOLATION_CAP.into(), false));
    // Open sets (families): every industry's factors and every indicator in
    // the rules in use, so a user's rules add industries and indicators
    // without a new plugin build.
    out.push(number(format!("{INDUSTRY_PREFIX}*"), false));
    out.push(number(format!("{INDICATOR_PREFIX}*"), true));
    out
}

// ---- metrics -------------------------------------------------------------------------

/// (key, unit, zh, en). Stable keys: users' scripts depend on them.
pub const METRICS: &[MetricDef] = &[
    ("suppliers_scored", "count", "评分供应商数", "Suppliers scored"),
    ("average_score", "points", "平均得分（满分100）", "Average score (of 100)"),
    ("highest_score", "points", "最高得分", "Highest score"),
    ("lowest_score", "points", "最低得分", "Lowest score"),
    ("citi_indicator_4_1", "points", "折算为 CITI 指标4.1（平均分 × 20%）", "CITI indicator 4.1 equivalent (average × 20 %)"),
    ("average_score_governance", "points", "治理机制平均得分", "Average score, governance"),
    ("average_score_measurement", "points", "碳核算与披露平均得分", "Average score, measurement & disclosure"),
    ("average_score_targets", "points", "目标设定平均得分", "Average score, targets"),
    ("average_score_performance", "points", "目标绩效平均得分", "Average score, performance"),
    ("average_score_action", "points", "减排行动平均得分", "Average score, climate action"),
    ("weakest_area", "area", "平均得分最低的领域", "Area with the lowest average score"),
    ("hotspot_area", "area", "加权失分最多的领域", "Area losing the most weighted points"),
    ("suppliers_with_open_violations", "count", "有未关闭违规记录的供应商", "Suppliers with open violation records"),
    ("open_violation_records", "count", "未关闭的违规记录", "Open violation records"),
    ("suppliers_capped", "count", "得分被封顶的供应商", "Suppliers whose score was capped"),
    ("unanswered_indicators", "count", "未答复的指标（记0分）", "Indicators not answered (scored 0)"),
    ("indicators_scored", "count", "评分指标数", "Indicators in the scoring rules"),
    ("indicators_not_ipe", "count", "非 IPE 公开方法的指标数", "Indicators not from IPE's published method"),
];

pub fn metric_label(key: &str) -> (&'static str, TextZhEn) {
    let (_, unit, zh, en) = CATALOGUE.metric(key);
    (unit, t(zh, en))
}

// ---- findings ------------------------------------------------------------------------

/// (code, severity, zh, en)
pub const FINDINGS: &[FindingDef] = &[
    (
        "METHOD_NOT_IPE",
        Severity::Warning,
        "评分仅部分采用 IPE 公开方法；指标级规则为本工具默认或用户规则",
        "Scoring follows IPE's published method only in part; indicator-level rules are this tool's defaults or user rules",
    ),
    (
        "PARAMETER_NOT_VERIFIED",
        Severity::Warning,
        "使用了未经 IPE 原文核实的权重或系数",
        "A weight or factor not verified in IPE's text was used",
    ),
    ("WEIGHTS_NOT_100", Severity::Info, "领域权重之和不是100，已按比例归一", "Area weights do not add up to 100; they are normalised"),
    ("OPEN_VIOLATIONS", Severity::Warning, "供应商有未关闭的环境违规记录", "A supplier has open environmental violation records"),
    ("SCORE_CAPPED", Severity::Warning, "因未关闭的违规记录，得分被封顶", "Score capped because of open violation records"),
    ("UNANSWERED_INDICATORS", Severity::Info, "部分指标未答复，按0分计", "Some indicators were not answered and score 0"),
    (
        "ANSWER_UNKNOWN_INDICATOR",
        Severity::Warning,
        "答复所指的指标不在评分规则中，已忽略",
        "Answers to an indicator not in the scoring rules were ignored",
    ),
    (
        "INDUSTRY_DEFAULT_FACTORS",
        Severity::Info,
        "行业不在规则中，采用默认行业系数",
        "Industry not in the rules; the default factors were used",
    ),
    ("HOTSPOT_AREA", Severity::Info, "供应链的薄弱领域", "The supply base's weakest areas"),
    ("HOTSPOT_SUPPLIERS", Severity::Info, "得分最低的供应商", "The lowest-scoring suppliers"),
    ("NO_SUPPLIERS", Severity::Error, "供应商表没有数据", "The Suppliers sheet has no rows"),
    ("UNKNOWN_SUPPLIER", Severity::Error, "供应商编号不在供应商表中", "Supplier id not in the Suppliers sheet"),
    ("ANSWER_NOT_ALLOWED", Severity::Error, "答复不是该指标允许的答复", "The answer is not one the indicator allows"),
    ("ANSWER_VALUE_MISSING", Severity::Error, "数值型指标缺少数值", "A numeric indicator has no value"),
];

/// The metrics and findings the plugin reports.
pub const CATALOGUE: Catalogue = Catalogue::new(METRICS, FINDINGS);

// ---- input ---------------------------------------------------------------------------

pub fn input() -> Vec<SheetSpec> {
    let mut answers = schemas::supplier_climate_answers();
    let list: Vec<String> = INDICATOR_NAMES.iter().map(|(id, zh, _)| format!("{id} {zh}")).collect();
    let list_en: Vec<String> = INDICATOR_NAMES.iter().map(|(id, _, en)| format!("{id} {en}")).collect();
    if let Some(c) = answers.columns.iter_mut().find(|c| c.key == "indicator_id") {
        c.help = t(
            &format!("评分规则中的指标编号。默认规则：{}", list.join("；")),
            &format!("Indicator id from the scoring rules. Bundled rules: {}", list_en.join("; ")),
        );
    }
    vec![schemas::suppliers(), answers, schemas::environmental_violations()]
}
