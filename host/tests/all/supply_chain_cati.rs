//! supply-chain-cati with the user's own rules: `--rules-dir` (a copy of
//! rules/supply-chain-cati/ with edits) and `--rules-override FILE` change the
//! weights, an indicator's points, an industry's factors, the indicator set and
//! the violation policy; the results change exactly as computed by hand and
//! the report records which rules were used.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::Value;

fn cache_dir() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("tempdir")).path()
}

fn lvyue(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lvyue")).arg("--cache-dir").arg(cache_dir()).args(args).output().expect("run lvyue")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn bundled_rules() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules/supply-chain-cati")
}

/// Two suppliers with the same answers: area scores governance 50,
/// measurement 100, targets 0, performance 50, action 100 — 72 with the
/// bundled rules (0.16×50 + 0.15×100 + 0.12×50 + 0.43×100). S1 is a textile
/// mill; S2 makes electronics and has an open violation record.
fn request(dir: &Path) -> PathBuf {
    let mut answers = String::new();
    for s in ["S1", "S2"] {
        for (i, a) in [
            ("G1", "answer = \"partial\""),
            ("G2", "answer = \"yes\""),
            ("G3", "answer = \"no\""),
            ("M1", "answer = \"yes\""),
            ("M2", "answer = \"yes\""),
            ("M3", "answer = \"yes\""),
            ("M4", "answer = \"yes\""),
            ("T1", "answer = \"no\""),
            ("P1", "value = \"75\""),
            ("P2", "answer = \"no\""),
            ("A1", "value = \"100\""),
            ("A2", "answer = \"yes\""),
            ("A3", "answer = \"yes\""),
            ("A4", "value = \"80\""),
            ("A5", "answer = \"yes\""),
            ("X1", "answer = \"yes\""),
        ] {
            answers.push_str(&format!("  {{ supplier_id = \"{s}\", indicator_id = \"{i}\", {a} }},\n"));
        }
    }
    let text = format!(
        r#"jurisdiction = "supply-chain-cati"
year = 2024
[tables]
suppliers = [
  {{ supplier_id = "S1", name = "Textile mill", industry = "textiles" }},
  {{ supplier_id = "S2", name = "Electronics plant", industry = "electronics" }},
]
climate_answers = [
{answers}]
violations = [{{ supplier_id = "S2", record_id = "R1", date = 2024-03-01, authority = "EEB", closed = false }}]
"#
    );
    let path = dir.join("request.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Replaces the value of parameter `key` (its first dated value) in rules text.
fn set_value(text: &str, key: &str, value: &str, reference: &str) -> String {
    let at = text.find(&format!("key = \"{key}\"")).unwrap_or_else(|| panic!("{key} not in the rules"));
    let v = at + text[at..].find("value = \"").expect("a quoted value after the key");
    let start = v + "value = \"".len();
    let end = start + text[start..].find('"').unwrap();
    let mut out = format!("{}{value}{}", &text[..start], &text[end..]);
    let r = out[at..].find("reference = \"").map(|i| at + i + "reference = \"".len()).expect("a reference");
    let r_end = r + out[r..].find('"').unwrap();
    out.replace_range(r..r_end, reference);
    out
}

/// A copy of the bundled rules in `dir/rules/supply-chain-cati/`, with `edit`
/// applied to each file's text and `extra` files added.
fn rules_dir(dir: &Path, edit: impl Fn(&str, String) -> String, extra: &[(&str, &str)]) -> PathBuf {
    let root = dir.join("rules");
    let target = root.join("supply-chain-cati");
    std::fs::create_dir_all(&target).unwrap();
    for entry in std::fs::read_dir(bundled_rules()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|x| x != "toml") {
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(target.join(&name), edit(&name, text)).unwrap();
    }
    for (name, text) in extra {
        std::fs::write(target.join(name), text).unwrap();
    }
    root
}

fn evaluate(dir: &Path, global: &[&str]) -> Value {
    let out = dir.join(format!("report-{}.json", global.len()));
    let req = request(dir);
    let mut args: Vec<&str> = global.to_vec();
    args.extend(["evaluate", "--request", req.to_str().unwrap(), "--json", out.to_str().unwrap()]);
    let o = lvyue(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap()
}

fn metric<'a>(r: &'a Value, key: &str) -> &'a str {
    r["metrics"].as_array().unwrap().iter().find(|m| m["key"] == key).unwrap_or_else(|| panic!("metric {key}"))["value"].as_str().unwrap()
}

fn decision<'a>(r: &'a Value, subject: &str) -> &'a Value {
    r["decisions"].as_array().unwrap().iter().find(|d| d["subject"] == subject).unwrap_or_else(|| panic!("decision {subject}"))
}

