//! Header and label text of the official forms: footnote markers, lettered
//! formula headers, numbering, units in brackets, month and quarter headers,
//! "not applicable" marks, and the words that name each column's role.

use super::Item;

/// Column roles a layout may add header names for (`headers.<role>`).
pub(crate) const ROLES: &[&str] =
    &["label", "unit", "value_mode", "metered", "data_source", "evidence", "group", "fuel", "annual", "value", "ignore"];

/// The header names each role has in the official forms and the platform's
/// exports (Chinese and English), before a layout's own additions.
pub(crate) fn default_headers(role: &str) -> &'static [&'static str] {
    match role {
        "label" => &[
            "信息项",
            "项目",
            "参数",
            "参数名称",
            "指标",
            "指标名称",
            "数据项",
            "补充数据",
            "名称",
            "Item",
            "Parameter",
            "Information item",
        ],
        "unit" => &["单位", "计量单位", "Unit", "Units"],
        "value_mode" => &["获取方式", "数据获取方式", "取值方式", "获取方法", "Value mode", "How obtained"],
        "metered" => &["是否配备直接计量器具", "是否配备计量器具", "直接计量器具", "Metered", "Direct meter"],
        "data_source" => &["数据来源", "来源", "Data source", "Source"],
        "evidence" => &["支撑材料", "证明材料", "佐证材料", "支持材料", "Evidence", "Supporting documents"],
        "group" => {
            &["机组", "机组名称", "机组编号", "设施", "设施名称", "工序", "工序名称", "生产线", "Generating unit", "Facility", "Process"]
        }
        "fuel" => &["燃料品种", "燃料种类", "燃料名称", "燃料类型", "燃料", "Fuel"],
        "annual" => &["全年", "全年合计", "全年累计", "年度", "年度合计", "年合计", "合计", "总计", "Annual", "Year", "Total", "Full year"],
        "value" => &["填报内容", "填报值", "数值", "内容", "值", "Value", "Content"],
        "ignore" => {
            &["序号", "编号", "No.", "No", "符号", "公式", "计算公式", "计算方法或填写要求", "备注", "说明", "Notes", "Remarks", "Formula"]
        }
        _ => &[],
    }
}

/// "Not applicable" marks of the forms: blank by design, not an error.
pub(crate) fn not_applicable(s: &str) -> bool {
    let t: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    matches!(t.as_str(), "--" | "-" | "—" | "——" | "–" | "－" | "－－" | "/" | "／" | "\\" | "不适用" | "N/A" | "n/a" | "NA" | "无")
}

/// Drops footnote markers (`信息项*1*2`, `企业名称*1`, `¹`).
fn without_footnotes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if matches!(c, '*' | '＊') && chars.peek().is_some_and(|d| d.is_ascii_digit()) {
            while chars.peek().is_some_and(|d| d.is_ascii_digit()) {
                chars.next();
            }
            continue;
        }
        // A superscript after a word is a footnote (信息项¹); after a digit or a letter a power (10⁴Nm³).
        if matches!(c, '¹' | '²' | '³' | '⁴' | '⁵' | '⁶' | '⁷' | '⁸' | '⁹')
            && !out.chars().last().is_some_and(|p| p.is_ascii_alphanumeric())
        {
            continue;
        }
        out.push(c);
    }
    out
}

/// Drops a lettered formula prefix: `E(=C×D)燃料热量(GJ)` → `燃料热量(GJ)`,
/// `A序号` → `序号`, `H CO2与碳分子量比` → `CO2与碳分子量比`.
fn without_letter(s: &str) -> String {
    let t = s.trim();
    let mut chars = t.chars();
    let Some(first) = chars.next() else {
        return String::new();
    };
    if !first.is_ascii_uppercase() {
        return t.to_string();
    }
    let rest = chars.as_str();
    if let Some(after) = rest
        .strip_prefix("(=")
        .or_else(|| rest.strip_prefix("（="))
        .or_else(|| rest.strip_prefix("(＝"))
        .or_else(|| rest.strip_prefix("（＝"))
        && let Some(end) = after.find([')', '）'])
    {
        let close = after[end..].chars().next().map_or(1, char::len_utf8);
        return after[end + close..].trim().to_string();
    }
    match rest.chars().next() {
        Some(c) if is_cjk(c) => rest.to_string(),
        // "H CO2…": a letter, a space, then more than a word.
        Some(' ')
            if rest.trim_start().chars().next().is_some_and(|c| is_cjk(c) || c.is_ascii_uppercase())
                && rest.trim_start().chars().any(is_cjk) =>
        {
            rest.trim_start().to_string()
        }
        _ => t.to_string(),
    }
}

fn is_cjk(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c) || ('\u{3400}'..='\u{4DBF}').contains(&c)
}

