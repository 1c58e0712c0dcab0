//! Shared input schemas. Plugins that read the same kind of data declare the
//! same sheet, so one workbook serves several jurisdictions and the host
//! validates it the same way for all of them.
//!
//! Each schema has a versioned id (`lvyue.<name>@<major>`); a plugin that
//! needs more columns extends a schema with [`with_columns`] rather than
//! inventing a new sheet.

use crate::{ColumnSpec, SheetSpec, ValueKind, t};

#[allow(clippy::too_many_arguments)] // one column of a schema table: every argument is a field of the spec
fn col(key: &str, zh: &str, en: &str, kind: ValueKind, unit: Option<&str>, required: bool, help_zh: &str, help_en: &str) -> ColumnSpec {
    ColumnSpec {
        key: key.to_string(),
        name: t(zh, en),
        kind,
        unit: unit.map(str::to_string),
        required,
        choices: Vec::new(),
        minimum: None,
        help: t(help_zh, help_en),
        examples: Vec::new(),
    }
}

/// A required number column with a unit and a minimum of zero.
pub fn quantity(key: &str, zh: &str, en: &str, unit: &str, required: bool, help_zh: &str, help_en: &str) -> ColumnSpec {
    let unit = Some(unit).filter(|u| !u.is_empty());
    ColumnSpec { minimum: Some("0".to_string()), ..col(key, zh, en, ValueKind::Number, unit, required, help_zh, help_en) }
}

pub fn text_col(key: &str, zh: &str, en: &str, required: bool, help_zh: &str, help_en: &str) -> ColumnSpec {
    col(key, zh, en, ValueKind::Text, None, required, help_zh, help_en)
}

pub fn choice_col(key: &str, zh: &str, en: &str, required: bool, choices: &[&str], help_zh: &str, help_en: &str) -> ColumnSpec {
    ColumnSpec { choices: choices.iter().map(|s| s.to_string()).collect(), ..text_col(key, zh, en, required, help_zh, help_en) }
}

pub fn date_col(key: &str, zh: &str, en: &str, required: bool, help_zh: &str, help_en: &str) -> ColumnSpec {
    col(key, zh, en, ValueKind::Date, None, required, help_zh, help_en)
}

pub fn bool_col(key: &str, zh: &str, en: &str, required: bool, help_zh: &str, help_en: &str) -> ColumnSpec {
    col(key, zh, en, ValueKind::Boolean, None, required, help_zh, help_en)
}

#[allow(clippy::too_many_arguments)] // one sheet of a schema table: every argument is a field of the spec
fn sheet(
    key: &str,
    zh: &str,
    en: &str,
    schema: &str,
    required: bool,
    columns: Vec<ColumnSpec>,
    unique: &[&str],
    help_zh: &str,
    help_en: &str,
) -> SheetSpec {
    SheetSpec {
        key: key.to_string(),
        name: t(zh, en),
        schema: Some(schema.to_string()),
        required,
        columns,
        unique_key: unique.iter().map(|s| s.to_string()).collect(),
        help: t(help_zh, help_en),
    }
}

/// Sets a column's example values (one per example row of the template).
pub fn example(mut col: ColumnSpec, values: &[&str]) -> ColumnSpec {
    col.examples = values.iter().map(|s| s.to_string()).collect();
    col
}

/// Sets example values (one per template example row) on a sheet's columns, by column key.
pub fn with_examples(mut sheet: SheetSpec, examples: &[(&str, &[&str])]) -> SheetSpec {
    sheet.columns = sheet
        .columns
        .into_iter()
        .map(|c| match examples.iter().find(|(k, _)| *k == c.key) {
            Some((_, values)) => example(c, values),
            None => c,
        })
        .collect();
    sheet
}

/// Adds plugin-specific columns to a shared schema.
pub fn with_columns(mut sheet: SheetSpec, extra: Vec<ColumnSpec>) -> SheetSpec {
    sheet.columns.extend(extra);
    sheet
}

/// Credit and allowance types recognised across jurisdictions.
pub const CREDIT_TYPES: &[&str] =
    &["CEA", "CCER", "BEA", "BFCER", "PHCER", "TFCER", "FFCER", "CQCER", "SHCERCIR1", "GDPHCER", "SZ-PHCER", "CDM-CER", "PILOT-ALLOWANCE"];

/// Carbon markets a project owner can be covered by: `none`, the national ETS and the pilots.
pub const CARBON_MARKETS: &[&str] =
    &["none", "cn-ets", "cn-beijing", "cn-tianjin", "cn-shanghai", "cn-chongqing", "cn-hubei", "cn-guangdong", "cn-shenzhen", "cn-fujian"];

/// Provinces and province-level regions, for origin rules.
pub const PROVINCES: &[&str] = &[
    "北京",
    "天津",
    "河北",
    "山西",
    "内蒙古",
    "辽宁",
    "吉林",
    "黑龙江",
    "上海",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "广西",
    "海南",
    "重庆",
    "四川",
    "贵州",
    "云南",
    "西藏",
    "陕西",
    "甘肃",
    "青海",
    "宁夏",
    "新疆",
];

