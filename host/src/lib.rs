//! lvyue (履约): a compliance reporting host for sandboxed WebAssembly rule plugins.
//!
//! The layers, from the plugin outwards (each a folder with its own module doc):
//!
//! - [`contract`]: the versioned WIT contract, its generated bindings and the
//!   pre-compile version check (one place per contract version);
//! - [`sandbox`]: the wasmtime engine, limits (fuel, memory, wall clock) and deny-all WASI;
//! - [`bundle`]: plugin bundles: manifest, digests, signatures, the compile cache;
//! - [`rules`]: dated rule parameters, their resolution for a period, and cases as data;
//! - [`input`]: what the user brings: workbooks, request files, units, the checks
//!   against a plugin's declared input, and input templates;
//! - [`host`]: the engine that joins them: find a plugin, evaluate a request;
//! - [`job`]: one run from the user's files to the written outputs (inputs read once);
//! - [`report`]: the result: its model (JSON), the compliance workbook, rendered
//!   documents, the printable HTML result and metric formulas;
//! - [`serve`]: the local web page and JSON API (`lvyue serve`), on top of [`job`];
//! - [`kit`]: the plugin authoring kit (`lvyue plugin …`);
//! - [`samples`]: the bundled sample inputs behind `lvyue demo`;
//! - [`decimal`], [`atomic`]: exact decimals at the boundary; complete-or-absent file writes;
//!   `heap`: freed memory given back between the phases of a large evaluation.
//!
//! The command line (`host/src/main.rs`, one file per command under `host/src/cli/`)
//! only parses arguments and calls these modules.

pub mod atomic;
pub mod batch;
pub mod bundle;
pub mod contract;
pub mod decimal;
mod heap;
pub mod host;
pub mod input;
pub mod job;
pub mod kit;
pub mod ledger;
pub mod report;
pub mod rules;
pub mod samples;
pub mod sandbox;
pub mod serve;

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
