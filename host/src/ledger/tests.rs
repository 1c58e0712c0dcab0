use super::diff::diff;
use super::export::{csv_line, export_csv, export_xlsx};
use super::serial;
use super::store::{Filter, Ledger, LedgerError, level};
use super::*;

fn use_of(serial: &str, quantity: &str, status: UseStatus, claim: ClaimKind, row: u32) -> NewUse {
    NewUse {
        serial: serial.into(),
        quantity: quantity.into(),
        used: quantity.into(),
        unit: "t".into(),
        instrument: "CCER".into(),
        status,
        claim,
        table: "credit_holdings".into(),
        row: format!("减排量持有!{row}"),
        cell: format!("减排量持有!A{row}"),
        new_forestry: false,
    }
}

fn planned(serial: &str, quantity: &str, row: u32) -> NewUse {
    use_of(serial, quantity, UseStatus::Planned, ClaimKind::Compliance, row)
}

fn record(entity: &str, jurisdiction: &str, year: u16, digest: &str, uses: Vec<NewUse>) -> EvaluationRecord {
    EvaluationRecord {
        entity: entity.into(),
        jurisdiction: jurisdiction.into(),
        year,
        source: "batch".into(),
        input_digest: digest.into(),
        inputs: vec![("inventory.xlsx".into(), format!("{digest}-inv")), ("portfolio.xlsx".into(), format!("{digest}-pf"))],
        options: vec![("surrender_date".into(), format!("{year}-12-31"))],
        plugin_id: "cn-ets".into(),
        plugin_version: "1.0.0".into(),
        plugin_sha256: "p".repeat(64),
        rules_sha256: "r".repeat(64),
        metrics: vec![("obligation_t".into(), Some("100000".into()), "t".into()), ("shortfall_t".into(), Some("0".into()), "t".into())],
        findings: [0, 1, 2],
        status: "compliant".into(),
        uses,
    }
}

#[test]
fn two_entities_planning_the_same_block_is_dc03_naming_both() {
    let mut l = Ledger::open_in_memory().unwrap();
    let a = l.record(&record("甲公司", "cn-ets", 2024, "a", vec![planned("CCER-2016-0001-000001-100000", "100000", 3)])).unwrap();
    assert!(a.conflicts.is_empty());
    assert_eq!((a.version, a.unchanged, a.supersedes), (1, false, None));
    let b = l.record(&record("乙公司", "cn-ets", 2024, "b", vec![planned("CCER-2016-0001-050001-150000", "100000", 5)])).unwrap();
    assert_eq!(b.conflicts.len(), 1);
    let c = &b.conflicts[0];
    assert_eq!(c.check, Check::Dc03);
    assert_eq!((c.shared.as_str(), c.shared_units), ("50001–100000", 50_000));
    assert_eq!(c.earlier.entity, "甲公司");
    assert_eq!(c.earlier.evaluation_id, a.evaluation_id);
    let (zh, en) = c.messages("乙公司", "cn-ets", 2024);
    for text in [&zh, &en] {
        assert!(text.contains("甲公司") && text.contains("乙公司"), "{text}");
        assert!(text.contains("CCER-2016-0001-000001-100000") && text.contains("CCER-2016-0001-050001-150000"), "{text}");
        assert!(text.contains("DC-03"), "{text}");
    }
    // The overlap is one of the second evaluation's errors in the ledger, as in its report.
    let rows = l.list(&Filter::default()).unwrap();
    let count = |entity: &str| rows.iter().find(|r| r.entity == entity).map(|r| (r.errors, r.warnings, r.infos, r.status.clone())).unwrap();
    assert_eq!(count("甲公司"), (0, 1, 2, "compliant".to_string()));
    assert_eq!(count("乙公司"), (1, 1, 2, "errors".to_string()));
}

#[test]
fn one_entity_in_two_years_is_dc03_and_two_claims_are_dc17() {
    let mut l = Ledger::open_in_memory().unwrap();
    l.record(&record("甲公司", "cn-ets", 2023, "a", vec![planned("CCER-14-0001-000001-000300", "300", 3)])).unwrap();
    let next_year = l.record(&record("甲公司", "cn-ets", 2024, "b", vec![planned("CCER-14-0001-000300-000400", "101", 3)])).unwrap();
    assert_eq!(next_year.conflicts.iter().map(|c| (c.check, c.shared_units)).collect::<Vec<_>>(), vec![(Check::Dc03, 1)]);
    // An event retires units another entity planned to surrender.
    let event = use_of("CCER-14-0001-000250 ~ CCER-14-0001-000260", "11", UseStatus::Retired, ClaimKind::Event, 7);
    let ev = l.record(&record("广交会", "event-neutrality", 2024, "c", vec![event])).unwrap();
    assert_eq!(ev.conflicts.len(), 1);
    assert_eq!(ev.conflicts[0].check, Check::Dc17);
    assert_eq!(ev.conflicts[0].earlier.year, 2023);
    // One entity surrendering the same block in two jurisdictions in one year.
    let two = l.record(&record("甲公司", "cn-guangdong", 2024, "d", vec![planned("CCER-14-0001-000390-000390", "1", 4)])).unwrap();
    assert_eq!(two.conflicts.iter().map(|c| c.check).collect::<Vec<_>>(), vec![Check::Dc17]);
}