/// `lvyue.inventory.sources@1`: one row per emission source and period.
pub fn emission_sources() -> SheetSpec {
    sheet(
        "emission_sources",
        "排放源",
        "Emission sources",
        "lvyue.inventory.sources@1",
        true,
        vec![
            text_col("facility", "设施", "Facility", true, "设施或机组名称", "Facility or unit name"),
            text_col("source", "排放源", "Source", true, "排放源名称，如燃煤锅炉", "Source name, e.g. coal boiler"),
            choice_col(
                "category",
                "类别",
                "Category",
                true,
                &["fuel_combustion", "process", "purchased_electricity", "purchased_heat", "other_direct"],
                "fuel_combustion 化石燃料燃烧；process 工业过程；purchased_electricity 购入电力；purchased_heat 购入热力；other_direct 其他直接排放",
                "fuel_combustion, process, purchased_electricity, purchased_heat or other_direct",
            ),
            text_col("fuel", "燃料品种", "Fuel", false, "燃料品种，如烟煤、天然气", "Fuel type, e.g. bituminous coal, natural gas"),
            quantity(
                "activity",
                "活动数据",
                "Activity data",
                "GJ",
                false,
                "燃料消耗量按热值计（或购入电量 MWh）",
                "Fuel use as heat content (or purchased MWh)",
            ),
            quantity(
                "emissions_t",
                "排放量",
                "Emissions",
                "tCO2",
                false,
                "已核算或已核查的排放量；填写时直接采用",
                "Accounted or verified emissions; used as given when filled",
            ),
            // Factor columns (added in schema version 1 without changing the columns above):
            // E = fuel consumption × NCV × carbon content per unit heat × oxidation rate × 44/12.
            // A blank factor means: use the accounting guideline's default for the fuel.
            example(
                quantity(
                    "fuel_consumption",
                    "燃料消耗量",
                    "Fuel consumption",
                    "",
                    false,
                    "燃料实物消耗量：固体、液体燃料为吨（t），气体燃料为万标准立方米（10^4 Nm3），与低位发热量的单位一致",
                    "Physical fuel use: tonnes (t) for solid and liquid fuels, 10^4 Nm3 for gaseous fuels, matching the unit of the net calorific value",
                ),
                &["1250000", "28000", ""],
            ),
            example(
                quantity(
                    "ncv",
                    "低位发热量",
                    "Net calorific value",
                    "",
                    false,
                    "收到基低位发热量，GJ/t 或 GJ/万Nm3；留空则采用核算指南缺省值（如有）",
                    "Net calorific value as received, GJ/t or GJ/10^4 Nm3; blank: the accounting guideline's default, where it gives one",
                ),
                &["20.908", "", ""],
            ),
            example(
                quantity(
                    "carbon_content",
                    "单位热值含碳量",
                    "Carbon content per unit heat",
                    "tC/GJ",
                    false,
                    "单位热值含碳量（tC/GJ）；留空则采用核算指南缺省值",
                    "Carbon content per unit of heat (tC/GJ); blank: the accounting guideline's default",
                ),
                &["", "", ""],
            ),
            example(
                quantity(
                    "oxidation_rate",
                    "碳氧化率",
                    "Oxidation rate",
                    "",
                    false,
                    "碳氧化率，以小数表示（如 0.99 表示 99%）；留空则采用核算指南缺省值",
                    "Oxidation rate as a fraction (0.99 for 99 %); blank: the accounting guideline's default",
                ),
                &["", "", ""],
            ),
            example(
                quantity(
                    "electricity_mwh",
                    "购入电量",
                    "Purchased electricity",
                    "MWh",
                    false,
                    "购入使用电量（仅用于类别 purchased_electricity）；插件按当年电网排放因子计算",
                    "Purchased electricity used (category purchased_electricity only); the plugin applies the year's grid emission factor",
                ),
                &["", "", "25400"],
            ),
        ],
        &[],
        "每行一个排放源。填写排放量，或填写活动数据以便插件按核算指南计算。",
        "One row per emission source. Give the emissions, or the activity data for the plugin to compute them per the accounting guideline.",
    )
}

/// `lvyue.inventory.production@1`: output that drives allocation (generation, heat, clinker…).
pub fn production() -> SheetSpec {
    sheet(
        "production",
        "生产数据",
        "Production",
        "lvyue.inventory.production@1",
        false,
        vec![
            text_col("facility", "设施", "Facility", true, "设施或机组名称", "Facility or unit name"),
            text_col(
                "product",
                "产品",
                "Product",
                true,
                "产品或产出，如 electricity、heat、clinker",
                "Product, e.g. electricity, heat, clinker",
            ),
            quantity("quantity", "产量", "Quantity", "", true, "产量（单位见单位列）", "Quantity (in the unit column's unit)"),
            text_col("unit", "单位", "Unit", true, "MWh、GJ、t 等", "MWh, GJ, t…"),
        ],
        &[],
        "驱动配额分配的产出数据。",
        "Output data that drives allocation.",
    )
}

