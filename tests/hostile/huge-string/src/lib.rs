//! `hostile-huge-string`: `evaluate` returns an enormous string.
//!
//! Option `mode`:
//! - `gigabyte` (default): builds a 1 GiB string; the memory cap stops it.
//! - `40mib`: returns a 40 MiB string as a metric, which fits in memory but
//!   exceeds the bytes the host copies out of a guest for one result.

use lvyue_sdk::{Context, Evaluation, EvaluationError, PluginInfo, Request, Value, t};

const ID: &str = "hostile-huge-string";

struct HugeString;

impl lvyue_sdk::Plugin for HugeString {
    fn describe() -> PluginInfo {
        PluginInfo::bare(ID, "0.1.0", t("巨型字符串", "Huge string"), &[2024])
    }

    fn evaluate(req: Request) -> Result<Evaluation, EvaluationError> {
        let bytes: usize = match Context::new(&req).option("mode") {
            Some("40mib") => 40 << 20,
            _ => 1 << 30,
        };
        let huge = "x".repeat(std::hint::black_box(bytes));
        let mut out = lvyue_sdk::Output::default();
        out.metric("huge", Value::Text(huge), "", t("巨型", "Huge"), None);
        Ok(out.finish())
    }
}

lvyue_sdk::export_plugin!(HugeString);