#[test]
fn a_new_forestry_sink_used_again_is_dc19() {
    let mut l = Ledger::open_in_memory().unwrap();
    let mut sink = use_of("FS-GD-2024-000001-001000", "1000", UseStatus::Retired, ClaimKind::Event, 3);
    sink.new_forestry = true;
    l.record(&record("活动甲", "event-neutrality", 2024, "a", vec![sink])).unwrap();
    let again = use_of("FS-GD-2024-000900-001100", "201", UseStatus::Retired, ClaimKind::Event, 4);
    let r = l.record(&record("活动乙", "event-neutrality", 2025, "b", vec![again])).unwrap();
    assert_eq!(r.conflicts.iter().map(|c| (c.check, c.shared_units)).collect::<Vec<_>>(), vec![(Check::Dc19, 101)]);
}

#[test]
fn rows_of_one_evaluation_that_overlap_are_found() {
    let mut l = Ledger::open_in_memory().unwrap();
    let r = l
        .record(&record(
            "甲公司",
            "cn-ets",
            2024,
            "a",
            vec![
                planned("CCER-1-000001-000100", "100", 3),
                planned("CCER-2-000001-000100", "100", 4),
                planned("CCER-1-000100-000199", "100", 5),
            ],
        ))
        .unwrap();
    assert_eq!(r.conflicts.len(), 1);
    let c = &r.conflicts[0];
    assert_eq!((c.new_index, c.earlier.evaluation_id, c.shared.as_str()), (2, 0, "100"));
    assert_eq!(c.earlier.serial, "CCER-1-000001-000100");
    assert!(c.messages("甲公司", "cn-ets", 2024).1.contains("another row of this evaluation"));
}

#[test]
fn a_correction_supersedes_and_the_diff_shows_it() {
    let mut l = Ledger::open_in_memory().unwrap();
    let v1 = l.record(&record("甲公司", "cn-ets", 2024, "a", vec![planned("CCER-9-000001-000100", "100", 3)])).unwrap();
    // The same evaluation again (a resumed batch): nothing new.
    let same = l.record(&record("甲公司", "cn-ets", 2024, "a", vec![planned("CCER-9-000001-000100", "100", 3)])).unwrap();
    assert!(same.unchanged);
    assert_eq!(same.evaluation_id, v1.evaluation_id);
    assert_eq!(l.current_input_digest("甲公司", "cn-ets", 2024).unwrap().as_deref(), Some("a"));
    // A corrected portfolio: version 2, version 1's uses leave the live index and the
    // entity does not conflict with itself.
    let mut corrected =
        record("甲公司", "cn-ets", 2024, "b", vec![planned("CCER-9-000001-000080", "80", 3), planned("CCER-9-000200-000209", "10", 4)]);
    corrected.metrics[1].1 = Some("20".into());
    corrected.status = "shortfall".into();
    let v2 = l.record(&corrected).unwrap();
    assert_eq!((v2.version, v2.supersedes, v2.unchanged), (2, Some(v1.evaluation_id), false));
    assert!(v2.conflicts.is_empty(), "{:?}", v2.conflicts);
    assert_eq!(l.counts().unwrap(), (2, 1, 3, 2));
    let versions = l.versions("甲公司", "cn-ets", 2024).unwrap();
    assert_eq!(versions.iter().map(|v| (v.version, v.superseded_by)).collect::<Vec<_>>(), vec![(1, Some(v2.evaluation_id)), (2, None)]);
    // Another entity overlapping what only version 1 used finds nothing.
    let (c, _) = l.check("乙公司", "cn-ets", 2024, &[planned("CCER-9-000081-000100", "20", 3)]).unwrap();
    assert!(c.is_empty());
    let (c, _) = l.check("乙公司", "cn-ets", 2024, &[planned("CCER-9-000080-000100", "21", 3)]).unwrap();
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].earlier.version, 2);
    let changes = diff(&l, v1.evaluation_id, v2.evaluation_id).unwrap();
    let lines: Vec<String> = changes.iter().map(|c| c.to_string()).collect();
    let has = |what: &str, key: &str, from: &str, to: &str| {
        changes.iter().any(|c| c.what == what && c.key == key && c.from == from && c.to == to)
    };
    assert!(has("input", "#1", "inventory.xlsx (sha256 a-inv)", "inventory.xlsx (sha256 b-inv)"), "{lines:#?}");
    assert!(has("status", "status", "compliant", "shortfall"), "{lines:#?}");
    assert!(has("metric", "shortfall_t", "0 t", "20 t"), "{lines:#?}");
    assert!(has("serial", "CCER-9-000001-000100 [compliance]", "100 t planned", ""), "{lines:#?}");
    assert!(has("serial", "CCER-9-000200-000209 [compliance]", "", "10 t planned"), "{lines:#?}");
    assert!(!changes.iter().any(|c| c.what == "plugin" || c.what == "rules" || c.key == "obligation_t"), "{lines:#?}");
    // `list` shows the current version only unless asked.
    assert_eq!(l.list(&Filter::default()).unwrap().len(), 1);
    assert_eq!(l.list(&Filter { all_versions: true, ..Filter::default() }).unwrap().len(), 2);
    assert_eq!(l.list(&Filter { entity: Some("乙公司".into()), ..Filter::default() }).unwrap().len(), 0);
}