/// `lvyue.account.allowances@1`: allowances held, by vintage.
pub fn allowances() -> SheetSpec {
    sheet(
        "allowances",
        "配额账户",
        "Allowance account",
        "lvyue.account.allowances@1",
        false,
        vec![
            choice_col(
                "type",
                "配额类型",
                "Allowance type",
                true,
                &["CEA", "PILOT-ALLOWANCE"],
                "CEA 全国碳排放配额；PILOT-ALLOWANCE 试点配额",
                "CEA national allowance or a pilot allowance",
            ),
            quantity("vintage", "年度", "Vintage", "year", true, "配额所属年度", "Allowance vintage year"),
            quantity("quantity_t", "数量", "Quantity", "t", true, "持有量（吨）", "Held (tonnes)"),
            quantity("price_cny", "单价", "Unit price", "CNY/t", false, "可选：账面或市场单价", "Optional: book or market price per tonne"),
        ],
        &[],
        "账户中持有的配额，按年度。",
        "Allowances held in the account, by vintage.",
    )
}

/// `lvyue.portfolio.credits@1`: credit holdings (CCER and local credits), one serial block per row.
pub fn credit_holdings() -> SheetSpec {
    sheet(
        "credit_holdings",
        "减排量持有",
        "Credit holdings",
        "lvyue.portfolio.credits@1",
        false,
        vec![
            text_col("serial", "序列号", "Serial", true, "登记系统中的序列号或区段", "Registry serial or serial block"),
            choice_col("credit_type", "类型", "Credit type", true, CREDIT_TYPES, "CCER、地方核证减排量等", "CCER or a local credit type"),
            text_col("project_id", "项目编号", "Project id", true, "项目登记编号", "Project registration id"),
            text_col(
                "project_type",
                "项目类型",
                "Project type",
                false,
                "如 forestry、renewable、methane",
                "E.g. forestry, renewable, methane",
            ),
            choice_col("province", "项目所在省份", "Project province", false, PROVINCES, "项目所在省级行政区", "Province of the project"),
            date_col("registered", "项目登记日期", "Project registration date", false, "项目登记（备案）日期", "Project registration date"),
            date_col(
                "reduction_start",
                "减排量产生起始日",
                "Reductions from",
                false,
                "减排量产生期间起始日",
                "Start of the crediting period",
            ),
            bool_col(
                "covered_project",
                "纳入配额管理",
                "Under allowance management",
                false,
                "项目排放是否纳入全国或地方配额管理（所属市场见「业主所属碳市场」；未填市场时按全国市场处理）",
                "Whether the project's emissions are under national or pilot allowance management (the market: Owner's carbon market; none given: treated as the national market)",
            ),
            quantity("quantity_t", "数量", "Quantity", "t", true, "持有量（吨）", "Held (tonnes)"),
            quantity("price_cny", "单价", "Unit price", "CNY/t", false, "可选：单价", "Optional: price per tonne"),
            // Columns added in schema version 1 without changing the columns above.
            choice_col(
                "owner_market",
                "业主所属碳市场",
                "Owner's carbon market",
                false,
                CARBON_MARKETS,
                "项目业主作为重点排放单位所纳入的碳市场；none 表示未纳入",
                "The market whose covered entity owns the project; none if the owner is not covered",
            ),
            bool_col(
                "within_owner_boundary",
                "位于纳入单位边界内",
                "Inside the covered entity's boundary",
                false,
                "项目是否位于业主（重点排放单位）的排放边界内",
                "Whether the project lies inside the owner's covered emission boundary",
            ),
            text_col(
                "project_name",
                "项目名称",
                "Project name",
                false,
                "项目登记名称；与项目编号一起用于识别同一项目在不同机制下的减排量（重复计算检查）",
                "Registered project name; with the project id it identifies the same project's credits under different mechanisms (double-counting checks)",
            ),
            date_col(
                "project_start",
                "项目开工建设日期",
                "Construction start",
                false,
                "项目开工建设日期（新CCER的登记条件）；留空则不检查",
                "Date the project's construction started (a registration condition of new CCER); blank: not checked",
            ),
            date_col(
                "reductions_applied",
                "减排量登记申请日期",
                "Reductions registration applied on",
                false,
                "本期减排量申请登记之日（新CCER：减排量须产生于该日前规定年限以内）；留空则不检查",
                "Date registration of this batch of reductions was applied for (new CCER: reductions must be generated within the set number of years before it); blank: not checked",
            ),
        ],
        &["serial"],
        "持有的减排量，每行一个序列号区段。",
        "Credits held, one serial block per row.",
    )
}

