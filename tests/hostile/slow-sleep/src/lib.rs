//! `hostile-slow-sleep`: `evaluate` sleeps in short naps forever. Sleeping is
//! a host call that burns almost no fuel, so only the wall-clock (epoch)
//! deadline stops it.

use std::time::Duration;

use lvyue_sdk::{Evaluation, EvaluationError, PluginInfo, Request, t};

const ID: &str = "hostile-slow-sleep";

struct SlowSleep;

impl lvyue_sdk::Plugin for SlowSleep {
    fn describe() -> PluginInfo {
        PluginInfo::bare(ID, "0.1.0", t("慢速休眠", "Slow sleep"), &[2024])
    }

    fn evaluate(_req: Request) -> Result<Evaluation, EvaluationError> {
        loop {
            std::thread::sleep(Duration::from_millis(10));
            std::hint::black_box(());
        }
    }
}

lvyue_sdk::export_plugin!(SlowSleep);
