//! The compliance workbook as it is handed in: printed, signed and stamped.
//! LibreOffice prints it to PDF; the answer sheet must fill exactly one A4
//! page (the footer of every page names its sheet, so page 2 must already be
//! the Summary), and every page carries the page number and count.

use std::path::Path;
use std::process::Command;

fn tool(names: &[&str], arg: &str) -> Option<String> {
    names
        .iter()
        .find(|b| Command::new(b).arg(arg).output().is_ok_and(|o| o.status.success() || !o.stdout.is_empty() || !o.stderr.is_empty()))
        .map(|s| s.to_string())
}

fn page_text(pdf: &Path, page: u32) -> String {
    let o = Command::new("pdftotext")
        .args(["-layout", "-f", &page.to_string(), "-l", &page.to_string()])
        .arg(pdf)
        .arg("-")
        .output()
        .expect("run pdftotext");
    assert!(o.status.success(), "pdftotext: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn the_answer_prints_on_one_page_before_the_summary() {
    let (Some(soffice), Some(_)) = (tool(&["soffice", "libreoffice"], "--version"), tool(&["pdftotext"], "-v")) else {
        assert!(std::env::var_os("CI").is_none(), "LibreOffice and poppler-utils must be installed in CI (.ci/run installs them)");
        eprintln!("skipped: LibreOffice or pdftotext is not installed here");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let request = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/samples/cn-ets-2024.toml");
    let xlsx = dir.path().join("report.xlsx");
    let o = Command::new(env!("CARGO_BIN_EXE_lvyue"))
        .arg("--no-cache")
        .arg("evaluate")
        .arg("--request")
        .arg(&request)
        .arg("--out")
        .arg(&xlsx)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let profile = dir.path().join("profile");
    let o = Command::new(soffice)
        .arg(format!("-env:UserInstallation=file://{}", profile.display()))
        .args(["--headless", "--norestore", "--convert-to", "pdf", "--outdir"])
        .arg(dir.path())
        .arg(&xlsx)
        .output()
        .expect("run LibreOffice");
    assert!(o.status.success(), "LibreOffice failed: {}", String::from_utf8_lossy(&o.stderr));
    let pdf = dir.path().join("report.pdf");

    let first = page_text(&pdf, 1);
    assert!(first.contains("结论 Answer"), "page 1 is the answer sheet:\n{first}");
    assert!(first.contains("Answer: surrender") && first.contains("31,367"), "the answer in words, with the shortfall:\n{first}");
    assert!(first.contains("Company stamp"), "the signature and stamp block is on page 1:\n{first}");
    assert!(first.contains("Page 1 of"), "page numbers in the footer:\n{first}");
    let second = page_text(&pdf, 2);
    assert!(
        second.contains("汇总 Summary") && !second.contains("结论 Answer"),
        "page 2 is already the Summary, so the answer took one page:\n{second}"
    );
    assert!(second.contains("cn-ets 2024"), "the header names jurisdiction and year:\n{second}");
}
