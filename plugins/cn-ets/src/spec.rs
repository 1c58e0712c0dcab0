//! What the plugin declares: parameters, metrics, findings and input sheets.

use lvyue_sdk::eval::{Catalogue, FindingDef, MetricDef, findings};
use lvyue_sdk::offsets::defs;
use lvyue_sdk::rounding;
use lvyue_sdk::schemas::{self, example, with_examples};
use lvyue_sdk::{ColumnSpec, ParameterSpec, Severity, SheetSpec, ValueKind, t};

// ---- parameters ------------------------------------------------------------------

pub const P_CAP_RATIO: &str = "offsets.ccer_cap_ratio";
pub const P_CAP_BASE: &str = "offsets.ccer_cap_base";
pub const P_LEGACY_FILED_BEFORE: &str = "offsets.legacy_ccer_filed_before";
pub const P_LEGACY_LAST_USE: &str = "offsets.legacy_ccer_last_use";
pub const P_NEW_CCER_FROM: &str = "offsets.new_ccer_registered_from";
pub const P_NEW_CCER_REDUCTIONS_AFTER: &str = "offsets.new_ccer_reductions_after";
/// The restarted market's registration conditions (optional: checked when the holding gives the dates).
pub use lvyue_sdk::offsets::{P_NEW_CCER_START_AFTER, P_NEW_CCER_WINDOW_YEARS};
pub const P_DEADLINE: &str = "surrender.deadline";
pub const P_PURCHASED_ELEC: &str = "scope.purchased_electricity_included";
pub const P_PURCHASED_HEAT: &str = "scope.purchased_heat_included";
pub const P_THRESHOLD: &str = "scope.coverage_threshold_t";
pub const P_UNUSABLE_VINTAGES: &str = "allowances.unusable_vintages_up_to";
pub const P_PENALTY_MIN: &str = "penalty.price_multiple_min";
pub const P_PENALTY_MAX: &str = "penalty.price_multiple_max";
pub const P_FINE_MIN: &str = "penalty.fixed_fine_min_cny";
pub const P_FINE_MAX: &str = "penalty.fixed_fine_max_cny";
pub const P_CUT_RATIO: &str = "penalty.next_allocation_cut_ratio";

pub const P_M_CO2: &str = "emissions.molar_mass_co2";
pub const P_M_C: &str = "emissions.molar_mass_c";
pub const P_GRID_FACTOR: &str = "emissions.grid_factor";

pub const P_FF_FORM: &str = "allocation.ff.form";
pub const P_FF_THRESHOLD: &str = "allocation.ff.threshold";
pub const P_FF_COEFFICIENTS: &str = "allocation.ff.coefficients";
pub const P_FF_CATEGORIES: &str = "allocation.ff.categories";
pub const P_GAS_TOP_UP: &str = "allocation.gas_top_up_to_emissions";
pub const P_SHORTFALL_CAP: &str = "allocation.shortfall_rate_cap";
pub const P_INDUSTRY_METHOD: &str = "allocation.industry_method";
pub const P_HEAT_BM_COAL: &str = "allocation.benchmark.heat.coal";
pub const P_HEAT_BM_GAS: &str = "allocation.benchmark.heat.gas";

/// Rounding rules (`rounding.<quantity>.places` and `.mode`, rules/cn-ets/rounding.toml).
pub const R_SOURCE: &str = "rounding.source_emissions";
pub const R_TOTAL: &str = "rounding.total_emissions";
pub const R_ELECTRICITY: &str = "rounding.electricity_mwh";
pub const R_OBLIGATION: &str = "rounding.obligation";
pub const R_ALLOCATION: &str = "rounding.allocation";
pub const R_FF: &str = "rounding.ff";
pub const R_OFFSET_CAP: &str = "rounding.offset_cap";
pub const R_HOLDINGS: &str = "rounding.holdings_used";
pub const R_SHORTFALL: &str = "rounding.shortfall";
pub const R_CARRY_OVER: &str = "rounding.carry_over_limit";
pub const R_MONEY: &str = "rounding.money";
/// Roundings every evaluation applies (required: the host refuses to run without them).
pub const CORE_ROUNDINGS: &[&str] = &[R_SOURCE, R_TOTAL, R_OBLIGATION, R_OFFSET_CAP, R_HOLDINGS, R_SHORTFALL, R_MONEY];
/// Roundings read only when the input needs them (electricity MWh, allocation, carry-over).
pub const OPTIONAL_ROUNDINGS: &[&str] = &[R_ELECTRICITY, R_ALLOCATION, R_FF, R_CARRY_OVER];

