//! `hostile-well-behaved`: the control. It does nothing hostile and returns
//! one metric, so a test can show the host still evaluates after a failure.

use lvyue_sdk::{Evaluation, EvaluationError, PluginInfo, Request, t};

const ID: &str = "hostile-well-behaved";

struct WellBehaved;

impl lvyue_sdk::Plugin for WellBehaved {
    fn describe() -> PluginInfo {
        PluginInfo::bare(ID, "0.1.0", t("守规矩", "Well behaved"), &[2024])
    }

    fn evaluate(req: Request) -> Result<Evaluation, EvaluationError> {
        let mut out = lvyue_sdk::Output::default();
        out.metric("answer", lvyue_sdk::num(lvyue_sdk::Decimal::from(42)), "1", t("答案", "Answer"), None);
        out.metric("year", lvyue_sdk::text(req.period.year.to_string()), "", t("年度", "Year"), None);
        Ok(out.finish())
    }
}

lvyue_sdk::export_plugin!(WellBehaved);
