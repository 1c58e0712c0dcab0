//! What the plugin declares: parameters, metrics, findings and input sheets.

use lvyue_sdk::eval::{Catalogue, FindingDef, MetricDef, findings};
use lvyue_sdk::schemas::{self, with_examples};
use lvyue_sdk::{ParameterSpec, Severity, SheetSpec, ValueKind};

// ---- parameters ------------------------------------------------------------------

pub const P_CREDIT_DEADLINE: &str = "timing.credit_deadline_years";
pub const P_FORESTRY_DEADLINE: &str = "timing.forestry_deadline_years";
pub const P_FORESTRY_ROUTE: &str = "offsets.forestry_sink_route";
pub const P_INCLUSION_LEVEL: &str = "offsets.carbon_inclusion_min_level";
pub const P_CHINA_ONLY: &str = "offsets.china_projects_only";
pub const P_REQUIRES_CERTS: &str = "green_power.requires_certificates";
pub const P_CERT_WINDOW: &str = "green_power.certificate_window";
pub const P_GRID_LEVEL: &str = "electricity.grid_factor_level";
pub const P_MIN_EVALUATORS: &str = "evaluation.min_evaluators";
/// Rounding rules (`rounding.<quantity>.places` and `.mode`, rules/event-neutrality/rounding.toml).
pub const R_SOURCE: &str = "rounding.source_emissions";
pub const R_SHORTFALL: &str = "rounding.shortfall";
/// Green certificate validity (optional: checked when a certificate gives its retirement date).
pub const P_CERT_VALIDITY_YEARS: &str = "green_power.certificate_validity_years";
pub const P_CERT_LEGACY_BEFORE: &str = "green_power.certificate_legacy_generated_before";
pub const P_CERT_LEGACY_UNTIL: &str = "green_power.certificate_legacy_valid_until";

/// Families: every parameter under the prefix with a value for the year is passed.
pub const F_INSTRUMENT: &str = "offsets.instrument.";
pub const F_GRID: &str = "grid.";
pub const F_FUEL: &str = "fuel.";
pub const F_FACTOR: &str = "factor.";

/// Parameters every evaluation reads.
pub const CORE_PARAMS: &[&str] = &[
    P_CREDIT_DEADLINE,
    P_FORESTRY_DEADLINE,
    P_FORESTRY_ROUTE,
    P_INCLUSION_LEVEL,
    P_CHINA_ONLY,
    P_REQUIRES_CERTS,
    P_CERT_WINDOW,
    P_GRID_LEVEL,
    P_MIN_EVALUATORS,
];

pub fn parameters() -> Vec<ParameterSpec> {
    let kind = |k: &str| match k {
        P_FORESTRY_ROUTE | P_CHINA_ONLY | P_REQUIRES_CERTS => ValueKind::Boolean,
        P_INCLUSION_LEVEL | P_CERT_WINDOW | P_GRID_LEVEL => ValueKind::Text,
        _ => ValueKind::Number,
    };
    let mut out: Vec<ParameterSpec> =
        CORE_PARAMS.iter().map(|k| ParameterSpec { key: k.to_string(), kind: kind(k), unit: None, required: true }).collect();
    for (key, kind) in
        [(P_CERT_VALIDITY_YEARS, ValueKind::Number), (P_CERT_LEGACY_BEFORE, ValueKind::Date), (P_CERT_LEGACY_UNTIL, ValueKind::Date)]
    {
        out.push(ParameterSpec { key: key.to_string(), kind, unit: None, required: false });
    }
    out.extend(lvyue_sdk::rounding::parameter_specs(&[R_SOURCE, R_SHORTFALL], true));
    out.push(ParameterSpec { key: format!("{F_INSTRUMENT}*"), kind: ValueKind::Number, unit: Some("rank".into()), required: true });
    for family in [F_GRID, F_FUEL, F_FACTOR] {
        out.push(ParameterSpec { key: format!("{family}*"), kind: ValueKind::Number, unit: None, required: false });
    }
    out
}