pub const P_CARRY_VINTAGE_MAX: &str = "allowances.carry_over_vintage_max";
pub const P_CARRY_BASE: &str = "allowances.carry_over_base_t";
pub const P_CARRY_MULTIPLE: &str = "allowances.carry_over_sales_multiple";
pub const P_CARRY_APPLY_BY: &str = "allowances.carry_over_apply_by";

/// Generating-unit categories of the power allocation plans (附1).
pub const CATEGORIES: &[&str] = &["I", "II", "III", "IV"];
/// The gas category: no Ff, gas heat benchmark, unit-level top-up.
pub const GAS_CATEGORY: &str = "IV";

pub fn generation_benchmark_key(category: &str) -> String {
    format!("allocation.benchmark.generation.{category}")
}

/// Parameters every evaluation reads; the host refuses to run without them.
pub const CORE_PARAMS: &[&str] = &[
    P_CAP_RATIO,
    P_CAP_BASE,
    P_LEGACY_FILED_BEFORE,
    P_LEGACY_LAST_USE,
    P_NEW_CCER_FROM,
    P_NEW_CCER_REDUCTIONS_AFTER,
    P_DEADLINE,
    P_PURCHASED_ELEC,
    P_PURCHASED_HEAT,
    P_THRESHOLD,
    P_UNUSABLE_VINTAGES,
    P_PENALTY_MIN,
    P_PENALTY_MAX,
    P_FINE_MIN,
    P_FINE_MAX,
    P_CUT_RATIO,
];

fn kind_of(key: &str) -> ValueKind {
    match key {
        P_CAP_BASE | P_FF_FORM | P_FF_COEFFICIENTS | P_FF_CATEGORIES | P_INDUSTRY_METHOD => ValueKind::Text,
        P_LEGACY_FILED_BEFORE
        | P_LEGACY_LAST_USE
        | P_NEW_CCER_FROM
        | P_NEW_CCER_REDUCTIONS_AFTER
        | P_NEW_CCER_START_AFTER
        | P_DEADLINE
        | P_CARRY_APPLY_BY => ValueKind::Date,
        P_PURCHASED_ELEC | P_PURCHASED_HEAT | P_GAS_TOP_UP => ValueKind::Boolean,
        _ => ValueKind::Number,
    }
}

/// Every parameter the plugin may read. Those outside [`CORE_PARAMS`] are read
/// only when the input needs them (a fuel default, a unit category, a sector);
/// when one has no value for the year the plugin stops with an error naming it.
pub fn parameters() -> Vec<ParameterSpec> {
    let mut keys: Vec<String> = CORE_PARAMS.iter().map(|s| s.to_string()).collect();
    let optional_fixed = [
        P_M_CO2,
        P_M_C,
        P_GRID_FACTOR,
        P_FF_FORM,
        P_FF_THRESHOLD,
        P_FF_COEFFICIENTS,
        P_FF_CATEGORIES,
        P_GAS_TOP_UP,
        P_SHORTFALL_CAP,
        P_INDUSTRY_METHOD,
        P_HEAT_BM_COAL,
        P_HEAT_BM_GAS,
        P_CARRY_VINTAGE_MAX,
        P_CARRY_BASE,
        P_CARRY_MULTIPLE,
        P_CARRY_APPLY_BY,
        P_NEW_CCER_START_AFTER,
        P_NEW_CCER_WINDOW_YEARS,
        crate::monthly::P_EVIDENCE_DAYS,
    ];
    let mut optional: Vec<String> = optional_fixed.iter().map(|s| s.to_string()).collect();
    optional.extend(CATEGORIES.iter().map(|c| generation_benchmark_key(c)));
    // The fuel defaults are an open family: a fuel added to the rules (for
    // example with --rules-override) is usable by its key without a new build.
    optional.push(format!("{}*", crate::fuels::DEFAULTS_PREFIX));
    let core_len = keys.len();
    keys.extend(optional);
    let mut specs: Vec<ParameterSpec> = keys
        .into_iter()
        .enumerate()
        .map(|(i, key)| ParameterSpec { kind: kind_of(&key), key, unit: None, required: i < core_len })
        .collect();
    specs.extend(rounding::parameter_specs(CORE_ROUNDINGS, true));
    specs.extend(rounding::parameter_specs(OPTIONAL_ROUNDINGS, false));
    specs
}

