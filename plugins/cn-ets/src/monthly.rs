//! Month-by-month input: the parameters carbon managers upload every month
//! (the guidelines' 附表C.3 and the production tables, months as columns,
//! read by the host from the layouts in `plugin.toml`), checked as the
//! guideline asks and turned into the annual rows the other steps read.
//!
//! `monthly_parameters` holds one row per (unit, fuel, item, month); the
//! `generating_unit_info` form gives each unit's category. For each unit and
//! fuel the year's fuel combustion becomes one `emission_sources` row, and for
//! each unit its generation, heat and load factor one `generating_units` row,
//! so the emissions, allocation and surrender steps are the annual ones: the
//! same data given as annual rows gives the same results (heat Σ FCₘ × NCVₘ
//! is exact, so FC × NCV with the consumption-weighted NCV is the same
//! number). A factor that varies from month to month (carbon content,
//! oxidation rate, element carbon content) is applied month by month and the
//! year's emissions are passed on as computed.
//!
//! The guideline's checks are findings: an NCV mode that changes during the
//! year and a measured value that reverts to a default (6.2.2.2), the
//! conservative default carbon content of coal, a month missing, and a `全年`
//! that is not what the months give (the annual NCV not the
//! consumption-weighted mean, 6.2.2.4).
//!
//! Year to date: with `as_of = YYYY-MM` (default: the last month with data,
//! when the year is not complete) each quantity is forecast for the year from
//! the months so far: by the same months of the previous year when they are
//! given (rows with `year` = the previous year), otherwise by the run rate;
//! the method is stated in a finding and in the trace, and every metric and
//! table is labelled as a forecast. Months past their upload deadline
//! (`monthly.evidence_deadline_days` after month end) without data are findings.

use std::collections::{BTreeMap, BTreeSet};

use lvyue_sdk::schemas::{self, example};
use lvyue_sdk::{
    Cell, ColumnSpec, Decimal, Evaluation, EvaluationError, Metric, Output, Request, Row, SheetSpec, Step, Table, TraceStep, Value, dec,
    fmt_dec, num, t, text,
};

use crate::fuels::{self, FuelRef};
use crate::spec::*;
use lvyue_sdk::eval::Eval;

// ---- items (the keys of plugin.toml's [[input.layout.item]]) ---------------------

pub const CONSUMPTION: &str = "consumption";
pub const NCV: &str = "ncv";
pub const CARBON_CONTENT: &str = "carbon_content";
pub const CARBON_AR: &str = "carbon_content_ar";
pub const CARBON_AD: &str = "carbon_content_ad";
pub const CARBON_D: &str = "carbon_content_d";
pub const MOISTURE_AR: &str = "moisture_ar";
pub const MOISTURE_AD: &str = "moisture_ad";
pub const OXIDATION: &str = "oxidation_rate";
pub const FUEL_HEAT: &str = "fuel_heat";
pub const FUEL_EMISSIONS: &str = "fuel_emissions";
pub const GENERATION: &str = "generation";
pub const POWER_SUPPLIED: &str = "power_supplied";
pub const HEAT_SUPPLIED: &str = "heat_supplied";
pub const RUNNING_HOURS: &str = "running_hours";
pub const LOAD_FACTOR: &str = "load_factor";
pub const PURCHASED_ELECTRICITY: &str = "purchased_electricity";

/// Items this plugin reads; others are reported and skipped.
const ITEMS: &[&str] = &[
    CONSUMPTION,
    NCV,
    CARBON_CONTENT,
    CARBON_AR,
    CARBON_AD,
    CARBON_D,
    MOISTURE_AR,
    MOISTURE_AD,
    OXIDATION,
    FUEL_HEAT,
    FUEL_EMISSIONS,
    GENERATION,
    POWER_SUPPLIED,
    HEAT_SUPPLIED,
    RUNNING_HOURS,
    LOAD_FACTOR,
    PURCHASED_ELECTRICITY,
];

pub const MEASURED: &str = "实测值";
pub const CALCULATED: &str = "计算值";
pub const DESIGN: &str = "设计值";
pub const DEFAULT_MODE: &str = "缺省值";
pub const MODES: &[&str] = &[MEASURED, CALCULATED, DESIGN, DEFAULT_MODE];

/// The upload deadline of each month's data, in days after month end.
pub const P_EVIDENCE_DAYS: &str = "monthly.evidence_deadline_days";

/// A `全年` is compared with what the months give at the places it states,
/// at most these many (a value written by a spreadsheet has float noise beyond).
const ANNUAL_CHECK_MAX_PLACES: u32 = 6;

// ---- declared sheets ------------------------------------------------------------

pub fn monthly_parameters() -> SheetSpec {
    let col = |c: ColumnSpec, ex: &[&str]| example(c, ex);
    let mut value = schemas::quantity(
        "value",
        "数值",
        "Value",
        "",
        true,
        "该月（或全年）的数值，单位见「单位」列",
        "The month's (or the year's) value, in the unit column's unit",
    );
    value.minimum = None;
    let mut month = schemas::quantity("month", "月份", "Month", "", false, "1至12；留空表示「全年」", "1 to 12; blank for the year (全年)");
    month.minimum = Some("1".into());
    let mut year = schemas::quantity(
        "year",
        "年度",
        "Year",
        "",
        false,
        "数据所属年度；留空为履约年度；上一年度的同月数据用于年度预测",
        "The data's year; blank: the compliance year; the previous year's months serve the forecast",
    );
    year.minimum = Some("1900".into());
    SheetSpec {
        key: "monthly_parameters".into(),
        name: t("月度参数", "Monthly parameters"),
        schema: Some("cn-ets.monthly_parameters@1".into()),
        required: false,
        columns: vec![
            col(
                schemas::text_col(
                    "group",
                    "机组",
                    "Unit or facility",
                    false,
                    "机组或设施编号，与机组信息表的「机组编号」一致",
                    "Generating unit or facility id, as in the unit information",
                ),
                &["1号机组 Unit 1", "1号机组 Unit 1"],
            ),
            col(
                schemas::text_col(
                    "fuel",
                    "燃料品种",
                    "Fuel",
                    false,
                    "燃料品种，如烟煤、天然气；机组层级的参数（发电量等）留空",
                    "Fuel, e.g. 烟煤, 天然气; blank for unit-level items (generation…)",
                ),
                &["烟煤", "烟煤"],
            ),
            col(
                schemas::text_col(
                    "item",
                    "信息项",
                    "Item",
                    true,
                    "参数：consumption 消耗量、ncv 低位发热量、carbon_content 单位热值含碳量、carbon_content_ar 收到基元素碳含量、oxidation_rate 碳氧化率、generation 发电量、power_supplied 供电量、heat_supplied 供热量、running_hours 运行小时数、load_factor 负荷（出力）系数、purchased_electricity 购入使用电量等（也可写中文名称）",
                    "The parameter: consumption, ncv, carbon_content, carbon_content_ar, oxidation_rate, generation, power_supplied, heat_supplied, running_hours, load_factor, purchased_electricity… (or its Chinese name)",
                ),
                &["consumption", "ncv"],
            ),
            col(year, &["", ""]),
            col(month, &["1", "1"]),
            col(value, &["101250", "20.908"]),
            col(
                schemas::text_col("unit", "单位", "Unit", false, "如 t、10⁴Nm³、GJ/t、%、MWh", "e.g. t, 10⁴Nm³, GJ/t, %, MWh"),
                &["t", "GJ/t"],
            ),
            col(
                schemas::choice_col(
                    "value_mode",
                    "获取方式",
                    "Value mode",
                    false,
                    MODES,
                    "实测值、计算值、设计值或缺省值",
                    "measured, calculated, design or default value",
                ),
                &["实测值", "实测值"],
            ),
            col(
                schemas::text_col(
                    "data_source",
                    "数据来源",
                    "Data source",
                    false,
                    "原始记录和管理台账的文件名称",
                    "The original records and ledgers, by file name",
                ),
                &["入炉煤皮带秤台账", "化验报告"],
            ),
            col(
                schemas::text_col("evidence", "支撑材料", "Evidence", false, "支撑材料文件名", "Evidence file name"),
                &["2024-01 皮带秤.pdf", "2024-01 化验单.pdf"],
            ),
            col(
                schemas::bool_col(
                    "metered",
                    "是否配备直接计量器具",
                    "Metered",
                    false,
                    "是否配备直接计量器具",
                    "Whether a direct meter is installed",
                ),
                &["是", ""],
            ),
            col(
                schemas::quantity(
                    "months_value",
                    "各月得出的全年值",
                    "Year from the months",
                    "",
                    false,
                    "由主机按各月数值计算（合计或加权平均），与「全年」比对；无需填写",
                    "Filled in by lvyue from the months (sum or weighted mean) to check the year's value; leave blank",
                ),
                &["", ""],
            ),
        ],
        unique_key: vec!["group".into(), "fuel".into(), "item".into(), "year".into(), "month".into()],
        help: t(
            "按月填报的参数，每行一个机组、燃料、参数和月份；官方格式的附表（月份为列）由 lvyue 直接读取为本表。",
            "Parameters month by month, one row per unit, fuel, item and month; the official tables (months as columns) are read into this sheet by lvyue.",
        ),
    }
}