/// Drops leading numbering: `1.`, `1、`, `(1)`, `（一）`, `①`, `一、`.
fn without_numbering(s: &str) -> String {
    let t = s.trim();
    let circled = |c: char| ('\u{2460}'..='\u{2473}').contains(&c);
    if let Some(c) = t.chars().next()
        && circled(c)
    {
        return t[c.len_utf8()..].trim().to_string();
    }
    for (open, close) in [('(', ')'), ('（', '）')] {
        if let Some(rest) = t.strip_prefix(open)
            && let Some(end) = rest.find(close)
        {
            let inner = &rest[..end];
            if !inner.is_empty() && inner.chars().all(|c| c.is_ascii_digit() || is_numeral(c)) {
                return rest[end + close.len_utf8()..].trim().to_string();
            }
        }
    }
    let digits: String = t.chars().take_while(|c| c.is_ascii_digit() || is_numeral(*c) || *c == '.').collect();
    if !digits.is_empty() {
        let rest = &t[digits.len()..];
        if let Some(r) = rest.strip_prefix(['、', '.', '．', ' ', ')', '）']) {
            return r.trim().to_string();
        }
        // "1.2 低位发热量": digits and dots then a space.
        if digits.ends_with('.') {
            return rest.trim().to_string();
        }
    }
    t.to_string()
}

fn is_numeral(c: char) -> bool {
    "一二三四五六七八九十".contains(c)
}

/// A header or label as written, with the forms' quirks removed and its
/// unit in brackets split off: (name, unit).
pub(crate) fn clean(s: &str) -> (String, Option<String>) {
    let joined: String = s.split(['\n', '\r']).map(str::trim).collect::<Vec<_>>().join("");
    let t = without_letter(&without_footnotes(&joined));
    let t = without_numbering(&t);
    let (name, unit) = split_unit(&t);
    (without_footnotes(&name).trim().to_string(), unit)
}

/// Splits a trailing unit in brackets: `低位发热量（GJ/t 或 GJ/10⁴Nm³）`.
/// Bracketed text that is no unit (`获取方式（实测值/计算值）`) stays with the name.
pub(crate) fn split_unit(s: &str) -> (String, Option<String>) {
    let (name, unit) = crate::input::workbook::split_unit(s);
    match unit {
        Some(u) if looks_like_unit(&u) => (name, Some(u)),
        Some(u) => (format!("{name}({u})"), None),
        None => (name, None),
    }
}

fn looks_like_unit(u: &str) -> bool {
    crate::input::units::alternatives(u).iter().all(|a| crate::input::units::canonical(a).is_some())
}

/// A label folded for comparison: cleaned, no spaces or punctuation, lower
/// case, without the particle 的.
pub(crate) fn fold_label(s: &str) -> String {
    let (name, _) = clean(s);
    name.chars().filter(|c| c.is_alphanumeric() && *c != '的').flat_map(char::to_lowercase).collect()
}

/// Whether a header names one of these (folded).
pub(crate) fn header_is(s: &str, names: &[&str]) -> bool {
    let f = fold_label(s);
    !f.is_empty() && names.iter().any(|n| fold_label(n) == f)
}

/// The month a header names: `1月`, `1\n月`, `一月`, `01月份`, `2024年1月`,
/// `Jan`, `January`, `2024-01`, `M1`. Returns (year if stated, month).
pub(crate) fn month_header(s: &str) -> Option<(Option<u16>, u32)> {
    let f: String = clean(s).0.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_lowercase();
    let (year, rest) = match f.find('年') {
        Some(i) if i == 4 && f[..4].chars().all(|c| c.is_ascii_digit()) => (f[..4].parse().ok(), &f[i + '年'.len_utf8()..]),
        _ => (None, f.as_str()),
    };
    let m = if let Some(n) = rest.strip_suffix("月份").or_else(|| rest.strip_suffix('月')) {
        numeral(n)
    } else if let Some((y, m)) = rest.split_once(['-', '/', '.']).filter(|(y, _)| y.len() == 4 && year.is_none()) {
        let m: u32 = m.parse().ok()?;
        return (1..=12).contains(&m).then(|| (y.parse().ok(), m));
    } else if let Some(n) = rest.strip_prefix('m') {
        n.parse().ok()
    } else {
        const EN: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
        let word = rest.trim_end_matches('.');
        EN.iter().position(|e| word == *e || (word.len() > 3 && word.starts_with(e) && full_month(word))).map(|i| i as u32 + 1)
    }?;
    (1..=12).contains(&m).then_some((year, m))
}

fn full_month(w: &str) -> bool {
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "sept", "october", "november", "december"]
        .contains(&w)
}

/// 1–12 from digits or Chinese numerals (一 … 十二).
fn numeral(s: &str) -> Option<u32> {
    if let Ok(n) = s.parse::<u32>() {
        return Some(n);
    }
    let d = |c: char| "一二三四五六七八九".find(c).map(|i| (i / '一'.len_utf8()) as u32 + 1);
    let cs: Vec<char> = s.chars().collect();
    match cs.as_slice() {
        ['十'] => Some(10),
        ['十', b] => Some(10 + d(*b)?),
        [a] => d(*a),
        [a, '十'] => Some(d(*a)? * 10),
        [a, '十', b] => Some(d(*a)? * 10 + d(*b)?),
        _ => None,
    }
}