// ---- metrics ---------------------------------------------------------------------

/// (key, unit, zh, en). Keys are stable: users' scripts depend on them.
pub const METRICS: &[MetricDef] = &[
    ("verified_emissions_t", "tCO2", "核查排放量", "Verified emissions"),
    ("purchased_electricity_memo_t", "tCO2", "购入电力排放（备忘，不计入）", "Purchased electricity emissions (memo, excluded)"),
    ("emissions_with_default_factors_t", "tCO2", "采用缺省排放因子计算的排放量", "Emissions computed with default factors"),
    defs::OBLIGATION,
    ("allocation_units_initial_t", "t", "机组初始配额合计", "Units' initial allocation"),
    ("allocation_gas_top_up_t", "t", "燃气机组豁免补发", "Gas-unit top-up"),
    ("allocation_cap_top_up_t", "t", "履约缺口率上限豁免补发", "Shortfall-rate cap top-up"),
    ("allocation_t", "t", "核定配额量", "Allocation"),
    ("allocation_gap_t", "t", "配额缺口（应清缴 − 核定配额）", "Allocation gap (obligation − allocation)"),
    ("allocation_gap_rate", "ratio", "配额履约缺口率", "Allocation shortfall rate"),
    ("offset_cap_t", "t", "CCER抵销上限", "Offset cap"),
    ("offsets_eligible_t", "t", "合格CCER持有量", "Eligible offsets held"),
    ("offsets_used_t", "t", "计划使用CCER", "Offsets used"),
    ("offsets_unused_t", "t", "合格但未使用的CCER", "Eligible offsets not used"),
    defs::ALLOWANCES_HELD,
    defs::ALLOWANCES_USED,
    ("allowances_unused_t", "t", "清缴后剩余可用配额", "Usable allowances left after surrender"),
    defs::SHORTFALL,
    defs::SURRENDER_DEADLINE,
    ("carry_over_limit_t", "t", "最大可结转量", "Carry-over limit"),
    defs::CARBON_PRICE,
    defs::PENALTY_MIN,
    defs::PENALTY_MAX,
    ("next_allocation_cut_t", "t", "次年配额核减", "Cut of next year's allocation"),
    ("shortfall_cost_cny", "CNY", "购买缺口的成本（缺口 × 碳价）", "Cost of buying the shortfall (shortfall × carbon price)"),
];

// ---- findings --------------------------------------------------------------------