pub fn generating_unit_info() -> SheetSpec {
    let mut capacity =
        schemas::quantity("capacity_mw", "装机容量", "Installed capacity", "MW", false, "机组装机容量（MW）", "Installed capacity (MW)");
    capacity.minimum = Some("0".into());
    SheetSpec {
        key: "generating_unit_info".into(),
        name: t("机组信息", "Generating unit information"),
        schema: Some("cn-ets.generating_unit_info@1".into()),
        required: false,
        columns: vec![
            example(
                schemas::text_col(
                    "facility",
                    "机组编号",
                    "Unit id",
                    true,
                    "与月度参数的「机组」一致",
                    "The same as the monthly parameters' Unit",
                ),
                &["1号机组 Unit 1", "2号机组 Unit 2"],
            ),
            unit_category(
                "I 300MW等级以上常规燃煤；II 300MW等级及以下常规燃煤；III 非常规燃煤（含循环流化床）；IV 燃气",
                "I conventional coal ≥ 400 MW; II conventional coal < 400 MW; III unconventional coal (incl. CFB); IV gas",
            ),
            example(capacity, &["660", "400"]),
            example(schemas::text_col("fuel_type", "燃料类型", "Fuel type", false, "燃煤、燃气等", "coal, gas…"), &["燃煤", "燃气"]),
            example(
                schemas::date_col("commissioned", "投运时间", "Commissioned", false, "机组投运日期", "Commissioning date"),
                &["2008-06-30", "2015-12-01"],
            ),
        ],
        unique_key: vec!["facility".into()],
        help: t(
            "发电行业：每台机组的类别等信息（附表C.2），与月度参数一起计算配额。",
            "Power sector: each unit's category and data (Table C.2), used with the monthly parameters for the allocation.",
        ),
    }
}

// ---- reading --------------------------------------------------------------------

/// One month's (or the year's) value as read.
#[derive(Clone)]
struct Cellv {
    value: Decimal,
    at: String,
    mode: Option<String>,
    mode_at: String,
    unit: Option<String>,
    source: Option<String>,
    evidence: Option<String>,
}

type Months = BTreeMap<u32, Cellv>;

/// A row to add: (column, value, source) per cell.
type NewRow = Vec<(String, Value, String)>;

/// A series: (group, fuel, item) → year → months; the year's stated value.
#[derive(Default)]
struct Data {
    months: BTreeMap<(String, String, String), BTreeMap<u16, Months>>,
    annual: Vec<(String, String, String, Decimal, Decimal, String)>,
    groups: BTreeSet<String>,
}

impl Data {
    fn get(&self, g: &str, f: &str, item: &str, year: u16) -> Option<&Months> {
        self.months.get(&(g.to_string(), f.to_string(), item.to_string())).and_then(|y| y.get(&year))
    }
}

/// The as-of month and how it was set.
#[derive(Clone, Copy, PartialEq)]
enum AsOf {
    /// The whole year.
    Year,
    /// Forecast from months 1..=m; `given` when the option set it.
    Month { m: u32, given: bool },
}

/// What the expansion did, for the finish.
pub struct Expanded {
    pub request: Request,
    /// Set when the results are a forecast: (as-of month, methods text zh, en).
    pub forecast: Option<(u32, String, String)>,
}

fn parse_as_of(text: &str, year: u16) -> Option<u32> {
    let t = text.trim().replace(['年', '/', '.'], "-").replace('月', "");
    let (y, m) = t.split_once('-')?;
    let (y, m): (u16, u32) = (y.trim().parse().ok()?, m.trim().parse().ok()?);
    (y == year && (1..=12).contains(&m)).then_some(m)
}

/// Last day of month `m` of `year`, as an ordinal day count (days since 0000-03-01).
fn days(y: i64, m: i64, d: i64) -> i64 {
    let (y, m) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    365 * y + y / 4 - y / 100 + y / 400 + (153 * m + 2) / 5 + d - 1
}

fn month_end(y: u16, m: u32) -> i64 {
    let (ny, nm) = if m == 12 { (y as i64 + 1, 1) } else { (y as i64, m as i64 + 1) };
    days(ny, nm, 1) - 1
}