#[test]
fn serial_notes_are_reported_and_blank_serials_skipped() {
    let mut l = Ledger::open_in_memory().unwrap();
    let r = l
        .record(&record(
            "甲公司",
            "cn-ets",
            2024,
            "a",
            vec![planned("CCER-03-2025-2040", "20000", 3), planned("  ", "5", 4), planned("CCER-1-000001-000010", "10", 5)],
        ))
        .unwrap();
    assert_eq!(r.notes.len(), 1);
    assert_eq!(r.notes[0].span_and_quantity, Some((16, 20_000)));
    assert_eq!(r.notes[0].new_index, 0);
    assert!(r.notes[0].messages().1.contains("whole identifier"));
    assert_eq!(l.show(r.evaluation_id).unwrap().uses.len(), 2);
}

#[test]
fn the_ledger_file_is_reopened_and_other_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.sqlite");
    {
        let mut l = Ledger::open(&path).unwrap();
        l.record(&record("甲公司", "cn-ets", 2024, "a", vec![planned("CCER-1-000001-000010", "10", 3)])).unwrap();
    }
    let l = Ledger::open(&path).unwrap();
    assert_eq!(l.counts().unwrap(), (1, 1, 1, 1));
    let other = dir.path().join("other.sqlite");
    rusqlite::Connection::open(&other).unwrap().execute_batch("CREATE TABLE t (x INTEGER);").unwrap();
    assert!(matches!(Ledger::open(&other), Err(LedgerError::NotALedger(_))));
    let newer = dir.path().join("newer.sqlite");
    drop(Ledger::open(&newer).unwrap());
    rusqlite::Connection::open(&newer).unwrap().execute_batch("PRAGMA user_version = 99;").unwrap();
    assert!(matches!(Ledger::open(&newer), Err(LedgerError::NewerSchema { found: 99, .. })));
}

#[test]
fn two_connections_see_each_others_commits() {
    // Two writers (two processes, or two workers) on one file: the second sees the first.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.sqlite");
    let mut a = Ledger::open(&path).unwrap();
    let mut b = Ledger::open(&path).unwrap();
    a.record(&record("甲公司", "cn-ets", 2024, "a", vec![planned("CCER-1-000001-000010", "10", 3)])).unwrap();
    let r = b.record(&record("乙公司", "cn-ets", 2024, "b", vec![planned("CCER-1-000005-000006", "2", 3)])).unwrap();
    assert_eq!(r.conflicts.len(), 1);
}

