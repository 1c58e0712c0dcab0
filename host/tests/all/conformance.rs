//! Sandbox conformance: hostile plugins, each a real wasm32-wasip2 component
//! built from `tests/hostile/<name>/`, each contained with a clear error while
//! the host keeps running.
//!
//! | attack                         | contained by                                   |
//! |--------------------------------|------------------------------------------------|
//! | infinite loop                  | fuel: `PluginFailure::OutOfFuel`               |
//! | sleeping forever               | epoch deadline: `PluginFailure::Timeout`       |
//! | memory bomb                    | memory cap: `PluginFailure::MemoryCap`         |
//! | unbounded recursion            | wasm or shadow stack: `StackOverflow`          |
//! | a billion findings             | memory cap (or result caps)                    |
//! | 150,000 findings               | findings cap: `PluginFailure::ResultCap`       |
//! | a 1 GiB string                 | memory cap: `PluginFailure::MemoryCap`         |
//! | a 40 MiB string                | result bytes: `PluginFailure::ResultCap`       |
//! | files, env, clocks, sockets    | deny-all WASI: the plugin learns nothing       |
//! | panic                          | `PluginFailure::Panic` with the message        |
//! | abort (no message)             | `PluginFailure::Trap` naming the trap          |
//! | contract 2.0.0                 | refused before compiling (`BundleError`)       |
//! | bundle edited after packing    | `BundleError::DigestMismatch`                  |
//!
//! | a 1.1 result whose lengths lie  | `PluginFailure::Contract`, or `ResultCap`      |
//!
//! Every test that runs a plugin built with the SDK runs twice: with the
//! plugins built for contract 1.1 (`<test>::contract_1_1`, called with
//! columns) and for the frozen 1.0 (`<test>::contract_1_0`, SDK feature
//! `contract-1-0`, called with rows). The plugins are built once per test
//! process and version by one nested cargo call (see `crate::common::built`).

use std::time::{Duration, Instant};

use crate::common::{Contract, bundle, bundle_with_contract, evaluate, host, id, metric, test_limits, with_contract};
use lvyue::bundle::{Bundle, BundleError};
use lvyue::contract::{CONTRACT_VERSION, ContractError, Version};
use lvyue::host::RunError;
use lvyue::sandbox::{Limits, PluginFailure};

const MIB: usize = 1 << 20;

/// `both_contracts!(test)` next to `fn test()`: the module `test` with one
/// `#[test]` per contract version the SDK builds for.
macro_rules! both_contracts {
    ($name:ident) => {
        mod $name {
            #[test]
            fn contract_1_1() {
                super::with_contract(super::Contract::V1_1, super::$name)
            }
            #[test]
            fn contract_1_0() {
                super::with_contract(super::Contract::V1_0, super::$name)
            }
        }
    };
}

/// Request options, e.g. `[("mode", "many")]`.
type Options = &'static [(&'static str, &'static str)];

/// Runs hostile plugin `name` in a fresh host and returns its failure.
fn fails(name: &str, limits: Limits, options: &[(&str, &str)]) -> (PluginFailure, String) {
    let dir = tempfile::tempdir().unwrap();
    let host = host(vec![bundle(dir.path(), name)], limits);
    expect_failure(&host, name, options)
}

/// Evaluates hostile plugin `name` and returns its failure and the error's Display.
fn expect_failure(host: &lvyue::host::Host, name: &str, options: &[(&str, &str)]) -> (PluginFailure, String) {
    let started = Instant::now();
    match evaluate(host, &id(name), options) {
        Err(e @ RunError::Failed { .. }) => {
            let text = e.to_string();
            eprintln!("{name} {options:?}: contained in {:?}: {text}", started.elapsed());
            let RunError::Failed { plugin, failure } = e else { unreachable!() };
            assert_eq!(plugin, id(name), "the failure names the plugin");
            (failure, text)
        }
        Err(e) => panic!("{name}: expected a plugin failure, got another error: {e}"),
        Ok(r) => panic!("{name}: expected a plugin failure, the evaluation succeeded with metrics {:?}", r.metrics),
    }
}

// ---- CPU --------------------------------------------------------------------------