fn date_of(ordinal: i64) -> String {
    // Inverse of `days` (civil-from-days, March-based years).
    let era = ordinal.div_euclid(146097);
    let doe = ordinal.rem_euclid(146097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    format!("{y:04}-{m:02}-{d:02}")
}

fn ordinal_of(date: &str) -> Option<i64> {
    let y = date.get(0..4)?.parse().ok()?;
    let m = date.get(5..7)?.parse().ok()?;
    let d = date.get(8..10)?.parse().ok()?;
    Some(days(y, m, d))
}

/// Decimal places a stated value has.
fn places(d: Decimal) -> u32 {
    d.normalize().scale()
}

fn list_months(ms: &[u32]) -> String {
    ms.iter().map(|m| format!("{m}月")).collect::<Vec<_>>().join("、")
}

fn list_months_en(ms: &[u32]) -> String {
    ms.iter().map(|m| m.to_string()).collect::<Vec<_>>().join(", ")
}

/// Reads and checks the monthly input and builds the request the annual
/// steps read. `None` when there is no monthly input.
pub fn expand(ev: &mut Eval) -> Result<Option<Expanded>, EvaluationError> {
    let ctx = ev.ctx;
    let year = ev.year();
    let table = ctx.table("monthly_parameters");
    let as_of_option = ctx.option("as_of");
    if table.is_empty() {
        if !ctx.table("emission_sources").is_present() {
            ev.finding(
                "EMISSIONS_DATA_MISSING",
                t(
                    "没有排放数据：缺少必需的表「排放源」，也没有按月填报的参数（附表C.3 化石燃料燃烧排放表）",
                    "No emissions data: the required sheet \"Emission sources\" is missing and there are no month-by-month parameters (Table C.3)",
                ),
                vec![],
            );
            ev.fail_if_errors()?;
        }
        if let Some(a) = as_of_option {
            ev.finding(
                "AS_OF_WITHOUT_MONTHS",
                t(
                    &format!("选项 as_of = {a}：没有按月填报的数据，按全年计算"),
                    &format!("Option as_of = {a}: there are no month-by-month data; the year is evaluated as given"),
                ),
                vec!["option:as_of".into()],
            );
        }
        return Ok(None);
    }

    // 1. Read the rows.
    let mut data = Data::default();
    let mut unknown: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut other_years: Vec<String> = Vec::new();
    for row in table.rows() {
        let item = row.text("item").unwrap_or("").to_string();
        let g = row.text("group").unwrap_or("").trim().to_string();
        let f = row.text("fuel").unwrap_or("").trim().to_string();
        if !ITEMS.contains(&item.as_str()) {
            unknown.entry(item).or_default().push(row.at("item"));
            continue;
        }
        let y = match row.decimal("year") {
            None => year,
            Some(y) => match fmt_dec(y).parse::<u16>() {
                Ok(y) if y == year || y + 1 == year => y,
                _ => {
                    other_years.push(row.at("year"));
                    continue;
                }
            },
        };
        let Some(value) = row.decimal("value") else {
            continue;
        };
        data.groups.insert(g.clone());
        match row.decimal("month") {
            Some(m) => {
                let m = match fmt_dec(m).parse::<u32>() {
                    Ok(m) if (1..=12).contains(&m) => m,
                    _ => {
                        ev.finding(
                            "VALUE_OUT_OF_RANGE",
                            t(
                                &format!("{}：月份 {m} 应为1至12", row.at("month")),
                                &format!("{}: month {m} must be 1 to 12", row.at("month")),
                            ),
                            vec![row.at("month")],
                        );
                        continue;
                    }
                };
                let cell = Cellv {
                    value,
                    at: row.at("value"),
                    mode: row.text("value_mode").map(str::to_string),
                    mode_at: row.at("value_mode"),
                    unit: row.text("unit").map(str::to_string),
                    source: row.text("data_source").map(str::to_string),
                    evidence: row.text("evidence").map(str::to_string),
                };
                data.months.entry((g, f, item)).or_default().entry(y).or_default().insert(m, cell);
            }
            None if y == year => {
                if let Some(mv) = row.decimal("months_value") {
                    data.annual.push((g, f, item, value, mv, row.at("value")));
                }
            }
            None => {}
        }
    }
    ev.fail_if_errors()?;
    for (item, cells) in &unknown {
        ev.finding(
            "MONTHLY_ITEM_NOT_READ",
            t(
                &format!("信息项「{item}」不是本插件读取的参数，已跳过（{} 个单元格）", cells.len()),
                &format!("Item \"{item}\" is not a parameter this plugin reads; skipped ({} cells)", cells.len()),
            ),
            cells.clone(),
        );
    }
    if !other_years.is_empty() {
        ev.finding(
            "MONTHLY_OTHER_YEAR",
            t(
                &format!("{} 行的年度既非 {year} 也非上一年度，已跳过", other_years.len()),
                &format!("{} rows are of neither {year} nor the previous year; skipped", other_years.len()),
            ),
            other_years,
        );
    }

    // 2. The as-of month.
    let driving = [CONSUMPTION, GENERATION, HEAT_SUPPLIED, PURCHASED_ELECTRICITY];
    let last_with_data = data
        .months
        .iter()
        .filter(|((_, _, i), _)| driving.contains(&i.as_str()))
        .filter_map(|(_, ys)| ys.get(&year))
        .flat_map(|ms| ms.keys().copied())
        .max()
        .unwrap_or(0);
    let as_of = match as_of_option {
        Some(text) => match parse_as_of(text, year) {
            Some(12) => AsOf::Year,
            Some(m) => AsOf::Month { m, given: true },
            None => {
                ev.finding(
                    "OPTION_INVALID",
                    t(
                        &format!("选项 as_of = \"{text}\"：应为 {year} 年的月份，如 {year}-09"),
                        &format!("Option as_of = \"{text}\": expected a month of {year}, e.g. {year}-09"),
                    ),
                    vec!["option:as_of".into()],
                );
                ev.fail_if_errors()?;
                AsOf::Year
            }
        },
        None if last_with_data > 0 && last_with_data < 12 => AsOf::Month { m: last_with_data, given: false },
        None => AsOf::Year,
    };
    let upto = match as_of {
        AsOf::Year => 12,
        AsOf::Month { m, .. } => m,
    };
    let later: Vec<String> =
        data.months.values().filter_map(|ys| ys.get(&year)).flat_map(|ms| ms.range(upto + 1..).map(|(_, c)| c.at.clone())).collect();
    if !later.is_empty() {
        ev.finding(
            "DATA_AFTER_AS_OF",
            t(
                &format!("{year}年{upto}月之后的 {} 个数值未使用（年度预测截至 {upto} 月）", later.len()),
                &format!("{} values after {year}-{upto:02} are not used (the forecast is as of month {upto})", later.len()),
            ),
            later,
        );
    }

    // 3. The guideline's checks.
    ev.out.table(monthly_table(&data, year, upto));
    check_annual(ev, &data);
    check_modes(ev, &data, year, upto);
    check_missing_months(ev, &data, year, upto);
    if let AsOf::Month { .. } = as_of {
        check_overdue(ev, &data, year, upto)?;
    }

    // 4. Sources, units, purchased electricity.
    let mut forecast_notes: Vec<(String, String)> = Vec::new();
    let mut new_sources: Vec<NewRow> = Vec::new();
    let mut new_units: Vec<NewRow> = Vec::new();
    let existing: Vec<(String, String)> = ctx
        .table("emission_sources")
        .rows()
        .filter(|r| r.text("category") == Some("fuel_combustion"))
        .map(|r| {
            (
                r.text("facility").unwrap_or("").trim().to_string(),
                fuels::find(r.text("fuel").unwrap_or(""))
                    .map(|f| f.key.to_string())
                    .unwrap_or_else(|| r.text("fuel").unwrap_or("").trim().to_string()),
            )
        })
        .collect();
    let sources: Vec<(String, String)> = data
        .months
        .iter()
        .filter(|((_, _, i), ys)| i == CONSUMPTION && ys.contains_key(&year))
        .map(|((g, f, _), _)| (g.clone(), f.clone()))
        .collect();
    for (g, f) in &sources {
        let fuel_key = fuels::find(f).map(|x| x.key.to_string()).unwrap_or_else(|| f.clone());
        if existing.contains(&(g.clone(), fuel_key)) {
            let cells = data.get(g, f, CONSUMPTION, year).map(|m| m.values().map(|c| c.at.clone()).take(1).collect()).unwrap_or_default();
            ev.finding(
                "MONTHLY_AND_ANNUAL",
                t(
                    &format!("{g} 的 {f} 既在排放源表中按年填报，又按月填报：同一排放源只能填报一次"),
                    &format!("{g}, {f}: given both as an annual emission source and month by month; give each source once"),
                ),
                cells,
            );
            continue;
        }
        if let Some(row) = fuel_source(ev, &data, g, f, year, as_of, &mut forecast_notes)? {
            new_sources.push(row);
        }
    }
    for g in &data.groups {
        if let Some(row) = electricity_source(ev, &data, g, year, as_of, &mut forecast_notes) {
            new_sources.push(row);
        }
    }
    let given_units: Vec<String> =
        ctx.table("generating_units").rows().map(|r| r.text("facility").unwrap_or("").trim().to_string()).collect();
    let info = ctx.table("generating_unit_info");
    let production_groups: BTreeSet<String> = data
        .months
        .iter()
        .filter(|((_, _, i), ys)| [GENERATION, HEAT_SUPPLIED].contains(&i.as_str()) && ys.contains_key(&year))
        .map(|((g, _, _), _)| g.clone())
        .collect();
    for g in &production_groups {
        if given_units.contains(g) {
            let cells = data.get(g, "", GENERATION, year).map(|m| m.values().map(|c| c.at.clone()).take(1).collect()).unwrap_or_default();
            ev.finding(
                "MONTHLY_AND_ANNUAL",
                t(
                    &format!("机组 {g} 既在发电机组表中按年填报，又按月填报发电数据：只能填报一次"),
                    &format!("Unit {g}: given both as an annual generating-unit row and month by month; give it once"),
                ),
                cells,
            );
            continue;
        }
        let category = info
            .rows()
            .find(|r| r.text("facility").map(str::trim) == Some(g.as_str()))
            .and_then(|r| r.text("category").map(|c| (c.to_string(), r.at("category"))));
        let Some((category, category_at)) = category else {
            let cells = data.get(g, "", GENERATION, year).map(|m| m.values().map(|c| c.at.clone()).take(1).collect()).unwrap_or_default();
            ev.finding(
                "UNIT_CATEGORY_MISSING",
                t(
                    &format!("机组 {g} 有按月的发电数据，但机组信息表（附表C.2）中没有该机组的「机组类别」"),
                    &format!("Unit {g} has monthly production data but no category in the unit information (Table C.2)"),
                ),
                cells,
            );
            continue;
        };
        new_units.push(unit_row(ev, &data, g, year, as_of, (category, category_at), &mut forecast_notes));
    }
    ev.fail_if_errors()?;

    // 5. The request the annual steps read.
    let mut request = Request {
        jurisdiction: ctx.request.jurisdiction.clone(),
        period: ctx.request.period.clone(),
        parameters: ctx.request.parameters.clone(),
        tables: ctx.request.tables.iter().filter(|t| t.key != "monthly_parameters").cloned().collect(),
        options: ctx.request.options.clone(),
    };
    append(
        &mut request,
        "emission_sources",
        &schemas::emission_sources().columns.iter().map(|c| c.key.clone()).collect::<Vec<_>>(),
        new_sources,
    );
    append(
        &mut request,
        "generating_units",
        &crate::spec::generating_units().columns.iter().map(|c| c.key.clone()).collect::<Vec<_>>(),
        new_units,
    );

    let annual_rows = !ctx.table("emission_sources").is_empty() || !ctx.table("generating_units").is_empty();
    let forecast = match as_of {
        AsOf::Year => None,
        AsOf::Month { m, given } => {
            let how = if given { "由选项 as_of 指定" } else { "为有数据的最后一个月（未指定 as_of）" };
            let how_en = if given { "set by the option as_of" } else { "the last month with data (no as_of given)" };
            let zh = forecast_notes.iter().map(|(z, _)| z.as_str()).collect::<Vec<_>>().join("；");
            let en = forecast_notes.iter().map(|(_, e)| e.as_str()).collect::<Vec<_>>().join("; ");
            ev.finding(
                "FORECAST",
                t(
                    &format!("年度预测：数据截至 {year}年{m}月（{how}），全年排放、配额、应清缴量、缺口及其成本均为预测值。方法：{zh}{}", if annual_rows { "。排放源表、发电机组表中按年填报的行按全年值计入" } else { "" }),
                    &format!("Forecast for the year: data as of {year}-{m:02} ({how_en}); the year's emissions, allocation, obligation, shortfall and its cost are forecasts. Method: {en}{}", if annual_rows { ". Rows given for the year in the emission sources and generating units are used as the year's values" } else { "" }),
                ),
                vec!["option:as_of".into()],
            );
            Some((m, zh, en))
        }
    };
    Ok(Some(Expanded { request, forecast }))
}

fn append(request: &mut Request, key: &str, columns: &[String], rows: Vec<NewRow>) {
    if rows.is_empty() {
        return;
    }
    let at = match request.tables.iter().position(|t| t.key == key) {
        Some(i) => i,
        None => {
            request.tables.push(Table { key: key.into(), columns: columns.to_vec(), rows: Vec::new().into() });
            request.tables.len() - 1
        }
    };
    let table = &mut request.tables[at];
    for cells in rows {
        let source = cells.iter().find(|(k, ..)| k == "facility").map(|(_, _, s)| s.clone()).unwrap_or_default();
        let row = table
            .columns
            .iter()
            .map(|c| match cells.iter().find(|(k, ..)| k == c) {
                Some((_, v, s)) => Cell { value: v.clone(), source: s.clone() },
                None => Cell { value: Value::Empty, source: format!("{source}, {c}") },
            })
            .collect();
        table.rows.push(Row { source: source.clone(), cells: row });
    }
}

/// A forecast factor num / den (applied as × num / den, so that a forecast
/// from a previous year with the same months is exact) and its method.
struct Factor {
    num: Decimal,
    den: Decimal,
    zh: String,
    en: String,
}

/// The forecast factor for a series and its method, or 1 for the whole year.
fn factor(data: &Data, g: &str, f: &str, item: &str, year: u16, as_of: AsOf, used: &[u32]) -> Factor {
    let AsOf::Month { .. } = as_of else {
        return Factor { num: Decimal::ONE, den: Decimal::ONE, zh: String::new(), en: String::new() };
    };
    let prev = data.get(g, f, item, year - 1);
    if let Some(p) = prev.filter(|p| (1..=12).all(|k| p.contains_key(&k))) {
        let full: Decimal = p.values().map(|c| c.value).sum();
        let same: Decimal = used.iter().filter_map(|k| p.get(k)).map(|c| c.value).sum();
        if !same.is_zero() {
            return Factor {
                num: full,
                den: same,
                zh: format!("{} 年全年 ÷ {} 年同期（{}）= {} ÷ {}", year - 1, year - 1, list_months(used), fmt_dec(full), fmt_dec(same)),
                en: format!(
                    "{} full year ÷ {} same months ({}) = {} ÷ {}",
                    year - 1,
                    year - 1,
                    list_months_en(used),
                    fmt_dec(full),
                    fmt_dec(same)
                ),
            };
        }
    }
    let n = used.len().max(1) as u32;
    Factor {
        num: Decimal::from(12),
        den: Decimal::from(n),
        zh: format!("按 {n} 个月运行率外推：× 12 / {n}"),
        en: format!("run rate of {n} months: × 12 / {n}"),
    }
}

/// Applies a forecast factor in a trace step; returns (value, source).
#[allow(clippy::too_many_arguments)]
fn forecast_step(
    ev: &mut Eval,
    what: (&str, &str),
    ytd: Decimal,
    ytd_source: String,
    fac: &Factor,
    unit: Option<&str>,
    notes: &mut Vec<(String, String)>,
    label: &str,
) -> (Decimal, String) {
    if fac.en.is_empty() {
        return (ytd, ytd_source);
    }
    let value = ytd * fac.num / fac.den;
    let zh = format!("{}（预测）= 截至当月累计 × {}", what.0, fac.zh);
    let en = format!("{} (forecast) = year to date × {}", what.1, fac.en);
    let s = ev.out.step(
        Step { clause: "年度预测 / forecast for the year (lvyue)", zh: &zh, en: &en, parameters: &[], inputs: vec![ytd_source] },
        num(value),
        unit,
    );
    notes.push((format!("{label} {}：{}", what.0, fac.zh), format!("{label} {}: {}", what.1, fac.en)));
    (value, Output::ref_step(s))
}

/// A value's months up to `upto`.
fn upto_months(m: Option<&Months>, upto: u32) -> Vec<(u32, Cellv)> {
    m.map(|ms| ms.range(..=upto).map(|(k, c)| (*k, c.clone())).collect()).unwrap_or_default()
}

/// One fuel of one unit: the annual `emission_sources` row.
fn fuel_source(
    ev: &mut Eval,
    data: &Data,
    g: &str,
    f: &str,
    year: u16,
    as_of: AsOf,
    notes: &mut Vec<(String, String)>,
) -> Result<Option<NewRow>, EvaluationError> {
    let upto = match as_of {
        AsOf::Year => 12,
        AsOf::Month { m, .. } => m,
    };
    let fc = upto_months(data.get(g, f, CONSUMPTION, year), upto);
    if fc.is_empty() {
        return Ok(None);
    }
    let get = |item: &str| upto_months(data.get(g, f, item, year), upto).into_iter().collect::<BTreeMap<u32, Cellv>>();
    let (ncv, cc, car, cad, cd, mar, mad, of) =
        (get(NCV), get(CARBON_CONTENT), get(CARBON_AR), get(CARBON_AD), get(CARBON_D), get(MOISTURE_AR), get(MOISTURE_AD), get(OXIDATION));
    let fc_map: BTreeMap<u32, Cellv> = fc.iter().cloned().collect();
    let prov_fc = provenance([("消耗量", "consumption", cells_of(&fc_map))]);
    let prov_heat = provenance([("消耗量", "consumption", cells_of(&fc_map)), ("低位发热量", "net calorific value", cells_of(&ncv))]);
    let prov_all = provenance([
        ("消耗量", "consumption", cells_of(&fc_map)),
        ("低位发热量", "net calorific value", cells_of(&ncv)),
        ("单位热值含碳量", "carbon content per unit heat", cells_of(&cc)),
        ("收到基元素碳含量", "element carbon, as received", cells_of(&car)),
        ("空气干燥基元素碳含量", "element carbon, air-dried", cells_of(&cad)),
        ("干燥基元素碳含量", "element carbon, dry", cells_of(&cd)),
        ("收到基水分", "moisture, as received", cells_of(&mar)),
        ("空气干燥基水分", "moisture, air-dried", cells_of(&mad)),
        ("碳氧化率", "oxidation rate", cells_of(&of)),
    ]);
    let fuel = fuels::find(f);
    let fuel_ref = fuel.map(FuelRef::Known);
    let label = format!("{g} {f}");
    let months_used: Vec<u32> = fc.iter().map(|(m, _)| *m).collect();
    let fc_cells: Vec<String> = fc.iter().map(|(_, c)| c.at.clone()).collect();
    let fc_ytd: Decimal = fc.iter().map(|(_, c)| c.value).sum();
    let fac = factor(data, g, f, CONSUMPTION, year, as_of, &months_used);

    // Is a factor the same in every month (or never given)?
    let constant = |m: &BTreeMap<u32, Cellv>| -> Option<Option<(Decimal, Vec<String>)>> {
        if m.is_empty() {
            return Some(None);
        }
        let first = m.values().next().expect("non-empty").value;
        let all = months_used.iter().all(|k| m.get(k).is_some_and(|c| c.value == first));
        all.then(|| Some((first, m.values().map(|c| c.at.clone()).collect())))
    };
    let element = !car.is_empty() || !cad.is_empty() || !cd.is_empty();
    let cc_const = constant(&cc);
    let of_const = constant(&of);

    // The conservative default carbon content of coal.
    if cc.is_empty() && !element && fuel.is_some_and(|x| !x.ncv_default) {
        ev.finding(
            "DEFAULT_CARBON_CONTENT",
            t(
                &format!("{label}：未填报元素碳含量或单位热值含碳量，采用核算指南的保守缺省值（{}）", fuels::default_key(fuel.map(|x| x.key).unwrap_or(""), "carbon_content")),
                &format!("{label}: no element carbon content or carbon content per unit heat given; the guideline's conservative default is used ({})", fuels::default_key(fuel.map(|x| x.key).unwrap_or(""), "carbon_content")),
            ),
            fc_cells.iter().take(1).cloned().collect(),
        );
    } else if cc.values().any(|c| c.mode.as_deref() == Some(DEFAULT_MODE)) && fuel.is_some_and(|x| !x.ncv_default) {
        ev.finding(
            "DEFAULT_CARBON_CONTENT",
            t(&format!("{label}：单位热值含碳量为缺省值，应采用保守缺省值并说明未实测的原因"), &format!("{label}: the carbon content is a default value; the conservative default applies and the lack of measurement must be explained")),
            cc.values().filter(|c| c.mode.as_deref() == Some(DEFAULT_MODE)).map(|c| c.mode_at.clone()).collect(),
        );
    }

    let has_default = |ev: &Eval, factor: &str| {
        fuel_ref
            .as_ref()
            .is_some_and(|x| ev.has(&fuels::default_key(x.key(), factor)) && !(factor == "ncv" && fuel.is_some_and(|k| !k.ncv_default)))
    };
    let mut out: NewRow = vec![
        ("facility".into(), text(g), fc_cells.first().cloned().unwrap_or_default()),
        ("source".into(), text(format!("{f} 燃烧（按月） / {f} combustion (monthly)")), fc_cells.first().cloned().unwrap_or_default()),
        ("category".into(), text("fuel_combustion"), fc_cells.first().cloned().unwrap_or_default()),
        ("fuel".into(), text(f), fc_cells.first().cloned().unwrap_or_default()),
    ];
    let ytd_word = if matches!(as_of, AsOf::Year) { ("", "") } else { ("截至当月", " to date") };

    // The simple form: factors constant (or defaults), NCV monthly or default.
    if let (false, Some(cc_c), Some(of_c)) = (element, cc_const, of_const) {
        let ncv_missing: Vec<u32> = months_used.iter().copied().filter(|m| !ncv.contains_key(m)).collect();
        if ncv.is_empty() {
            // NCV from the rules' default: the consumption is passed as it is.
            let s = ev.out.step(
                Step {
                    clause: "核算指南 附表C.3 / accounting guideline, Table C.3",
                    zh: &format!("{label} 燃料消耗量{} = Σ 各月消耗量{}", ytd_word.0, prov_fc.0),
                    en: &format!("{label} fuel consumption{} = Σ monthly consumption{}", ytd_word.1, prov_fc.1),
                    parameters: &[],
                    inputs: fc_cells.clone(),
                },
                num(fc_ytd),
                None,
            );
            let (v, src) = forecast_step(ev, ("燃料消耗量", "Fuel consumption"), fc_ytd, Output::ref_step(s), &fac, None, notes, &label);
            out.push(("fuel_consumption".into(), num(v), src));
        } else {
            let mut heat = Decimal::ZERO;
            let mut cells = Vec::new();
            let mut params: Vec<String> = Vec::new();
            for (m, c) in &fc {
                let n = match ncv.get(m) {
                    Some(n) => {
                        cells.push(n.at.clone());
                        n.value
                    }
                    None if has_default(ev, "ncv") => {
                        let key = fuels::default_key(fuel_ref.as_ref().expect("checked").key(), "ncv");
                        params.push(key.clone());
                        ev.num(&key)?
                    }
                    None => {
                        ev.finding(
                            "FACTOR_MISSING",
                            t(&format!("{label}：{m}月有消耗量但没有低位发热量，核算指南无缺省值，须实测填写"), &format!("{label}: month {m} has a consumption but no net calorific value, and the guideline gives no default; give the measured value")),
                            vec![c.at.clone()],
                        );
                        continue;
                    }
                };
                cells.push(c.at.clone());
                heat += c.value * n;
            }
            ev.fail_if_errors()?;
            if !ncv_missing.is_empty() {
                ev.finding(
                    "MONTH_MISSING",
                    t(
                        &format!("{label}：{} 缺少低位发热量，采用缺省值", list_months(&ncv_missing)),
                        &format!("{label}: no net calorific value for month(s) {}; the default is used", list_months_en(&ncv_missing)),
                    ),
                    fc_cells.iter().take(1).cloned().collect(),
                );
            }
            let prefs: Vec<&str> = params.iter().map(String::as_str).collect();
            let s = ev.out.step(
                Step {
                    clause: "核算指南 6.2.2.4：年度低位发热量按月消耗量加权 / accounting guideline 6.2.2.4, annual NCV weighted by monthly consumption",
                    zh: &format!("{label} 燃料热量{} = Σ 各月消耗量 × 各月低位发热量（GJ）{}", ytd_word.0, prov_heat.0),
                    en: &format!("{label} fuel heat{} = Σ monthly consumption × monthly net calorific value (GJ){}", ytd_word.1, prov_heat.1),
                    parameters: &prefs,
                    inputs: cells,
                },
                num(heat),
                Some("GJ"),
            );
            let (v, src) = forecast_step(ev, ("燃料热量", "Fuel heat"), heat, Output::ref_step(s), &fac, Some("GJ"), notes, &label);
            out.push(("activity".into(), num(v), src));
        }
        for (col, c) in [("carbon_content", cc_c), ("oxidation_rate", of_c)] {
            if let Some((v, cells)) = c {
                let s = ev.out.step(
                    Step {
                        clause: "核算指南 附表C.3 / accounting guideline, Table C.3",
                        zh: &format!("{label} {col}：各月相同"),
                        en: &format!("{label} {col}: the same every month"),
                        parameters: &[],
                        inputs: cells,
                    },
                    num(v),
                    None,
                );
                out.push((col.into(), num(v), Output::ref_step(s)));
            }
        }
        return Ok(Some(out));
    }

    // Month by month: carbon = FC × C_ar (element carbon) or FC × NCV × CC, × OF.
    let mut carbon = Decimal::ZERO;
    let mut cells = Vec::new();
    let mut params: Vec<String> = Vec::new();
    let mut param = |ev: &mut Eval, factor: &str, m: u32, at: &str, what: (&str, &str)| -> Result<Option<Decimal>, EvaluationError> {
        if has_default(ev, factor) {
            let key = fuels::default_key(fuel_ref.as_ref().expect("checked").key(), factor);
            params.push(key.clone());
            return Ok(Some(ev.num(&key)?));
        }
        ev.finding(
            "FACTOR_MISSING",
            t(
                &format!("{label}：{m}月缺少{}，核算指南无缺省值", what.0),
                &format!("{label}: month {m} has no {} and the guideline gives no default", what.1),
            ),
            vec![at.to_string()],
        );
        Ok(None)
    };
    for (m, c) in &fc {
        cells.push(c.at.clone());
        let o = match of.get(m) {
            Some(x) => {
                cells.push(x.at.clone());
                Some(x.value)
            }
            None => param(ev, "oxidation_rate", *m, &c.at, ("碳氧化率", "oxidation rate"))?,
        };
        let c_ar = if let Some(x) = car.get(m) {
            cells.push(x.at.clone());
            Some(x.value)
        } else if let (Some(x), Some(a), Some(d)) = (cad.get(m), mar.get(m), mad.get(m)) {
            // Air-dried basis to as received: C_ar = C_ad × (1 − M_ar) / (1 − M_ad).
            cells.extend([x.at.clone(), a.at.clone(), d.at.clone()]);
            Some(x.value * (Decimal::ONE - a.value) / (Decimal::ONE - d.value))
        } else if let (Some(x), Some(a)) = (cd.get(m), mar.get(m)) {
            // Dry basis to as received: C_ar = C_d × (1 − M_ar).
            cells.extend([x.at.clone(), a.at.clone()]);
            Some(x.value * (Decimal::ONE - a.value))
        } else {
            None
        };
        let per_tonne = match c_ar {
            Some(x) => Some(x),
            None => {
                let n = match ncv.get(m) {
                    Some(x) => {
                        cells.push(x.at.clone());
                        Some(x.value)
                    }
                    None => param(ev, "ncv", *m, &c.at, ("低位发热量", "net calorific value"))?,
                };
                let k = match cc.get(m) {
                    Some(x) => {
                        cells.push(x.at.clone());
                        Some(x.value)
                    }
                    None => param(ev, "carbon_content", *m, &c.at, ("单位热值含碳量", "carbon content per unit heat"))?,
                };
                n.zip(k).map(|(n, k)| n * k)
            }
        };
        if let (Some(p), Some(o)) = (per_tonne, o) {
            if o > Decimal::ONE {
                ev.finding(
                    "VALUE_OUT_OF_RANGE",
                    t(
                        &format!("{label}：{m}月碳氧化率 {o} 应不大于1（100%）"),
                        &format!("{label}: month {m} oxidation rate {o} must not exceed 1 (100 %)"),
                    ),
                    vec![c.at.clone()],
                );
                continue;
            }
            carbon += c.value * p * o;
        }
    }
    ev.fail_if_errors()?;
    let m_co2 = ev.num(P_M_CO2)?;
    let m_c = ev.num(P_M_C)?;
    let emissions = carbon * m_co2 / m_c;
    params.extend([P_M_CO2.to_string(), P_M_C.to_string()]);
    params.sort();
    params.dedup();
    let prefs: Vec<&str> = params.iter().map(String::as_str).collect();
    let s = ev.out.step(
        Step {
            clause: "企业温室气体排放核算与报告指南 发电设施：化石燃料燃烧排放，按月计算 / power-facility accounting guideline, fuel combustion month by month",
            zh: &format!("{label} 排放量{} = Σ 各月（消耗量 × 收到基元素碳含量，或 消耗量 × 低位发热量 × 单位热值含碳量）× 碳氧化率 × 44/12{}", ytd_word.0, prov_all.0),
            en: &format!("{label} emissions{} = Σ months (consumption × element carbon as received, or consumption × NCV × carbon per unit heat) × oxidation rate × 44/12{}", ytd_word.1, prov_all.1),
            parameters: &prefs,
            inputs: cells,
        },
        num(emissions),
        Some("tCO2"),
    );
    let (v, src) = forecast_step(ev, ("排放量", "Emissions"), emissions, Output::ref_step(s), &fac, Some("tCO2"), notes, &label);
    out.push(("emissions_t".into(), num(v), src));
    Ok(Some(out))
}

/// A unit's purchased electricity: one `emission_sources` row.
fn electricity_source(ev: &mut Eval, data: &Data, g: &str, year: u16, as_of: AsOf, notes: &mut Vec<(String, String)>) -> Option<NewRow> {
    let upto = match as_of {
        AsOf::Year => 12,
        AsOf::Month { m, .. } => m,
    };
    let months = upto_months(data.get(g, "", PURCHASED_ELECTRICITY, year), upto);
    if months.is_empty() {
        return None;
    }
    let cells: Vec<String> = months.iter().map(|(_, c)| c.at.clone()).collect();
    let total: Decimal = months.iter().map(|(_, c)| c.value).sum();
    let used: Vec<u32> = months.iter().map(|(m, _)| *m).collect();
    let fac = factor(data, g, "", PURCHASED_ELECTRICITY, year, as_of, &used);
    let prov = provenance([("购入使用电量", "purchased electricity", months.iter().map(|(_, c)| c).collect())]);
    let s = ev.out.step(
        Step {
            clause: "核算指南 购入使用电量 / purchased electricity",
            zh: &format!("{g} 购入使用电量 = Σ 各月{}", prov.0),
            en: &format!("{g} purchased electricity = Σ months{}", prov.1),
            parameters: &[],
            inputs: cells.clone(),
        },
        num(total),
        Some("MWh"),
    );
    let (v, src) = forecast_step(ev, ("购入使用电量", "Purchased electricity"), total, Output::ref_step(s), &fac, Some("MWh"), notes, g);
    let first = cells.first().cloned().unwrap_or_default();
    Some(vec![
        ("facility".into(), text(g), first.clone()),
        ("source".into(), text("购入电力（按月） / Purchased electricity (monthly)"), first.clone()),
        ("category".into(), text("purchased_electricity"), first),
        ("electricity_mwh".into(), num(v), src),
    ])
}

/// A unit's `generating_units` row: generation, heat supplied, load factor.
fn unit_row(
    ev: &mut Eval,
    data: &Data,
    g: &str,
    year: u16,
    as_of: AsOf,
    category: (String, String),
    notes: &mut Vec<(String, String)>,
) -> NewRow {
    let upto = match as_of {
        AsOf::Year => 12,
        AsOf::Month { m, .. } => m,
    };
    let mut out =
        vec![("facility".to_string(), text(g), category.1.clone()), ("category".to_string(), text(category.0), category.1.clone())];
    for (item, col, zh, en, unit) in [
        (GENERATION, "generation_mwh", "发电量", "Generation", "MWh"),
        (HEAT_SUPPLIED, "heat_supplied_gj", "供热量", "Heat supplied", "GJ"),
    ] {
        let months = upto_months(data.get(g, "", item, year), upto);
        if months.is_empty() {
            continue;
        }
        let cells: Vec<String> = months.iter().map(|(_, c)| c.at.clone()).collect();
        let total: Decimal = months.iter().map(|(_, c)| c.value).sum();
        let used: Vec<u32> = months.iter().map(|(m, _)| *m).collect();
        let fac = factor(data, g, "", item, year, as_of, &used);
        let prov = provenance([(zh, en, months.iter().map(|(_, c)| c).collect())]);
        let s = ev.out.step(
            Step {
                clause: "核算指南 生产数据 / accounting guideline, production data",
                zh: &format!("{g} {zh} = Σ 各月{}", prov.0),
                en: &format!("{g} {en} = Σ months{}", prov.1),
                parameters: &[],
                inputs: cells,
            },
            num(total),
            Some(unit),
        );
        let (v, src) = forecast_step(ev, (zh, en), total, Output::ref_step(s), &fac, Some(unit), notes, g);
        out.push((col.to_string(), num(v), src));
    }
    // Load factor: the year's stated value, else the months weighted by running hours (else by generation).
    let stated = data.annual.iter().find(|(gg, ff, i, ..)| gg == g && ff.is_empty() && i == LOAD_FACTOR);
    let lf = upto_months(data.get(g, "", LOAD_FACTOR, year), upto);
    if let (Some((.., v, _, at)), AsOf::Year) = (stated, as_of) {
        out.push(("load_factor".into(), num(*v), at.clone()));
    } else if !lf.is_empty() {
        let hours = data.get(g, "", RUNNING_HOURS, year);
        let generation = data.get(g, "", GENERATION, year);
        let (weights, by) = if lf.iter().all(|(m, _)| hours.is_some_and(|h| h.contains_key(m))) {
            (hours, ("运行小时数", "running hours"))
        } else {
            (generation, ("发电量", "generation"))
        };
        let mut numer = Decimal::ZERO;
        let mut denom = Decimal::ZERO;
        let mut cells = Vec::new();
        for (m, c) in &lf {
            if let Some(w) = weights.and_then(|w| w.get(m)) {
                numer += c.value * w.value;
                denom += w.value;
                cells.extend([c.at.clone(), w.at.clone()]);
            }
        }
        if !denom.is_zero() {
            let v = numer / denom;
            let prov = provenance([("负荷（出力）系数", "load factor", lf.iter().map(|(_, c)| c).collect())]);
            let s = ev.out.step(
                Step {
                    clause: "负荷（出力）系数 = 发电量 /（额定功率 × 运行小时数）：各月按运行小时数加权 / load factor, the months weighted by running hours",
                    zh: &format!("{g} 负荷（出力）系数 = Σ 各月负荷系数 × {} / Σ {}{}", by.0, by.0, prov.0),
                    en: &format!("{g} load factor = Σ monthly load factor × {} / Σ {}{}", by.1, by.1, prov.1),
                    parameters: &[],
                    inputs: cells,
                },
                num(v),
                None,
            );
            out.push(("load_factor".into(), num(v), Output::ref_step(s)));
        }
    }
    out
}

// ---- provenance -----------------------------------------------------------------

/// The value modes, data sources and evidence of the months used, for a
/// step's description: "消耗量：获取方式 实测值；数据来源 …；支撑材料 …".
fn provenance<'a>(parts: impl IntoIterator<Item = (&'a str, &'a str, Vec<&'a Cellv>)>) -> (String, String) {
    let mut zh = Vec::new();
    let mut en = Vec::new();
    for (name_zh, name_en, cells) in parts {
        let distinct = |f: &dyn Fn(&Cellv) -> Option<&String>| {
            let mut v: Vec<&str> = Vec::new();
            for c in &cells {
                if let Some(x) = f(c).map(String::as_str).filter(|x| !x.is_empty())
                    && !v.contains(&x)
                {
                    v.push(x);
                }
            }
            v.join("、")
        };
        let (mode, source, evidence) =
            (distinct(&|c| c.mode.as_ref()), distinct(&|c| c.source.as_ref()), distinct(&|c| c.evidence.as_ref()));
        if mode.is_empty() && source.is_empty() && evidence.is_empty() {
            continue;
        }
        let or_none = |s: &str| {
            if s.is_empty() { "—".to_string() } else { s.to_string() }
        };
        zh.push(format!("{name_zh}：获取方式 {}；数据来源 {}；支撑材料 {}", or_none(&mode), or_none(&source), or_none(&evidence)));
        en.push(format!("{name_en}: value mode {}; data source {}; evidence {}", or_none(&mode), or_none(&source), or_none(&evidence)));
    }
    if zh.is_empty() {
        return (String::new(), String::new());
    }
    (format!("（{}）", zh.join("。")), format!(" ({})", en.join(". ")))
}

