//! What a batch evaluates: one item per entity and year, from a folder with one
//! subfolder per entity or from a manifest (CSV or workbook). Listing reads only
//! folder names, the small `entity.toml` files and the manifest, never the workbooks.
//!
//! A subfolder holds either a request file (`*.toml` other than `entity.toml`, or
//! `*.json`) or an inventory workbook (its name contains `inventory` or `清单`) and
//! optionally a portfolio workbook (`portfolio`, `持仓` or `账户`). An optional
//! `entity.toml` names the jurisdiction(s), the year, the files and the options:
//!
//! ```toml
//! jurisdiction = ["cn-ets", "cn-guangdong"]   # or one string
//! year = 2024
//! inventory = "排放报告.xlsx"                   # optional: found by name otherwise
//! portfolio = "账户.xlsx"
//! surrendered = true                           # optional: as --surrendered, for this entity
//! [options]
//! carbon_price_cny = "92.5"
//! ```
//!
//! What `entity.toml` leaves out comes from `lvyue batch --jurisdiction/--year/--option`.
//!
//! A manifest has a header row with the columns `entity`, `jurisdiction` (several
//! separated by `,` `;` or `、`), `year`, `inventory`, `portfolio`, `request` and
//! `options` (`key=value` pairs separated by `;`) and `surrendered` (yes/no: the
//! surrender plan has been carried out, as `--surrendered` for this entity);
//! Chinese headers 主体, 市场, 年度, 排放清单, 持仓, 请求文件, 选项, 已清缴 are read
//! too. Paths are relative to the manifest.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::job::JobInput;

/// Defaults for entities whose folder or manifest row leaves something out.
#[derive(Debug, Clone, Default)]
pub struct Defaults {
    pub jurisdictions: Vec<String>,
    pub year: Option<u16>,
    pub options: Vec<(String, String)>,
}

/// One entity-year to evaluate.
#[derive(Debug, Clone)]
pub struct Item {
    /// Position in the folder listing or the manifest (the summary keeps this order).
    pub index: usize,
    pub entity: String,
    /// The year, or the request file's name when the year is inside the request.
    pub label: String,
    /// What to evaluate, or why the entity cannot be evaluated.
    pub input: Result<JobInput, String>,
    /// Whether this entity's surrender plan has been carried out (`surrendered`
    /// in entity.toml or the manifest); `None`: as `lvyue batch --surrendered` says.
    pub surrendered: Option<bool>,
}

const WORKBOOK_EXTENSIONS: [&str; 4] = ["xlsx", "xlsm", "xls", "ods"];