both_contracts!(infinite_loop_runs_out_of_fuel);
fn infinite_loop_runs_out_of_fuel() {
    let limits = Limits { wall_clock: Duration::from_secs(60), ..test_limits() };
    let (failure, text) = fails("infinite-loop", limits.clone(), &[]);
    match failure {
        PluginFailure::OutOfFuel { limit, base, per_cell } => {
            assert_eq!(limit, limits.fuel_base, "no input cells: the budget is the base");
            assert_eq!((base, per_cell), (limits.fuel_base, limits.fuel_per_cell));
        }
        other => panic!("expected OutOfFuel, got {other:?}"),
    }
    assert!(text.starts_with("plugin hostile-infinite-loop ran out of fuel: used its budget of 200000000 units"), "{text}");
}

both_contracts!(slow_sleep_hits_the_wall_clock_deadline);
fn slow_sleep_hits_the_wall_clock_deadline() {
    // Fuel enough for hours of napping: only the epoch deadline can stop it.
    let limits = Limits { fuel_base: 1_000_000_000_000, wall_clock: Duration::from_secs(2), ..test_limits() };
    let dir = tempfile::tempdir().unwrap();
    let host = host(vec![bundle(dir.path(), "slow-sleep")], limits);
    let started = Instant::now();
    let (failure, text) = expect_failure(&host, "slow-sleep", &[]);
    let took = started.elapsed();
    assert!(matches!(failure, PluginFailure::Timeout(d) if d == Duration::from_secs(2)), "expected Timeout(2s), got {failure:?}");
    assert!(text.contains("plugin hostile-slow-sleep exceeded the wall-clock limit of 2s (epoch deadline)"), "{text}");
    // Stopped at the deadline, not long after (compiling and loading included).
    assert!(took >= Duration::from_secs(2) && took < Duration::from_secs(20), "took {took:?}");
}

// ---- memory -----------------------------------------------------------------------

both_contracts!(memory_bomb_hits_the_memory_cap);
fn memory_bomb_hits_the_memory_cap() {
    let (failure, text) = fails("memory-bomb", Limits { memory_bytes: 64 * MIB, ..test_limits() }, &[]);
    match failure {
        PluginFailure::MemoryCap { cap, requested } => {
            assert_eq!(cap, 64 * MIB);
            assert!(requested > cap, "requested {requested}");
        }
        other => panic!("expected MemoryCap, got {other:?}"),
    }
    assert!(
        text.starts_with("plugin hostile-memory-bomb exceeded the memory cap of 67108864 bytes across all its linear memories"),
        "{text}"
    );
}

both_contracts!(unbounded_recursion_overflows_the_stack);
fn unbounded_recursion_overflows_the_stack() {
    let (failure, text) = fails("recursion", test_limits(), &[]);
    assert!(matches!(failure, PluginFailure::StackOverflow), "expected StackOverflow, got {failure:?}");
    assert_eq!(text, "plugin hostile-recursion overflowed its stack (unbounded recursion?)");
}

both_contracts!(recursion_overflowing_rusts_shadow_stack_is_a_stack_overflow);
fn recursion_overflowing_rusts_shadow_stack_is_a_stack_overflow() {
    // With a buffer in each frame, Rust's shadow stack in linear memory
    // overflows first: the guest then faults out of bounds, deep in a
    // recursion. That is a stack overflow too, not a generic trap.
    let (failure, text) = fails("recursion", test_limits(), &[("mode", "frames")]);
    assert!(matches!(failure, PluginFailure::StackOverflow), "expected StackOverflow, got {failure:?}");
    assert_eq!(text, "plugin hostile-recursion overflowed its stack (unbounded recursion?)");
}

// ---- results ----------------------------------------------------------------------