fn cells_of(m: &BTreeMap<u32, Cellv>) -> Vec<&Cellv> {
    m.values().collect()
}

/// Every month's value used, with its value mode, data source, evidence and cell.
fn monthly_table(data: &Data, year: u16, upto: u32) -> lvyue_sdk::ResultTable {
    let col = |key: &str, zh: &str, en: &str| lvyue_sdk::ResultColumn { key: key.into(), name: t(zh, en), unit: None };
    let mut rows = Vec::new();
    for ((g, f, item), years) in &data.months {
        for (y, months) in years {
            for (m, c) in months.range(..=if *y == year { upto } else { 12 }) {
                let opt = |s: &Option<String>| s.as_deref().map(text).unwrap_or(Value::Empty);
                rows.push(vec![
                    text(g.as_str()),
                    text(f.as_str()),
                    text(item.as_str()),
                    num(Decimal::from(*y)),
                    num(Decimal::from(*m)),
                    num(c.value),
                    opt(&c.unit),
                    opt(&c.mode),
                    opt(&c.source),
                    opt(&c.evidence),
                    text(c.at.as_str()),
                ]);
            }
        }
    }
    lvyue_sdk::ResultTable {
        key: "monthly_parameters".into(),
        name: t("月度参数（所用数值）", "Monthly parameters used"),
        columns: vec![
            col("group", "机组或设施", "Unit or facility"),
            col("fuel", "燃料品种", "Fuel"),
            col("item", "信息项", "Item"),
            col("year", "年度", "Year"),
            col("month", "月份", "Month"),
            col("value", "数值", "Value"),
            col("unit", "单位", "Unit"),
            col("value_mode", "获取方式", "Value mode"),
            col("data_source", "数据来源", "Data source"),
            col("evidence", "支撑材料", "Evidence"),
            col("cell", "单元格", "Cell"),
        ],
        rows: rows.into(),
        charts: vec![],
    }
}

