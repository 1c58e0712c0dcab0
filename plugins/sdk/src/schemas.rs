//! Shared input schemas. Plugins that read the same kind of data declare the
//! same sheet, so one workbook serves several jurisdictions and the host
//! validates it the same way for all of them.
//!
//! Each schema has a versioned id (`lvyue.<name>@<major>`); a plugin that
//! needs more columns extends a schema with [`with_columns`] rather than
//! inventing a new sheet.

use crate::{t, ColumnSpec, SheetSpec, ValueKind};

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

fn sheet(key: &str, zh: &str, en: &str, schema: &str, required: bool, columns: Vec<ColumnSpec>, unique: &[&str], help_zh: &str, help_en: &str) -> SheetSpec {
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

/// Adds plugin-specific columns to a shared schema.
pub fn with_columns(mut sheet: SheetSpec, extra: Vec<ColumnSpec>) -> SheetSpec {
    sheet.columns.extend(extra);
    sheet
}

/// Credit and allowance types recognised across jurisdictions.
pub const CREDIT_TYPES: &[&str] = &[
    "CEA", "CCER", "BEA", "BFCER", "PHCER", "TFCER", "FFCER", "CQCER", "SHCERCIR1", "GDPHCER", "SZ-PHCER", "CDM-CER", "PILOT-ALLOWANCE",
];

/// Provinces and province-level regions, for origin rules.
pub const PROVINCES: &[&str] = &[
    "北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏", "浙江", "安徽", "福建", "江西", "山东", "河南",
    "湖北", "湖南", "广东", "广西", "海南", "重庆", "四川", "贵州", "云南", "西藏", "陕西", "甘肃", "青海", "宁夏", "新疆",
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
            quantity("activity", "活动数据", "Activity data", "GJ", false, "燃料消耗量按热值计（或购入电量 MWh）", "Fuel use as heat content (or purchased MWh)"),
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
            text_col("product", "产品", "Product", true, "产品或产出，如 electricity、heat、clinker", "Product, e.g. electricity, heat, clinker"),
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
            choice_col("type", "配额类型", "Allowance type", true, &["CEA", "PILOT-ALLOWANCE"], "CEA 全国碳排放配额；PILOT-ALLOWANCE 试点配额", "CEA national allowance or a pilot allowance"),
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
            text_col("project_type", "项目类型", "Project type", false, "如 forestry、renewable、methane", "E.g. forestry, renewable, methane"),
            choice_col("province", "项目所在省份", "Project province", false, PROVINCES, "项目所在省级行政区", "Province of the project"),
            date_col("registered", "项目登记日期", "Project registration date", false, "项目登记（备案）日期", "Project registration date"),
            date_col("reduction_start", "减排量产生起始日", "Reductions from", false, "减排量产生期间起始日", "Start of the crediting period"),
            bool_col(
                "covered_project",
                "纳入配额管理",
                "Under allowance management",
                false,
                "项目排放是否纳入全国或地方配额管理",
                "Whether the project's emissions are under national or pilot allowance management",
            ),
            quantity("quantity_t", "数量", "Quantity", "t", true, "持有量（吨）", "Held (tonnes)"),
            quantity("price_cny", "单价", "Unit price", "CNY/t", false, "可选：单价", "Optional: price per tonne"),
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
            example(text_col("supplier_id", "供应商编号", "Supplier id", true, "供应商唯一编号，其他表以此引用", "Unique supplier id, referenced by the other sheets"), &["S01", "S02", "S03"]),
            example(text_col("name", "供应商名称", "Supplier name", true, "企业名称", "Company name"), &["华东印染有限公司", "Pearl River Electronics Co.", "北方铸造厂"]),
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
            example(choice_col("province", "所在省份", "Province", false, PROVINCES, "工厂所在省级行政区", "Province of the site"), &["浙江", "广东", "河北"]),
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
            example(text_col("supplier_id", "供应商编号", "Supplier id", true, "供应商表中的编号", "Id from the Suppliers sheet"), &["S01", "S01", "S02"]),
            example(text_col("indicator_id", "指标编号", "Indicator id", true, "评分规则中的指标编号，如 G1、M1、A1", "Indicator id from the scoring rules, e.g. G1, M1, A1"), &["G1", "A1", "M3"]),
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
            text_col("evidence", "证据", "Evidence", false, "公开披露的出处，如网址、报告页码", "Where it is disclosed, e.g. a URL or report page"),
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
            example(text_col("supplier_id", "供应商编号", "Supplier id", true, "供应商表中的编号", "Id from the Suppliers sheet"), &["S02"]),
            example(text_col("record_id", "记录编号", "Record id", true, "监管记录编号（如蔚蓝地图记录号）", "Supervision record id (e.g. the Blue Map record number)"), &["BM-2024-00731"]),
            example(date_col("date", "日期", "Date", true, "处罚或监管记录日期", "Date of the penalty or supervision record"), &["2024-05-14"]),
            example(text_col("authority", "发布机关", "Authority", false, "发布记录的监管部门", "Authority that issued the record"), &["东莞市生态环境局"]),
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