// ---- emission categories ------------------------------------------------------------

pub struct Category {
    pub key: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    /// 排放类型 of the guideline's Annex 1.
    pub annex_type: &'static str,
    /// 核算方法 named in Annex 1 (where visible in the source).
    pub method: &'static str,
    /// Activity units a row of this category may use.
    pub units: &'static [&'static str],
}

const PUBLIC_BUILDINGS: &str = "公共建筑运营单位（企业）温室气体排放核算方法与报告指南（试行）（发改办气候〔2015〕1722号）";
const LAND_TRANSPORT: &str = "陆上交通运输企业温室气体排放核算方法与报告指南（试行）（发改办气候〔2015〕1722号）";
const FUEL_UNITS: &[&str] = &["t", "kg", "10^4 Nm3", "Nm3", "L"];
const ELECTRICITY_UNITS: &[&str] = &["MWh", "kWh"];

/// The guideline's categories (Annex 1, S14), in its order.
pub const CATEGORIES: &[Category] = &[
    Category {
        key: "stationary_combustion",
        zh: "化石燃料燃烧—固定源",
        en: "Fossil fuel combustion, stationary",
        annex_type: "化石燃料燃烧",
        method: PUBLIC_BUILDINGS,
        units: FUEL_UNITS,
    },
    Category {
        key: "mobile_combustion",
        zh: "化石燃料燃烧—移动源",
        en: "Fossil fuel combustion, mobile",
        annex_type: "化石燃料燃烧",
        method: LAND_TRANSPORT,
        units: FUEL_UNITS,
    },
    Category {
        key: "purchased_electricity",
        zh: "净购入电力",
        en: "Net purchased electricity",
        annex_type: "净购入电力、热力",
        method: PUBLIC_BUILDINGS,
        units: ELECTRICITY_UNITS,
    },
    Category {
        key: "purchased_heat",
        zh: "净购入热力",
        en: "Net purchased heat",
        annex_type: "净购入电力、热力",
        method: PUBLIC_BUILDINGS,
        units: &["GJ"],
    },
    Category {
        key: "electric_vehicles",
        zh: "净购入电力—电动车",
        en: "Electric vehicles",
        annex_type: "净购入电力",
        method: LAND_TRANSPORT,
        units: ELECTRICITY_UNITS,
    },
    Category {
        key: "travel",
        zh: "交通",
        en: "Travel",
        annex_type: "交通排放",
        method: "2006年IPCC国家温室气体清单指南",
        units: &["pkm", "vkm"],
    },
    Category {
        key: "accommodation",
        zh: "住宿",
        en: "Accommodation",
        annex_type: "住宿餐饮",
        method: "（附件1未列明 / not visible in Annex 1）",
        units: &["room_night"],
    },
    Category {
        key: "catering",
        zh: "餐饮",
        en: "Catering",
        annex_type: "住宿餐饮",
        method: "（附件1未列明 / not visible in Annex 1）",
        units: &["meal", "kg", "t"],
    },
    Category {
        key: "materials",
        zh: "会议用品隐含碳",
        en: "Event supplies (embodied)",
        annex_type: "会议用品隐含碳",
        method: "（附件1未列明 / not visible in Annex 1）",
        units: &["t", "kg", "item"],
    },
    Category {
        key: "waste",
        zh: "废弃物处理",
        en: "Waste",
        annex_type: "废弃物处理",
        method: "（附件1未列明 / not visible in Annex 1）",
        units: &["t", "kg"],
    },
];

pub fn category_metric(key: &str) -> String {
    format!("emissions_{key}_t")
}

// ---- metrics ---------------------------------------------------------------------

