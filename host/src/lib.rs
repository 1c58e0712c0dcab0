//! lvyue (履约): a compliance reporting host for sandboxed WebAssembly rule plugins.
//!
//! - [`contract`]: the versioned WIT contract and the pre-compile version check;
//! - [`sandbox`]: the wasmtime engine, limits and deny-all WASI;
//! - [`bundle`]: plugin bundles (manifest, digests, built-ins);
//! - [`cache`]: compiled components on disk;
//! - [`rules`]: dated rule parameters and their resolution for a period;
//! - [`input`]: input tables checked against a plugin's declared input;
//! - [`host`]: all of it together: find a plugin, evaluate a request;
//! - [`report`]: the machine-readable result;
//! - [`cases`]: test cases as data next to the rules;
//! - [`template`]: input workbooks generated from a plugin's declaration.

pub mod atomic;
pub mod bundle;
pub mod cache;
pub mod cargo_wasm;
pub mod cases;
pub mod contract;
pub mod decimal;
pub mod digest;
pub mod formula;
pub mod host;
pub mod kit;
pub mod input;
pub mod render;
pub mod report;
pub mod report_xlsx;
pub mod request;
pub mod rules;
pub mod samples;
pub mod sandbox;
pub mod signing;
pub mod template;
pub mod units;
pub mod workbook;

/// Bundles embedded at build time by `host/build.rs`.
pub mod builtin {
    pub struct BuiltinBundle {
        pub manifest: &'static str,
        pub component: &'static [u8],
        pub rules: &'static [(&'static str, &'static str)],
        pub templates: &'static [(&'static str, &'static str)],
    }
    include!(concat!(env!("OUT_DIR"), "/builtin.rs"));
}

/// The tool's version, stamped into every report.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");