fn has_ext(p: &Path, exts: &[&str]) -> bool {
    p.extension().and_then(|e| e.to_str()).is_some_and(|e| exts.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

fn name_of(p: &Path) -> String {
    p.file_name().map(|n| n.to_string_lossy().to_lowercase()).unwrap_or_default()
}

/// The items of a folder with one subfolder per entity (sorted by name).
pub fn from_dir(dir: &Path, defaults: &Defaults) -> Result<Vec<Item>, String> {
    let mut subdirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir() && !name_of(p).starts_with('.'))
        .collect();
    subdirs.sort();
    let mut items = Vec::with_capacity(subdirs.len());
    for (index, sub) in subdirs.iter().enumerate() {
        let entity = sub.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let (label, input, surrendered) = match entity_input(sub, defaults) {
            Ok((label, input, surrendered)) => (label, Ok(input), surrendered),
            Err(e) => (defaults.year.map(|y| y.to_string()).unwrap_or_else(|| "report".into()), Err(e), None),
        };
        items.push(Item { index, entity, label, input, surrendered });
    }
    Ok(dedup(items))
}

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct EntityToml {
    #[serde(default)]
    jurisdiction: Option<OneOrMany>,
    year: Option<u16>,
    inventory: Option<PathBuf>,
    portfolio: Option<PathBuf>,
    request: Option<PathBuf>,
    surrendered: Option<bool>,
    #[serde(default)]
    options: toml::Table,
}

#[derive(serde::Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

fn entity_input(sub: &Path, defaults: &Defaults) -> Result<(String, JobInput, Option<bool>), String> {
    let toml_path = sub.join("entity.toml");
    let spec: EntityToml = if toml_path.is_file() {
        let text = std::fs::read_to_string(&toml_path).map_err(|e| format!("{}: {e}", toml_path.display()))?;
        toml::from_str(&text).map_err(|e| format!("{}: {e}", toml_path.display()))?
    } else {
        EntityToml::default()
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(sub)
        .map_err(|e| format!("{}: {e}", sub.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && !name_of(p).starts_with('.') && !name_of(p).starts_with("~$"))
        .collect();
    files.sort();
    let mut options = defaults.options.clone();
    for (k, v) in &spec.options {
        let v = match v {
            toml::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        options.retain(|(ok, _)| ok != k);
        options.push((k.clone(), v));
    }
    let requests: Vec<&PathBuf> =
        files.iter().filter(|p| (has_ext(p, &["toml"]) && name_of(p) != "entity.toml") || has_ext(p, &["json"])).collect();
    let request = spec.request.map(|r| sub.join(r)).or_else(|| match (requests.as_slice(), &spec.inventory) {
        ([one], None) => Some((*one).clone()),
        _ => None,
    });
    if let Some(request) = request {
        let label = request.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "report".into());
        return Ok((label, JobInput { request: Some(request), options, ..JobInput::default() }, spec.surrendered));
    }
    if requests.len() > 1 && spec.inventory.is_none() {
        return Err(format!("{}: several request files; name one with `request = \"…\"` in entity.toml", sub.display()));
    }
    let pick = |words: &[&str], what: &str| -> Result<Option<PathBuf>, String> {
        let found: Vec<&PathBuf> =
            files.iter().filter(|p| has_ext(p, &WORKBOOK_EXTENSIONS) && words.iter().any(|w| name_of(p).contains(w))).collect();
        match found.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some((*one).clone())),
            _ => Err(format!("{}: several {what} workbooks; name one in entity.toml", sub.display())),
        }
    };
    let inventory = match spec.inventory {
        Some(p) => sub.join(p),
        None => pick(&["inventory", "清单"], "inventory")?.ok_or_else(|| {
            format!("{}: no inventory workbook (a name containing `inventory` or `清单`) and no request file", sub.display())
        })?,
    };
    let portfolio = match spec.portfolio {
        Some(p) => Some(sub.join(p)),
        None => pick(&["portfolio", "持仓", "账户"], "portfolio")?,
    };
    let jurisdictions = match spec.jurisdiction {
        Some(OneOrMany::One(j)) => split_list(&j),
        Some(OneOrMany::Many(js)) => js,
        None => defaults.jurisdictions.clone(),
    };
    if jurisdictions.is_empty() {
        return Err(format!("{}: no jurisdiction (entity.toml `jurisdiction`, or --jurisdiction)", sub.display()));
    }
    let year = spec.year.or(defaults.year).ok_or_else(|| format!("{}: no year (entity.toml `year`, or --year)", sub.display()))?;
    Ok((
        year.to_string(),
        JobInput { jurisdictions, year: Some(year), inventory: Some(inventory), portfolio, request: None, options },
        spec.surrendered,
    ))
}

/// A yes/no cell of a manifest (`yes`, `true`, `1`, `是`, `已清缴`; `no`, `false`, `0`, `否`, `未清缴`).
fn yes_no(text: &str) -> Option<bool> {
    match text.trim().to_lowercase().as_str() {
        "yes" | "y" | "true" | "1" | "是" | "已清缴" => Some(true),
        "no" | "n" | "false" | "0" | "否" | "未清缴" => Some(false),
        _ => None,
    }
}

fn split_list(s: &str) -> Vec<String> {
    s.split([',', ';', '、', '，', '；']).map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect()
}

/// `key=value;key=value`.
fn parse_options(s: &str) -> Result<Vec<(String, String)>, String> {
    s.split([';', '；'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.trim().to_string())),
            _ => Err(format!("option `{p}`: expected key=value")),
        })
        .collect()
}