/// (code, severity, zh, en)
pub const FINDINGS: &[FindingDef] = &[
    (
        "EMISSIONS_MISSING",
        Severity::Error,
        "排放源缺少排放量，且无法按活动数据计算",
        "An emission source has no emissions and cannot be computed from activity data",
    ),
    ("FUEL_UNKNOWN", Severity::Error, "燃料品种无法识别，且未给出全部排放因子", "Unknown fuel and not all factors given"),
    ("FACTOR_MISSING", Severity::Error, "缺少排放因子，核算指南无缺省值", "A factor is missing and the guideline gives no default"),
    ("VALUE_OUT_OF_RANGE", Severity::Error, "数值超出允许范围", "A value is out of its allowed range"),
    findings::OPTION_INVALID,
    ("UNITS_FOR_OTHER_SECTOR", Severity::Error, "非发电行业主体填写了发电机组", "Generating units given for a non-power entity"),
    (
        "UNIT_EMISSIONS_MISSING",
        Severity::Error,
        "燃气机组无对应排放量，无法判断豁免补发",
        "A gas unit has no emissions rows; its top-up cannot be judged",
    ),
    ("DEFAULT_FACTORS_USED", Severity::Info, "采用核算指南缺省排放因子", "The accounting guideline's default factors were used"),
    (
        "DEFAULT_FACTORS_POWER_GUIDELINE",
        Severity::Warning,
        "缺省因子来自发电设施核算指南，非本行业指南",
        "Defaults are the power-facility guideline's, not this sector's",
    ),
    (
        "PURCHASED_ELECTRICITY_INCLUDED",
        Severity::Info,
        "本年度购入电力排放计入清缴",
        "Purchased electricity counts towards this year's obligation",
    ),
    ("MEMO_NOT_COMPUTED", Severity::Warning, "备忘排放源缺少排放量，按0计", "A memo source has no emissions; shown as 0"),
    ("BELOW_COVERAGE_THRESHOLD", Severity::Info, "排放量低于纳入门槛", "Emissions are below the coverage threshold"),
    (
        "ALLOCATION_NOT_COMPUTED",
        Severity::Info,
        "未提供发电机组或行业，未计算配额",
        "No generating units or sector given; allocation not computed",
    ),
    (
        "ALLOCATION_EQUALS_EMISSIONS",
        Severity::Info,
        "本行业本年度配额等于核查排放量",
        "This sector's allocation equals verified emissions this year",
    ),
    (
        "LOAD_FACTOR_MISSING",
        Severity::Warning,
        "常规燃煤机组未填负荷系数，调峰修正系数按1计",
        "No load factor for a conventional coal unit; Ff taken as 1",
    ),
    ("GAS_TOP_UP", Severity::Info, "燃气机组配额补发至核查排放量", "Gas unit topped up to its verified emissions"),
    ("SHORTFALL_CAP_TOP_UP", Severity::Info, "配额补发至核查排放量的80%（缺口率上限）", "Allocation topped up to the shortfall-rate cap"),
    ("OFFSET_NOT_CCER", Severity::Info, "非CCER减排量不可用于全国碳市场清缴", "Only CCER may offset in the national market"),
    (
        "OFFSET_COVERED_PROJECT",
        Severity::Warning,
        "CCER来自纳入全国碳市场配额管理的项目（或未说明所属市场），不计入",
        "CCER from a project under the national market's allowance management (or its market not given); not counted",
    ),
    ("OFFSET_LEGACY_EXPIRED", Severity::Warning, "2017年3月14日前备案的CCER已过使用期限", "Pre-2017 CCER past its last day of use"),
    (
        "OFFSET_LEGACY_NOT_FILED",
        Severity::Warning,
        "CCER备案日期晚于过渡期截止日且早于新CCER登记启用日",
        "CCER filed after the legacy cut-off but before the new registry opened",
    ),
    ("OFFSET_DATE_MISSING", Severity::Warning, "CCER缺少登记日期，无法判断适用规则", "CCER without a registration date"),
    ("OFFSET_NOT_YET_REGISTERED", Severity::Warning, "CCER登记日期晚于计划清缴日期", "CCER registered after the planned surrender date"),
    (
        "OFFSET_REDUCTIONS_TOO_EARLY",
        Severity::Warning,
        "新CCER减排量产生于2020年9月22日或之前",
        "New CCER with reductions generated on or before 2020-09-22",
    ),
    defs::PROJECT_STARTED_EARLY,
    defs::OUTSIDE_CREDITING_WINDOW,
    (
        "OFFSET_PILOT_COVERED_PROJECT",
        Severity::Warning,
        "CCER来自纳入地方试点配额管理的项目：可用于全国市场抵销，但新CCER不应登记此类项目，存在重复计算风险，请核实",
        "CCER from a project under a pilot's allowance management: usable in the national market, but new CCER should not register such projects and it risks double counting; check the data",
    ),
    ("OFFSET_CAP_BINDING", Severity::Info, "合格CCER超过5%上限，部分不可使用", "Eligible CCER exceeds the cap; part is unused"),
    ("ALLOWANCE_NOT_CEA", Severity::Info, "非全国碳排放配额不可用于全国碳市场清缴", "Only national allowances (CEA) may be surrendered"),
    ("ALLOWANCE_FUTURE_VINTAGE", Severity::Info, "不得预支后续年度配额", "Allowances of a later vintage cannot be used (no borrowing)"),
    (
        "ALLOWANCE_NOT_CARRIED_OVER",
        Severity::Warning,
        "未结转的2019—2024年度配额不可用于本年度清缴",
        "2019–2024 allowances not carried over cannot be surrendered for this year",
    ),
    (
        "CARRY_OVER",
        Severity::Info,
        "2019—2024年度配额需在期限内申请结转",
        "2019–2024 allowances must be carried over in time to stay usable",
    ),
    ("CARRY_OVER_LIMIT", Severity::Warning, "剩余旧年度配额超过最大可结转量", "Old-vintage allowances left exceed the carry-over limit"),
    ("SHORTFALL", Severity::Warning, "持有配额与CCER不足以完成清缴", "Holdings do not cover the obligation"),
    defs::SURRENDER_LATE,
    defs::PENALTY_PRICE_MISSING,
    findings::PARAMETER_NOT_VERIFIED,
    // Month-by-month input (crate::monthly).
    (
        "EMISSIONS_DATA_MISSING",
        Severity::Error,
        "没有排放数据（排放源表或按月参数）",
        "No emissions data (emission sources or monthly parameters)",
    ),
    (
        "MONTHLY_AND_ANNUAL",
        Severity::Error,
        "同一排放源或机组既按年又按月填报",
        "A source or unit given both as annual rows and month by month",
    ),
    ("UNIT_CATEGORY_MISSING", Severity::Error, "按月填报发电数据的机组缺少机组类别", "A unit with monthly production data has no category"),
    ("NCV_MODE_CHANGED", Severity::Warning, "低位发热量的获取方式在年内改变", "The net calorific value's mode changes during the year"),
    ("MEASURED_REVERTS_TO_DEFAULT", Severity::Warning, "实测值之后改用缺省值", "A measured value reverts to a default"),
    (
        "DEFAULT_CARBON_CONTENT",
        Severity::Warning,
        "燃煤未实测含碳量，采用保守缺省值",
        "Coal carbon content not measured; the conservative default is used",
    ),
    ("MONTH_MISSING", Severity::Warning, "缺少某月数据", "A month's data are missing"),
    ("ANNUAL_MISMATCH", Severity::Warning, "全年值与各月数据不符", "The year's value differs from what the months give"),
    ("MONTH_OVERDUE", Severity::Warning, "月度数据超过上传期限未上传", "A month's data are past their upload deadline"),
    ("FORECAST", Severity::Info, "结果为按已有月份外推的全年预测", "The results are a forecast for the year from the months so far"),
    ("DATA_AFTER_AS_OF", Severity::Info, "预测截止月之后的数据未使用", "Data after the as-of month are not used"),
    ("AS_OF_WITHOUT_MONTHS", Severity::Info, "给出了 as_of 但没有按月数据", "as_of given without month-by-month data"),
    ("MONTHLY_ITEM_NOT_READ", Severity::Info, "按月表中有本插件不读取的信息项", "The monthly table has items this plugin does not read"),
    ("MONTHLY_OTHER_YEAR", Severity::Info, "按月表中有其他年度的数据", "The monthly table has data of other years"),
];