both_contracts!(a_billion_findings_are_contained);
fn a_billion_findings_are_contained() {
    let limits = test_limits();
    let (failure, text) = fails("billion-findings", limits.clone(), &[]);
    // Building them exhausts guest memory; were memory larger, the result caps
    // would refuse them. Nothing else is acceptable.
    match &failure {
        PluginFailure::MemoryCap { cap, requested } => {
            assert_eq!(*cap, limits.memory_bytes);
            assert!(requested > cap);
            assert!(text.contains("plugin hostile-billion-findings exceeded the memory cap of 67108864 bytes"), "{text}");
        }
        PluginFailure::ResultCap(detail) => {
            assert!(detail.contains("findings returned, the cap is 100000") || detail.contains("tried to return more than"), "{detail}");
            assert!(text.starts_with("plugin hostile-billion-findings exceeded the result cap: "), "{text}");
        }
        other => panic!("expected MemoryCap or ResultCap, got {other:?}"),
    }
}

both_contracts!(findings_over_the_cap_are_refused);
fn findings_over_the_cap_are_refused() {
    let limits = Limits { max_findings: 100_000, result_bytes: 64 * MIB, ..test_limits() };
    let (failure, text) = fails("billion-findings", limits, &[("mode", "many")]);
    match &failure {
        PluginFailure::ResultCap(detail) => assert_eq!(detail, "150000 findings returned, the cap is 100000"),
        other => panic!("expected ResultCap, got {other:?}"),
    }
    assert_eq!(text, "plugin hostile-billion-findings exceeded the result cap: 150000 findings returned, the cap is 100000");
}

both_contracts!(a_gigabyte_string_hits_the_memory_cap);
fn a_gigabyte_string_hits_the_memory_cap() {
    let (failure, text) = fails("huge-string", test_limits(), &[("mode", "gigabyte")]);
    match failure {
        // One allocation of 1 GiB: the growth asked for is at least that.
        PluginFailure::MemoryCap { cap, requested } => {
            assert_eq!(cap, 64 * MIB);
            assert!(requested >= 1 << 30, "requested {requested}");
        }
        other => panic!("expected MemoryCap, got {other:?}"),
    }
    assert!(text.starts_with("plugin hostile-huge-string exceeded the memory cap of 67108864 bytes"), "{text}");
}

both_contracts!(a_string_over_the_result_bytes_is_refused);
fn a_string_over_the_result_bytes_is_refused() {
    // 40 MiB fits in guest memory (64 MiB) but not in the 16 MiB the host copies out.
    let limits = Limits { result_bytes: 16 * MIB, memory_bytes: 64 * MIB, ..test_limits() };
    let (failure, text) = fails("huge-string", limits, &[("mode", "40mib")]);
    match &failure {
        PluginFailure::ResultCap(detail) => assert_eq!(detail, "the plugin tried to return more than 16777216 bytes"),
        other => panic!("expected ResultCap, got {other:?}"),
    }
    assert_eq!(text, "plugin hostile-huge-string exceeded the result cap: the plugin tried to return more than 16777216 bytes");
}

// ---- what the plugin can observe ----------------------------------------------------

fn snoop(mode: &str) -> lvyue::report::Report {
    let dir = tempfile::tempdir().unwrap();
    let host = host(vec![bundle(dir.path(), "snoop")], test_limits());
    let report = evaluate(&host, "hostile-snoop", &[("mode", mode)])
        .unwrap_or_else(|e| panic!("snoop {mode}: the evaluation itself must succeed: {e}"));
    for m in &report.metrics {
        eprintln!("snoop {mode}: {} = {:?}", m.key, m.value);
    }
    report
}

fn assert_error(report: &lvyue::report::Report, key: &str) {
    let seen = metric(report, key);
    assert!(seen.starts_with("error: "), "{key}: the plugin got through: {seen}");
}

both_contracts!(files_are_out_of_reach);
fn files_are_out_of_reach() {
    let r = snoop("file");
    for key in ["file.read_passwd", "file.list_root", "file.list_cwd", "file.create"] {
        assert_error(&r, key);
    }
}

both_contracts!(environment_and_arguments_are_empty);
fn environment_and_arguments_are_empty() {
    let r = snoop("env");
    assert_eq!(metric(&r, "env.vars_count"), "0", "vars: {}", metric(&r, "env.vars"));
    assert_eq!(metric(&r, "env.vars"), "");
    assert_eq!(metric(&r, "env.args_count"), "0", "args: {}", metric(&r, "env.args"));
    assert_eq!(metric(&r, "env.args"), "");
    assert!(metric(&r, "env.home").starts_with("Err("), "HOME: {}", metric(&r, "env.home"));
    // No preopened directory: there is no meaningful current directory either.
    let cwd = metric(&r, "env.cwd");
    assert!(cwd.starts_with("error: ") || cwd == "ok: /" || cwd == "ok: ", "cwd: {cwd}");
}