fn total(r: &Value, supplier: &str) -> String {
    decision(r, supplier)["amount"].as_str().unwrap().to_string()
}

fn codes(r: &Value) -> Vec<String> {
    r["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap().to_string()).collect()
}

fn finding<'a>(r: &'a Value, code: &str) -> &'a str {
    r["findings"].as_array().unwrap().iter().find(|f| f["code"] == code).unwrap_or_else(|| panic!("finding {code}"))["message_en"]
        .as_str()
        .unwrap()
}

fn table_row<'a>(r: &'a Value, table: &str, first: &str) -> Vec<&'a str> {
    let t = r["tables"].as_array().unwrap().iter().find(|t| t["key"] == table).unwrap_or_else(|| panic!("table {table}"));
    let row = t["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row[0] == first || row[1] == first)
        .unwrap_or_else(|| panic!("{table} row {first}"));
    row.as_array().unwrap().iter().map(|v| v.as_str().unwrap_or("")).collect()
}

fn parameter<'a>(r: &'a Value, key: &str) -> &'a Value {
    r["parameters"].as_array().unwrap().iter().find(|p| p["key"] == key).unwrap_or_else(|| panic!("parameter {key}"))
}

#[test]
fn bundled_rules_give_the_hand_computed_totals() {
    let dir = tempfile::tempdir().unwrap();
    let r = evaluate(dir.path(), &[]);
    assert_eq!(total(&r, "S1"), "72");
    assert_eq!(total(&r, "S2"), "72");
    assert_eq!(r["plugin"]["rules_source"], "bundled");
    // X1 is not in the bundled rules: ignored with a warning, not scored.
    assert_eq!(decision(&r, "S1/X1")["outcome"], "ignored");
    assert!(codes(&r).contains(&"ANSWER_UNKNOWN_INDICATOR".to_string()));
    assert_eq!(decision(&r, "S2")["outcome"], "flagged");
    assert!(finding(&r, "METHOD_NOT_IPE").contains("of 18 indicators, 18 are lvyue defaults (not IPE), 0 user rules"));
}

#[test]
fn a_rules_dir_changing_a_weight_changes_the_totals_and_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let rules = rules_dir(
        dir.path(),
        |name, text| if name == "weights.toml" { set_value(&text, "weights.area.action", "53", "our 2024 supplier policy") } else { text },
        &[],
    );
    let r = evaluate(dir.path(), &["--rules-dir", rules.to_str().unwrap()]);
    // (16×50 + 15×100 + 14×0 + 12×50 + 53×100) / (16+15+14+12+53) = 8200 / 110 = 74.5454… → 74.55
    assert_eq!(total(&r, "S1"), "74.55");
    assert_eq!(metric(&r, "average_score"), "74.55");
    assert_eq!(metric(&r, "citi_indicator_4_1"), "14.91");
    assert!(codes(&r).contains(&"WEIGHTS_NOT_100".to_string()), "{:?}", codes(&r));
    // The report records the rules folder and its digest, and the value used with its reference.
    let source = r["plugin"]["rules_source"].as_str().unwrap();
    assert!(source.contains("supply-chain-cati") && source.contains("sha256"), "{source}");
    let p = parameter(&r, "weights.area.action");
    assert_eq!(p["value"], "53");
    assert_eq!(p["reference"], "our 2024 supplier policy");
    // The area's weight is shown as the user's rule, not IPE's.
    let action = table_row(&r, "area_summary", "action");
    assert_eq!(action[2], "53");
    assert_eq!(action[4], "用户规则，非 IPE / user rule (not IPE)");
    assert!(
        finding(&r, "METHOD_NOT_IPE").contains("Area weights: 3 from IPE's published method, 1 inferred from IPE"),
        "{}",
        finding(&r, "METHOD_NOT_IPE")
    );
}

