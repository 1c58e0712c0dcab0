//! Tables longer than a sheet. Excel holds 1,048,576 rows per sheet; a table
//! with more data rows (the emissions table or the trace of a
//! 1,000,000-row inventory) goes on over continuation sheets named
//! "<sheet> (2)", "<sheet> (3)", …, each with the header row again, and its
//! rows in order. The JSON report holds every table whole.
//!
//! Long tables are written in rust_xlsxwriter's constant-memory mode (each
//! row is written out as soon as the next begins), so a workbook of a
//! million rows does not hold a million rows of cells in memory.

use std::ops::Range;

/// Rows in one Excel sheet.
pub(crate) const EXCEL_ROWS: usize = 1_048_576;
/// Data rows of one sheet below its header row.
pub const ROWS_PER_SHEET: usize = EXCEL_ROWS - 1;

/// The data rows of each sheet of a table of `rows` rows, at most
/// `per_sheet` a sheet: one (maybe empty) range for a table that fits.
#[allow(clippy::single_range_in_vec_init)] // a list of ranges, one for a table that fits
pub fn parts(rows: usize, per_sheet: usize) -> Vec<Range<usize>> {
    let per_sheet = per_sheet.max(1);
    if rows == 0 {
        return vec![0..0];
    }
    (0..rows.div_ceil(per_sheet)).map(|k| k * per_sheet..((k + 1) * per_sheet).min(rows)).collect()
}

/// The name of continuation sheet `n` (2, 3, …) of sheet `base`, within
/// Excel's 31 characters: the suffix is kept, the base shortened.
pub fn name(base: &str, n: usize) -> String {
    let suffix = format!(" ({n})");
    let keep = 31usize.saturating_sub(suffix.chars().count());
    base.chars().take(keep).collect::<String>() + &suffix
}

#[cfg(test)]
#[allow(clippy::single_range_in_vec_init)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_split_in_order_with_nothing_lost() {
        assert_eq!(parts(0, 10), [0..0]);
        assert_eq!(parts(10, 10), [0..10]);
        assert_eq!(parts(11, 10), [0..10, 10..11]);
        assert_eq!(parts(25, 10), [0..10, 10..20, 20..25]);
        let all = parts(3_000_000, ROWS_PER_SHEET);
        assert_eq!(all.len(), 3);
        assert_eq!(all.iter().map(|r| r.len()).sum::<usize>(), 3_000_000);
        assert!(all.iter().all(|r| r.len() < EXCEL_ROWS), "each part fits a sheet with its header");
    }

    #[test]
    fn continuation_names_fit_excel() {
        assert_eq!(name("追溯 Trace", 2), "追溯 Trace (2)");
        let long = name("排放核算 Emissions by source and factor", 12);
        assert_eq!(long.chars().count(), 31);
        assert!(long.ends_with(" (12)"), "{long}");
    }
}