/// A small deterministic generator (no dependency, same sequence everywhere).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[test]
fn the_interval_index_finds_exactly_what_brute_force_finds() {
    let mut l = Ledger::open_in_memory().unwrap();
    let mut rng = Lcg(7);
    let mut stored: Vec<(String, u64, u64, String)> = Vec::new(); // key, first, last, entity
    // 40 entities × 50 blocks under 6 prefixes, block sizes from 1 to 100,000 units
    // (several size classes per key, so the window logic is exercised).
    for e in 0..40 {
        let entity = format!("E{e:02}");
        let mut uses = Vec::new();
        for r in 0..50 {
            let key = format!("CCER-{}", rng.below(6));
            let size = [1, 7, 300, 5000, 100_000][rng.below(5) as usize] + rng.below(50);
            let first = 1 + rng.below(2_000_000);
            let last = first + size - 1;
            uses.push(planned(&format!("{key}-{first:07}-{last:07}"), &size.to_string(), r + 3));
            stored.push((key, first, last, entity.clone()));
        }
        l.record_unchecked(&[record(&entity, "cn-ets", 2024, &entity, uses)]).unwrap();
    }
    let mut overlaps = 0;
    for probe in 0..300u32 {
        let key = format!("CCER-{}", rng.below(7));
        let size = [1, 20, 1000, 60_000][rng.below(4) as usize];
        let first = 1 + rng.below(2_100_000);
        let last = first + size - 1;
        let new = planned(&format!("{key}-{first:07}-{last:07}"), &size.to_string(), 3);
        let (found, _) = l.check("NEW", "cn-ets", 2024, std::slice::from_ref(&new)).unwrap();
        let mut got: Vec<(String, u64)> = found.iter().map(|c| (c.earlier.entity.clone(), c.shared_units)).collect();
        let mut want: Vec<(String, u64)> = stored
            .iter()
            .filter(|(k, f, t, _)| *k == key && *f <= last && first <= *t)
            .map(|(_, f, t, e)| (e.clone(), last.min(*t) - first.max(*f) + 1))
            .collect();
        got.sort();
        want.sort();
        assert_eq!(got, want, "probe {probe}: {key} {first}–{last}");
        overlaps += want.len();
    }
    assert!(overlaps > 300, "the probes should meet stored blocks: {overlaps}");
}

#[test]
fn size_classes() {
    assert_eq!(level(5, 5), 0);
    assert_eq!(level(5, 6), 1);
    assert_eq!(level(1, 100_000), 17);
    assert_eq!(level(0, u64::MAX >> 1), 63);
}

#[test]
fn export_as_csv_and_workbook() {
    let dir = tempfile::tempdir().unwrap();
    let mut l = Ledger::open_in_memory().unwrap();
    l.record(&record(
        "甲公司, 北京",
        "cn-ets",
        2024,
        "a",
        vec![planned("CCER-1-000001-000010", "10", 3), planned("CCER-1-000011-000020", "10", 4)],
    ))
    .unwrap();
    l.record(&record("乙公司", "cn-ets", 2024, "b", vec![])).unwrap();
    let csv = dir.path().join("ledger.csv");
    assert_eq!(export_csv(&l, &Filter::default(), &csv).unwrap(), 3);
    let text = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4);
    assert!(lines[0].starts_with("\u{feff}evaluation,entity,jurisdiction,year"));
    assert!(lines.iter().any(|l| l.starts_with("1,\"甲公司, 北京\",cn-ets,2024,1,true,") && l.contains("CCER-1-000001-000010")));
    assert!(lines.iter().any(|l| l.starts_with("2,乙公司,cn-ets,2024,1,true,") && l.ends_with(",,,,,,,,,,,,")));
    let xlsx = dir.path().join("ledger.xlsx");
    assert_eq!(export_xlsx(&l, &Filter::default(), &xlsx).unwrap(), 2);
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&xlsx).unwrap();
    assert_eq!(wb.sheet_names(), vec!["评估 Evaluations", "指标 Metrics", "序列号使用 Serial uses"]);
    let uses = wb.worksheet_range("序列号使用 Serial uses").unwrap();
    assert_eq!(uses.height(), 3);
    assert_eq!(uses.get((2, 5)).map(|c| c.to_string()).as_deref(), Some("CCER-1-000011-000020"));
    let metrics = wb.worksheet_range("指标 Metrics").unwrap();
    assert_eq!(metrics.height(), 5);
    assert_eq!(csv_line(&["a\"b", "c"]), "\"a\"\"b\",c\r\n");
}

#[test]
fn green_certificates_in_the_ledger() {
    let mut l = Ledger::open_in_memory().unwrap();
    let code = |seq: u32| format!("12345678901234567202403{seq:07}11");
    let mut a = use_of(&format!("{}~{}", code(1), code(500)), "500", UseStatus::Retired, ClaimKind::Event, 3);
    a.unit = "MWh".into();
    l.record(&record("活动甲", "event-neutrality", 2024, "a", vec![a])).unwrap();
    let mut b = use_of(&code(250), "1", UseStatus::Retired, ClaimKind::Event, 3);
    b.unit = "MWh".into();
    let r = l.record(&record("活动乙", "event-neutrality", 2024, "b", vec![b])).unwrap();
    assert_eq!(r.conflicts.len(), 1);
    assert_eq!(r.conflicts[0].check, Check::Dc03);
    assert_eq!(serial::parse(&code(250), Some(1)).unwrap().0.kind, "GEC");
}