/// The items of a manifest (CSV, or the first sheet of a workbook).
pub fn from_manifest(path: &Path, defaults: &Defaults) -> Result<Vec<Item>, String> {
    let rows = if has_ext(path, &WORKBOOK_EXTENSIONS) { read_workbook(path)? } else { read_csv(path)? };
    let base = path.parent().unwrap_or(Path::new("."));
    let mut it = rows.into_iter();
    let header = it.next().ok_or_else(|| format!("{}: empty manifest", path.display()))?;
    let col = |names: &[&str]| header.iter().position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)));
    let c_entity = col(&["entity", "主体", "企业"]).ok_or_else(|| format!("{}: no `entity` column in the header", path.display()))?;
    let c_jur = col(&["jurisdiction", "jurisdictions", "市场", "管辖"]);
    let c_year = col(&["year", "年度"]);
    let c_inv = col(&["inventory", "排放清单", "清单"]);
    let c_port = col(&["portfolio", "持仓", "账户"]);
    let c_req = col(&["request", "请求文件"]);
    let c_opt = col(&["options", "选项"]);
    let c_surrendered = col(&["surrendered", "已清缴"]);
    let mut items = Vec::new();
    for (n, row) in it.enumerate() {
        let get = |c: Option<usize>| c.and_then(|c| row.get(c)).map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let line = n + 2;
        let entity = get(Some(c_entity)).unwrap_or_else(|| format!("(row {line})"));
        let year_text = get(c_year);
        let surrendered = get(c_surrendered).map(|s| yes_no(&s).ok_or(s));
        let input = (|| -> Result<(String, JobInput), String> {
            if let Some(Err(s)) = &surrendered {
                return Err(format!("manifest row {line}: surrendered `{s}` is not yes or no"));
            }
            let mut options = defaults.options.clone();
            for (k, v) in parse_options(&get(c_opt).unwrap_or_default())? {
                options.retain(|(ok, _)| *ok != k);
                options.push((k, v));
            }
            if get(Some(c_entity)).is_none() {
                return Err(format!("manifest row {line}: no entity"));
            }
            if let Some(req) = get(c_req) {
                let req = base.join(req);
                let label = req.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "report".into());
                return Ok((label, JobInput { request: Some(req), options, ..JobInput::default() }));
            }
            let year = match &year_text {
                Some(y) => {
                    Some(y.trim_end_matches(".0").parse::<u16>().map_err(|_| format!("manifest row {line}: year `{y}` is not a year"))?)
                }
                None => defaults.year,
            }
            .ok_or_else(|| format!("manifest row {line}: no year"))?;
            let jurisdictions = get(c_jur).map(|j| split_list(&j)).unwrap_or_else(|| defaults.jurisdictions.clone());
            if jurisdictions.is_empty() {
                return Err(format!("manifest row {line}: no jurisdiction"));
            }
            let inventory =
                get(c_inv).map(|p| base.join(p)).ok_or_else(|| format!("manifest row {line}: no inventory (or request) file"))?;
            let portfolio = get(c_port).map(|p| base.join(p));
            Ok((
                year.to_string(),
                JobInput { jurisdictions, year: Some(year), inventory: Some(inventory), portfolio, request: None, options },
            ))
        })();
        let (label, input) = match input {
            Ok((label, input)) => (label, Ok(input)),
            Err(e) => (year_text.unwrap_or_else(|| "report".into()), Err(e)),
        };
        items.push(Item { index: items.len(), entity, label, input, surrendered: surrendered.and_then(Result::ok) });
    }
    Ok(dedup(items))
}

/// A second item whose outputs would land on the first's files fails: the same
/// entity and label, or names that differ only in characters a file name cannot
/// hold (`甲/乙` and `甲_乙`) or in case (the same file on Windows and macOS).
fn dedup(mut items: Vec<Item>) -> Vec<Item> {
    let mut seen: HashMap<(String, String), String> = HashMap::new();
    for item in &mut items {
        let key = (super::safe_name(&item.entity).to_lowercase(), super::safe_name(&item.label).to_lowercase());
        match seen.get(&key) {
            Some(first) if *first == item.entity => {
                item.input = Err(format!("{} {} is listed twice; only the first is evaluated", item.entity, item.label))
            }
            Some(first) => {
                item.input = Err(format!(
                    "{} {}: its outputs would overwrite those of `{first}` (the names differ only in case or in characters a file name cannot hold); rename one",
                    item.entity, item.label
                ))
            }
            None => {
                seen.insert(key, item.entity.clone());
            }
        }
    }
    items
}