/// `lvyue.portfolio.green_certificates@1`: green electricity certificates (绿证).
pub fn green_certificates() -> SheetSpec {
    sheet(
        "green_certificates",
        "绿证",
        "Green certificates",
        "lvyue.portfolio.green_certificates@1",
        false,
        vec![
            text_col("certificate_id", "绿证编号", "Certificate id", true, "绿证编号或区段", "Certificate id or block"),
            quantity("mwh", "电量", "Electricity", "MWh", true, "对应电量", "Electricity covered"),
            date_col("generated_from", "生产起始日", "Generated from", true, "对应电量生产期间起始", "Start of the generation period"),
            date_col("generated_to", "生产截止日", "Generated to", true, "对应电量生产期间截止", "End of the generation period"),
            choice_col("province", "电源所在省份", "Plant province", false, PROVINCES, "发电项目所在省份", "Province of the plant"),
            bool_col("retired", "已核销", "Retired", true, "是否已为本主体核销", "Retired for this entity"),
            // Columns added in schema version 1 without changing the columns above.
            date_col(
                "retirement_date",
                "核销日期",
                "Retirement date",
                false,
                "绿证核销（声明完成绿色电力消费）的日期；用于判断绿证是否在有效期内，留空则不检查",
                "Date the certificate was retired (green-power consumption declared); checks it was still valid, blank: not checked",
            ),
            text_col(
                "project_id",
                "发电项目编号",
                "Plant project id",
                false,
                "发电项目编号；用于发现同一电量的绿证与减排量（重复计算）",
                "Id of the generating project; finds a certificate and a credit for the same electricity (double counting)",
            ),
            text_col(
                "project_name",
                "发电项目名称",
                "Plant project name",
                false,
                "发电项目名称；与项目编号作用相同",
                "Name of the generating project; used like the project id",
            ),
        ],
        &["certificate_id"],
        "持有或已核销的绿色电力证书。",
        "Green electricity certificates held or retired.",
    )
}

// ---- supply-chain climate scoring (suppliers, their answers, violation records) ----

/// `lvyue.supply_chain.suppliers@1`: the suppliers a buyer scores, one row per supplier.
pub fn suppliers() -> SheetSpec {
    sheet(
        "suppliers",
        "供应商",
        "Suppliers",
        "lvyue.supply_chain.suppliers@1",
        true,
        vec![
            example(
                text_col(
                    "supplier_id",
                    "供应商编号",
                    "Supplier id",
                    true,
                    "供应商唯一编号，其他表以此引用",
                    "Unique supplier id, referenced by the other sheets",
                ),
                &["S01", "S02", "S03"],
            ),
            example(
                text_col("name", "供应商名称", "Supplier name", true, "企业名称", "Company name"),
                &["华东印染有限公司", "Pearl River Electronics Co.", "北方铸造厂"],
            ),
            example(
                text_col(
                    "industry",
                    "行业",
                    "Industry",
                    false,
                    "行业代码（小写英文，如 textiles、electronics），用于查找规则中的行业权重系数；留空或规则中没有时采用 default",
                    "Industry code (lower-case, e.g. textiles, electronics) used to look up industry weighting factors in the rules; blank or not in the rules: default",
                ),
                &["textiles", "electronics", ""],
            ),
            example(
                choice_col("province", "所在省份", "Province", false, PROVINCES, "工厂所在省级行政区", "Province of the site"),
                &["浙江", "广东", "河北"],
            ),
            text_col("city", "城市", "City", false, "工厂所在城市", "City of the site"),
            text_col("tier", "层级", "Tier", false, "供应链层级，如 1、2", "Supply-chain tier, e.g. 1 or 2"),
        ],
        &["supplier_id"],
        "每行一家供应商。",
        "One row per supplier.",
    )
}

/// `lvyue.supply_chain.climate_answers@1`: answers to climate-action indicators,
/// one row per supplier and indicator (a long table, so a scoring rule set can
/// add indicators without a new column). A choice indicator is answered with
/// text (`yes`, `partial`, `no`…), a numeric one with a value (e.g. a percentage).
pub fn supplier_climate_answers() -> SheetSpec {
    sheet(
        "climate_answers",
        "气候指标答复",
        "Climate indicator answers",
        "lvyue.supply_chain.climate_answers@1",
        true,
        vec![
            example(
                text_col("supplier_id", "供应商编号", "Supplier id", true, "供应商表中的编号", "Id from the Suppliers sheet"),
                &["S01", "S01", "S02"],
            ),
            example(
                text_col(
                    "indicator_id",
                    "指标编号",
                    "Indicator id",
                    true,
                    "评分规则中的指标编号，如 G1、M1、A1",
                    "Indicator id from the scoring rules, e.g. G1, M1, A1",
                ),
                &["G1", "A1", "M3"],
            ),
            example(
                text_col(
                    "answer",
                    "答复",
                    "Answer",
                    false,
                    "选项型指标的答复，如 yes、partial、no（是、部分、否）；允许的答复见评分规则",
                    "Answer to a choice indicator, e.g. yes, partial, no (是, 部分, 否); the scoring rules list the allowed answers",
                ),
                &["yes", "", "no"],
            ),
            example(
                col(
                    "value",
                    "数值",
                    "Value",
                    ValueKind::Number,
                    None,
                    false,
                    "数值型指标的数值，百分比按 0–100 填写（如可再生电力占比 35）",
                    "Value of a numeric indicator; percentages as 0–100 (e.g. a renewable electricity share of 35)",
                ),
                &["", "35", ""],
            ),
            text_col(
                "evidence",
                "证据",
                "Evidence",
                false,
                "公开披露的出处，如网址、报告页码",
                "Where it is disclosed, e.g. a URL or report page",
            ),
        ],
        &["supplier_id", "indicator_id"],
        "每行一个供应商对一个指标的答复；未答复的指标记 0 分。",
        "One row per supplier and indicator; an indicator not answered scores 0.",
    )
}

