//! `hostile-memory-bomb`: `evaluate` allocates 1 MiB blocks without end and
//! writes to every page of each, so the memory is really committed. Only the
//! memory cap stops it.

use lvyue_sdk::{Evaluation, EvaluationError, PluginInfo, Request, t};

const ID: &str = "hostile-memory-bomb";
const BLOCK: usize = 1 << 20;

struct MemoryBomb;

impl lvyue_sdk::Plugin for MemoryBomb {
    fn describe() -> PluginInfo {
        PluginInfo::bare(ID, "0.1.0", t("内存炸弹", "Memory bomb"), &[2024])
    }

    fn evaluate(_req: Request) -> Result<Evaluation, EvaluationError> {
        let mut hoard: Vec<Vec<u8>> = Vec::new();
        loop {
            let mut block = Vec::<u8>::with_capacity(BLOCK);
            // Touch every 4 KiB page.
            for i in (0..BLOCK).step_by(4096) {
                block.spare_capacity_mut()[i].write((i / 4096) as u8);
            }
            hoard.push(std::hint::black_box(block));
        }
    }
}

lvyue_sdk::export_plugin!(MemoryBomb);