both_contracts!(clocks_are_fixed);
fn clocks_are_fixed() {
    let r = snoop("clock");
    // The wall clock reads the Unix epoch and stays there while real time passes.
    assert_eq!(metric(&r, "clock.wall_before_ns"), "0");
    assert_eq!(metric(&r, "clock.wall_after_ns"), "0");
    // The monotonic clock does not advance.
    assert_eq!(metric(&r, "clock.mono_advance_ns"), "0");
    assert_eq!(metric(&r, "clock.mono_elapsed_ns"), "0");
}

both_contracts!(sockets_are_refused);
fn sockets_are_refused() {
    let r = snoop("socket");
    for key in ["socket.tcp_connect", "socket.tcp_listen", "socket.udp_bind", "socket.udp_send", "socket.dns"] {
        assert_error(&r, key);
    }
}

// ---- panics -------------------------------------------------------------------------

both_contracts!(a_panic_is_reported_with_its_message);
fn a_panic_is_reported_with_its_message() {
    let (failure, text) = fails("panic", test_limits(), &[]);
    match &failure {
        PluginFailure::Panic(message) => assert!(message.contains("rules table corrupt: 42"), "{message}"),
        other => panic!("expected Panic, got {other:?}"),
    }
    assert!(text.starts_with("plugin hostile-panic panicked: rules table corrupt: 42 (at "), "{text}");
}

both_contracts!(an_abort_is_a_trap_that_says_which);
fn an_abort_is_a_trap_that_says_which() {
    // No panic message to report: the trap itself leads the message, then
    // where it happened.
    let (failure, text) = fails("panic", test_limits(), &[("mode", "abort")]);
    match &failure {
        PluginFailure::Trap(message) => {
            assert!(message.starts_with("wasm trap: wasm `unreachable` instruction executed | "), "{message}");
            assert!(message.contains("abort"), "{message}");
        }
        other => panic!("expected Trap, got {other:?}"),
    }
    assert!(text.starts_with("plugin hostile-panic trapped: wasm trap: wasm `unreachable` instruction executed"), "{text}");
}

// ---- refused before compiling ---------------------------------------------------------

#[test]
fn a_future_contract_is_refused_by_its_manifest_range() {
    let dir = tempfile::tempdir().unwrap();
    let bundle_dir = bundle_with_contract(dir.path(), "future-contract", "^2.0.0");
    // The component is not even read: the range check comes first.
    std::fs::remove_file(bundle_dir.join("plugin.wasm")).unwrap();
    let err = Bundle::load_dir(&bundle_dir).expect_err("a ^2.0.0 plugin must be refused");
    let text = err.to_string();
    match &err {
        BundleError::ContractRange { id, wanted, host, .. } => {
            assert_eq!(id, "hostile-future-contract");
            assert_eq!(wanted, "^2.0.0");
            assert_eq!(*host, CONTRACT_VERSION);
        }
        other => panic!("expected ContractRange, got {other:?}"),
    }
    assert!(text.contains("plugin hostile-future-contract"), "{text}");
    assert!(text.contains("needs contract ^2.0.0; this lvyue implements lvyue:compliance@1.1.0"), "{text}");
    assert!(text.contains("Upgrade lvyue"), "{text}");

    // A host loading it records the refusal and says so when asked for the plugin.
    let host = host(vec![bundle_dir], test_limits());
    assert!(host.bundles().is_empty());
    assert!(matches!(host.refused()[..], [BundleError::ContractRange { .. }]));
    match evaluate(&host, "hostile-future-contract", &[]) {
        Err(RunError::Refused { plugin, reason }) => {
            assert_eq!(plugin, "hostile-future-contract");
            assert!(reason.contains("^2.0.0") && reason.contains("1.1.0"), "{reason}");
        }
        other => panic!("expected Refused, got {other:?}"),
    }
}