/// The metrics and findings the plugin reports.
pub const CATALOGUE: Catalogue = Catalogue::new(METRICS, FINDINGS);

// ---- input sheets ----------------------------------------------------------------

/// The unit-category column (I–IV) with its sheet's help text.
pub fn unit_category(help_zh: &str, help_en: &str) -> ColumnSpec {
    example(schemas::choice_col("category", "机组类别", "Unit category", true, CATEGORIES, help_zh, help_en), &["I", "IV"])
}

/// `generating_units`: the production data that drives power allocation, one row
/// per generating unit. It specialises `lvyue.inventory.production@1` (its
/// `facility` column is the same join key as the emission sources') with the
/// typed quantities the benchmark method needs.
pub fn generating_units() -> SheetSpec {
    let production = schemas::production();
    let facility = production.columns.iter().find(|c| c.key == "facility").cloned().expect("production has a facility column");
    let facility = ColumnSpec {
        name: t("机组编号", "Unit id"),
        help: t(
            "机组编号，与排放源表的「设施」一致（用于燃气机组豁免）",
            "Unit id, the same as the emission sources' Facility (used for the gas-unit top-up)",
        ),
        ..facility
    };
    let columns = vec![
        example(facility, &["1号机组 Unit 1", "2号机组 Unit 2"]),
        unit_category(
            "I 300MW等级以上常规燃煤（额定功率≥400MW）；II 300MW等级及以下常规燃煤；III 煤矸石、煤泥、水煤浆等非常规燃煤（含循环流化床）；IV 燃气",
            "I conventional coal ≥ 400 MW; II conventional coal < 400 MW; III unconventional coal (gangue, slime, slurry, incl. CFB); IV gas",
        ),
        example(
            schemas::quantity("generation_mwh", "发电量", "Generation", "MWh", true, "统计期机组发电量", "Gross generation in the period"),
            &["3300000", "1200000"],
        ),
        example(
            schemas::quantity(
                "heat_supplied_gj",
                "供热量",
                "Heat supplied",
                "GJ",
                false,
                "统计期机组供热量；留空按0计",
                "Heat supplied in the period; blank: 0",
            ),
            &["1500000", ""],
        ),
        example(
            schemas::quantity(
                "load_factor",
                "负荷（出力）系数",
                "Load factor",
                "",
                false,
                "统计期机组负荷（出力）系数，以小数表示（如 0.62 表示 62%）；常规燃煤机组据此计算调峰修正系数",
                "Load (output) factor in the period as a fraction (0.62 for 62 %); gives the peak-shaving correction of conventional coal units",
            ),
            &["0.62", "0.55"],
        ),
    ];
    SheetSpec {
        key: "generating_units".into(),
        name: t("发电机组", "Generating units"),
        schema: Some("lvyue.inventory.production@1/cn-ets.generating_units@1".into()),
        required: false,
        columns,
        unique_key: vec!["facility".into()],
        help: t(
            "发电行业：每台纳入配额管理的机组一行，用于按基准法计算配额。",
            "Power sector: one row per generating unit under allowance management, for the benchmark allocation.",
        ),
    }
}

