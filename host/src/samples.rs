//! The bundled sample workbooks are made from the sample request files, so
//! the two never drift apart (`host/tests/samples.rs` checks the committed
//! files; `LVYUE_BLESS=1` rewrites them).

use std::path::Path;

use crate::host::{Host, RunError};
use crate::request::RequestFile;

/// The inventory and portfolio workbooks holding a request file's tables.
pub fn workbooks_for(host: &Host, request: &Path) -> Result<(Vec<u8>, Vec<u8>), RunError> {
    let req = RequestFile::read(request).map_err(|e| RunError::Io(e.to_string()))?;
    let bundle = host.find(&req.jurisdiction).ok_or_else(|| RunError::NotFound(req.jurisdiction.clone()))?;
    let info = host.describe(bundle)?;
    let (inventory, portfolio) = crate::template::split(&info);
    let build = |part: &crate::contract::PluginInfo| {
        crate::template::build_with_data(part, Some(req.year), &req.tables).map_err(|e| RunError::Io(format!("building the sample workbook: {e}")))
    };
    Ok((build(&inventory)?, build(&portfolio)?))
}