// ---- checks ---------------------------------------------------------------------

/// `全年` against what the months give (filled in by the host as `months_value`).
fn check_annual(ev: &mut Eval, data: &Data) {
    for (g, f, item, stated, months, at) in &data.annual {
        let dp = places(*stated).min(ANNUAL_CHECK_MAX_PLACES);
        let tolerance = Decimal::new(5, dp + 1);
        if (*stated - *months).abs() <= tolerance {
            continue;
        }
        let what = [g.as_str(), f.as_str()].iter().filter(|s| !s.is_empty()).copied().collect::<Vec<_>>().join(" ");
        let (zh, en) = if item == NCV {
            (
                format!("{what}：全年低位发热量 {stated} 不是各月按消耗量加权的平均值 {}（核算指南 6.2.2.4）", fmt_dec(months.round_dp(6))),
                format!(
                    "{what}: the annual net calorific value {stated} is not the consumption-weighted mean of the months, {} (guideline 6.2.2.4)",
                    fmt_dec(months.round_dp(6))
                ),
            )
        } else {
            (
                format!("{what}：「{item}」全年值 {stated} 与各月得出的 {} 不符", fmt_dec(months.round_dp(6))),
                format!("{what}: the year's {item} of {stated} differs from the {} the months give", fmt_dec(months.round_dp(6))),
            )
        };
        ev.finding("ANNUAL_MISMATCH", t(&zh, &en), vec![at.clone()]);
    }
}

