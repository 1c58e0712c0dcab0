//! The bundled samples: request files in `tests/samples/*.toml`, embedded in
//! the binary for `lvyue demo`. Each is also laid out as input workbooks
//! (`<name>-inventory.xlsx`, and `<name>-portfolio.xlsx` when the plugin reads
//! portfolio sheets), made by the same code as the templates, so the two never
//! drift apart (`host/tests/samples.rs` checks the committed files;
//! `LVYUE_BLESS=1` rewrites them). A sample with month-by-month rows for a
//! layout its plugin declares (`cn-ets-2024-plant*.toml`) has its inventory
//! written in the official layout, months as columns, as carbon managers keep it.

use crate::host::{Host, RunError};
use crate::input::request::RequestFile;

/// A sample's input workbooks: (file name, bytes).
pub fn workbooks(host: &Host, name: &str, req: &RequestFile) -> Result<Vec<(String, Vec<u8>)>, RunError> {
    let bundle = host.find(&req.jurisdiction).ok_or_else(|| RunError::NotFound(req.jurisdiction.clone()))?;
    let info = host.describe(bundle)?;
    let (inventory, portfolio) = crate::input::template::split(&info);
    let build = |part: &crate::contract::PluginInfo| {
        crate::input::template::build_with_data(part, Some(req.year), &req.tables)
            .map_err(|e| RunError::Io(format!("building the sample workbook: {e}")))
    };
    // A sample with rows for a declared layout's sheet is written as the user keeps
    // it: the inventory in the official layout (`crate::input::layout::template`).
    let layouts = bundle.manifest.layouts();
    let official = req.tables.iter().any(|t| !t.rows.is_empty() && layouts.iter().any(|l| l.target == t.key));
    let inventory_bytes = if official {
        crate::input::layout::template::build(&inventory, layouts, Some(req.year), &req.tables)
            .map_err(|e| RunError::Io(format!("building the sample workbook: {e}")))?
    } else {
        build(&inventory)?
    };
    let stem = name.trim_end_matches(".toml");
    let mut out = vec![(format!("{stem}-inventory.xlsx"), inventory_bytes)];
    if !portfolio.input.is_empty() {
        out.push((format!("{stem}-portfolio.xlsx"), build(&portfolio)?));
    }
    Ok(out)
}

/// The bundled samples as (file name, parsed request), the national ETS first.
pub fn bundled() -> Result<Vec<(String, RequestFile)>, RunError> {
    let mut samples: Vec<&(&str, &str)> = crate::builtin::SAMPLES.iter().collect();
    // By stem, so a sample comes before its variants (cn-ets-2024, then cn-ets-2024-plant…).
    samples.sort_by_key(|(name, _)| (!name.starts_with("cn-ets"), name.trim_end_matches(".toml")));
    samples
        .into_iter()
        .map(|(name, text)| {
            let table: toml::Table = text.parse().map_err(|e| RunError::Io(format!("sample {name}: {e}")))?;
            RequestFile::from_toml_table(name, table)
                .map(|r| (name.to_string(), r))
                .map_err(|e| RunError::Io(format!("sample {name}: {e}")))
        })
        .collect()
}