fn read_workbook(path: &Path) -> Result<Vec<Vec<String>>, String> {
    use calamine::Reader;
    let mut wb = calamine::open_workbook_auto(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let first = wb.sheet_names().first().cloned().ok_or_else(|| format!("{}: no sheet", path.display()))?;
    let range = wb.worksheet_range(&first).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(range.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect())
}

/// RFC 4180 CSV (quoted fields, doubled quotes, CRLF or LF), with or without a BOM.
pub(crate) fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

fn read_csv(path: &Path) -> Result<Vec<Vec<String>>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(parse_csv(&text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields() {
        let rows = parse_csv("\u{feff}entity,options\r\n\"甲, 公司\",\"a=1;b=\"\"x\"\"\"\nB,\n");
        assert_eq!(rows, vec![vec!["entity", "options"], vec!["甲, 公司", "a=1;b=\"x\""], vec!["B", ""]]);
    }

    #[test]
    fn manifest_rows() {
        let dir = tempfile::tempdir().unwrap();
        let m = dir.path().join("m.csv");
        std::fs::write(
            &m,
            "主体,市场,年度,排放清单,持仓,选项\n甲,cn-ets,2024,a/inv.xlsx,a/port.xlsx,carbon_price_cny=90; sector=power\n乙,\"cn-ets、cn-guangdong\",2024,b.xlsx,,\n甲,cn-ets,2024,c.xlsx,,\n丙,cn-ets,twenty,d.xlsx,,\n,,,,,\n",
        )
        .unwrap();
        let items = from_manifest(&m, &Defaults::default()).unwrap();
        assert_eq!(items.len(), 4);
        let a = items[0].input.as_ref().unwrap();
        assert_eq!(a.jurisdictions, ["cn-ets"]);
        assert_eq!(a.inventory.as_deref(), Some(dir.path().join("a/inv.xlsx").as_path()));
        assert_eq!(a.options, [("carbon_price_cny".to_string(), "90".to_string()), ("sector".into(), "power".into())]);
        assert_eq!(items[1].input.as_ref().unwrap().jurisdictions, ["cn-ets", "cn-guangdong"]);
        assert!(items[2].input.as_ref().unwrap_err().contains("listed twice"));
        assert!(items[3].input.as_ref().unwrap_err().contains("not a year"));
    }

    #[test]
    fn surrendered_per_entity() {
        let dir = tempfile::tempdir().unwrap();
        let m = dir.path().join("m.csv");
        std::fs::write(&m, "主体,市场,年度,排放清单,已清缴\n甲,cn-ets,2024,a.xlsx,是\n乙,cn-ets,2024,b.xlsx,no\n丙,cn-ets,2024,c.xlsx,\n丁,cn-ets,2024,d.xlsx,maybe\n").unwrap();
        let items = from_manifest(&m, &Defaults::default()).unwrap();
        assert_eq!(items.iter().map(|i| i.surrendered).collect::<Vec<_>>(), [Some(true), Some(false), None, None]);
        assert!(items[3].input.as_ref().unwrap_err().contains("`maybe` is not yes or no"));
        let e = dir.path().join("e");
        std::fs::create_dir_all(&e).unwrap();
        std::fs::write(e.join("entity.toml"), "jurisdiction = \"cn-ets\"\nyear = 2024\nsurrendered = true\n").unwrap();
        std::fs::write(e.join("inventory.xlsx"), "").unwrap();
        let items = from_dir(dir.path(), &Defaults::default()).unwrap();
        assert_eq!(items.iter().find(|i| i.entity == "e").unwrap().surrendered, Some(true));
    }

    #[test]
    fn entities_whose_files_would_collide_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let m = dir.path().join("m.csv");
        std::fs::write(&m, "entity,jurisdiction,year,inventory\n甲/乙,cn-ets,2024,a.xlsx\n甲_乙,cn-ets,2024,b.xlsx\nAcme,cn-ets,2024,c.xlsx\nACME,cn-ets,2024,d.xlsx\nAcme,cn-ets,2023,e.xlsx\n").unwrap();
        let items = from_manifest(&m, &Defaults::default()).unwrap();
        assert!(items[0].input.is_ok() && items[2].input.is_ok() && items[4].input.is_ok());
        for (i, first) in [(1, "甲/乙"), (3, "Acme")] {
            let e = items[i].input.as_ref().unwrap_err();
            assert!(e.contains("would overwrite") && e.contains(first), "{e}");
        }
    }

    #[test]
    fn entity_folders() {
        let dir = tempfile::tempdir().unwrap();
        let mk = |p: &str, body: &str| {
            let p = dir.path().join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, body).unwrap();
        };
        mk("a/2024 inventory.xlsx", "");
        mk("a/portfolio.xlsx", "");
        mk("b/entity.toml", "jurisdiction = \"cn-ets, cn-hubei\"\nyear = 2023\ninventory = \"x.xlsx\"\n[options]\nprice = 90\n");
        mk("c/req.toml", "");
        mk("d/notes.txt", "");
        mk(".hidden/inventory.xlsx", "");
        let defaults = Defaults { jurisdictions: vec!["cn-ets".into()], year: Some(2024), options: vec![] };
        let items = from_dir(dir.path(), &defaults).unwrap();
        assert_eq!(
            items.iter().map(|i| (i.entity.as_str(), i.label.as_str())).collect::<Vec<_>>(),
            [("a", "2024"), ("b", "2023"), ("c", "req"), ("d", "2024")]
        );
        let a = items[0].input.as_ref().unwrap();
        assert!(
            a.inventory.as_ref().unwrap().ends_with("2024 inventory.xlsx") && a.portfolio.as_ref().unwrap().ends_with("portfolio.xlsx")
        );
        let b = items[1].input.as_ref().unwrap();
        assert_eq!(
            (b.jurisdictions.clone(), b.options.clone()),
            (vec!["cn-ets".to_string(), "cn-hubei".into()], vec![("price".to_string(), "90".to_string())])
        );
        assert!(items[2].input.as_ref().unwrap().request.is_some());
        assert!(items[3].input.as_ref().unwrap_err().contains("no inventory workbook"));
    }
}