/// NCV (and carbon content) value modes: one mode a year, never back to a default.
fn check_modes(ev: &mut Eval, data: &Data, year: u16, upto: u32) {
    for ((g, f, item), ys) in &data.months {
        if item != NCV && item != CARBON_CONTENT && item != CARBON_AR {
            continue;
        }
        let Some(ms) = ys.get(&year) else { continue };
        let modes: Vec<(u32, &str, &str)> =
            ms.range(..=upto).filter_map(|(m, c)| c.mode.as_deref().map(|x| (*m, x, c.mode_at.as_str()))).collect();
        let name = if item == NCV { ("低位发热量", "net calorific value") } else { ("含碳量", "carbon content") };
        let first_measured = modes.iter().find(|(_, x, _)| *x == MEASURED).map(|(m, ..)| *m);
        let reverted: Vec<&(u32, &str, &str)> =
            modes.iter().filter(|(m, x, _)| *x == DEFAULT_MODE && first_measured.is_some_and(|fm| *m > fm)).collect();
        if !reverted.is_empty() {
            let months: Vec<u32> = reverted.iter().map(|(m, ..)| *m).collect();
            ev.finding(
                "MEASURED_REVERTS_TO_DEFAULT",
                t(
                    &format!("{g} {f}：{}自{}月起为实测值，{}又改为缺省值；实测后不得改用缺省值（核算指南 6.2.2.2）", name.0, first_measured.unwrap_or(0), list_months(&months)),
                    &format!("{g} {f}: the {} is measured from month {}, then a default in month(s) {}; a measured value may not revert to a default (guideline 6.2.2.2)", name.1, first_measured.unwrap_or(0), list_months_en(&months)),
                ),
                reverted.iter().map(|(.., at)| at.to_string()).collect(),
            );
            continue;
        }
        let distinct: BTreeSet<&str> = modes.iter().map(|(_, x, _)| *x).collect();
        if distinct.len() > 1 && item == NCV {
            ev.finding(
                "NCV_MODE_CHANGED",
                t(
                    &format!("{g} {f}：低位发热量的获取方式在年内改变（{}）；同一燃料一年内应采用同一种获取方式（核算指南 6.2.2.2）", distinct.iter().copied().collect::<Vec<_>>().join("、")),
                    &format!("{g} {f}: the net calorific value's mode changes during the year ({}); one mode per fuel and year (guideline 6.2.2.2)", distinct.iter().copied().collect::<Vec<_>>().join(", ")),
                ),
                modes.iter().map(|(.., at)| at.to_string()).collect(),
            );
        }
    }
}

