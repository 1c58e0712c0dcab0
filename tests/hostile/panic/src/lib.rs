//! `hostile-panic`: `evaluate` panics with a formatted message; with option
//! `mode` = `abort` it aborts without a message instead.

use lvyue_sdk::{Evaluation, EvaluationError, PluginInfo, Request, t};

const ID: &str = "hostile-panic";

struct Panics;

impl lvyue_sdk::Plugin for Panics {
    fn describe() -> PluginInfo {
        PluginInfo::bare(ID, "0.1.0", t("恐慌", "Panic"), &[2024])
    }

    fn evaluate(req: Request) -> Result<Evaluation, EvaluationError> {
        if lvyue_sdk::Context::new(&req).option("mode") == Some("abort") {
            std::process::abort();
        }
        let code = std::hint::black_box(42);
        panic!("rules table corrupt: {}", code);
    }
}

lvyue_sdk::export_plugin!(Panics);
