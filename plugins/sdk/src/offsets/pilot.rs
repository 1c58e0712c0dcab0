//! The evaluation every pilot plugin runs; a plugin gives its [`PilotSpec`]
//! (id, names, years, its own findings) and may add findings afterwards.
//!
//! Steps: emissions per source (the sources and gases the national market
//! governs are left out from the year the entity entered it: 条例 第二十九条,
//! 办法 第十三条); green power counted as zero emissions by the pilot's
//! rule; coverage (threshold by sector); the obligation; the offset cap on
//! the pilot's own base, sub-caps, origin and boundary rules; usable pilot
//! allowances; the optimal surrender plan; deadline and penalty exposure.

use crate::schemas::{self, bool_col, choice_col, example, quantity, text_col, with_columns};
use crate::{
    Context, Decimal, Decision, Evaluation, EvaluationError, Output, ParameterSpec, PluginInfo, Request, ResultTable, Severity, SheetSpec,
    Step, Value, ValueKind, dec, fmt_dec, num, t, text,
};

use super::plan::{self, CapBound, Lot, LotKind};
use super::*;
use crate::dates::is_iso_date;
use crate::eval::{Catalogue, Eval, FindingDef, MetricDef, column, findings};
use crate::identity::Identity;

/// What makes one pilot plugin beside its identity (in its `plugin.toml`).
pub struct PilotSpec {
    /// The pilot's own findings (code, severity, zh, en), on top of [`FINDINGS`].
    pub findings: &'static [FindingDef],
    /// The pilot's own parameters (key, kind, required), on top of [`parameters`].
    pub parameters: &'static [(&'static str, ValueKind, bool)],
    /// Example rows for the templates: (sheet key, column key, values).
    pub examples: &'static [(&'static str, &'static str, &'static [&'static str])],
}

impl PilotSpec {
    /// The metrics and findings a pilot reports: the shared ones and its own findings.
    pub const fn catalogue(&self) -> Catalogue {
        Catalogue::new(METRICS, FINDINGS).with_findings(self.findings)
    }
}

/// A pilot plugin from its [`PilotSpec`] (and its `plugin.toml`), with an
/// optional hook that adds the pilot's own findings after the shared evaluation:
/// `lvyue_sdk::pilot_plugin!(SPEC);` or `lvyue_sdk::pilot_plugin!(SPEC, |p| { … });`.
#[macro_export]
macro_rules! pilot_plugin {
    ($spec:expr) => {
        $crate::pilot_plugin!($spec, |_p| {});
    };
    ($spec:expr, $hook:expr) => {
        struct Pilot;
        const IDENTITY: $crate::identity::Identity = $crate::identity!();
        impl $crate::Plugin for Pilot {
            fn describe() -> $crate::PluginInfo {
                $crate::offsets::pilot::describe(&$spec, &IDENTITY)
            }
            fn evaluate(req: $crate::Request) -> Result<$crate::Evaluation, $crate::EvaluationError> {
                $crate::offsets::pilot::evaluate(&$spec, &IDENTITY, req, $hook)
            }
        }
        $crate::export_plugin!(Pilot);
    };
}

// ---- parameters -------------------------------------------------------------------

pub const P_INDIRECT: &str = "scope.indirect_included";
pub const P_SECTORS: &str = "scope.sectors";
pub const P_NATIONAL_SECTORS: &str = "scope.national_sectors";
pub const THRESHOLD_T: &str = "scope.threshold_t.";
pub const THRESHOLD_TCE: &str = "scope.threshold_tce.";
pub const P_GP_CHANNELS: &str = "green_power.zero_channels";
pub const P_GP_SETTLED: &str = "green_power.requires_settlement";
pub const P_GP_CERTS: &str = "green_power.requires_certificates";
pub const P_DEADLINE: &str = "surrender.deadline";
pub const P_PEN_MIN: &str = "penalty.price_multiple_min";
pub const P_PEN_MAX: &str = "penalty.price_multiple_max";
pub const P_FINE_MIN: &str = "penalty.fixed_fine_min_cny";
pub const P_FINE_MAX: &str = "penalty.fixed_fine_max_cny";
pub const P_CUT: &str = "penalty.next_allocation_cut_ratio";
pub const P_FINE_CAP: &str = "penalty.fine_cap_cny";
/// Rounding rules (`rounding.<quantity>.places` and `.mode`, `rules/<pilot>/rounding.toml`).
pub const R_OBLIGATION: &str = "rounding.obligation";
pub const R_OFFSET_CAP: &str = "rounding.offset_cap";
pub const R_HOLDINGS: &str = "rounding.holdings_used";
pub const R_SHORTFALL: &str = "rounding.shortfall";
pub const R_MONEY: &str = "rounding.money";
/// Every evaluation applies them: the host refuses to run without them.
pub const ROUNDINGS: &[&str] = &[R_OBLIGATION, R_OFFSET_CAP, R_HOLDINGS, R_SHORTFALL, R_MONEY];

fn pspec(key: &str, kind: ValueKind, required: bool) -> ParameterSpec {
    ParameterSpec { key: key.into(), kind, unit: None, required }
}

pub fn parameters() -> Vec<ParameterSpec> {
    use ValueKind::*;
    vec![
        pspec(P_INDIRECT, Boolean, true),
        pspec(P_TYPES, Text, true),
        pspec(P_CAP_RATIO, Number, true),
        pspec(P_CAP_BASE, Text, true),
        pspec(P_LOCAL, Text, true),
        pspec(P_BOUNDARY, Text, true),
        pspec(P_OWNER, Text, false),
        pspec(P_EXCLUDED_PT, Text, false),
        pspec(P_AGREEMENT, Text, false),
        pspec(P_PREFERRED, Text, false),
        pspec(&format!("{SUBCAP_PREFIX}*"), Text, false),
        pspec(&format!("{SUBCAP_RATIO_PREFIX}*"), Number, false),
        pspec(&format!("{ORIGIN_PREFIX}*"), Text, false),
        pspec(P_NEW_CCER_FROM, Date, false),
        pspec(P_NEW_CCER_START_AFTER, Date, false),
        pspec(P_NEW_CCER_WINDOW_YEARS, Number, false),
        pspec(P_INCLUSION_TYPES, Text, false),
        pspec(&format!("{THRESHOLD_T}*"), Number, false),
        pspec(&format!("{THRESHOLD_TCE}*"), Number, false),
        pspec(P_SECTORS, Text, false),
        pspec(P_NATIONAL_SECTORS, Text, false),
        pspec(P_GP_CHANNELS, Text, false),
        pspec(P_GP_SETTLED, Boolean, false),
        pspec(P_GP_CERTS, Boolean, false),
        pspec(P_DEADLINE, Date, false),
        pspec(P_PEN_MIN, Number, false),
        pspec(P_PEN_MAX, Number, false),
        pspec(P_FINE_MIN, Number, false),
        pspec(P_FINE_MAX, Number, false),
        pspec(P_CUT, Number, false),
        pspec(P_FINE_CAP, Number, false),
    ]
    .into_iter()
    .chain(crate::rounding::parameter_specs(ROUNDINGS, true))
    .collect()
}

// ---- metrics ----------------------------------------------------------------------

/// (key, unit, zh, en). Sub-cap metrics `subcap_<name>_t` and base metrics
/// `base_<base>_t` are added per the rules.
pub const METRICS: &[MetricDef] = &[
    ("emissions_all_sources_t", "tCO2", "全部排放源排放量", "Emissions of all sources"),
    ("national_ets_emissions_t", "tCO2", "由全国碳市场管理的排放量", "Emissions governed by the national market"),
    ("indirect_excluded_t", "tCO2", "不纳入的间接排放", "Indirect emissions not covered"),
    ("pilot_gross_emissions_t", "tCO2", "试点覆盖排放量（绿电调整前）", "Pilot-covered emissions before green power"),
    ("green_power_zero_mwh", "MWh", "按零排放计的绿电", "Green power counted as zero-emission"),
    ("green_power_deduction_t", "tCO2", "绿电零排放调减", "Green-power deduction"),
    ("verified_emissions_t", "tCO2", "试点核查排放量", "Pilot verified emissions"),
    defs::OBLIGATION,
    ("coverage_threshold_t", "tCO2", "纳入门槛（排放量）", "Coverage threshold (emissions)"),
    ("coverage_threshold_tce", "tce", "纳入门槛（综合能耗）", "Coverage threshold (energy)"),
    ("base_allocation_t", "t", "抵销上限基数：本年度分配配额", "Cap base: allowances allocated this year"),
    ("base_initial_allocation_t", "t", "抵销上限基数：年度初始配额", "Cap base: initial annual allocation"),
    ("base_emissions_t", "t", "抵销上限基数：履约年度核查排放量", "Cap base: the compliance year's verified emissions"),
    (
        "base_prior_year_emissions_t",
        "t",
        "抵销上限基数：履约年度前一年的排放量",
        "Cap base: emissions of the year before the compliance year",
    ),
    ("base_obligation_t", "t", "抵销上限基数：应清缴配额量", "Cap base: the obligation"),
    ("offset_cap_t", "t", "抵销上限", "Offset cap"),
    ("offsets_eligible_t", "t", "合格抵销指标持有量", "Eligible offsets held"),
    ("offsets_used_t", "t", "计划使用抵销指标", "Offsets used"),
    ("offsets_unused_t", "t", "合格但未使用的抵销指标", "Eligible offsets not used"),
    defs::ALLOWANCES_HELD,
    defs::ALLOWANCES_USED,
    ("allowances_unused_t", "t", "清缴后剩余可用配额", "Usable allowances left"),
    defs::SHORTFALL,
    ("plan_cost_cny", "CNY", "清缴计划所用持有量价值", "Value of the holdings surrendered"),
    defs::SURRENDER_DEADLINE,
    defs::CARBON_PRICE,
    defs::PENALTY_MIN,
    defs::PENALTY_MAX,
    ("next_allocation_cut_t", "t", "次年配额扣减", "Cut of next year's allocation"),
];

// ---- findings ---------------------------------------------------------------------