/// (key, unit, zh, en). Keys are stable: users' scripts depend on them.
pub const METRICS: &[MetricDef] = &[
    ("event_name", "", "活动名称", "Event name"),
    ("event_type", "", "活动类型", "Event type"),
    ("venue", "", "举办场所", "Venue"),
    ("event_start", "date", "开始日期", "Start date"),
    ("event_end", "date", "结束日期", "End date"),
    ("event_days", "days", "举办天数", "Days"),
    ("attendees", "persons", "参与人数", "Attendees"),
    ("floor_area_m2", "m2", "场地面积", "Floor area"),
    ("emissions_stationary_combustion_t", "tCO2e", "化石燃料燃烧—固定源排放", "Stationary combustion emissions"),
    ("emissions_mobile_combustion_t", "tCO2e", "化石燃料燃烧—移动源排放", "Mobile combustion emissions"),
    (
        "emissions_purchased_electricity_t",
        "tCO2e",
        "净购入电力排放（扣除有绿证的绿电）",
        "Purchased electricity emissions (net of certified green power)",
    ),
    ("emissions_purchased_heat_t", "tCO2e", "净购入热力排放", "Purchased heat emissions"),
    ("emissions_electric_vehicles_t", "tCO2e", "电动车用电排放", "Electric vehicle emissions"),
    ("emissions_travel_t", "tCO2e", "交通排放", "Travel emissions"),
    ("emissions_accommodation_t", "tCO2e", "住宿排放", "Accommodation emissions"),
    ("emissions_catering_t", "tCO2e", "餐饮排放", "Catering emissions"),
    ("emissions_materials_t", "tCO2e", "会议用品隐含碳排放", "Event supplies emissions"),
    ("emissions_waste_t", "tCO2e", "废弃物处理排放", "Waste emissions"),
    ("emissions_total_t", "tCO2e", "活动温室气体排放总量", "Total event emissions"),
    ("emissions_user_factor_t", "tCO2e", "其中采用用户排放因子的排放量", "Of which computed with user-supplied factors"),
    ("emissions_per_attendee_t", "tCO2e/person", "人均排放量", "Emissions per attendee"),
    ("grid_factor_t_per_mwh", "tCO2/MWh", "电网排放因子", "Grid emission factor"),
    ("electricity_mwh", "MWh", "按电网因子核算的净购入电量", "Purchased electricity at the grid factor"),
    ("green_power_claimed_mwh", "MWh", "主张的绿电电量", "Green power claimed"),
    ("green_certificates_mwh", "MWh", "期间相符的已核销绿证电量", "Retired green certificates in the period"),
    ("green_power_covered_mwh", "MWh", "有绿证对应、按零排放计入的绿电", "Green power covered by certificates (zero-emission)"),
    ("green_power_uncovered_mwh", "MWh", "无绿证对应、按电网因子计入的绿电", "Green power without certificates (at the grid factor)"),
    ("green_power_avoided_t", "tCO2e", "绿电减排量（按电网因子）", "Avoided by certified green power (at the grid factor)"),
    ("green_power_claimed_avoided_t", "tCO2e", "声明的绿电减排量", "Stated avoided emissions of the green power"),
    ("green_power_claimed_factor_t_per_mwh", "tCO2/MWh", "声明减排量隐含的排放因子", "Factor implied by the stated avoided emissions"),
    ("offsets_listed_t", "tCO2e", "列报的抵消量", "Offsets listed"),
    ("offsets_retired_t", "tCO2e", "已注销的抵消量", "Offsets retired"),
    ("offsets_eligible_t", "tCO2e", "合格且按期注销的抵消量", "Eligible offsets retired in time"),
    ("offsets_ineligible_t", "tCO2e", "已注销但不计入的抵消量", "Retired offsets not counted"),
    ("offsets_late_t", "tCO2e", "逾期注销的抵消量", "Offsets retired after the deadline"),
    ("offsets_pending_t", "tCO2e", "未注销的抵消量", "Offsets not (yet) retired"),
    ("offsets_forestry_t", "tCO2e", "其中新建林业项目碳汇", "Of which new forestry sinks"),
    ("balance_t", "tCO2e", "抵消量与排放量之差（正为盈余）", "Offsets minus emissions (positive: surplus)"),
    ("gap_t", "tCO2e", "抵消缺口", "Offset gap"),
    ("surplus_t", "tCO2e", "抵消盈余", "Offset surplus"),
    ("deadline", "date", "碳中和完成期限（配额、减排量）", "Neutrality deadline (allowances, credits)"),
    ("deadline_forestry", "date", "碳中和完成期限（新建林业项目）", "Neutrality deadline (new forestry)"),
    ("neutral", "", "实现碳中和", "Carbon neutral"),
];