#[test]
fn a_rules_dir_changing_an_indicators_points_changes_the_totals() {
    let dir = tempfile::tempdir().unwrap();
    let rules = rules_dir(
        dir.path(),
        |name, text| {
            if name == "indicators.toml" {
                set_value(&text, "indicator.governance.G1.points.partial", "6", "our rule: partial oversight counts fully")
            } else {
                text
            }
        },
        &[],
    );
    let r = evaluate(dir.path(), &["--rules-dir", rules.to_str().unwrap()]);
    // Governance (6 + 5 + 0) / 16 = 68.75; total 0.16 × 68.75 + 15 + 6 + 43 = 75
    assert_eq!(decision(&r, "S1/G1")["amount"], "6");
    assert_eq!(total(&r, "S1"), "75");
    assert_eq!(metric(&r, "average_score_governance"), "68.75");
    let g1 = table_row(&r, "indicator_summary", "G1");
    assert_eq!(g1[8], "用户规则，非 IPE / user rule (not IPE)");
    assert!(
        finding(&r, "METHOD_NOT_IPE").contains("of 18 indicators, 17 are lvyue defaults (not IPE), 1 user rules"),
        "{}",
        finding(&r, "METHOD_NOT_IPE")
    );
}

const TEXTILES: &str = r#"
[[parameter]]
key = "weights.industry.textiles.action"
kind = "number"
name = { zh = "纺织业：减排行动系数", en = "Textiles: climate action factor" }
[[parameter.value]]
from = 2023-01-01
value = "2"
reference = "test: textiles weigh climate action double"
confidence = "secondary"
"#;

#[test]
fn industry_weighting_factors_apply_to_the_suppliers_industry_only() {
    let dir = tempfile::tempdir().unwrap();
    let rules = rules_dir(dir.path(), |_, text| text, &[("textiles.toml", TEXTILES)]);
    let r = evaluate(dir.path(), &["--rules-dir", rules.to_str().unwrap()]);
    // S1 (textiles): weights × factors 16, 15, 14, 12, 43 × 2 = 86; Σ 143:
    // (16×50 + 15×100 + 0 + 12×50 + 86×100) / 143 = 11500 / 143 = 80.4195… → 80.42
    assert_eq!(total(&r, "S1"), "80.42");
    // S2 (electronics, not in the rules): the default factors, unchanged.
    assert_eq!(total(&r, "S2"), "72");
    assert_eq!(decision(&r, "S1")["reasons"], serde_json::json!(["UNANSWERED_INDICATORS"]));
    assert!(finding(&r, "INDUSTRY_DEFAULT_FACTORS").contains("electronics"));
    let textiles = table_row(&r, "industry_factors", "textiles");
    assert_eq!(&textiles[1..8], &["1", "1", "1", "1", "2", "1", "用户规则，非 IPE / user rule (not IPE)"]);
    assert_eq!(parameter(&r, "weights.industry.textiles.action")["value"], "2");
}

const X1: &str = r#"
[[parameter]]
key = "indicator.action.X1.max_points"
kind = "number"
name = { zh = "X1 满分", en = "X1 maximum points" }
value = [{ from = 2023-01-01, value = "10", reference = "buyer's own indicator: low-carbon logistics", confidence = "secondary" }]

[[parameter]]
key = "indicator.action.X1.points.yes"
kind = "number"
name = { zh = "X1 yes", en = "X1 yes" }
value = [{ from = 2023-01-01, value = "10", reference = "buyer's own indicator: low-carbon logistics", confidence = "secondary" }]

[[parameter]]
key = "indicator.action.X1.points.no"
kind = "number"
name = { zh = "X1 no", en = "X1 no" }
value = [{ from = 2023-01-01, value = "0", reference = "buyer's own indicator: low-carbon logistics", confidence = "secondary" }]
"#;