pub const FINDINGS: &[FindingDef] = &[
    (
        "EMISSIONS_MISSING",
        Severity::Error,
        "排放源缺少排放量（试点插件不按缺省因子计算）",
        "An emission source has no emissions (pilot plugins use no default factors)",
    ),
    findings::OPTION_INVALID,
    (
        "CAP_BASE_MISSING",
        Severity::Error,
        "持有抵销指标，但缺少计算抵销上限所需的基数",
        "Credits are held but the base of the offset cap is missing",
    ),
    ("ENTITY_ROWS", Severity::Warning, "单位信息表有多行，只使用第一行", "The entity sheet has several rows; only the first is used"),
    (
        "NATIONAL_MARKET_SPLIT",
        Severity::Info,
        "部分排放由全国碳市场管理，不计入试点",
        "Part of the emissions is governed by the national market, not the pilot",
    ),
    (
        "NATIONAL_MARKET_ALL",
        Severity::Warning,
        "单位已整体纳入全国碳市场，试点应清缴量为0",
        "The entity is wholly in the national market; the pilot obligation is 0",
    ),
    (
        "NATIONAL_MARKET_LATER",
        Severity::Info,
        "单位将于以后年度纳入全国碳市场，本年度仍在试点履约",
        "The entity enters the national market in a later year; this year it surrenders in the pilot",
    ),
    (
        "NATIONAL_SECTOR_CHECK",
        Severity::Warning,
        "该行业本年度已纳入全国碳市场，请填写进入全国市场的年度",
        "This sector is in the national market this year; give the year the entity entered it",
    ),
    ("INDIRECT_EXCLUDED", Severity::Info, "本试点本年度不纳入间接排放", "This pilot does not cover indirect emissions this year"),
    ("BELOW_COVERAGE_THRESHOLD", Severity::Info, "排放量与能耗均低于纳入门槛", "Emissions and energy use are below the coverage threshold"),
    (
        "SECTOR_NOT_COVERED",
        Severity::Warning,
        "单位所属行业不在本年度纳入行业清单中",
        "The entity's sector is not on this year's list of covered sectors",
    ),
    ("GREEN_POWER_ZERO", Severity::Info, "绿电按零排放计", "Green power counted as zero-emission"),
    (
        "GREEN_POWER_NOT_COUNTED",
        Severity::Warning,
        "该绿电购买方式不在本试点零排放认定范围内",
        "This kind of green-power purchase is not counted as zero-emission in this pilot",
    ),
    (
        "GREEN_POWER_NOT_SETTLED",
        Severity::Warning,
        "绿电未实际执行、结算，不按零排放计",
        "Green power not executed and settled; not counted",
    ),
    (
        "GREEN_POWER_NO_CERTIFICATE",
        Severity::Warning,
        "绿电缺少对应绿证（绿证是绿电消费的唯一凭证）",
        "Green power without matching certificates (the certificate is the sole proof)",
    ),
    (
        "GREEN_POWER_NO_RULE",
        Severity::Info,
        "本试点本年度无绿电零排放规则（或未取得来源），绿电未调减",
        "No green-power rule for this pilot and year (or none sourced); nothing deducted",
    ),
    (
        "GREEN_POWER_EXCEEDS_PURCHASES",
        Severity::Warning,
        "认定绿电超过购入电量，按购入电量计",
        "Green power exceeds purchased electricity; capped at the purchases",
    ),
    (
        "GREEN_POWER_NO_FACTOR",
        Severity::Warning,
        "购入电力缺少电量，无法折算绿电调减",
        "Purchased electricity has no MWh; the green-power deduction cannot be computed",
    ),
    ("OFFSET_TYPE_NOT_ACCEPTED", Severity::Info, "该类型减排量不可用于本试点抵销", "This credit type is not accepted by this pilot"),
    ("OFFSET_PROJECT_TYPE_EXCLUDED", Severity::Warning, "该项目类型不可用于本试点抵销", "This project type is excluded"),
    (
        "OFFSET_PROJECT_TYPE_NOT_LISTED",
        Severity::Warning,
        "项目类型不在本试点的项目类型与地域清单中，需人工复核",
        "The project type is not in the pilot's type-by-region list; review manually",
    ),
    (
        "OFFSET_PROJECT_TYPE_MISSING",
        Severity::Warning,
        "缺少项目类型，无法判断地域限制",
        "No project type; the origin rule cannot be checked",
    ),
    (
        "OFFSET_ORIGIN_MISSING",
        Severity::Warning,
        "缺少项目所在地，无法判断地域限制",
        "No project location; the origin rule cannot be checked",
    ),
    (
        "OFFSET_ORIGIN_NOT_ALLOWED",
        Severity::Warning,
        "项目所在地不符合本试点地域要求",
        "The project's location is outside the regions this pilot allows",
    ),
    (
        "OFFSET_OWNER_COVERED",
        Severity::Warning,
        "减排量属于被排除市场的重点排放单位",
        "The credit belongs to a covered entity of an excluded market",
    ),
    (
        "OFFSET_COVERED_BOUNDARY",
        Severity::Warning,
        "减排量产生于本市场纳入单位的排放边界内",
        "The credit comes from inside a covered entity's boundary in this market",
    ),
    (
        "OFFSET_BOUNDARY_MARKET_UNKNOWN",
        Severity::Warning,
        "项目纳入配额管理但未说明所属市场，按不合格处理",
        "The project is under allowance management but its market is not given; treated as ineligible",
    ),
    (
        "OFFSET_CROSS_MARKET_BOUNDARY",
        Severity::Warning,
        "减排量产生于碳市场纳入单位的排放边界内，本市场规则未排除该市场的纳入单位：存在重复计算风险（未明文禁止）",
        "The credit comes from inside the boundary of an entity covered by a carbon market whose covered entities this market's rules do not exclude: double-counting risk (not prohibited)",
    ),
    defs::PROJECT_STARTED_EARLY,
    defs::OUTSIDE_CREDITING_WINDOW,
    (
        "OFFSET_INCLUSION_OTHER_MECHANISM",
        Severity::Warning,
        "碳普惠核证减排量的项目也在其他减排机制下持有减排量：已申报其他机制的项目不再签发碳普惠减排量（重复计算），不计入",
        "A carbon-inclusion credit's project also has credits under another mechanism: no carbon-inclusion credit is issued for a project already under another mechanism (double counting); not counted",
    ),
    (
        "OFFSET_NOT_PREFERRED_REGION",
        Severity::Info,
        "项目不在优先地区（仅为优先，不设上限）",
        "The project is outside the preferred regions (a preference, not a cap)",
    ),
    (
        "CREDIT_QUANTITY_FRACTIONAL",
        Severity::Warning,
        "持有量不是整吨，计划只使用整吨",
        "The holding is not whole tonnes; the plan uses whole tonnes only",
    ),
    ("OFFSET_CAP_BINDING", Severity::Info, "合格抵销指标超过抵销上限", "Eligible offsets exceed the cap"),
    ("OFFSET_SUBCAP_BINDING", Severity::Info, "分项上限限制了抵销指标的使用", "A sub-cap limits the use of offsets"),
    ("ALLOWANCE_NOT_PILOT", Severity::Info, "全国碳排放配额不可用于试点清缴", "National allowances (CEA) cannot be surrendered in a pilot"),
    ("ALLOWANCE_OTHER_MARKET", Severity::Info, "其他试点的配额不可用于本试点清缴", "Another pilot's allowances cannot be surrendered here"),
    ("ALLOWANCE_FUTURE_VINTAGE", Severity::Info, "不得使用以后年度的配额", "Allowances of a later vintage cannot be used"),
    (
        "PLAN_PRICES_INCOMPLETE",
        Severity::Info,
        "部分持有量无价格，计划按先抵销、后配额、按行序确定，未按成本优化",
        "Some holdings have no price; the plan uses offsets first, in row order, not by cost",
    ),
    (
        "PLAN_TOO_MANY_PRICES",
        Severity::Info,
        "不同价格的持有量过多，计划未按成本优化",
        "Too many holdings with distinct prices; the plan is not optimised by cost",
    ),
    (
        "PLAN_NOT_PROVEN_OPTIMAL",
        Severity::Warning,
        "清缴计划搜索达到上限，未证明最优",
        "The plan search hit its limit; optimality not proven",
    ),
    ("SHORTFALL", Severity::Warning, "持有配额与抵销指标不足以完成清缴", "Holdings do not cover the obligation"),
    defs::SURRENDER_LATE,
    ("DEADLINE_NOT_SOURCED", Severity::Info, "本年度清缴截止日期未取得来源", "No sourced surrender deadline for this year"),
    ("PENALTY_NOT_SOURCED", Severity::Info, "本年度罚则未取得来源，未计算罚款", "No sourced penalty for this year; none computed"),
    defs::PENALTY_PRICE_MISSING,
    findings::PARAMETER_NOT_VERIFIED,
];

// ---- input sheets -----------------------------------------------------------------

/// Sectors the pilots name (coverage lists, thresholds by sector, national sectors).
pub const SECTORS: &[&str] = &[
    "power",
    "heat",
    "cement",
    "steel",
    "aluminium",
    "nonferrous",
    "petrochem",
    "chemicals",
    "building_materials",
    "glass",
    "ceramics",
    "paper",
    "textile",
    "aviation",
    "airport",
    "port",
    "water_transport",
    "road_freight",
    "rail",
    "data_centre",
    "building",
    "industry",
    "other",
];

/// Green-power purchase channels.
pub const CHANNELS: &[&str] = &["inter_provincial", "intra_provincial", "grid_green", "certificate_only", "other"];

/// `lvyue.inventory.entity@1`: the compliance entity (one row).
pub fn entity() -> SheetSpec {
    SheetSpec {
        key: "entity".into(),
        name: t("单位信息", "Entity"),
        schema: Some("lvyue.inventory.entity@1".into()),
        required: false,
        columns: vec![
            text_col("entity", "单位名称", "Entity", true, "重点排放单位名称", "Name of the covered entity"),
            choice_col(
                "sector",
                "行业",
                "Sector",
                false,
                SECTORS,
                "所属行业（用于纳入门槛、纳入行业清单与全国市场判断）",
                "Sector (coverage threshold, covered-sector list, national market)",
            ),
            quantity(
                "allocation_t",
                "本年度分配配额",
                "Allowances allocated this year",
                "t",
                false,
                "本履约年度通过分配取得（核发）的配额量",
                "Allowances allocated (issued) to the entity for the compliance year",
            ),
            quantity(
                "initial_allocation_t",
                "年度初始配额",
                "Initial annual allocation",
                "t",
                false,
                "年度碳排放初始配额（湖北）",
                "Initial annual allocation (Hubei)",
            ),
            quantity(
                "prior_year_emissions_t",
                "上年度实际排放量",
                "Previous year's emissions",
                "t",
                false,
                "履约年度前一年的实际（核查）排放量；仅在抵销规则以其为基数时使用。广东的「上年度实际排放量」按6月清缴时点计，即履约年度本身的排放量，不用此列",
                "Actual (verified) emissions of the year before the compliance year; used only where an offset rule names it as a base. Guangdong's 上年度 is counted from the June surrender, i.e. the compliance year itself: not this column",
            ),
            quantity(
                "energy_tce",
                "综合能源消费量",
                "Energy use",
                "tce",
                false,
                "年综合能源消费量（纳入门槛）",
                "Annual energy use (coverage threshold)",
            ),
            quantity(
                "national_market_year",
                "纳入全国市场年度",
                "Year entering the national market",
                "",
                false,
                "单位（或其部分排放源）在全国碳市场首个履约年度；自该年度起，全国市场管理的排放不再计入试点",
                "First compliance year in the national market for the entity (or its flagged sources); from then the pilot leaves those emissions out",
            ),
        ],
        unique_key: vec![],
        help: t(
            "履约单位的基本信息：抵销上限基数（分配配额、初始配额；前一年排放仅在规则以其为基数时使用）、行业与纳入全国市场的年度。",
            "The entity: bases of the offset cap (allocation, initial allocation; the previous year's emissions only where a rule names them), sector and the year it entered the national market.",
        ),
    }
}

/// Emission sources: the shared schema plus `national_ets` (and `electricity_mwh` if the shared one lacks it).
pub fn emission_sources() -> SheetSpec {
    let shared = schemas::emission_sources();
    let mut extra = vec![bool_col(
        "national_ets",
        "纳入全国碳市场",
        "In the national ETS",
        false,
        "该排放源（同一行业、同一气体）是否由全国碳市场管理；自「纳入全国市场年度」起不计入试点",
        "Whether this source (same sector and gas) is under the national ETS; left out of the pilot from the entity's national-market year",
    )];
    if !shared.columns.iter().any(|c| c.key == "electricity_mwh") {
        extra.push(quantity(
            "electricity_mwh",
            "购入电量",
            "Purchased electricity",
            "MWh",
            false,
            "购入使用电量（类别 purchased_electricity），用于折算绿电零排放调减",
            "Purchased electricity (category purchased_electricity), for the green-power deduction",
        ));
    }
    with_columns(shared, extra)
}

