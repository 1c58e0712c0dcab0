//! `hostile-billion-findings`: `evaluate` tries to return a flood of findings.
//!
//! Option `mode`:
//! - `billion` (default): one billion findings. The guest runs into the memory
//!   cap long before it could hand them over.
//! - `many`: 150,000 small findings, which fit in memory but exceed the host's
//!   cap on findings per result.

use lvyue_sdk::{Context, Evaluation, EvaluationError, Finding, PluginInfo, Request, Severity, TextZhEn, t};

const ID: &str = "hostile-billion-findings";

struct BillionFindings;

fn finding() -> Finding {
    Finding {
        severity: Severity::Info,
        code: "FLOOD".into(),
        message: TextZhEn { zh: String::new(), en: String::new() },
        cells: Vec::new(),
    }
}

impl lvyue_sdk::Plugin for BillionFindings {
    fn describe() -> PluginInfo {
        PluginInfo::bare(ID, "0.1.0", t("十亿条发现", "A billion findings"), &[2024])
    }

    fn evaluate(req: Request) -> Result<Evaluation, EvaluationError> {
        let count: u64 = match Context::new(&req).option("mode") {
            Some("many") => 150_000,
            _ => 1_000_000_000,
        };
        // Pushed one by one: a pre-sized vector of a billion would only panic
        // with "capacity overflow".
        let mut findings = Vec::new();
        for _ in 0..std::hint::black_box(count) {
            findings.push(finding());
        }
        Ok(Evaluation { metrics: vec![], decisions: vec![], findings, trace: vec![].into(), tables: vec![] })
    }
}

lvyue_sdk::export_plugin!(BillionFindings);