/// `lvyue.supply_chain.violations@1`: environmental supervision (violation)
/// records per supplier, e.g. from IPE's Blue Map database, and whether each
/// was closed by a Green Choice audit or public disclosure.
pub fn environmental_violations() -> SheetSpec {
    sheet(
        "violations",
        "环境违规记录",
        "Environmental violation records",
        "lvyue.supply_chain.violations@1",
        false,
        vec![
            example(
                text_col("supplier_id", "供应商编号", "Supplier id", true, "供应商表中的编号", "Id from the Suppliers sheet"),
                &["S02"],
            ),
            example(
                text_col(
                    "record_id",
                    "记录编号",
                    "Record id",
                    true,
                    "监管记录编号（如蔚蓝地图记录号）",
                    "Supervision record id (e.g. the Blue Map record number)",
                ),
                &["BM-2024-00731"],
            ),
            example(
                date_col("date", "日期", "Date", true, "处罚或监管记录日期", "Date of the penalty or supervision record"),
                &["2024-05-14"],
            ),
            example(
                text_col("authority", "发布机关", "Authority", false, "发布记录的监管部门", "Authority that issued the record"),
                &["东莞市生态环境局"],
            ),
            example(
                bool_col(
                    "closed",
                    "已通过审核或公开说明关闭",
                    "Closed by public audit or disclosure",
                    true,
                    "是否已通过绿色选择审核（GCA）或公开整改说明关闭",
                    "Whether the record was closed by a Green Choice Audit (GCA) or a public disclosure of the corrective action",
                ),
                &["否"],
            ),
            text_col("description", "说明", "Description", false, "违规内容或整改情况", "What the violation was, or the corrective action"),
        ],
        &["record_id"],
        "供应商的环境监管记录；未关闭的记录会被标记。",
        "Environmental supervision records of the suppliers; open records are flagged.",
    )
}

// ---- Events (大型活动碳中和) ---------------------------------------------------------
//
// The sheets an event organiser fills to show a conference, exhibition,
// performance or sports event is carbon neutral (大型活动碳中和实施指南（试行）,
// MEE 2019): the event's facts, its emission sources by the guideline's
// categories, green power bought, and the offsets retired (注销) for it.
// Green certificates use `green_certificates()` above.

/// Event types named in the 2019 guideline, Art. 2 (演出、赛事、会议、论坛、展览), plus `other`.
pub const EVENT_TYPES: &[&str] = &["conference", "forum", "exhibition", "performance", "sports", "other"];

/// Emission categories of the 2019 guideline's Annex 1 (排放类型/排放源), one key each.
pub const EVENT_EMISSION_CATEGORIES: &[&str] = &[
    "stationary_combustion",
    "mobile_combustion",
    "purchased_electricity",
    "purchased_heat",
    "electric_vehicles",
    "travel",
    "accommodation",
    "catering",
    "materials",
    "waste",
];

/// Units of an event emission row's activity data (one per row).
pub const EVENT_ACTIVITY_UNITS: &[&str] =
    &["t", "kg", "10^4 Nm3", "Nm3", "L", "MWh", "kWh", "GJ", "pkm", "vkm", "room_night", "meal", "item"];

/// Phases of an event (the accounting boundary in time).
pub const EVENT_PHASES: &[&str] = &["preparation", "event", "wrap_up"];

/// Grid regions of the MEE/NBS electricity CO2 factor announcements.
pub const GRID_REGIONS: &[&str] = &["华北", "东北", "华东", "华中", "西北", "南方", "西南"];

/// Instruments an organiser may list as retired for an event (eligibility is rules data).
pub const OFFSET_INSTRUMENTS: &[&str] =
    &["CEA", "PILOT_ALLOWANCE", "CCER", "CARBON_INCLUSION", "CDM_CER", "VCS", "GS", "OTHER", "FORESTRY_SINK", "GREEN_CERTIFICATE"];

