//! The integration tests, one binary (as wasmtime's `tests/all/`), so the
//! test build links once. Each module is one area: the CLI, the contract,
//! the hostile-plugin conformance suite, the cases as data, the samples, the
//! workbooks read back, the malformed inputs, and each jurisdiction's own.

mod batch;
mod cases;
mod cli;
mod cli_manners;
mod common;
mod conformance;
mod contract;
mod contract_versions;
mod corpus;
mod event_neutrality;
mod fuzz;
mod large;
mod layouts;
mod malformed;
mod multi;
mod plugin_guide;
mod print;
mod rounding_trace;
mod rules_map;
mod samples;
mod serve;
mod serve_browser;
mod serve_load;
mod supply_chain_cati;
mod workbooks;