pub fn input() -> Vec<SheetSpec> {
    let sources = with_examples(
        schemas::emission_sources(),
        &[
            ("facility", &["1号机组 Unit 1", "2号机组 Unit 2", "厂区 Site"]),
            ("source", &["燃煤锅炉 Coal boiler", "燃气轮机 Gas turbine", "外购电力 Purchased electricity"]),
            ("category", &["fuel_combustion", "fuel_combustion", "purchased_electricity"]),
            ("fuel", &["烟煤", "天然气", ""]),
            ("activity", &["", "", ""]),
            ("emissions_t", &["", "", ""]),
        ],
    );
    let allowances = with_examples(
        schemas::allowances(),
        &[("type", &["CEA", "CEA"]), ("vintage", &["2023", "2024"]), ("quantity_t", &["410000", "2650000"]), ("price_cny", &["", "92.5"])],
    );
    let credits = with_examples(
        schemas::credit_holdings(),
        &[
            ("serial", &["CCER-2025-1002-000001-150000"]),
            ("credit_type", &["CCER"]),
            ("project_id", &["CCER-14-2025-1002"]),
            ("project_type", &["forestry"]),
            ("province", &["福建"]),
            ("registered", &["2025-03-18"]),
            ("reduction_start", &["2021-01-01"]),
            ("covered_project", &["否"]),
            ("quantity_t", &["150000"]),
            ("price_cny", &["78"]),
        ],
    );
    // Not required: month-by-month parameters (the official tables) may give the emissions instead.
    let sources = SheetSpec { required: false, ..sources };
    vec![sources, generating_units(), crate::monthly::monthly_parameters(), crate::monthly::generating_unit_info(), allowances, credits]
}