/// Allowances: the shared schema plus the pilot market they belong to.
pub fn allowances() -> SheetSpec {
    with_columns(
        schemas::allowances(),
        vec![choice_col(
            "market",
            "所属市场",
            "Market",
            false,
            &MARKETS[2..],
            "试点配额所属试点（留空：本试点）",
            "The pilot a pilot allowance belongs to (blank: this pilot)",
        )],
    )
}

/// Credit holdings for the pilots: the shared columns, the pilots' credit types,
/// and the project's city and owner's coverage.
pub fn credit_holdings() -> SheetSpec {
    let mut s = schemas::credit_holdings();
    for c in s.columns.iter_mut() {
        if c.key == "credit_type" {
            c.choices = PILOT_CREDIT_TYPES.iter().map(|s| s.to_string()).collect();
            c.help = t(
                "CCER、BFCER 北京林业碳汇、BJ-PHCER 北京碳普惠、BJ-ESR 北京节能项目减排量、TFCER、SHCERCIR1 上海碳普惠、CQCER 重庆碳惠通、HBCER 湖北核证减排量、PHCER/GDPHCER 广东碳普惠、SZ-PHCER 深圳碳普惠、FFCER 福建林业碳汇等",
                "CCER, BFCER (Beijing forestry), BJ-PHCER (Beijing carbon inclusion), BJ-ESR (Beijing energy-saving projects), TFCER, SHCERCIR1 (Shanghai carbon inclusion), CQCER (Chongqing), HBCER (Hubei), PHCER/GDPHCER (Guangdong), SZ-PHCER (Shenzhen), FFCER (Fujian forestry)…",
            );
        }
        if c.key == "project_type" {
            c.help = t(
                "如 wind 风电、solar 光伏、waste_to_energy 垃圾焚烧发电、biogas 户用沼气、biomass_power 生物质发电、clean_transport 清洁交通、marine_sink 海洋固碳、forestry 林业碳汇、agriculture 农业、hydro 水电、energy_saving 节能、methane 甲烷",
                "E.g. wind, solar, waste_to_energy, biogas, biomass_power, clean_transport, marine_sink, forestry, agriculture, hydro, energy_saving, methane",
            );
        }
    }
    with_columns(
        s,
        vec![
            // The owner's market and boundary are shared columns (schemas::credit_holdings).
            text_col(
                "city",
                "项目所在城市",
                "Project city",
                false,
                "地级市，如 梅州、深圳（用于城市级地域规则）",
                "Prefecture-level city, e.g. 梅州, 深圳 (city-level origin rules)",
            ),
        ],
    )
}

/// `lvyue.inventory.green_power@1`: green electricity purchased.
pub fn green_power_sheet() -> SheetSpec {
    SheetSpec {
        key: "green_power".into(),
        name: t("绿电购买", "Green power"),
        schema: Some("lvyue.inventory.green_power@1".into()),
        required: false,
        columns: vec![
            text_col(
                "contract",
                "合同或交易编号",
                "Contract or trade id",
                true,
                "绿电交易合同或交易编号",
                "Green-power contract or trade id",
            ),
            quantity("mwh", "电量", "Electricity", "MWh", true, "购买并使用的绿电电量", "Green electricity bought and used"),
            choice_col(
                "channel",
                "购买方式",
                "Channel",
                true,
                CHANNELS,
                "inter_provincial 经北京电力交易中心绿电交易平台省间交易；intra_provincial 省内绿电交易；grid_green 其他从电网购入的绿电；certificate_only 仅购买绿证（证电分离）；other 其他",
                "inter_provincial: inter-provincial trade on the Beijing Power Exchange green-power platform; intra_provincial: provincial green-power trade; grid_green: other green power bought from the grid; certificate_only: unbundled certificates; other",
            ),
            bool_col(
                "settled",
                "已执行结算",
                "Executed and settled",
                false,
                "交易是否已实际执行并结算",
                "Whether the trade was executed and settled",
            ),
            quantity(
                "certificates_mwh",
                "对应绿证电量",
                "Certificates",
                "MWh",
                false,
                "随交易划转或核销的绿证对应电量（1张 = 1 MWh）",
                "Certificates transferred or retired with the trade (1 certificate = 1 MWh)",
            ),
        ],
        unique_key: vec!["contract".into()],
        help: t(
            "履约年度内购买使用的绿色电力，每笔交易一行。",
            "Green electricity bought and used in the compliance year, one row per trade.",
        ),
    }
}

pub fn input(spec: &PilotSpec) -> Vec<SheetSpec> {
    let mut sheets = vec![entity(), emission_sources(), green_power_sheet(), allowances(), credit_holdings()];
    for s in sheets.iter_mut() {
        s.columns = std::mem::take(&mut s.columns)
            .into_iter()
            .map(|c| match spec.examples.iter().find(|(sk, ck, _)| *sk == s.key && *ck == c.key) {
                Some((_, _, v)) => example(c, v),
                None => c,
            })
            .collect();
    }
    sheets
}

pub fn describe(spec: &PilotSpec, id: &Identity) -> PluginInfo {
    let parameters = parameters().into_iter().chain(spec.parameters.iter().map(|(k, kind, req)| pspec(k, *kind, *req))).collect();
    id.describe(parameters, &spec.catalogue(), input(spec))
}

// ---- evaluation -------------------------------------------------------------------

/// The state of one evaluation, open to the plugin's own additions: the
/// shared evaluation state ([`Eval`], through `Deref`) and the offsets' verdicts.
pub struct Pilot<'a> {
    pub spec: &'a PilotSpec,
    pub id: &'a Identity,
    pub ev: Eval<'a>,
    /// Every credit holding with its verdict and the tonnes the plan uses.
    pub credits: Vec<(Credit, Verdict, Decimal)>,
    pub rules: Option<OffsetRules>,
}

impl<'a> std::ops::Deref for Pilot<'a> {
    type Target = Eval<'a>;
    fn deref(&self) -> &Eval<'a> {
        &self.ev
    }
}

impl Pilot<'_> {
    /// The tonnes of credits of these types the plan uses.
    pub fn credits_used(&self, types: &[&str]) -> Decimal {
        self.credits.iter().filter(|(c, _, _)| types.contains(&c.credit_type.as_str())).map(|(_, _, u)| *u).sum()
    }
}

impl std::ops::DerefMut for Pilot<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.ev
    }
}

/// The entity row's values.
#[derive(Default)]
struct Entity {
    sector: Option<String>,
    allocation: Option<(Decimal, String)>,
    initial_allocation: Option<(Decimal, String)>,
    prior_year_emissions: Option<(Decimal, String)>,
    energy: Option<(Decimal, String)>,
    national_year: Option<(u16, String)>,
    sheet_present: bool,
}

/// Runs the shared evaluation; `extra` adds the plugin's own findings at the end.
pub fn evaluate(spec: &PilotSpec, id: &Identity, req: Request, extra: impl FnOnce(&mut Pilot)) -> Result<Evaluation, EvaluationError> {
    id.accept(&req)?;
    let ctx = Context::new(&req);
    let ev = Eval::new(&ctx, spec.catalogue()).with_notes();
    let mut p = Pilot { spec, id, ev, credits: Vec::new(), rules: None };
    run(&mut p)?;
    extra(&mut p);
    p.report_unverified();
    Ok(p.ev.out.finish())
}