/// The quarter a subtotal header names: `第一季度`, `一季度`, `1季度`, `Q1`,
/// `第1季度小计`.
pub(crate) fn quarter_header(s: &str) -> Option<u32> {
    let f = fold_label(s);
    let f = f.trim_end_matches("小计").trim_end_matches("合计").trim_end_matches("累计");
    let q = if let Some(n) = f.strip_prefix('q') {
        n.parse().ok()
    } else {
        let body = f.strip_suffix("季度").or_else(|| f.strip_suffix('季'))?;
        numeral(body.strip_prefix('第').unwrap_or(body))
    }?;
    (1..=4).contains(&q).then_some(q)
}

/// How a label matches an item: `Some(None)` for its name or an alias,
/// `Some(Some(i))` for a `第i种` pattern with the number found.
pub(crate) fn item_match(label: &str, item: &Item) -> Option<Option<String>> {
    let f = fold_label(label);
    if f.is_empty() {
        return None;
    }
    let names = [item.zh.as_str(), item.en.as_str(), item.key.as_str()].into_iter().chain(item.aliases.iter().map(String::as_str));
    let both = format!("{}{}", item.zh, item.en);
    for n in names.chain(std::iter::once(both.as_str())) {
        let fold = fold_label(n);
        if fold == f {
            return Some(None);
        }
        for marker in ["第i种", "第n种", "第j种", "第k种"] {
            if let Some((pre, post)) = fold.split_once(marker)
                && let Some(rest) = f.strip_prefix(pre).and_then(|r| r.strip_prefix('第'))
                && let Some((num, tail)) = rest.split_once('种')
                && tail == post
                && !num.is_empty()
                && (num.chars().all(|c| c.is_ascii_digit()) || numeral(num).is_some())
            {
                return Some(Some(numeral(num).map(|n| n.to_string()).unwrap_or_else(|| num.to_string())));
            }
        }
    }
    None
}

/// The text after a label and colon (`燃料品种：烟煤` → `烟煤`), or all of it.
pub(crate) fn after_colon(s: &str) -> String {
    let t = s.trim();
    match t.split_once(['：', ':']) {
        Some((_, v)) if !v.trim().is_empty() => v.trim().to_string(),
        _ => t.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_quirks_are_removed() {
        assert_eq!(clean("企业名称*1").0, "企业名称");
        assert_eq!(clean("信息项*1*2").0, "信息项");
        assert_eq!(clean("E(=C×D)燃料热量(GJ)"), ("燃料热量".into(), Some("GJ".into())));
        assert_eq!(clean("A序号").0, "序号");
        assert_eq!(clean("H CO2与碳分子量比").0, "CO2与碳分子量比");
        assert_eq!(clean("J(=F×G×H)排放因子(tCO2/GJ)"), ("排放因子".into(), Some("tCO2/GJ".into())));
        assert_eq!(
            clean("第i种化石燃料的收到基低位发热量 (GJ/t 或GJ/10⁴Nm³)"),
            ("第i种化石燃料的收到基低位发热量".into(), Some("GJ/t 或GJ/10⁴Nm³".into()))
        );
        assert_eq!(clean("获取方式（实测值/计算值/设计值/缺省值）").0, "获取方式(实测值/计算值/设计值/缺省值)");
        assert_eq!(clean("1\n月").0, "1月");
        assert_eq!(clean("（1）低位发热量").0, "低位发热量");
        assert_eq!(clean("2.1 低位发热量").0, "低位发热量");
        assert_eq!(clean("Unit").0, "Unit");
        assert_eq!(clean("MW").0, "MW");
    }

    #[test]
    fn months_and_quarters() {
        assert_eq!(month_header("1月"), Some((None, 1)));
        assert_eq!(month_header("1\n月"), Some((None, 1)));
        assert_eq!(month_header("十二月"), Some((None, 12)));
        assert_eq!(month_header("十一月"), Some((None, 11)));
        assert_eq!(month_header("09月份"), Some((None, 9)));
        assert_eq!(month_header("2024年3月"), Some((Some(2024), 3)));
        assert_eq!(month_header("2024-10"), Some((Some(2024), 10)));
        assert_eq!(month_header("Sep"), Some((None, 9)));
        assert_eq!(month_header("September"), Some((None, 9)));
        assert_eq!(month_header("13月"), None);
        assert_eq!(month_header("全年"), None);
        assert_eq!(month_header("单位"), None);
        assert_eq!(quarter_header("第一季度"), Some(1));
        assert_eq!(quarter_header("二季度小计"), Some(2));
        assert_eq!(quarter_header("Q4"), Some(4));
        assert_eq!(quarter_header("全年"), None);
    }

    #[test]
    fn not_applicable_marks() {
        for s in ["--", "/", "—", " -- ", "／", "不适用"] {
            assert!(not_applicable(s), "{s}");
        }
        assert!(!not_applicable("0"));
        assert!(!not_applicable("#N/A"));
    }
}