#[test]
fn a_future_contract_behind_a_lying_manifest_is_refused_by_the_export_check() {
    let dir = tempfile::tempdir().unwrap();
    let bundle_dir = bundle_with_contract(dir.path(), "future-contract", "^1.0.0");
    let err = Bundle::load_dir(&bundle_dir).expect_err("a component exporting @2.0.0 must be refused");
    let text = err.to_string();
    match &err {
        BundleError::Contract { id, source: ContractError::Incompatible { found, host }, .. } => {
            assert_eq!(id, "hostile-future-contract");
            assert_eq!(*found, Version { major: 2, minor: 0, patch: 0 });
            assert_eq!(*host, CONTRACT_VERSION);
        }
        other => panic!("expected Contract(Incompatible), got {other:?}"),
    }
    assert!(text.contains("plugin hostile-future-contract"), "{text}");
    assert!(text.contains("built against contract lvyue:compliance@2.0.0"), "{text}");
    assert!(text.contains("this lvyue implements lvyue:compliance@1.1.0"), "{text}");

    // Refused at load, so the host never compiles or runs it.
    let host = host(vec![bundle_dir], test_limits());
    assert!(host.bundles().is_empty());
    assert!(matches!(host.refused()[..], [BundleError::Contract { .. }]));
    assert!(matches!(evaluate(&host, "hostile-future-contract", &[]), Err(RunError::Refused { .. })));
}

both_contracts!(a_component_changed_after_packing_is_refused);
fn a_component_changed_after_packing_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let bundle_dir = bundle(dir.path(), "well-behaved");
    let wasm = bundle_dir.join("plugin.wasm");
    let mut bytes = std::fs::read(&wasm).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x01;
    std::fs::write(&wasm, &bytes).unwrap();
    let err = Bundle::load_dir(&bundle_dir).expect_err("a tampered component must be refused");
    let text = err.to_string();
    match &err {
        BundleError::DigestMismatch { id, what, expected, actual, .. } => {
            assert_eq!(id, "hostile-well-behaved");
            assert_eq!(*what, "component");
            assert_ne!(expected, actual);
            assert_eq!(actual, &lvyue::bundle::digest::sha256_hex(&bytes));
        }
        other => panic!("expected DigestMismatch, got {other:?}"),
    }
    assert!(text.contains("plugin hostile-well-behaved") && text.contains("component digest mismatch"), "{text}");
}

both_contracts!(rules_changed_after_packing_are_refused);
fn rules_changed_after_packing_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let bundle_dir = bundle(dir.path(), "well-behaved");
    let rules = bundle_dir.join("rules/hostile-well-behaved/conformance.toml");
    let text = std::fs::read_to_string(&rules).unwrap().replace("value = \"hostile\"", "value = \"edited\"");
    std::fs::write(&rules, text).unwrap();
    let err = Bundle::load_dir(&bundle_dir).expect_err("edited rules must be refused");
    assert!(matches!(&err, BundleError::DigestMismatch { what: "rules", .. }), "expected a rules DigestMismatch, got {err:?}");
    let text = err.to_string();
    assert!(text.contains("plugin hostile-well-behaved") && text.contains("rules digest mismatch"), "{text}");
}

// ---- the host carries on ---------------------------------------------------------------

