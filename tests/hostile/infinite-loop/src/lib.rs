//! `hostile-infinite-loop`: `evaluate` never returns. It spins on a counter
//! the optimiser cannot see through, so only the fuel budget stops it.

use lvyue_sdk::{Evaluation, EvaluationError, PluginInfo, Request, t};

const ID: &str = "hostile-infinite-loop";

struct InfiniteLoop;

impl lvyue_sdk::Plugin for InfiniteLoop {
    fn describe() -> PluginInfo {
        PluginInfo::bare(ID, "0.1.0", t("死循环", "Infinite loop"), &[2024])
    }

    fn evaluate(_req: Request) -> Result<Evaluation, EvaluationError> {
        let mut n = 0u64;
        loop {
            n = std::hint::black_box(n.wrapping_add(1));
        }
    }
}

lvyue_sdk::export_plugin!(InfiniteLoop);