fn run(p: &mut Pilot) -> Result<(), EvaluationError> {
    let ctx = p.ctx;
    let year = ctx.year();

    // ---- options -----------------------------------------------------------------
    let surrender_date = ctx.option("surrender_date");
    if let Some(d) = surrender_date.filter(|d| !is_iso_date(d)) {
        p.finding(
            "OPTION_INVALID",
            t(
                &format!("选项 surrender_date = \"{d}\"：应为日期 YYYY-MM-DD"),
                &format!("Option surrender_date = \"{d}\": expected a date YYYY-MM-DD"),
            ),
            vec!["option:surrender_date".into()],
        );
    }
    let price = match ctx.option("carbon_price_cny") {
        None => None,
        Some(raw) => match dec(raw.trim()) {
            Some(d) if d >= Decimal::ZERO => Some(d),
            _ => {
                p.finding(
                    "OPTION_INVALID",
                    t(
                        &format!("选项 carbon_price_cny = \"{raw}\"：应为不小于0的数字"),
                        &format!("Option carbon_price_cny = \"{raw}\": expected a number not less than 0"),
                    ),
                    vec!["option:carbon_price_cny".into()],
                );
                None
            }
        },
    };

    // ---- entity ------------------------------------------------------------------
    let mut ent = Entity::default();
    let etable = ctx.table("entity");
    ent.sheet_present = etable.is_present() && !etable.is_empty();
    if etable.len() > 1 {
        p.finding("ENTITY_ROWS", t("单位信息表有多行，只使用第一行", "The entity sheet has several rows; only the first is used"), vec![]);
    }
    if let Some(row) = etable.rows().next() {
        ent.sector = row.text("sector").map(str::to_string);
        let val = |k: &str| row.decimal(k).map(|d| (d, row.at(k)));
        ent.allocation = val("allocation_t");
        ent.initial_allocation = val("initial_allocation_t");
        ent.prior_year_emissions = val("prior_year_emissions_t");
        ent.energy = val("energy_tce");
        ent.national_year = row
            .decimal("national_market_year")
            .and_then(|d| u16::try_from(d.trunc().mantissa()).ok().filter(|_| d.scale() == 0 || d.fract().is_zero()))
            .map(|y| (y, row.at("national_market_year")));
    }

    // ---- emissions ---------------------------------------------------------------
    let indirect_included = match p.bool_opt(P_INDIRECT) {
        Some(b) => b,
        None => return Err(EvaluationError::MissingParameter(format!("{P_INDIRECT} (no value for compliance year {year})"))),
    };
    let national_in_force = ent.national_year.as_ref().map(|(y, _)| *y <= year);
    let sources = ctx.table("emission_sources");
    let any_flagged = sources.rows().any(|r| r.boolean("national_ets") == Some(true));
    let whole_entity_national = national_in_force == Some(true) && !any_flagged;
    let (mut all, mut national, mut indirect_out, mut gross) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    let (mut elec_t, mut elec_mwh, mut elec_mwh_complete) = (Decimal::ZERO, Decimal::ZERO, true);
    let (mut all_cells, mut national_cells, mut national_names, mut gross_cells, mut indirect_cells) =
        (vec![], vec![], vec![], vec![], vec![]);
    for row in sources.rows() {
        let Some(e) = row.decimal("emissions_t") else {
            p.finding(
                "EMISSIONS_MISSING",
                t(
                    "请填写该排放源的排放量（试点插件不按缺省排放因子计算）",
                    "Give this source's emissions (pilot plugins compute none from default factors)",
                ),
                vec![row.at("emissions_t")],
            );
            continue;
        };
        all += e;
        all_cells.push(row.at("emissions_t"));
        let category = row.text("category").unwrap_or("");
        let flagged = row.boolean("national_ets") == Some(true);
        let is_national = whole_entity_national || (flagged && national_in_force != Some(false));
        if is_national {
            national += e;
            national_cells.push(row.at("emissions_t"));
            national_names.push(format!("{} {}", row.text("facility").unwrap_or(""), row.text("source").unwrap_or("")));
            continue;
        }
        let indirect = matches!(category, "purchased_electricity" | "purchased_heat");
        if indirect && !indirect_included {
            indirect_out += e;
            indirect_cells.push(row.at("emissions_t"));
            continue;
        }
        gross += e;
        gross_cells.push(row.at("emissions_t"));
        if category == "purchased_electricity" {
            elec_t += e;
            match row.decimal("electricity_mwh") {
                Some(m) => elec_mwh += m,
                None => elec_mwh_complete = false,
            }
        }
    }
    p.fail_if_errors()?;
    let s_all = p.out.step(
        Step {
            clause: "排放报告 / emission report",
            zh: "全部排放源排放量之和",
            en: "Sum of all sources' emissions",
            parameters: &[],
            inputs: all_cells,
        },
        num(all),
        Some("tCO2"),
    );
    p.metric_with("emissions_all_sources_t", num(all), s_all, None);
    let nat_clause = "条例 第二十九条；办法 第十三条 / Regulation Art. 29; Measures Art. 13";
    let mut nat_inputs = national_cells.clone();
    if let Some((_, cell)) = &ent.national_year {
        nat_inputs.push(cell.clone());
    }
    let s_nat = p.out.step(
        Step {
            clause: nat_clause,
            zh: "纳入全国碳市场的单位（同一行业、同一气体）不再参加地方碳市场：其排放不计入试点",
            en: "Entities in the national market leave the pilot for the same sector and gas: those emissions are not the pilot's",
            parameters: &[],
            inputs: nat_inputs,
        },
        num(national),
        Some("tCO2"),
    );
    p.metric_with("national_ets_emissions_t", num(national), s_nat, None);
    match (&ent.national_year, national_in_force) {
        (Some((y, cell)), Some(true)) if whole_entity_national => {
            p.finding(
                "NATIONAL_MARKET_ALL",
                t(
                    &format!("单位自 {y} 年度起纳入全国碳市场，且未标注仍留在试点的排放源：{year} 年度全部排放 {national} 吨由全国碳市场管理（条例第二十九条、办法第十三条），试点应清缴量为0。若部分排放源（其他行业或气体）仍由试点管理，请在排放源表标注「纳入全国碳市场」。"),
                    &format!("The entity is in the national market from the {y} year and no source is flagged as staying in the pilot: all {national} t of {year} are governed by the national market (Regulation Art. 29, Measures Art. 13); the pilot obligation is 0. If some sources (another sector or gas) stay in the pilot, flag the national ones in the emission sources."),
                ),
                vec![cell.clone()],
            );
        }
        (Some((y, cell)), Some(true)) => {
            p.finding(
                "NATIONAL_MARKET_SPLIT",
                t(
                    &format!("自 {y} 年度起，{} 的排放 {national} 吨由全国碳市场管理（条例第二十九条、办法第十三条），不计入本试点；其余排放由本试点管理。", national_names.join("、")),
                    &format!("From the {y} year, {} ({national} t) are governed by the national market (Regulation Art. 29, Measures Art. 13) and left out of this pilot; the rest stays with the pilot.", national_names.join(", ")),
                ),
                national_cells.iter().cloned().chain([cell.clone()]).collect(),
            );
        }
        (Some((y, cell)), Some(false)) => {
            p.finding(
                "NATIONAL_MARKET_LATER",
                t(
                    &format!("单位自 {y} 年度起纳入全国碳市场；{year} 年度全部排放仍在本试点清缴。"),
                    &format!(
                        "The entity enters the national market from the {y} year; all {year} emissions are still surrendered in this pilot."
                    ),
                ),
                vec![cell.clone()],
            );
        }
        _ => {
            if national > Decimal::ZERO {
                p.finding(
                    "NATIONAL_MARKET_SPLIT",
                    t(
                        &format!("{} 的排放 {national} 吨标注为由全国碳市场管理，不计入本试点（条例第二十九条、办法第十三条）。", national_names.join("、")),
                        &format!("{} ({national} t) are flagged as governed by the national market and left out of this pilot (Regulation Art. 29, Measures Art. 13).", national_names.join(", ")),
                    ),
                    national_cells.clone(),
                );
            }
        }
    }
    let s_ind = p.out.step(
        Step {
            clause: "试点核算指南 / pilot accounting scope",
            zh: "不纳入的间接排放（购入电力、热力）",
            en: "Indirect emissions (purchased electricity, heat) not covered",
            parameters: &[P_INDIRECT],
            inputs: indirect_cells,
        },
        num(indirect_out),
        Some("tCO2"),
    );
    p.metric_with("indirect_excluded_t", num(indirect_out), s_ind, None);
    if indirect_out > Decimal::ZERO {
        p.finding(
            "INDIRECT_EXCLUDED",
            t(
                &format!("间接排放 {indirect_out} 吨不计入本试点"),
                &format!("{indirect_out} t of indirect emissions are not covered by this pilot"),
            ),
            vec![],
        );
    }
    let s_gross = p.out.step(
        Step {
            clause: "试点管理办法 / pilot measures",
            zh: "试点覆盖排放量 = 全部排放 − 全国市场管理的排放 − 不纳入的间接排放",
            en: "Pilot-covered emissions = all − national − indirect not covered",
            parameters: &[P_INDIRECT],
            inputs: gross_cells,
        },
        num(gross),
        Some("tCO2"),
    );
    p.metric_with(
        "pilot_gross_emissions_t",
        num(gross),
        s_gross,
        Some("emissions_all_sources_t - national_ets_emissions_t - indirect_excluded_t"),
    );

    // ---- green power -------------------------------------------------------------
    let (green_mwh, deduction, s_gmwh, s_ded) = green_power(p, elec_t, elec_mwh, elec_mwh_complete)?;
    let verified = gross - deduction;
    let s_ver = p.out.step(
        Step {
            clause: "试点核查 / pilot verification",
            zh: "试点核查排放量 = 试点覆盖排放量 − 绿电零排放调减",
            en: "Pilot verified emissions = pilot-covered emissions − green-power deduction",
            parameters: &[],
            inputs: vec![Output::ref_step(s_gross), Output::ref_step(s_ded), Output::ref_step(s_gmwh)],
        },
        num(verified),
        Some("tCO2"),
    );
    p.metric_with("verified_emissions_t", num(verified), s_ver, Some("pilot_gross_emissions_t - green_power_deduction_t"));
    let _ = green_mwh;
    let s_obl_raw = p.out.step(
        Step {
            clause: "试点管理办法：清缴（缴还）与核查排放量相当的配额 / surrender allowances equal to verified emissions",
            zh: "应清缴配额量 = 试点核查排放量",
            en: "Obligation = pilot verified emissions",
            parameters: &[],
            inputs: vec![Output::ref_step(s_ver)],
        },
        num(verified),
        Some("t"),
    );
    // Allowances are whole tonnes: the obligation as the rules round it.
    let obligation_rule = p.rounding(R_OBLIGATION)?;
    let r_obl = obligation_rule.record(&mut p.out, ("应清缴配额量", "Obligation"), verified, Some("t"), vec![Output::ref_step(s_obl_raw)]);
    let (obligation, s_obl) = (r_obl.value, r_obl.step);
    p.metric_with("obligation_t", num(obligation), s_obl, Some(obligation_rule.wrap_formula("verified_emissions_t").as_str()));

    // ---- coverage ----------------------------------------------------------------
    coverage(p, &ent, gross, s_gross)?;

    // ---- offsets -----------------------------------------------------------------
    let rules = OffsetRules::read(ctx)?;
    for k in &rules.keys {
        p.used.insert(k.clone());
    }
    let credits_table = ctx.table("credit_holdings");
    let has_credits = !credits_table.is_empty();
    // The bases the rules name, as metrics.
    let mut base_names: Vec<String> = vec![rules.cap_base.clone()];
    for sc in &rules.subcaps {
        if let SubCapBase::Base(b) = &sc.base
            && !base_names.contains(b)
        {
            base_names.push(b.clone());
        }
    }
    let mut bases: Vec<(String, Option<Decimal>)> = Vec::new();
    for b in &base_names {
        let key = format!("base_{b}_t");
        let (value, step, formula): (Option<Decimal>, u32, Option<&str>) = match b.as_str() {
            "emissions" => (
                Some(verified),
                p.out.step(
                    Step {
                        clause: "抵销上限基数 / cap base",
                        zh: "基数：履约年度核查（实际）排放量",
                        en: "Base: the compliance year's verified (actual) emissions",
                        parameters: &[],
                        inputs: vec![Output::ref_step(s_ver)],
                    },
                    num(verified),
                    Some("t"),
                ),
                Some("verified_emissions_t"),
            ),
            "obligation" => (
                Some(obligation),
                p.out.step(
                    Step {
                        clause: "抵销上限基数 / cap base",
                        zh: "基数：应清缴配额量",
                        en: "Base: the obligation",
                        parameters: &[],
                        inputs: vec![Output::ref_step(s_obl)],
                    },
                    num(obligation),
                    Some("t"),
                ),
                Some("obligation_t"),
            ),
            other => {
                let (field, zh, en, col) = match other {
                    "allocation" => {
                        (&ent.allocation, "基数：本年度分配（核发）配额量", "Base: allowances allocated (issued) this year", "allocation_t")
                    }
                    "initial_allocation" => {
                        (&ent.initial_allocation, "基数：年度初始配额", "Base: initial annual allocation", "initial_allocation_t")
                    }
                    _ => (
                        &ent.prior_year_emissions,
                        "基数：履约年度前一年的实际排放量",
                        "Base: actual emissions of the year before the compliance year",
                        "prior_year_emissions_t",
                    ),
                };
                let value = field.as_ref().map(|(d, _)| *d);
                let inputs = field.as_ref().map(|(_, c)| vec![c.clone()]).unwrap_or_default();
                if value.is_none() && has_credits {
                    p.finding(
                        "CAP_BASE_MISSING",
                        t(
                            &format!("本试点抵销上限按「{zh}」计算：请在单位信息表填写 {col}"),
                            &format!("This pilot's offset cap uses \"{en}\": give {col} on the entity sheet"),
                        ),
                        vec![format!("entity!{col}")],
                    );
                }
                let s = p.out.step(
                    Step { clause: "抵销上限基数 / cap base", zh, en, parameters: &[P_CAP_BASE], inputs },
                    value.map(num).unwrap_or(Value::Empty),
                    Some("t"),
                );
                (value, s, None)
            }
        };
        p.metric_with(&key, value.map(num).unwrap_or(Value::Empty), step, if value.is_some() { formula } else { None });
        bases.push((b.clone(), value));
    }
    p.fail_if_errors()?;
    let base_of = |name: &str| bases.iter().find(|(b, _)| b == name).and_then(|(_, v)| *v);
    let cap = base_of(&rules.cap_base).map(|b| b * rules.cap_ratio);
    let s_cap = p.out.step(
        Step {
            clause: "试点抵销规定 / pilot offset rules",
            zh: "抵销上限 = 基数 × 抵销比例",
            en: "Offset cap = base × cap ratio",
            parameters: &[P_CAP_RATIO, P_CAP_BASE],
            inputs: vec![],
        },
        cap.map(num).unwrap_or(Value::Empty),
        Some("t"),
    );
    let cap_formula = format!("base_{}_t * {P_CAP_RATIO}", rules.cap_base);
    // Offsets are surrendered in whole tonnes: caps as the rules round them.
    let cap_rule = p.rounding(R_OFFSET_CAP)?;
    let r_cap = cap.map(|c| cap_rule.record(&mut p.out, ("抵销上限", "Offset cap"), c, Some("t"), vec![Output::ref_step(s_cap)]));
    let (cap, s_cap) = (r_cap.map(|r| r.value), r_cap.map_or(s_cap, |r| r.step));
    p.metric_with(
        "offset_cap_t",
        cap.map(num).unwrap_or(Value::Empty),
        s_cap,
        r_cap.map(|_| cap_rule.wrap_formula(&cap_formula)).as_deref(),
    );

    // Eligibility, one decision per holding (after the plan, with the tonnes used).
    let mut credits: Vec<(Credit, Verdict, Vec<String>)> = Vec::new();
    // Findings with their own message and cells, by holding (other codes get the generic ones).
    let mut detailed: Vec<Vec<Detail>> = Vec::new();
    let rows: Vec<_> = credits_table.rows().collect();
    for row in &rows {
        let c = Credit::from_row(row);
        let mut v = rules.judge(&c);
        let mut d: Vec<Detail> = Vec::new();
        if !v.reasons.contains(&TYPE_NOT_ACCEPTED) {
            for f in new_ccer_failures(p, &c)? {
                v.reasons.push(f.code);
                d.push((f.code, f.zh, f.en, f.columns.iter().map(|k| row.at(k)).collect()));
            }
        }
        let cells = vec![row.at("credit_type"), row.at("province"), row.at("project_type"), row.at("owner_market"), row.at("quantity_t")];
        credits.push((c, v, cells));
        detailed.push(d);
    }
    inclusion_other_mechanism(p, &rows, &mut credits, &mut detailed);
    let eligible: Decimal = credits.iter().filter(|(_, v, _)| v.eligible()).map(|(c, _, _)| c.quantity).sum();
    let s_el = p.out.step(
        Step {
            clause: "试点抵销规定：类型、地域、来源 / pilot offset rules: type, origin, source",
            zh: "合格抵销指标 = 类型、项目类型、地域与边界均符合要求的持有量之和",
            en: "Eligible offsets = holdings whose type, project type, origin and boundary pass",
            parameters: &[P_TYPES, P_BOUNDARY],
            inputs: credits.iter().filter(|(_, v, _)| v.eligible()).map(|(_, _, cells)| cells[4].clone()).collect(),
        },
        num(eligible),
        Some("t"),
    );
    p.metric_with("offsets_eligible_t", num(eligible), s_el, None);

    // Caps for the plan: 0 = overall, then the sub-caps.
    let mut caps: Vec<CapBound> = vec![CapBound::Absolute(cap.unwrap_or(Decimal::ZERO))];
    let mut sub_values: Vec<Option<Decimal>> = Vec::new();
    for sc in &rules.subcaps {
        match &sc.base {
            SubCapBase::Base(b) => {
                let v = base_of(b).map(|x| cap_rule.apply(x * sc.ratio));
                sub_values.push(v);
                caps.push(CapBound::Absolute(v.unwrap_or(Decimal::ZERO)));
            }
            SubCapBase::CreditsUsed => {
                sub_values.push(None);
                caps.push(CapBound::Share(sc.ratio));
            }
        }
    }

    // ---- allowances --------------------------------------------------------------
    let year_d = Decimal::from(year);
    let mut allowance_lots: Vec<(String, String, Decimal, Option<Decimal>)> = Vec::new();
    let mut held = Decimal::ZERO;
    let mut held_cells = Vec::new();
    for row in ctx.table("allowances").rows() {
        let kind = row.text("type").unwrap_or("");
        let vintage = row.decimal("vintage").unwrap_or(Decimal::ZERO);
        let qty = row.decimal("quantity_t").unwrap_or(Decimal::ZERO);
        let market = row.text("market").filter(|m| !m.trim().is_empty());
        let subject = format!("{kind} {}{vintage}", market.map(|m| format!("{m} ")).unwrap_or_default());
        let reason = if kind != "PILOT-ALLOWANCE" {
            Some("ALLOWANCE_NOT_PILOT")
        } else if market.is_some_and(|m| m != p.id.id) {
            Some("ALLOWANCE_OTHER_MARKET")
        } else if vintage > year_d {
            Some("ALLOWANCE_FUTURE_VINTAGE")
        } else {
            None
        };
        if let Some(r) = reason {
            p.out.decision(Decision {
                table: "allowances".into(),
                row: row.source().into(),
                subject,
                outcome: "ineligible".into(),
                amount: Some("0".into()),
                unit: Some("t".into()),
                reasons: vec![r.into()],
            });
            continue;
        }
        held += qty;
        held_cells.push(row.at("quantity_t"));
        allowance_lots.push((row.source().to_string(), subject, qty, row.decimal("price_cny").or(price)));
    }
    let s_held = p.out.step(
        Step {
            clause: "试点配额管理 / pilot allowances",
            zh: "可用配额 = 本试点、年度不晚于履约年度的配额",
            en: "Usable allowances = this pilot's allowances of vintages up to the compliance year",
            parameters: &[],
            inputs: held_cells,
        },
        num(held),
        Some("t"),
    );
    p.metric_with("allowances_held_t", num(held), s_held, None);

    // ---- the plan ----------------------------------------------------------------
    let holdings_rule = p.rounding(R_HOLDINGS)?;
    let mut lots: Vec<Lot> = Vec::new();
    let mut lot_credit: Vec<Option<usize>> = Vec::new();
    for (i, (c, v, cells)) in credits.iter().enumerate() {
        if !v.eligible() {
            continue;
        }
        let (whole, _) = holdings_rule.record_if_changed(
            &mut p.out,
            (&format!("{} 可用于清缴的持有量", c.serial), &format!("{} holding usable in the plan", c.serial)),
            c.quantity,
            Some("t"),
            vec![cells[4].clone()],
        );
        if whole != c.quantity {
            p.finding(
                "CREDIT_QUANTITY_FRACTIONAL",
                t(
                    &format!("{}：持有量 {} 吨，计划最多使用 {whole} 吨", c.serial, c.quantity),
                    &format!("{}: {} t held; the plan uses at most {whole} t", c.serial, c.quantity),
                ),
                vec![cells[4].clone()],
            );
        }
        let mut in_caps = vec![0];
        for (k, sc) in rules.subcaps.iter().enumerate() {
            if rules.in_subcap(sc, c) {
                in_caps.push(k + 1);
            }
        }
        lots.push(Lot { kind: LotKind::Credit, quantity: whole, cost: c.price, caps: in_caps });
        lot_credit.push(Some(i));
    }
    for (src, subject, q, pr) in &allowance_lots {
        let (whole, _) = holdings_rule.record_if_changed(
            &mut p.out,
            (&format!("{subject} 可用于清缴的持有量"), &format!("{subject} holding usable in the plan")),
            *q,
            Some("t"),
            vec![src.clone()],
        );
        lots.push(Lot { kind: LotKind::Allowance, quantity: whole, cost: *pr, caps: vec![] });
        lot_credit.push(None);
    }
    let result = plan::optimise(obligation, &lots, &caps);
    let mut offsets_used = Decimal::ZERO;
    let mut allowances_used = Decimal::ZERO;
    let mut credit_used = vec![Decimal::ZERO; credits.len()];
    let mut plan_rows = Vec::new();
    let mut ai = 0;
    for (l, (lot, used)) in lots.iter().zip(&result.used).enumerate() {
        match lot_credit[l] {
            Some(ci) => {
                credit_used[ci] = *used;
                offsets_used += *used;
                let c = &credits[ci].0;
                if *used > Decimal::ZERO {
                    plan_rows.push(vec![
                        text(c.credit_type.clone()),
                        text(c.serial.clone()),
                        text(c.source.clone()),
                        num(*used),
                        c.price.map(num).unwrap_or(Value::Empty),
                        c.price.map(|pr| num(pr * *used)).unwrap_or(Value::Empty),
                    ]);
                }
            }
            None => {
                let (src, subject, _, pr) = &allowance_lots[ai];
                ai += 1;
                allowances_used += *used;
                if *used > Decimal::ZERO {
                    plan_rows.push(vec![
                        text("PILOT-ALLOWANCE"),
                        text(subject.clone()),
                        text(src.clone()),
                        num(*used),
                        pr.map(num).unwrap_or(Value::Empty),
                        pr.map(|x| num(x * *used)).unwrap_or(Value::Empty),
                    ]);
                }
                p.out.decision(Decision {
                    table: "allowances".into(),
                    row: src.clone(),
                    subject: subject.clone(),
                    outcome: if *used > Decimal::ZERO { "used" } else { "not-needed" }.into(),
                    amount: Some(fmt_dec(*used)),
                    unit: Some("t".into()),
                    reasons: vec![],
                });
            }
        }
        let _ = lot;
    }
    let shortfall_rule = p.rounding(R_SHORTFALL)?;
    let shortfall = shortfall_rule.apply(result.shortfall);
    if shortfall > Decimal::ZERO {
        plan_rows.push(vec![
            text("PILOT-ALLOWANCE"),
            text("buy / 购买"),
            text(""),
            num(shortfall),
            price.map(num).unwrap_or(Value::Empty),
            price.map(|x| num(x * shortfall)).unwrap_or(Value::Empty),
        ]);
    }
    let method = if result.priced {
        "精确整数规划（有理数单纯形＋分支定界）：先使缺口最小，再使所用持有量价值最低，最后按抵销优先、行序在前 / exact integer program (rational simplex with branch and bound): smallest shortfall, then lowest value of holdings used, then offsets first in row order"
    } else {
        "精确整数规划（有理数单纯形＋分支定界）：先使缺口最小，再按抵销优先、行序在前 / exact integer program (rational simplex with branch and bound): smallest shortfall, then offsets first in row order"
    };
    let mut plan_params: Vec<&str> = vec![P_CAP_RATIO];
    let sub_keys: Vec<String> = rules.subcaps.iter().map(|s| format!("{SUBCAP_RATIO_PREFIX}{}", s.name)).collect();
    plan_params.extend(sub_keys.iter().map(String::as_str));
    let s_plan = p.out.step(
        Step {
            clause: method,
            zh: "清缴计划：同时满足抵销上限与全部分项上限",
            en: "Surrender plan: every cap and sub-cap at once",
            parameters: &plan_params,
            inputs: vec![Output::ref_step(s_obl), Output::ref_step(s_cap), Output::ref_step(s_el), Output::ref_step(s_held)],
        },
        num(offsets_used),
        Some("t"),
    );
    p.metric_with("offsets_used_t", num(offsets_used), s_plan, None);
    left_after(
        p,
        Left {
            key: "offsets_unused_t",
            clause: "—",
            zh: "合格但未使用的抵销指标",
            en: "Eligible offsets not used",
            held: (eligible, s_el, "offsets_eligible_t"),
            used: (offsets_used, s_plan, "offsets_used_t"),
        },
    );
    let s_au = p.out.step(
        Step {
            clause: method,
            zh: "计划清缴配额",
            en: "Allowances used in the plan",
            parameters: &[],
            inputs: vec![Output::ref_step(s_plan), Output::ref_step(s_held)],
        },
        num(allowances_used),
        Some("t"),
    );
    p.metric_with("allowances_used_t", num(allowances_used), s_au, None);
    left_after(
        p,
        Left {
            key: "allowances_unused_t",
            clause: "—",
            zh: "清缴后剩余可用配额",
            en: "Usable allowances left",
            held: (held, s_held, "allowances_held_t"),
            used: (allowances_used, s_au, "allowances_used_t"),
        },
    );
    let s_sf = p.out.step(
        Step {
            clause: "—",
            zh: "缺口 = max(0, 应清缴 − 抵销 − 配额)",
            en: "Shortfall = max(0, obligation − offsets − allowances)",
            parameters: &[],
            inputs: vec![Output::ref_step(s_obl), Output::ref_step(s_plan), Output::ref_step(s_au)],
        },
        num(result.shortfall),
        Some("t"),
    );
    // What is bought is whole tonnes, rounded as the rules say (up).
    let r_sf = shortfall_rule.record(&mut p.out, ("缺口", "Shortfall"), result.shortfall, Some("t"), vec![Output::ref_step(s_sf)]);
    let s_sf = r_sf.step;
    p.metric_with(
        "shortfall_t",
        num(shortfall),
        s_sf,
        Some(shortfall_rule.wrap_formula("max(0, obligation_t - offsets_used_t - allowances_used_t)").as_str()),
    );
    if let Some(cost) = result.cost {
        let s = p.out.step(
            Step {
                clause: method,
                zh: "所用持有量价值 = Σ 数量 × 单价",
                en: "Value of holdings used = Σ quantity × price",
                parameters: &[],
                inputs: vec![Output::ref_step(s_plan), Output::ref_step(s_au)],
            },
            num(cost),
            Some("CNY"),
        );
        let r = p.rounding(R_MONEY)?.record(
            &mut p.out,
            ("所用持有量价值", "Value of holdings used"),
            cost,
            Some("CNY"),
            vec![Output::ref_step(s)],
        );
        p.metric_with("plan_cost_cny", num(r.value), r.step, None);
    } else if !lots.is_empty() {
        p.finding(
            "PLAN_PRICES_INCOMPLETE",
            t(
                "部分持有量无价格（单价列或选项 carbon_price_cny）：计划按先抵销、后配额、按行序确定",
                "Some holdings have no price (price column or option carbon_price_cny): the plan uses offsets first, in row order",
            ),
            vec![],
        );
    }
    if result.too_many_prices {
        p.finding(
            "PLAN_TOO_MANY_PRICES",
            t(&format!("不同价格的持有量超过 {} 组：计划使缺口最小并先用抵销指标，未按成本优化", plan::MAX_PRICED_PIECES), &format!("More than {} groups of holdings with distinct prices: the plan minimises the shortfall and uses offsets first, not by cost", plan::MAX_PRICED_PIECES)),
            vec![],
        );
    }
    if !result.proven {
        p.finding(
            "PLAN_NOT_PROVEN_OPTIMAL",
            t("清缴计划搜索达到上限，结果可行但未证明最优", "The plan search hit its limit; the plan is feasible, optimality not proven"),
            vec![],
        );
    }
    if shortfall > Decimal::ZERO {
        p.finding(
            "SHORTFALL",
            t(&format!("需购入 {shortfall} 吨本试点配额"), &format!("Buy {shortfall} t of this pilot's allowances")),
            vec![],
        );
    }

    // Decisions and findings for each credit holding.
    for (i, (c, v, cells)) in credits.iter().enumerate() {
        let used = credit_used[i];
        let outcome = if !v.eligible() {
            "ineligible"
        } else if used == c.quantity && used > Decimal::ZERO {
            "used"
        } else if used > Decimal::ZERO {
            "partly-used"
        } else {
            "not-used"
        };
        for code in v.reasons.iter().filter(|c| **c != TYPE_NOT_ACCEPTED).chain(v.notes.iter().filter(|c| **c != NOT_PREFERRED)) {
            match detailed[i].iter().find(|d| d.0 == *code) {
                Some((_, zh, en, d_cells)) => {
                    p.finding(code, t(&format!("{}：{zh}", c.serial), &format!("{}: {en}", c.serial)), d_cells.clone())
                }
                None => {
                    let (zh, en) = p.description(code).unwrap_or(("", ""));
                    p.finding(code, t(&format!("{}：{zh}", c.serial), &format!("{}: {en}", c.serial)), cells.clone());
                }
            }
        }
        if v.reasons.contains(&TYPE_NOT_ACCEPTED) {
            p.finding(
                TYPE_NOT_ACCEPTED,
                t(
                    &format!("{}：本试点不接受 {} 抵销（接受：{}）", c.serial, c.credit_type, rules.eligible_types.join("、")),
                    &format!("{}: {} is not accepted here (accepted: {})", c.serial, c.credit_type, rules.eligible_types.join(", ")),
                ),
                vec![cells[0].clone()],
            );
        }
        p.out.decision(Decision {
            table: "credit_holdings".into(),
            row: c.source.clone(),
            subject: c.serial.clone(),
            outcome: outcome.into(),
            amount: Some(fmt_dec(used)),
            unit: Some("t".into()),
            reasons: v.reasons.iter().chain(&v.notes).map(|s| s.to_string()).collect(),
        });
    }
    let not_preferred: Decimal =
        credits.iter().enumerate().filter(|(_, (_, v, _))| v.notes.contains(&NOT_PREFERRED)).map(|(i, _)| credit_used[i]).sum();
    if !rules.preferred.is_empty() && not_preferred > Decimal::ZERO {
        let regions: Vec<String> = rules.preferred.iter().map(Region::label).collect();
        p.finding(
            NOT_PREFERRED,
            t(
                &format!("计划使用的抵销指标中 {not_preferred} 吨来自优先地区（{}）以外：仅为优先，不影响使用", regions.join("、")),
                &format!(
                    "{not_preferred} t of the offsets used come from outside the preferred regions ({}): a preference only, not a cap",
                    regions.join(", ")
                ),
            ),
            vec![],
        );
    }

    // Caps table and binding findings.
    let mut cap_rows = Vec::new();
    let overall_used = offsets_used;
    if let Some(c) = cap {
        cap_rows.push(vec![
            text("offsets.cap_ratio"),
            text(format!("{} × base_{}", rules.cap_ratio, rules.cap_base)),
            num(c),
            num(eligible),
            num(overall_used),
        ]);
        if eligible > c && overall_used >= c.floor() {
            p.finding(
                "OFFSET_CAP_BINDING",
                t(&format!("合格抵销指标 {eligible} 吨超过上限 {c} 吨"), &format!("Eligible offsets {eligible} t exceed the cap of {c} t")),
                vec![],
            );
        }
    }
    for (k, sc) in rules.subcaps.iter().enumerate() {
        let members: Vec<usize> =
            credits.iter().enumerate().filter(|(_, (c, v, _))| v.eligible() && rules.in_subcap(sc, c)).map(|(i, _)| i).collect();
        let g_el: Decimal = members.iter().map(|&i| credits[i].0.quantity).sum();
        let g_used: Decimal = members.iter().map(|&i| credit_used[i]).sum();
        let ratio_key = format!("{SUBCAP_RATIO_PREFIX}{}", sc.name);
        let metric_key = format!("subcap_{}_t", sc.name);
        let (raw, formula) = match (&sc.base, sub_values[k]) {
            (SubCapBase::Base(b), Some(_)) => (base_of(b).map(|x| x * sc.ratio), Some(format!("base_{b}_t * {ratio_key}"))),
            (SubCapBase::Base(_), None) => (None, None),
            (SubCapBase::CreditsUsed, _) => (Some(offsets_used * sc.ratio), Some(format!("offsets_used_t * {ratio_key}"))),
        };
        let s = p.out.step(
            Step {
                clause: "试点抵销规定：分项上限 / pilot sub-cap",
                zh: &sc.text,
                en: &sc.text,
                parameters: &[&format!("{SUBCAP_PREFIX}{}", sc.name), &ratio_key],
                inputs: vec![Output::ref_step(s_plan)],
            },
            raw.map(num).unwrap_or(Value::Empty),
            Some("t"),
        );
        let r = raw.map(|b| {
            cap_rule.record(
                &mut p.out,
                (&format!("分项上限 {}", sc.name), &format!("Sub-cap {}", sc.name)),
                b,
                Some("t"),
                vec![Output::ref_step(s)],
            )
        });
        let (bound, s) = (r.map(|r| r.value), r.map_or(s, |r| r.step));
        let formula = formula.filter(|_| r.is_some()).map(|f| cap_rule.wrap_formula(&f));
        let label = t(&format!("分项上限 {}", sc.name), &format!("Sub-cap {}", sc.name));
        match (&formula, bound) {
            (Some(f), Some(b)) => p.out.metric_with_formula(&metric_key, num(b), "t", label, Some(s), f),
            (None, Some(b)) => p.out.metric(&metric_key, num(b), "t", label, Some(s)),
            _ => p.out.metric(&metric_key, Value::Empty, "t", label, Some(s)),
        }
        cap_rows.push(vec![text(sc.name.clone()), text(sc.text.clone()), bound.map(num).unwrap_or(Value::Empty), num(g_el), num(g_used)]);
        if let Some(b) = bound
            && g_el > g_used
            && g_used >= b.floor()
        {
            p.finding(
                "OFFSET_SUBCAP_BINDING",
                t(
                    &format!("分项上限 {}（{}）为 {b} 吨：该组合格 {g_el} 吨，计划使用 {g_used} 吨", sc.name, sc.text),
                    &format!("Sub-cap {} ({}) is {b} t: {g_el} t eligible in the group, {g_used} t used", sc.name, sc.text),
                ),
                vec![],
            );
        }
    }

    // ---- deadline and penalty -----------------------------------------------------
    let deadline = match p.value_opt(P_DEADLINE) {
        Some(Value::Date(d)) => Some(d.clone()),
        _ => None,
    };
    let s_dl = p.out.step(
        Step {
            clause: "年度履约通知 / annual compliance notice",
            zh: "清缴截止日期",
            en: "Surrender deadline",
            parameters: &[P_DEADLINE],
            inputs: vec![],
        },
        deadline.clone().map(Value::Date).unwrap_or(Value::Empty),
        None,
    );
    p.metric_with("surrender_deadline", deadline.clone().map(Value::Date).unwrap_or(Value::Empty), s_dl, None);
    match &deadline {
        None => p.finding(
            "DEADLINE_NOT_SOURCED",
            t(
                &format!("{year} 年度清缴截止日期未取得可靠来源，请以主管部门年度通知为准"),
                &format!("No sourced surrender deadline for {year}; follow the authority's annual notice"),
            ),
            vec![],
        ),
        Some(dl) => {
            if let Some(d) = surrender_date.filter(|d| is_iso_date(d) && *d > dl.as_str()) {
                p.finding(
                    "SURRENDER_LATE",
                    t(
                        &format!("计划清缴日期 {d} 晚于截止日期 {dl}"),
                        &format!("The planned surrender date {d} is after the deadline {dl}"),
                    ),
                    vec!["option:surrender_date".into()],
                );
            }
        }
    }
    penalty(p, shortfall, s_sf, price)?;

    // ---- result tables ------------------------------------------------------------
    p.out.table(plan_table(
        vec![column("price_cny", "单价", "Unit price", Some("CNY/t")), column("value_cny", "价值", "Value", Some("CNY"))],
        plan_rows,
    ));
    p.out.table(ResultTable {
        key: "offset_caps".into(),
        name: t("抵销上限与分项上限", "Offset caps and sub-caps"),
        columns: vec![
            column("cap", "上限", "Cap", None),
            column("rule", "规则", "Rule", None),
            column("bound_t", "上限值", "Bound", Some("t")),
            column("eligible_t", "合格持有量", "Eligible held", Some("t")),
            column("used_t", "计划使用", "Used", Some("t")),
        ],
        rows: cap_rows.into(),
        charts: vec![],
    });
    p.out.table(coverage_table(allowances_used, "抵销 Offsets", offsets_used, shortfall));
    p.credits = credits.into_iter().zip(credit_used).map(|((c, v, _), u)| (c, v, u)).collect();
    p.rules = Some(rules);
    Ok(())
}