/// `lvyue.event.facts@1`: the event itself, one row.
pub fn event_facts() -> SheetSpec {
    sheet(
        "event",
        "活动信息",
        "Event",
        "lvyue.event.facts@1",
        true,
        vec![
            example(
                text_col("name", "活动名称", "Event name", true, "活动全称", "Full name of the event"),
                &["2024 绿色发展论坛 Green Development Forum 2024"],
            ),
            example(
                choice_col(
                    "event_type",
                    "活动类型",
                    "Event type",
                    true,
                    EVENT_TYPES,
                    "conference 会议；forum 论坛；exhibition 展览；performance 演出；sports 赛事；other 其他",
                    "conference, forum, exhibition, performance, sports or other",
                ),
                &["forum"],
            ),
            example(
                text_col("organiser", "主办方", "Organiser", false, "活动主办或承办单位", "Organising body"),
                &["某市生态环境学会 City Environmental Society"],
            ),
            example(
                date_col("start_date", "开始日期", "Start date", true, "活动举办阶段第一天", "First day of the event"),
                &["2024-05-20"],
            ),
            example(
                date_col(
                    "end_date",
                    "结束日期",
                    "End date",
                    true,
                    "活动举办阶段最后一天；碳中和完成期限自此计算",
                    "Last day of the event; the neutrality deadline counts from it",
                ),
                &["2024-05-21"],
            ),
            example(
                date_col(
                    "preparation_start",
                    "筹备阶段起始日",
                    "Preparation from",
                    false,
                    "核算边界包含筹备阶段时填写",
                    "When the boundary includes the preparation phase",
                ),
                &["2024-03-01"],
            ),
            example(
                date_col(
                    "wrap_up_end",
                    "收尾阶段截止日",
                    "Wrap-up until",
                    false,
                    "核算边界包含收尾阶段时填写",
                    "When the boundary includes the wrap-up phase",
                ),
                &["2024-05-31"],
            ),
            example(
                text_col("venue", "举办场所", "Venue", true, "场馆名称及地址", "Venue name and address"),
                &["国际会议中心 International Convention Centre"],
            ),
            example(
                choice_col(
                    "province",
                    "所在省份",
                    "Province",
                    false,
                    PROVINCES,
                    "场馆所在省级行政区（用于省级电网排放因子）",
                    "Province of the venue (for the provincial grid factor)",
                ),
                &["广东"],
            ),
            example(
                choice_col(
                    "grid_region",
                    "所在区域电网",
                    "Grid region",
                    false,
                    GRID_REGIONS,
                    "场馆所在区域电网（用于区域电网排放因子）",
                    "Regional grid of the venue (for the regional grid factor)",
                ),
                &["南方"],
            ),
            example(
                quantity(
                    "attendees",
                    "参与人数",
                    "Attendees",
                    "persons",
                    false,
                    "现场参与人次（不含线上）",
                    "On-site attendance (not online)",
                ),
                &["1200"],
            ),
            example(
                quantity("floor_area_m2", "场地面积", "Floor area", "m2", false, "活动使用的场地面积", "Floor area used by the event"),
                &["8000"],
            ),
            example(
                choice_col(
                    "evaluation",
                    "评价方式",
                    "Evaluation",
                    false,
                    &["self", "independent"],
                    "self 自我评价；independent 委托第三方机构评价",
                    "self-evaluation or an independent body",
                ),
                &["independent"],
            ),
            example(
                text_col(
                    "evaluator",
                    "评价机构",
                    "Evaluator",
                    false,
                    "第三方评价机构名称（自我评价可留空）",
                    "Name of the independent evaluation body",
                ),
                &["某核证机构 A Verification Body"],
            ),
            example(
                quantity("evaluator_count", "评价人员数", "Evaluators", "persons", false, "评价组人数", "Members of the evaluation team"),
                &["2"],
            ),
        ],
        &[],
        "活动基本信息，填写一行。",
        "The event's facts, one row.",
    )
}

