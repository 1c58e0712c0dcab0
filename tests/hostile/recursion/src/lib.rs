//! `hostile-recursion`: `evaluate` recurses without bound. Each call uses the
//! result of the next one twice, so the recursion cannot be turned into a
//! loop; only a stack limit stops it.
//!
//! Option `mode`:
//! - (default): frames with nothing in linear memory; the wasm call stack
//!   overflows.
//! - `frames`: a 1 KiB buffer per frame on Rust's shadow stack in linear
//!   memory, which overflows first.

use lvyue_sdk::{Evaluation, EvaluationError, PluginInfo, Request, t};

const ID: &str = "hostile-recursion";

struct Recursion;

#[inline(never)]
fn descend(depth: u64, bottom: u64) -> u64 {
    if depth == bottom {
        return depth;
    }
    let below = descend(depth + 1, bottom);
    below.wrapping_mul(below) ^ depth
}

/// The same with a 1 KiB buffer per call: Rust keeps it on its shadow stack
/// in linear memory, which overflows before the wasm call stack does.
#[inline(never)]
fn descend_with_frames(depth: u64, bottom: u64) -> u64 {
    if depth == bottom {
        return depth;
    }
    let mut frame = [0u8; 1024];
    frame[(depth % 1024) as usize] = depth as u8;
    let frame = std::hint::black_box(&mut frame);
    let below = descend_with_frames(depth + 1, bottom);
    below.wrapping_mul(below) ^ frame[(below % 1024) as usize] as u64
}

impl lvyue_sdk::Plugin for Recursion {
    fn describe() -> PluginInfo {
        PluginInfo::bare(ID, "0.1.0", t("无限递归", "Unbounded recursion"), &[2024])
    }

    fn evaluate(req: Request) -> Result<Evaluation, EvaluationError> {
        // A bottom the optimiser cannot know, and that is never reached.
        let bottom = std::hint::black_box(u64::MAX);
        let n = match lvyue_sdk::Context::new(&req).option("mode") {
            Some("frames") => descend_with_frames(0, bottom),
            _ => descend(0, bottom),
        };
        let mut out = lvyue_sdk::Output::default();
        out.metric("depth", lvyue_sdk::text(n.to_string()), "", t("深度", "Depth"), None);
        Ok(out.finish())
    }
}

lvyue_sdk::export_plugin!(Recursion);