#[test]
fn a_users_own_indicator_is_scored_and_a_switched_off_one_is_not() {
    let dir = tempfile::tempdir().unwrap();
    // Add X1 (action, 10 points) and switch A5 off (max_points 0).
    let rules = rules_dir(
        dir.path(),
        |name, text| {
            if name == "indicators.toml" { set_value(&text, "indicator.action.A5.max_points", "0", "our rule: A5 not used") } else { text }
        },
        &[("x1.toml", X1)],
    );
    let r = evaluate(dir.path(), &["--rules-dir", rules.to_str().unwrap()]);
    // Action: A1–A4 35 of 35 plus X1 10 of 10 = 100 still; the total is unchanged at 72.
    assert_eq!(decision(&r, "S1/X1")["outcome"], "scored");
    assert_eq!(decision(&r, "S1/X1")["amount"], "10");
    assert_eq!(decision(&r, "S1/A5")["outcome"], "ignored");
    assert_eq!(total(&r, "S1"), "72");
    assert_eq!(metric(&r, "indicators_scored"), "18");
    let x1 = table_row(&r, "indicator_summary", "X1");
    assert_eq!(x1[1], "action");
    assert_eq!(x1[4], "10");
}

#[test]
fn the_cap_policy_caps_a_flagged_supplier() {
    let dir = tempfile::tempdir().unwrap();
    let rules = rules_dir(
        dir.path(),
        |name, text| {
            if name == "violations.toml" {
                set_value(&text, "violations.open_record_policy", "cap", "our policy: cap at 50 until the record is closed")
            } else {
                text
            }
        },
        &[],
    );
    let r = evaluate(dir.path(), &["--rules-dir", rules.to_str().unwrap()]);
    assert_eq!(total(&r, "S1"), "72");
    assert_eq!(total(&r, "S2"), "50");
    assert_eq!(decision(&r, "S2")["outcome"], "capped");
    assert_eq!(metric(&r, "suppliers_capped"), "1");
    assert_eq!(metric(&r, "average_score"), "61");
    assert!(codes(&r).contains(&"SCORE_CAPPED".to_string()));
}

#[test]
fn a_rules_override_file_changes_one_weight_and_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("my-weights.toml");
    std::fs::write(
        &file,
        set_value(&std::fs::read_to_string(bundled_rules().join("weights.toml")).unwrap(), "weights.area.action", "53", "our policy"),
    )
    .unwrap();
    let r = evaluate(dir.path(), &["--rules-override", file.to_str().unwrap()]);
    assert_eq!(total(&r, "S1"), "74.55");
    let source = r["plugin"]["rules_source"].as_str().unwrap();
    assert!(source.contains("override") && source.contains("my-weights.toml") && source.contains("sha256"), "{source}");
}

#[test]
fn broken_user_rules_exit_6_naming_the_parameter() {
    let dir = tempfile::tempdir().unwrap();
    let req = request(dir.path());
    // A required weight removed.
    let rules = rules_dir(
        dir.path(),
        |name, text| {
            if name == "weights.toml" {
                let at = text.find("[[parameter]]\nkey = \"weights.area.governance\"").unwrap();
                let end = at + 1 + text[at + 1..].find("[[parameter]]").unwrap();
                format!("{}{}", &text[..at], &text[end..])
            } else {
                text
            }
        },
        &[],
    );
    let o = lvyue(&["--rules-dir", rules.to_str().unwrap(), "evaluate", "--request", req.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(6), "{}", stderr(&o));
    assert!(stderr(&o).contains("weights.area.governance"), "{}", stderr(&o));

    // A numeric indicator whose scale is empty.
    let dir = tempfile::tempdir().unwrap();
    let rules = rules_dir(
        dir.path(),
        |name, text| if name == "indicators.toml" { set_value(&text, "indicator.action.A4.full_at", "0", "oops") } else { text },
        &[],
    );
    let o = lvyue(&["--rules-dir", rules.to_str().unwrap(), "evaluate", "--request", req.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(6), "{}", stderr(&o));
    assert!(stderr(&o).contains("indicator.action.A4.full_at") && stderr(&o).contains("must differ from zero_at"), "{}", stderr(&o));
}