/// `lvyue.event.emissions@1`: the event's emission sources by the guideline's categories.
pub fn event_emissions() -> SheetSpec {
    sheet(
        "event_emissions",
        "排放源",
        "Emission sources",
        "lvyue.event.emissions@1",
        true,
        vec![
            example(
                choice_col(
                    "category",
                    "排放类别",
                    "Category",
                    true,
                    EVENT_EMISSION_CATEGORIES,
                    "stationary_combustion 化石燃料燃烧-固定源；mobile_combustion 化石燃料燃烧-移动源；purchased_electricity 净购入电力；purchased_heat 净购入热力；electric_vehicles 电动车用电；travel 交通（往返出行）；accommodation 住宿；catering 餐饮；materials 会议用品隐含碳；waste 废弃物处理",
                    "stationary_combustion, mobile_combustion, purchased_electricity, purchased_heat, electric_vehicles, travel, accommodation, catering, materials or waste",
                ),
                &["stationary_combustion", "purchased_electricity", "travel", "accommodation"],
            ),
            example(
                text_col("source", "排放源", "Source", true, "排放源说明，如餐厅燃气灶", "What emits, e.g. kitchen gas stoves"),
                &[
                    "餐厅燃气灶 Kitchen stoves",
                    "场馆用电 Venue electricity",
                    "参会者航空出行 Attendee flights",
                    "参会者酒店住宿 Attendee hotels",
                ],
            ),
            example(
                text_col(
                    "item",
                    "品种或方式",
                    "Item",
                    false,
                    "燃料（natural_gas、diesel、gasoline、lpg、lng、kerosene、fuel_oil）、出行方式（flight、high_speed_rail、rail、metro、bus、taxi、private_car）或物品名称",
                    "Fuel (natural_gas, diesel, gasoline, lpg, lng, kerosene, fuel_oil), travel mode (flight, high_speed_rail, rail, metro, bus, taxi, private_car) or material",
                ),
                &["natural_gas", "", "flight", ""],
            ),
            example(
                choice_col(
                    "phase",
                    "阶段",
                    "Phase",
                    false,
                    EVENT_PHASES,
                    "preparation 筹备；event 举办（默认）；wrap_up 收尾",
                    "preparation, event (default) or wrap_up",
                ),
                &["event", "event", "event", "event"],
            ),
            example(
                quantity(
                    "quantity",
                    "活动数据",
                    "Activity data",
                    "",
                    false,
                    "活动数据，单位见「单位」列",
                    "Activity data, in the unit of the Unit column",
                ),
                &["0.8", "350000", "", "900"],
            ),
            example(
                choice_col(
                    "unit",
                    "单位",
                    "Unit",
                    true,
                    EVENT_ACTIVITY_UNITS,
                    "活动数据单位：t、kg、10^4 Nm3、Nm3、L、MWh、kWh、GJ、pkm（人公里）、vkm（车公里）、room_night（间夜）、meal（餐次）、item（件）",
                    "Unit of the activity data: t, kg, 10^4 Nm3, Nm3, L, MWh, kWh, GJ, pkm (person-km), vkm (vehicle-km), room_night, meal or item",
                ),
                &["10^4 Nm3", "kWh", "pkm", "room_night"],
            ),
            example(
                quantity(
                    "trips",
                    "人次",
                    "Trips",
                    "persons",
                    false,
                    "出行人次（交通类，与每人次距离相乘得人公里）",
                    "Travellers (travel rows: times the distance per trip gives person-km)",
                ),
                &["", "", "300", ""],
            ),
            example(
                quantity(
                    "distance_km",
                    "每人次距离",
                    "Distance per trip",
                    "km",
                    false,
                    "每人次往返距离（交通类）",
                    "Return distance per traveller (travel rows)",
                ),
                &["", "", "2400", ""],
            ),
            example(
                quantity(
                    "factor",
                    "用户排放因子",
                    "User factor",
                    "kgCO2e/unit",
                    false,
                    "每单位活动数据的排放量（kgCO2e，单位同「单位」列）；留空则采用规则库中有出处的因子，无出处时必须填写",
                    "kgCO2e per unit of activity (the Unit column's unit); blank: the sourced factor in the rules, which must be filled where the rules have none",
                ),
                &["", "", "0.1", "15"],
            ),
            example(
                text_col("factor_source", "因子来源", "Factor source", false, "用户排放因子的出处", "Where the user factor comes from"),
                &["", "", "航空公司披露 airline disclosure", "酒店提供 hotel data"],
            ),
            example(
                text_col(
                    "data_source",
                    "活动数据来源",
                    "Data source",
                    false,
                    "如电费账单、燃气表读数、报名系统",
                    "E.g. utility bills, meter readings, registration system",
                ),
                &["燃气表读数 meter", "电费账单 utility bills", "报名系统 registrations", "酒店结算单 hotel invoices"],
            ),
        ],
        &[],
        "每行一个排放源：活动数据及单位；规则库无出处因子时填写用户排放因子。",
        "One row per emission source: activity data and its unit; a user factor where the rules hold no sourced factor.",
    )
}

/// `lvyue.energy.green_power@1`: green electricity bought (绿电交易) and claimed as zero-emission.
pub fn green_power_purchases() -> SheetSpec {
    sheet(
        "green_power",
        "绿色电力",
        "Green power",
        "lvyue.energy.green_power@1",
        false,
        vec![
            example(
                text_col(
                    "contract_id",
                    "合同编号",
                    "Contract id",
                    true,
                    "绿电交易合同或结算单编号",
                    "Green-power contract or settlement id",
                ),
                &["GZPX-2024-0518"],
            ),
            example(
                text_col("supplier", "售电方", "Supplier", false, "发电企业或售电公司", "Generator or retailer"),
                &["某新能源公司 A Renewables Co."],
            ),
            example(
                quantity("mwh", "绿电电量", "Green electricity", "MWh", true, "主张为零排放的电量", "Electricity claimed as zero-emission"),
                &["350"],
            ),
            example(
                date_col("delivered_from", "交割起始日", "Delivered from", false, "电量交割期间起始", "Start of delivery"),
                &["2024-05-01"],
            ),
            example(date_col("delivered_to", "交割截止日", "Delivered to", false, "电量交割期间截止", "End of delivery"), &["2024-05-31"]),
            example(
                quantity(
                    "claimed_avoided_t",
                    "声明减排量",
                    "Claimed avoided emissions",
                    "t",
                    false,
                    "主办方或媒体声明的相应减排量（如有），用于显示其隐含的排放因子",
                    "Avoided emissions stated by the organiser or the press, if any; shows the factor it implies",
                ),
                &[""],
            ),
            example(
                text_col(
                    "evidence",
                    "溯源凭证",
                    "Evidence",
                    false,
                    "交易中心结算单、区块链存证等",
                    "Exchange settlement, on-chain record…",
                ),
                &["广州电力交易中心结算单 settlement"],
            ),
        ],
        &["contract_id"],
        "购买的绿色电力；按零排放计入的电量须有已核销的对应绿证。",
        "Green electricity bought; MWh counted as zero-emission need matching retired green certificates.",
    )
}