/// A finding with its own message and cells: (code, zh, en, cells).
type Detail = (&'static str, String, String, Vec<String>);

fn date_value(p: &Pilot, key: &str) -> Option<String> {
    match p.ctx.parameter(key).map(|par| &par.value) {
        Ok(Value::Date(d)) => Some(d.clone()),
        _ => None,
    }
}

/// The registration conditions of a new-regime CCER (`offsets.new_ccer_*`),
/// checked only when the holding gives the dates a condition needs; the
/// parameters are marked used only then. A CCER registered before
/// `offsets.new_ccer_registered_from` is a legacy one, outside these rules.
fn new_ccer_failures(p: &mut Pilot, c: &Credit) -> Result<Vec<Failure>, EvaluationError> {
    let can_start = c.project_start.is_some();
    let can_window = c.reduction_start.is_some() && c.reductions_applied.is_some();
    let Some(reg) = c.registered.as_deref().filter(|_| c.credit_type == "CCER" && (can_start || can_window)) else { return Ok(Vec::new()) };
    let Some(from) = date_value(p, P_NEW_CCER_FROM) else { return Ok(Vec::new()) };
    if reg < from.as_str() {
        return Ok(Vec::new());
    }
    p.used.insert(P_NEW_CCER_FROM.into());
    let start_after = if can_start { date_value(p, P_NEW_CCER_START_AFTER) } else { None };
    if start_after.is_some() {
        p.used.insert(P_NEW_CCER_START_AFTER.into());
    }
    let window = match p.ctx.parameter(P_NEW_CCER_WINDOW_YEARS) {
        Ok(_) if can_window => Some(new_ccer_window_years(p)?),
        _ => None,
    };
    Ok(new_ccer_conditions(
        c.project_start.as_deref(),
        c.reduction_start.as_deref(),
        c.reductions_applied.as_deref(),
        start_after.as_deref(),
        window,
    ))
}

/// DC-14 (Guangdong, Shenzhen): a carbon-inclusion credit whose project also
/// has credits under another mechanism in the holdings is not counted. Runs
/// where the rules name the carbon-inclusion types (`offsets.carbon_inclusion_types`).
fn inclusion_other_mechanism(
    p: &mut Pilot,
    rows: &[crate::RowView],
    credits: &mut [(Credit, Verdict, Vec<String>)],
    detailed: &mut [Vec<Detail>],
) {
    let types = match p.ctx.parameter(P_INCLUSION_TYPES).map(|par| &par.value) {
        Ok(Value::Text(text)) => list(text),
        _ => return,
    };
    let found = {
        let refs: Vec<&Credit> = credits.iter().map(|(c, _, _)| c).collect();
        inclusion_overlaps(&refs, &types)
    };
    for (i, m) in found.into_iter().enumerate() {
        let Some((j, column)) = m else { continue };
        if credits[i].1.reasons.contains(&TYPE_NOT_ACCEPTED) {
            continue;
        }
        p.used.insert(P_INCLUSION_TYPES.into());
        let (other, other_type, other_row) = (credits[j].0.serial.clone(), credits[j].0.credit_type.clone(), credits[j].0.source.clone());
        let c = &credits[i].0;
        let project = if column == "project_id" { c.project_id.clone() } else { c.project_name.clone() }.unwrap_or_default();
        let (col_zh, col_en) = if column == "project_id" { ("项目编号", "project id") } else { ("项目名称", "project name") };
        let zh = format!(
            "{}（{}）与 {other}（{other_type}，{other_row}）的{col_zh}同为「{project}」：对已申报国内外温室气体自愿减排机制、绿色电力交易或绿色电力证书的项目，不再签发碳普惠核证减排量（清华大学《抵销机制设计》DC-14），不计入",
            c.credit_type, c.source
        );
        let en = format!(
            "{} ({}) and {other} ({other_type}, {other_row}) have the same {col_en} \"{project}\": no carbon-inclusion credit is issued for a project already under a domestic or foreign voluntary mechanism, green-power trading or green certificates (Tsinghua report DC-14); not counted",
            c.credit_type, c.source
        );
        let cells = vec![rows[i].at(column), rows[i].at("credit_type"), rows[j].at(column), rows[j].at("credit_type")];
        credits[i].1.reasons.push(INCLUSION_OTHER_MECHANISM);
        detailed[i].push((INCLUSION_OTHER_MECHANISM, zh, en, cells));
    }
}

/// Green power counted as zero-emission: (MWh counted, tonnes deducted, steps).
fn green_power(
    p: &mut Pilot,
    elec_t: Decimal,
    elec_mwh: Decimal,
    mwh_complete: bool,
) -> Result<(Decimal, Decimal, u32, u32), EvaluationError> {
    let ctx = p.ctx;
    let table = ctx.table("green_power");
    let clause = "试点绿电排放核算规定 / pilot green-power accounting rule";
    if table.is_empty() {
        let s_mwh = p.out.step(
            Step { clause, zh: "无绿电购买", en: "No green power bought", parameters: &[], inputs: vec![] },
            num(Decimal::ZERO),
            Some("MWh"),
        );
        p.metric_with("green_power_zero_mwh", num(Decimal::ZERO), s_mwh, None);
        let s_ded = p.out.step(
            Step { clause, zh: "无绿电调减", en: "No green-power deduction", parameters: &[], inputs: vec![] },
            num(Decimal::ZERO),
            Some("tCO2"),
        );
        p.metric_with("green_power_deduction_t", num(Decimal::ZERO), s_ded, None);
        let _ = (elec_t, elec_mwh, mwh_complete);
        return Ok((Decimal::ZERO, Decimal::ZERO, s_mwh, s_ded));
    }
    let channels = p.text_opt(P_GP_CHANNELS).map(list);
    let mut counted = Decimal::ZERO;
    let mut cells = Vec::new();
    match &channels {
        None => {
            if !table.is_empty() {
                p.finding(
                    "GREEN_POWER_NO_RULE",
                    t(
                        "本试点本年度没有（或未取得来源的）绿电零排放规则：购入绿电按购入电力计",
                        "No (sourced) green-power rule for this pilot and year: green power is counted as purchased electricity",
                    ),
                    vec![],
                );
            }
            for row in table.rows() {
                p.out.decision(Decision {
                    table: "green_power".into(),
                    row: row.source().into(),
                    subject: row.text("contract").unwrap_or("").into(),
                    outcome: "not-counted".into(),
                    amount: Some("0".into()),
                    unit: Some("MWh".into()),
                    reasons: vec!["GREEN_POWER_NO_RULE".into()],
                });
            }
        }
        Some(ch) => {
            let need_settled = p.bool_opt(P_GP_SETTLED).unwrap_or(false);
            let need_certs = p.bool_opt(P_GP_CERTS).unwrap_or(false);
            for row in table.rows() {
                let mwh = row.decimal("mwh").unwrap_or(Decimal::ZERO);
                let channel = row.text("channel").unwrap_or("");
                let contract = row.text("contract").unwrap_or("").to_string();
                let mut reasons: Vec<&str> = Vec::new();
                let mut amount = mwh;
                if !ch.iter().any(|c| c == channel) {
                    reasons.push("GREEN_POWER_NOT_COUNTED");
                    amount = Decimal::ZERO;
                    p.finding("GREEN_POWER_NOT_COUNTED", t(&format!("{contract}：购买方式 {channel} 不在本试点零排放认定范围（{}）内，{mwh} MWh 按购入电力计", ch.join("、")), &format!("{contract}: channel {channel} is not counted as zero-emission here (counted: {}); {mwh} MWh stay purchased electricity", ch.join(", "))), vec![row.at("channel")]);
                } else {
                    if need_settled && row.boolean("settled") != Some(true) {
                        reasons.push("GREEN_POWER_NOT_SETTLED");
                        amount = Decimal::ZERO;
                        p.finding(
                            "GREEN_POWER_NOT_SETTLED",
                            t(
                                &format!("{contract}：未注明已实际执行、结算，{mwh} MWh 不按零排放计"),
                                &format!("{contract}: not shown as executed and settled; {mwh} MWh not counted"),
                            ),
                            vec![row.at("settled")],
                        );
                    }
                    let certs = row.decimal("certificates_mwh");
                    if certs.is_none_or(|c| c < mwh) {
                        let have = certs.unwrap_or(Decimal::ZERO);
                        if need_certs {
                            reasons.push("GREEN_POWER_NO_CERTIFICATE");
                            amount = amount.min(have);
                        }
                        p.finding("GREEN_POWER_NO_CERTIFICATE", t(&format!("{contract}：绿电 {mwh} MWh，对应绿证 {have} MWh（发改能源〔2023〕1044号：绿证是绿电消费的唯一凭证）"), &format!("{contract}: {mwh} MWh of green power, {have} MWh of certificates (NDRC 〔2023〕1044: the certificate is the sole proof of green-power use)")), vec![row.at("certificates_mwh")]);
                    }
                }
                if amount > Decimal::ZERO {
                    counted += amount;
                    cells.push(row.at("mwh"));
                }
                p.out.decision(Decision {
                    table: "green_power".into(),
                    row: row.source().into(),
                    subject: contract,
                    outcome: if amount > Decimal::ZERO { "counted" } else { "not-counted" }.into(),
                    amount: Some(fmt_dec(amount)),
                    unit: Some("MWh".into()),
                    reasons: reasons.iter().map(|s| s.to_string()).collect(),
                });
            }
        }
    }
    let mut capped = counted;
    if counted > Decimal::ZERO && counted > elec_mwh && mwh_complete {
        capped = elec_mwh;
        p.finding(
            "GREEN_POWER_EXCEEDS_PURCHASES",
            t(
                &format!("认定绿电 {counted} MWh 超过购入电量 {elec_mwh} MWh，按购入电量计"),
                &format!("Green power {counted} MWh exceeds purchased electricity {elec_mwh} MWh; capped"),
            ),
            vec![],
        );
    }
    let params: &[&str] = &[P_GP_CHANNELS, P_GP_SETTLED, P_GP_CERTS];
    let s_mwh = p.out.step(
        Step {
            clause, zh: "按零排放计的绿电电量", en: "Green power counted as zero-emission", parameters: params, inputs: cells
        },
        num(capped),
        Some("MWh"),
    );
    p.metric_with("green_power_zero_mwh", num(capped), s_mwh, None);
    let mut deduction = Decimal::ZERO;
    if capped > Decimal::ZERO {
        if !mwh_complete || elec_mwh.is_zero() {
            p.finding(
                "GREEN_POWER_NO_FACTOR",
                t(
                    "购入电力排放源缺少电量（electricity_mwh），无法按其排放因子折算绿电调减；调减按0计",
                    "Purchased-electricity sources lack electricity_mwh; the green-power deduction cannot be computed and is 0",
                ),
                vec![],
            );
        } else {
            // The deduction at the entity's own purchased-electricity factor (its emissions / MWh).
            deduction = capped * elec_t / elec_mwh;
            p.finding("GREEN_POWER_ZERO", t(&format!("{capped} MWh 绿电按零排放计，调减 {deduction} 吨（按购入电力平均排放因子 {elec_t}/{elec_mwh}）"), &format!("{capped} MWh of green power counted as zero-emission: {deduction} t deducted (at the purchased electricity's factor {elec_t}/{elec_mwh})")), vec![]);
        }
    }
    let s_ded = p.out.step(
        Step {
            clause,
            zh: "绿电调减 = 认定绿电 × 购入电力排放量 / 购入电量",
            en: "Deduction = green MWh × purchased-electricity emissions / purchased MWh",
            parameters: params,
            inputs: vec![Output::ref_step(s_mwh)],
        },
        num(deduction),
        Some("tCO2"),
    );
    p.metric_with("green_power_deduction_t", num(deduction), s_ded, None);
    Ok((capped, deduction, s_mwh, s_ded))
}

fn coverage(p: &mut Pilot, ent: &Entity, gross: Decimal, s_gross: u32) -> Result<(), EvaluationError> {
    let sector = ent.sector.clone();
    let pick = |p: &mut Pilot, prefix: &str| -> Result<Option<(String, Decimal)>, EvaluationError> {
        let specific = sector.as_ref().map(|s| format!("{prefix}{s}"));
        for key in specific.into_iter().chain([format!("{prefix}default")]) {
            if p.ctx.parameter(&key).is_ok() {
                return Ok(p.num_opt(&key)?.map(|v| (key, v)));
            }
        }
        Ok(None)
    };
    let th_t = pick(p, THRESHOLD_T)?;
    let th_tce = pick(p, THRESHOLD_TCE)?;
    let clause = "试点纳入标准 / pilot coverage threshold (以上、及以上含本数)";
    let keys: Vec<String> = th_t.iter().chain(th_tce.iter()).map(|(k, _)| k.clone()).collect();
    let key_refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let s_t = p.out.step(
        Step {
            clause,
            zh: "纳入门槛（排放量）",
            en: "Coverage threshold (emissions)",
            parameters: &key_refs,
            inputs: vec![Output::ref_step(s_gross)],
        },
        th_t.as_ref().map(|(_, v)| num(*v)).unwrap_or(Value::Empty),
        Some("tCO2"),
    );
    p.metric_with("coverage_threshold_t", th_t.as_ref().map(|(_, v)| num(*v)).unwrap_or(Value::Empty), s_t, None);
    let s_e = p.out.step(
        Step {
            clause,
            zh: "纳入门槛（综合能耗）",
            en: "Coverage threshold (energy)",
            parameters: &key_refs,
            inputs: ent.energy.iter().map(|(_, c)| c.clone()).collect(),
        },
        th_tce.as_ref().map(|(_, v)| num(*v)).unwrap_or(Value::Empty),
        Some("tce"),
    );
    p.metric_with("coverage_threshold_tce", th_tce.as_ref().map(|(_, v)| num(*v)).unwrap_or(Value::Empty), s_e, None);
    let by_t = th_t.as_ref().map(|(_, v)| gross >= *v);
    let by_tce = match (&th_tce, &ent.energy) {
        (Some((_, v)), Some((e, _))) => Some(*e >= *v),
        _ => None,
    };
    let met = by_t == Some(true) || by_tce == Some(true);
    if (by_t.is_some() || by_tce.is_some()) && !met {
        let t_text = th_t.as_ref().map(|(_, v)| format!("排放量门槛 {v} 吨")).unwrap_or_default();
        let t_en = th_t.as_ref().map(|(_, v)| format!("emissions threshold {v} t")).unwrap_or_default();
        let tce_text = th_tce.as_ref().map(|(_, v)| format!(" 综合能耗门槛 {v} tce")).unwrap_or_default();
        let tce_en = th_tce.as_ref().map(|(_, v)| format!(" energy threshold {v} tce")).unwrap_or_default();
        p.finding(
            "BELOW_COVERAGE_THRESHOLD",
            t(&format!("试点覆盖排放量 {gross} 吨，低于纳入门槛（{t_text}{tce_text}）：以主管部门公布的名单为准"), &format!("Pilot-covered emissions {gross} t: below the coverage threshold ({t_en}{tce_en}); the authority's published list decides")),
            vec![],
        );
    }
    if let Some(list_text) = p.text_opt(P_SECTORS) {
        let sectors = list(list_text);
        if let Some(s) = &sector
            && !sectors.contains(s)
            && (!sectors.iter().any(|x| x == "industry") || NON_INDUSTRY.contains(&s.as_str()))
        {
            p.finding(
                "SECTOR_NOT_COVERED",
                t(
                    &format!("行业 {s} 不在本年度纳入行业清单（{}）中", sectors.join("、")),
                    &format!("Sector {s} is not on this year's list of covered sectors ({})", sectors.join(", ")),
                ),
                vec!["entity!sector".into()],
            );
        }
    }
    if let Some(list_text) = p.text_opt(P_NATIONAL_SECTORS) {
        let nat = list(list_text);
        if let Some(s) = &sector
            && nat.contains(s)
            && ent.national_year.is_none()
        {
            let year = p.ctx.year();
            p.finding(
                    "NATIONAL_SECTOR_CHECK",
                    t(&format!("{} 年度全国碳市场已覆盖 {s} 行业：若本单位已列入全国市场重点排放单位名单，其该行业排放不再计入试点（条例第二十九条），请在单位信息表填写「纳入全国市场年度」", year), &format!("In {} the national market covers the {s} sector: if the entity is on the national list, those emissions leave the pilot (Regulation Art. 29); give national_market_year on the entity sheet", year)),
                    vec!["entity!national_market_year".into()],
                );
        }
    }
    Ok(())
}

/// Sectors that are not "industry" for a list that names `industry`.
const NON_INDUSTRY: &[&str] =
    &["aviation", "airport", "port", "water_transport", "road_freight", "rail", "data_centre", "building", "other"];

fn penalty(p: &mut Pilot, shortfall: Decimal, s_sf: u32, price: Option<Decimal>) -> Result<(), EvaluationError> {
    let mult_min = p.num_opt(P_PEN_MIN)?;
    let mult_max = p.num_opt(P_PEN_MAX)?;
    let fine_min = p.num_opt(P_FINE_MIN)?;
    let fine_max = p.num_opt(P_FINE_MAX)?;
    let cut = p.num_opt(P_CUT)?;
    let fine_cap = p.num_opt(P_FINE_CAP)?;
    let money = p.rounding(R_MONEY)?;
    let tonnes = p.rounding(R_SHORTFALL)?;
    let clause = "试点罚则 / pilot penalty";
    let short = shortfall > Decimal::ZERO;
    let s_p = price.map(|pr| carbon_price(p, pr, "罚则所依据的市场均价", "Market price the penalty refers to"));
    let sourced = mult_min.is_some() || mult_max.is_some() || fine_min.is_some() || fine_max.is_some() || cut.is_some();
    if !sourced {
        p.finding(
            "PENALTY_NOT_SOURCED",
            t("本试点本年度罚则未取得可靠来源，未计算罚款", "No sourced penalty for this pilot and year; none computed"),
            vec![],
        );
    }
    for (key, mult_key, mult, fine_key, fine) in
        [("penalty_min_cny", P_PEN_MIN, mult_min, P_FINE_MIN, fine_min), ("penalty_max_cny", P_PEN_MAX, mult_max, P_FINE_MAX, fine_max)]
    {
        let mut inputs = vec![Output::ref_step(s_sf)];
        inputs.extend(s_p.map(Output::ref_step));
        let params = [mult_key, fine_key, P_FINE_CAP];
        // The amount computed from the price, to be rounded to money.
        let mut computed: Option<Decimal> = None;
        let (value, formula): (Value, Option<String>) = if !sourced {
            (Value::Empty, None)
        } else if !short {
            (num(Decimal::ZERO), None)
        } else {
            match (mult, price, fine) {
                (Some(m), Some(pr), f) => {
                    let v = shortfall * pr * m + f.unwrap_or(Decimal::ZERO);
                    let f_text = if f.is_some() {
                        format!("shortfall_t * carbon_price_cny * {mult_key} + {fine_key}")
                    } else {
                        format!("shortfall_t * carbon_price_cny * {mult_key}")
                    };
                    let v = fine_cap.map_or(v, |c| v.min(c));
                    computed = Some(v);
                    match fine_cap {
                        Some(_) => (num(v), Some(format!("min({f_text}, {P_FINE_CAP})"))),
                        None => (num(v), Some(f_text)),
                    }
                }
                (Some(_), None, _) => (Value::Empty, None),
                (None, _, Some(f)) => (num(f), Some(fine_key.to_string())),
                (None, _, None) => (Value::Empty, None),
            }
        };
        let s = p.out.step(
            Step {
                clause,
                zh: "罚款 = 未清缴量 × 市场均价 × 倍数（+ 固定罚款）",
                en: "Penalty = unsurrendered × price × multiple (+ fixed fine)",
                parameters: &params,
                inputs,
            },
            value.clone(),
            Some("CNY"),
        );
        match computed {
            Some(v) => {
                let r = money.record(&mut p.out, ("罚款", "Penalty"), v, Some("CNY"), vec![Output::ref_step(s)]);
                p.metric_with(key, num(r.value), r.step, formula.as_deref().map(|f| money.wrap_formula(f)).as_deref());
            }
            None => p.metric_with(key, value, s, formula.as_deref()),
        }
    }
    if short && price.is_none() && (mult_min.is_some() || mult_max.is_some()) {
        penalty_price_missing(p);
    }
    let (value, formula) = match cut {
        Some(r) => (num(shortfall * r), Some(format!("shortfall_t * {P_CUT}"))),
        None => (Value::Empty, None),
    };
    let s = p.out.step(
        Step {
            clause,
            zh: "次年配额扣减 = 未清缴量 × 倍数",
            en: "Cut of next year's allocation = unsurrendered × ratio",
            parameters: &[P_CUT],
            inputs: vec![Output::ref_step(s_sf)],
        },
        value.clone(),
        Some("t"),
    );
    match cut {
        Some(r) => {
            let rr = tonnes.record(
                &mut p.out,
                ("次年配额扣减", "Cut of next year's allocation"),
                shortfall * r,
                Some("t"),
                vec![Output::ref_step(s)],
            );
            p.metric_with("next_allocation_cut_t", num(rr.value), rr.step, formula.as_deref().map(|f| tonnes.wrap_formula(f)).as_deref());
        }
        None => p.metric_with("next_allocation_cut_t", value, s, formula.as_deref()),
    }
    Ok(())
}
