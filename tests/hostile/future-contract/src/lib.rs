//! `hostile-future-contract`: a component built against
//! `lvyue:compliance@2.0.0`, a major contract version this host does not
//! implement. It uses its own copy of the WIT (`wit/`), not the SDK. The host
//! must refuse it before compiling it.

wit_bindgen::generate!({
    path: "wit",
    world: "compliance-plugin",
});

use exports::lvyue::compliance::plugin::Guest;
use lvyue::compliance::types::{Evaluation, EvaluationError, PluginInfo, Request, TextZhEn};

const ID: &str = "hostile-future-contract";

struct FutureContract;

impl Guest for FutureContract {
    fn describe() -> PluginInfo {
        PluginInfo {
            id: ID.into(),
            version: "0.1.0".into(),
            name: TextZhEn { zh: "未来契约".into(), en: "Future contract".into() },
            jurisdictions: vec![ID.into()],
            years: vec![2024],
            parameters: vec![],
            metrics: vec![],
            findings: vec![],
            input: vec![],
        }
    }

    fn evaluate(_req: Request) -> Result<Evaluation, EvaluationError> {
        Ok(Evaluation { metrics: vec![], decisions: vec![], findings: vec![], trace: vec![], tables: vec![] })
    }
}

export!(FutureContract);
