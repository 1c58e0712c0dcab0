//! Contract `lvyue:compliance@1.0.0`: the bindings generated from the frozen
//! WIT folder `plugins/wit/lvyue-compliance-1.0.0/`.

wasmtime::component::bindgen!({
    path: "../plugins/wit/lvyue-compliance-1.0.0",
    world: "compliance-plugin",
    additional_derives: [PartialEq],
});

pub use self::exports::lvyue::compliance::plugin::EvaluationError;
pub use self::lvyue::compliance::types::*;