both_contracts!(the_host_carries_on_after_every_failure);
/// Every attack in turn against ONE host; after each, the same host evaluates
/// a well-behaved plugin and (built in) cn-ets as if nothing had happened.
fn the_host_carries_on_after_every_failure() {
    let dir = tempfile::tempdir().unwrap();
    let names = [
        "well-behaved",
        "infinite-loop",
        "slow-sleep",
        "memory-bomb",
        "recursion",
        "billion-findings",
        "huge-string",
        "panic",
        "snoop",
        "contract-1-0",
        "broken-columns",
    ];
    let mut dirs: Vec<_> = names.iter().map(|n| bundle(dir.path(), n)).collect();
    // Two refused bundles: a future contract and a tampered component.
    dirs.push(bundle_with_contract(dir.path(), "future-contract", "^1.0.0"));
    let tampered = tempfile::tempdir().unwrap();
    let tampered_dir = bundle(tampered.path(), "recursion");
    let wasm = tampered_dir.join("plugin.wasm");
    let mut bytes = std::fs::read(&wasm).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&wasm, bytes).unwrap();
    dirs.push(tampered_dir);

    let limits = test_limits();
    let host = lvyue::host::Host::new(lvyue::host::HostOptions {
        bundles: dirs,
        no_builtins: false,
        cache_dir: None,
        limits: limits.clone(),
        ..Default::default()
    })
    .expect("host starts");
    assert_eq!(host.refused().len(), 2, "refused: {:?}", host.refused());
    let sample =
        lvyue::input::request::RequestFile::read(&crate::common::root().join("tests/samples/cn-ets-2024.toml")).expect("sample request");

    let benign = |after: &str| {
        let r =
            evaluate(&host, "hostile-well-behaved", &[]).unwrap_or_else(|e| panic!("after {after}: the well-behaved plugin failed: {e}"));
        assert_eq!(metric(&r, "answer"), "42", "after {after}");
        let r = evaluate(&host, "hostile-contract-1-0", &[]).unwrap_or_else(|e| panic!("after {after}: the frozen 1.0 plugin failed: {e}"));
        assert_eq!(metric(&r, "rows"), "0", "after {after}");
        let r = host
            .evaluate(&lvyue::host::Evaluate {
                jurisdiction: &sample.jurisdiction,
                year: sample.year,
                tables: &sample.tables,
                options: &sample.options,
                inputs: vec![],
            })
            .unwrap_or_else(|e| panic!("after {after}: cn-ets failed: {e}"));
        assert!(r.metric("obligation_t").is_some(), "after {after}");
    };
    benign("nothing");

    type Check = fn(&PluginFailure) -> bool;
    let attacks: &[(&str, Options, Check)] = &[
        ("infinite-loop", &[], |f| matches!(f, PluginFailure::OutOfFuel { .. })),
        ("slow-sleep", &[], |f| matches!(f, PluginFailure::Timeout(_))),
        ("memory-bomb", &[], |f| matches!(f, PluginFailure::MemoryCap { .. })),
        ("recursion", &[], |f| matches!(f, PluginFailure::StackOverflow)),
        ("recursion", &[("mode", "frames")], |f| matches!(f, PluginFailure::StackOverflow)),
        ("billion-findings", &[], |f| matches!(f, PluginFailure::MemoryCap { .. } | PluginFailure::ResultCap(_))),
        ("billion-findings", &[("mode", "many")], |f| matches!(f, PluginFailure::ResultCap(_))),
        ("huge-string", &[("mode", "gigabyte")], |f| matches!(f, PluginFailure::MemoryCap { .. })),
        ("huge-string", &[("mode", "40mib")], |f| matches!(f, PluginFailure::ResultCap(_))),
        ("panic", &[], |f| matches!(f, PluginFailure::Panic(m) if m.contains("rules table corrupt: 42"))),
        ("panic", &[("mode", "abort")], |f| matches!(f, PluginFailure::Trap(_))),
        ("broken-columns", &[], |f| matches!(f, PluginFailure::Contract(_))),
        ("broken-columns", &[("mode", "rows")], |f| matches!(f, PluginFailure::ResultCap(_))),
    ];
    for (name, options, check) in attacks {
        let label = format!("{name} {options:?}");
        let (failure, _) = expect_failure(&host, name, options);
        assert!(check(&failure), "{label}: unexpected failure {failure:?}");
        benign(&label);
        // The same attack again: contained the same way, no state carried over.
        let (again, _) = expect_failure(&host, name, options);
        assert!(check(&again), "{label} (again): unexpected failure {again:?}");
    }

    // Snooping succeeds and learns nothing; refused bundles stay refused.
    for mode in ["file", "env", "clock", "socket"] {
        evaluate(&host, "hostile-snoop", &[("mode", mode)]).unwrap_or_else(|e| panic!("snoop {mode}: {e}"));
        benign(&format!("snoop {mode}"));
    }
    assert!(matches!(evaluate(&host, "hostile-future-contract", &[]), Err(RunError::Refused { .. })));
    benign("the refused future-contract");
}