// ---- findings --------------------------------------------------------------------

/// (code, severity, zh, en)
pub const FINDINGS: &[FindingDef] = &[
    ("EVENT_ROWS", Severity::Error, "活动信息表须恰好填写一行", "The event sheet must have exactly one row"),
    ("EVENT_YEAR", Severity::Error, "评价年度须为活动开始或结束的年份", "The year must be the year the event starts or ends"),
    ("DATE_ORDER", Severity::Error, "日期先后顺序不正确", "Dates are in the wrong order"),
    ("ACTIVITY_MISSING", Severity::Error, "排放源缺少活动数据", "An emission source has no activity data"),
    ("ACTIVITY_CONFLICT", Severity::Error, "活动数据与人次×距离不一致", "Activity data and trips × distance disagree"),
    ("VALUE_TOO_LARGE", Severity::Error, "数值之积超出可精确计算的范围", "A product of the values is too large to compute exactly"),
    ("UNIT_MISMATCH", Severity::Error, "活动数据单位不适用于该类别或排放因子", "The activity unit does not fit the category or the factor"),
    (
        "FACTOR_MISSING",
        Severity::Error,
        "规则库中无有出处的排放因子，须填写用户排放因子",
        "No sourced factor in the rules: a user factor is required",
    ),
    (
        "GRID_FACTOR_MISSING",
        Severity::Error,
        "该年度无已发布的电网排放因子，须填写用户排放因子",
        "No published grid factor for the year: a user factor is required",
    ),
    findings::OPTION_INVALID,
    (
        "FACTOR_USER_SUPPLIED",
        Severity::Warning,
        "采用用户提供的排放因子，结果依赖该因子",
        "A user-supplied factor is used; the result depends on it",
    ),
    ("FACTOR_USER_OVERRIDES", Severity::Warning, "用户排放因子替代了规则库中的因子", "A user factor replaces the rules' factor"),
    ("FUEL_DEFAULTS_USED", Severity::Info, "采用核算指南缺省燃料参数", "The accounting guideline's fuel defaults were used"),
    (
        "GRID_FACTOR_FALLBACK",
        Severity::Info,
        "所需层级无该年度电网因子，改用上一层级",
        "No factor at the chosen level for the year; the next level up is used",
    ),
    (
        "GREEN_CERT_SHORTFALL",
        Severity::Warning,
        "绿电电量无足额已核销绿证对应，差额按电网因子计入",
        "Green power not covered by retired certificates counts at the grid factor",
    ),
    ("GREEN_CERT_NOT_RETIRED", Severity::Warning, "绿证未核销，不计入", "A certificate is not retired and does not count"),
    (
        "GREEN_CERT_PERIOD",
        Severity::Warning,
        "绿证对应电量的生产期间不符，不计入",
        "A certificate's generation period does not fit; it does not count",
    ),
    (
        "GREEN_CERT_EXPIRED",
        Severity::Warning,
        "绿证核销时已超过有效期，不计入",
        "The certificate was retired after its validity ended; it does not count",
    ),
    ("GREEN_CERT_SURPLUS", Severity::Info, "已核销绿证超过主张的绿电电量", "Retired certificates exceed the green power claimed"),
    (
        "GREEN_POWER_EXCEEDS_USE",
        Severity::Warning,
        "主张的绿电电量超过按电网因子核算的用电量",
        "Green power claimed exceeds the electricity accounted at the grid factor",
    ),
    (
        "GREEN_POWER_RESIDUAL_MIX",
        Severity::Info,
        "其余电量采用平均电网因子，含已售绿电属性",
        "The rest of the electricity uses the average grid factor, which still contains sold green attributes",
    ),
    ("GREEN_POWER_CLAIM_FACTOR", Severity::Info, "声明的绿电减排量隐含的排放因子", "The factor implied by the stated avoided emissions"),
    ("OFFSET_INELIGIBLE_TYPE", Severity::Warning, "该类型不属于指南认可的抵消方式", "The instrument is not one the guideline accepts"),
    (
        "OFFSET_INCLUSION_LEVEL",
        Severity::Warning,
        "碳普惠减排量未经省级及以上生态环境主管部门批准、备案或认可",
        "Carbon-inclusion credits not recognised at provincial level or above",
    ),
    (
        "OFFSET_FOREIGN_PROJECT",
        Severity::Warning,
        "CDM或其他机制减排量须来自中国项目",
        "CDM and other mechanisms' credits must come from Chinese projects",
    ),
    ("FORESTRY_NOT_NEW", Severity::Warning, "林业碳汇须来自新建林业项目", "Forestry sinks must come from newly created projects"),
    ("OFFSET_NOT_RETIRED", Severity::Warning, "未注销，不计入", "Not retired; does not count"),
    (
        "OFFSET_EVIDENCE_MISSING",
        Severity::Warning,
        "缺少注销证据（登记机构、序列号或注销日期），不计入",
        "Retirement evidence missing (registry, serial or date); does not count",
    ),
    ("OFFSET_LATE", Severity::Warning, "注销日期晚于碳中和完成期限，不计入", "Retired after the deadline; does not count"),
    (
        "OFFSET_DOUBLE_CLAIMED",
        Severity::Error,
        "同一减排量已在他处登记或声明（重复计算），不计入",
        "The same reduction is registered or claimed elsewhere (double counting); does not count",
    ),
    (
        "GREEN_CERT_CREDIT_OVERLAP",
        Severity::Error,
        "同一项目、同一期间的电量既有绿证又有减排量（重复计算），该减排量不计入",
        "A credit and a green certificate cover the same project and period (double counting); the credit does not count",
    ),
    (
        "FORESTRY_DOUBLE_COUNTED",
        Severity::Error,
        "新建林业项目碳汇用于碳中和后又在他处登记或使用，不计入",
        "A new forestry sink used for this event is registered or used again elsewhere; does not count",
    ),
    ("OFFSET_LOW_PRIORITY", Severity::Info, "使用了推荐顺序最末位的减排量", "Credits of the lowest recommended priority are used"),
    ("NOT_NEUTRAL", Severity::Warning, "合格抵消量不足，尚未实现碳中和", "Eligible offsets fall short: not carbon neutral"),
    ("NEUTRAL", Severity::Info, "合格抵消量不少于排放量，实现碳中和", "Eligible offsets cover the emissions: carbon neutral"),
    (
        "EVALUATION_TEAM_SIZE",
        Severity::Warning,
        "第三方评价组人数少于指南要求",
        "The independent evaluation team is smaller than the guideline asks",
    ),
    findings::PARAMETER_NOT_VERIFIED,
];

/// The metrics and findings the plugin reports.
pub const CATALOGUE: Catalogue = Catalogue::new(METRICS, FINDINGS);

// ---- input sheets ----------------------------------------------------------------

pub fn input() -> Vec<SheetSpec> {
    // The shared certificate sheet declares no examples; give it this plugin's.
    let certificates = with_examples(
        schemas::green_certificates(),
        &[
            ("certificate_id", &["GEC-2024-05-0001-0350"]),
            ("mwh", &["350"]),
            ("generated_from", &["2024-05-01"]),
            ("generated_to", &["2024-05-31"]),
            ("province", &["广东"]),
            ("retired", &["是"]),
            ("retirement_date", &["2024-06-15"]),
            ("project_id", &["GD-PV-2023-0088"]),
            ("project_name", &["某光伏电站 A solar plant"]),
        ],
    );
    vec![schemas::event_facts(), schemas::event_emissions(), schemas::green_power_purchases(), certificates, schemas::retired_offsets()]
}