/// Months without the consumption (per unit and fuel) or generation (per unit).
fn check_missing_months(ev: &mut Eval, data: &Data, year: u16, upto: u32) {
    for ((g, f, item), ys) in &data.months {
        if item != CONSUMPTION && item != GENERATION {
            continue;
        }
        let Some(ms) = ys.get(&year) else { continue };
        let missing: Vec<u32> = (1..=upto).filter(|m| !ms.contains_key(m)).collect();
        if missing.is_empty() {
            continue;
        }
        let what = if item == CONSUMPTION { ("消耗量", "consumption") } else { ("发电量", "generation") };
        ev.finding(
            "MONTH_MISSING",
            t(
                &format!("{g} {f}：{}缺少{}（不运行的月份请填0）", list_months(&missing), what.0),
                &format!("{g} {f}: no {} for month(s) {} (write 0 for a month without operation)", what.1, list_months_en(&missing)),
            ),
            ms.values().take(1).map(|c| c.at.clone()).collect(),
        );
    }
}

/// Months up to the as-of month whose upload deadline has passed without data.
fn check_overdue(ev: &mut Eval, data: &Data, year: u16, upto: u32) -> Result<(), EvaluationError> {
    if !ev.has(P_EVIDENCE_DAYS) {
        return Ok(());
    }
    let n = ev.num(P_EVIDENCE_DAYS)?;
    let Ok(days) = fmt_dec(n).parse::<i64>() else {
        return Err(EvaluationError::MissingParameter(format!("{P_EVIDENCE_DAYS} (expected a whole number of days, found {n})")));
    };
    let effective = ev.ctx.parameter(P_EVIDENCE_DAYS).ok().and_then(|p| ordinal_of(&p.effective)).unwrap_or(i64::MIN);
    let as_of_day = month_end(year, upto);
    let series: Vec<(&String, &String)> = data
        .months
        .iter()
        .filter(|((_, _, i), ys)| (i == CONSUMPTION || i == GENERATION) && ys.contains_key(&year))
        .map(|((g, f, _), _)| (g, f))
        .collect();
    let mut late: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    for m in 1..=upto {
        let due = month_end(year, m) + days;
        if due >= as_of_day || due < effective {
            continue;
        }
        for (g, f) in &series {
            let has = [CONSUMPTION, GENERATION].iter().any(|i| data.get(g, f, i, year).is_some_and(|ms| ms.contains_key(&m)));
            if !has {
                late.entry(m).or_default().push(format!("{g} {f}").trim().to_string());
            }
        }
    }
    for (m, what) in late {
        let due = date_of(month_end(year, m) + days);
        ev.finding(
            "MONTH_OVERDUE",
            t(
                &format!("{year}年{m}月的数据（{}）未上传，已超过月后 {days} 日的期限（{due}）", what.join("、")),
                &format!("{year}-{m:02} data ({}) not uploaded, past the deadline of {days} days after month end ({due})", what.join(", ")),
            ),
            vec![P_EVIDENCE_DAYS.to_string()],
        );
    }
    Ok(())
}