/// `lvyue.portfolio.retired_offsets@1`: allowances, credits and sinks retired (注销) for a claim.
pub fn retired_offsets() -> SheetSpec {
    sheet(
        "offsets",
        "抵消量注销",
        "Retired offsets",
        "lvyue.portfolio.retired_offsets@1",
        false,
        vec![
            example(
                choice_col(
                    "instrument",
                    "类型",
                    "Instrument",
                    true,
                    OFFSET_INSTRUMENTS,
                    "CEA 全国配额；PILOT_ALLOWANCE 地方试点配额；CCER；CARBON_INCLUSION 碳普惠减排量；CDM_CER 清洁发展机制减排量；VCS；GS 黄金标准；OTHER 其他机制；FORESTRY_SINK 林业碳汇量（未签发为信用）；GREEN_CERTIFICATE 绿证",
                    "CEA, PILOT_ALLOWANCE, CCER, CARBON_INCLUSION (碳普惠), CDM_CER, VCS, GS, OTHER, FORESTRY_SINK (a sink not issued as credits) or GREEN_CERTIFICATE",
                ),
                &["CCER", "CARBON_INCLUSION"],
            ),
            example(
                text_col(
                    "registry",
                    "注册登记机构",
                    "Registry",
                    false,
                    "注销所在的注册登记系统或机构",
                    "Registry where the units were retired",
                ),
                &["全国温室气体自愿减排注册登记系统", "广东省碳普惠平台"],
            ),
            example(
                text_col(
                    "serial",
                    "序列号",
                    "Serial",
                    false,
                    "注销的序列号或区段（同一序列号只能使用一次）",
                    "Serial or serial block retired (a serial may be used once)",
                ),
                &["CCER-14-2024-000123-000001-000300", "PHCER-GD-2023-00456"],
            ),
            example(
                text_col("project_id", "项目编号", "Project id", false, "项目登记编号", "Project registration id"),
                &["CCER-14-2024-0123", "GD-PH-2023-0456"],
            ),
            example(
                text_col("project_name", "项目名称", "Project", false, "项目名称", "Project name"),
                &["某县造林碳汇项目 County afforestation", "社区低碳出行 community low-carbon travel"],
            ),
            example(
                bool_col(
                    "project_in_china",
                    "中国境内项目",
                    "Project in China",
                    false,
                    "项目是否位于中国境内",
                    "Whether the project is in China",
                ),
                &["是", "是"],
            ),
            example(
                choice_col(
                    "recognition_level",
                    "认可层级",
                    "Recognised by",
                    false,
                    &["national", "province", "city", "none"],
                    "批准、备案或认可该减排量的生态环境主管部门层级（碳普惠必填）",
                    "Level of the ecology-environment authority that approved, filed or recognised it (required for carbon inclusion)",
                ),
                &["national", "province"],
            ),
            example(
                quantity(
                    "vintage",
                    "年份",
                    "Vintage",
                    "year",
                    false,
                    "减排量产生年份或配额年度",
                    "Year of the reductions or allowance vintage",
                ),
                &["2024", "2023"],
            ),
            example(quantity("quantity_t", "数量", "Quantity", "t", true, "注销量（吨二氧化碳当量）", "Retired (tCO2e)"), &["300", "150"]),
            example(bool_col("retired", "已注销", "Retired", true, "是否已为本活动注销", "Retired for this event"), &["是", "是"]),
            example(
                date_col("retirement_date", "注销日期", "Retirement date", false, "注销完成日期", "Date the retirement was completed"),
                &["2024-09-10", "2024-09-12"],
            ),
            example(
                bool_col(
                    "new_forestry",
                    "新建林业项目",
                    "New forestry",
                    false,
                    "是否为新建林业项目产生的碳汇量（完成期限6年）",
                    "Whether it is a sink from a newly created forestry project (6-year limit)",
                ),
                &["否", "否"],
            ),
            example(
                bool_col(
                    "claimed_elsewhere",
                    "他处登记或声明",
                    "Registered or claimed elsewhere",
                    false,
                    "同一减排量是否已在其他机制登记或用于其他活动、产品、企业的声明",
                    "Whether the same reduction is registered under another mechanism or claimed for another event, product or organisation",
                ),
                &["否", "否"],
            ),
            example(
                text_col("proof", "注销证明", "Retirement proof", false, "注销证明文件编号", "Retirement certificate reference"),
                &["注销证明 No. 2024-0911", "GD-PH-ZX-2024-077"],
            ),
        ],
        &["serial"],
        "为本活动注销的配额、减排量或碳汇量，每行一个序列号区段。",
        "Allowances, credits or sinks retired for this event, one serial block per row.",
    )
}