both_contracts!(failure_messages_name_the_plugin_and_the_limit);
fn failure_messages_name_the_plugin_and_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let names = ["infinite-loop", "memory-bomb", "recursion", "billion-findings", "huge-string", "panic"];
    let host = host(names.iter().map(|n| bundle(dir.path(), n)).collect(), test_limits());
    let expected: &[(&str, Options, &str)] = &[
        (
            "infinite-loop",
            &[],
            "plugin hostile-infinite-loop ran out of fuel: used its budget of 200000000 units (fuel scales with input size: 200000000 + 1000 per cell)",
        ),
        (
            "memory-bomb",
            &[],
            "plugin hostile-memory-bomb exceeded the memory cap of 67108864 bytes across all its linear memories (asked for ",
        ),
        ("recursion", &[], "plugin hostile-recursion overflowed its stack"),
        ("recursion", &[("mode", "frames")], "plugin hostile-recursion overflowed its stack"),
        (
            "billion-findings",
            &[("mode", "many")],
            "plugin hostile-billion-findings exceeded the result cap: 150000 findings returned, the cap is 100000",
        ),
        (
            "huge-string",
            &[("mode", "40mib")],
            "plugin hostile-huge-string exceeded the result cap: the plugin tried to return more than 33554432 bytes",
        ),
        ("panic", &[], "plugin hostile-panic panicked: rules table corrupt: 42"),
        ("panic", &[("mode", "abort")], "plugin hostile-panic trapped: wasm trap: wasm `unreachable` instruction executed"),
    ];
    for (name, options, prefix) in expected {
        let (_, text) = expect_failure(&host, name, options);
        assert!(text.starts_with(prefix), "{name}: the message\n  {text}\ndoes not start with\n  {prefix}");
    }
}

// ---- contract 1.1: columns that lie ----------------------------------------------------

#[test]
fn columns_that_break_the_contract_are_refused() {
    // Each lie is found before anything is built from it.
    let cases: &[(&str, &str)] = &[
        ("ends", "string ends are not increasing within the buffer"),
        ("boundary", "on character boundaries"),
        ("count", "result table broken column c0: 2 strings for 3 entries"),
        ("scale", "scale 40 is over 28"),
        ("lists", "findings.cells: list ends are not increasing"),
    ];
    for (mode, needle) in cases {
        let (failure, text) = fails("broken-columns", test_limits(), &[("mode", mode)]);
        match &failure {
            PluginFailure::Contract(m) => assert!(m.contains(needle), "{mode}: {m}"),
            other => panic!("{mode}: expected Contract, got {other:?}"),
        }
        assert!(text.starts_with("plugin hostile-broken-columns broke the contract: "), "{text}");
    }
    // A row count is cheap to claim: the result caps are checked before it is believed.
    let (failure, _) = fails("broken-columns", test_limits(), &[("mode", "rows")]);
    match &failure {
        PluginFailure::ResultCap(d) => assert_eq!(d, "4294967295 decisions and table rows returned, the cap is 2000000"),
        other => panic!("expected ResultCap, got {other:?}"),
    }
}

/// Bundles are verified when used: evaluating one plugin does not read the
/// component of another (here one whose component was deleted after the host
/// started), and the broken one is reported when it is asked for, or when all
/// are listed.
#[test]
fn only_the_bundles_used_are_verified() {
    let dir = tempfile::tempdir().unwrap();
    let good = bundle(dir.path(), "well-behaved");
    let broken = bundle(dir.path(), "panic");
    let host = host(vec![good, broken.clone()], test_limits());
    std::fs::remove_file(broken.join("plugin.wasm")).unwrap();
    evaluate(&host, "hostile-well-behaved", &[]).expect("the plugin asked for runs");
    // Eager verification at start would have hashed the component: a digest-checked
    // bundle, not a missing file.
    match evaluate(&host, "hostile-panic", &[]) {
        Err(RunError::Refused { reason, .. }) => assert!(reason.contains("plugin.wasm"), "{reason}"),
        other => panic!("expected Refused for the missing component, got {other:?}"),
    }
    assert_eq!(host.bundles().len(), 1);
    assert!(matches!(host.refused()[..], [BundleError::Unreadable { .. }]), "{:?}", host.refused());
}