// ---- the finish -----------------------------------------------------------------

/// Metrics that are no forecast (user-supplied or dated), kept unlabelled.
const NOT_FORECAST: &[&str] = &["carbon_price_cny", "surrender_deadline", "allowances_held_t", "offsets_eligible_t", "carry_over_limit_t"];

/// After the annual steps: the shortfall's cost, and in a forecast every
/// metric and table labelled as a forecast.
pub fn finish(
    ctx: &lvyue_sdk::Context,
    evaluation: &mut Evaluation,
    forecast: Option<&(u32, String, String)>,
) -> Result<(), EvaluationError> {
    shortfall_cost(ctx, evaluation)?;
    let Some((m, _, _)) = forecast else {
        return Ok(());
    };
    let year = ctx.year();
    for metric in evaluation.metrics.iter_mut().filter(|x| !NOT_FORECAST.contains(&x.key.as_str())) {
        metric.label.zh = format!("{}（预测，截至{year}年{m}月）", metric.label.zh);
        metric.label.en = format!("{} (forecast, as of {year}-{m:02})", metric.label.en);
    }
    // The months used are actual values, not a forecast.
    for table in evaluation.tables.iter_mut().filter(|t| t.key != "monthly_parameters") {
        table.name.zh = format!("{}（预测）", table.name.zh);
        table.name.en = format!("{} (forecast)", table.name.en);
    }
    Ok(())
}

/// `shortfall_cost_cny` = shortfall × carbon price, when both are known.
fn shortfall_cost(ctx: &lvyue_sdk::Context, evaluation: &mut Evaluation) -> Result<(), EvaluationError> {
    let find = |k: &str| {
        evaluation.metrics.iter().find(|x| x.key == k).and_then(|x| match &x.value {
            Value::Number(n) => dec(n).map(|d| (d, x.trace_step)),
            _ => None,
        })
    };
    let (Some((short, s_short)), Some((price, s_price))) = (find("shortfall_t"), find("carbon_price_cny")) else {
        return Ok(());
    };
    let rule = lvyue_sdk::rounding::Rule::read(ctx, R_MONEY)?;
    let raw = short * price;
    let value = rule.apply(raw);
    let inputs = [s_short, s_price].iter().flatten().map(|s| Output::ref_step(*s)).collect();
    let (zh, en) = rule.describe();
    evaluation.trace.push(TraceStep {
        clause: "缺口 × 碳价（用户提供）/ shortfall × carbon price (user-supplied)".into(),
        description: t(
            &format!("购买缺口的成本 = 缺口 × 碳价，{zh}"),
            &format!("Cost of buying the shortfall = shortfall × carbon price, {en}"),
        ),
        parameters: rule.parameters().iter().map(|s| s.to_string()).collect(),
        inputs,
        value: num(value),
        unit: Some("CNY".into()),
    });
    let step = (evaluation.trace.len() - 1) as u32;
    let (_, unit, zh, en) =
        METRICS.iter().find(|x| x.0 == "shortfall_cost_cny").copied().unwrap_or(("", "CNY", "缺口购买成本", "Cost of the shortfall"));
    evaluation.metrics.push(Metric {
        key: "shortfall_cost_cny".into(),
        value: num(value),
        unit: unit.into(),
        label: t(zh, en),
        trace_step: Some(step),
        formula: (value == raw).then(|| "shortfall_t * carbon_price_cny".to_string()),
    });
    Ok(())
}
