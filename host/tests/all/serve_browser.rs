//! The page in a real browser: headless Chromium driven through chromedriver
//! (Debian's `chromium` and `chromium-driver`, installed by .ci/run).
//!
//! It opens the page, chooses the national ETS and 2024, drops the bundled
//! sample workbooks and the sample's options, evaluates, checks every
//! headline number shown against the API's JSON for the same upload, switches
//! to Chinese and checks again, downloads the compliance workbook and reads it
//! back, browses the rules, and shows the problems of a broken workbook.
//! Screenshots go to `target/screenshots/`; `LVYUE_BLESS=1` also writes them
//! to `docs/screenshots/` (committed, shown by README.md).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::common::root;
use crate::serve::{JURISDICTION, Server, YEAR, client, inventory, portfolio, sample_form, sample_options};

/// Chromium's flags that work on these machines (no network but loopback).
const FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,1600",
    "--hide-scrollbars",
];

fn installed(names: &[&str]) -> Option<String> {
    names.iter().find(|n| Command::new(n).arg("--version").output().is_ok_and(|o| o.status.success())).map(|s| s.to_string())
}

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts chromedriver on a free port and waits until it is ready.
fn chromedriver(binary: &str) -> (Driver, String) {
    let port = free_port();
    let child = Command::new(binary)
        .arg(format!("--port={port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let driver = Driver(child);
    let url = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    loop {
        if client()
            .get(format!("{url}/status"))
            .send()
            .ok()
            .and_then(|r| r.json::<Value>().ok())
            .is_some_and(|v| v["value"]["ready"] == true)
        {
            return (driver, url);
        }
        assert!(started.elapsed() < Duration::from_secs(30), "chromedriver did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Polls a JavaScript expression until it is true.
async fn until(c: &Client, what: &str, script: &str, timeout: Duration) {
    let started = Instant::now();
    loop {
        if c.execute(&format!("return !!({script});"), vec![]).await.unwrap() == json!(true) {
            return;
        }
        if started.elapsed() > timeout {
            let status = c.execute("return document.getElementById('status').textContent", vec![]).await.unwrap_or_default();
            panic!("timed out waiting for {what}; the page's status: {status}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Every headline number shown: (metric key, exact value, text shown).
async fn headline(c: &Client) -> Vec<(String, String, String)> {
    let v = c
        .execute(
            "return [...document.querySelectorAll('#report [data-metric]')].map(e => [e.dataset.metric, e.dataset.value, e.textContent]);",
            vec![],
        )
        .await
        .unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|t| (t[0].as_str().unwrap().into(), t[1].as_str().unwrap().into(), t[2].as_str().unwrap().into()))
        .collect()
}

fn check_headline(shown: &[(String, String, String)], json: &Value, lang: &str) {
    let metrics = json["metrics"].as_array().unwrap();
    for key in
        ["obligation_t", "allowances_used_t", "offsets_used_t", "shortfall_t", "surrender_deadline", "penalty_min_cny", "penalty_max_cny"]
    {
        let m = metrics.iter().find(|m| m["key"] == key).unwrap();
        let (_, value, text) = shown.iter().find(|(k, ..)| k == key).unwrap_or_else(|| panic!("{lang}: {key} is not shown: {shown:?}"));
        assert_eq!(value, m["value"].as_str().unwrap(), "{lang}: {key}");
        assert_eq!(text.replace(',', ""), *value, "{lang}: {key} as shown");
    }
}

fn save_screenshot(name: &str, png: &[u8]) {
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root().join("target"));
    let mut dirs = vec![target.join("screenshots")];
    if std::env::var_os("LVYUE_BLESS").is_some() {
        dirs.push(root().join("docs/screenshots"));
    }
    for dir in dirs {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), png).unwrap();
    }
}

/// The downloaded file, once Chromium has finished writing it.
fn downloaded(dir: &Path, suffix: &str) -> PathBuf {
    let started = Instant::now();
    loop {
        let names: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().filter_map(|e| e.ok().map(|e| e.path())).collect();
        let done = !names.iter().any(|p| p.to_string_lossy().ends_with(".crdownload"));
        if let Some(p) = names.iter().find(|p| p.to_string_lossy().ends_with(suffix)).filter(|_| done) {
            return p.clone();
        }
        assert!(started.elapsed() < Duration::from_secs(30), "no {suffix} downloaded into {}: {names:?}", dir.display());
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_page_in_chromium_shows_the_same_numbers_as_the_api() {
    let (Some(chromium), Some(driver_bin)) = (installed(&["chromium", "chromium-browser"]), installed(&["chromedriver"])) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "Chromium and chromedriver must be installed in CI (.ci/run installs chromium and chromium-driver)"
        );
        eprintln!("skipped: chromium or chromedriver is not installed here");
        return;
    };
    let t = Instant::now();
    let server = Server::start(&[], &[]);
    // What the API answers for the same upload, and the workbook it builds.
    let api: Value = client().post(server.url("/api/evaluate")).multipart(sample_form()).send().unwrap().json().unwrap();
    let api_xlsx = client().post(server.url("/api/evaluate?format=xlsx")).multipart(sample_form()).send().unwrap().bytes().unwrap();
    let rules: Value = client().get(server.url(&format!("/api/rules/{JURISDICTION}?year={YEAR}"))).send().unwrap().json().unwrap();
    let broken = tempfile::tempdir().unwrap();
    let broken_inventory = broken.path().join("broken-inventory.xlsx");
    std::fs::write(&broken_inventory, b"PK\x03\x04 not really a workbook").unwrap();

    let (_driver, webdriver) = chromedriver(&driver_bin);
    let profile = tempfile::tempdir().unwrap();
    let downloads = tempfile::tempdir().unwrap();
    let mut args: Vec<String> = FLAGS.iter().map(|s| s.to_string()).collect();
    args.push(format!("--user-data-dir={}", profile.path().display()));
    let chromium_path = which(&chromium);
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": chromium_path,
            "args": args,
            "prefs": {
                "download.default_directory": downloads.path(),
                "download.prompt_for_download": false,
                "download.directory_upgrade": true,
            }
        }
    });
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let c = ClientBuilder::new(connector).capabilities(caps.as_object().unwrap().clone()).connect(&webdriver).await.expect("a browser session");
        let wait = Duration::from_secs(120);

        c.goto(&format!("{}/?lang=en", server.base)).await.unwrap();
        until(&c, "the plugins", &format!("document.querySelector('#plugins input[value=\"{JURISDICTION}\"]')"), wait).await;
        // The national market is chosen by default; choose 2024.
        c.execute(&format!("document.querySelectorAll('#plugins input').forEach(i => {{ if (i.checked !== (i.value === '{JURISDICTION}')) i.click(); }});"), vec![]).await.unwrap();
        c.execute(&format!("const y = document.getElementById('year'); y.value = '{YEAR}'; y.dispatchEvent(new Event('change'));"), vec![]).await.unwrap();
        let template = c.find(Locator::Css("#templates a[data-part='inventory']")).await.unwrap().attr("href").await.unwrap().unwrap();
        assert!(template.contains(&format!("/api/template/{JURISDICTION}")) && template.contains(&format!("year={YEAR}")), "{template}");

        // Drop the workbooks, give the options and the entity, evaluate.
        c.find(Locator::Css("#inventory")).await.unwrap().send_keys(inventory().to_str().unwrap()).await.unwrap();
        c.find(Locator::Css("#portfolio")).await.unwrap().send_keys(portfolio().to_str().unwrap()).await.unwrap();
        c.find(Locator::Css("details.options summary")).await.unwrap().click().await.unwrap();
        c.find(Locator::Css("#options")).await.unwrap().send_keys(&sample_options().join("\n")).await.unwrap();
        c.find(Locator::Css("#entity")).await.unwrap().send_keys("示例发电有限公司 Sample Power Co.").await.unwrap();
        c.find(Locator::Css("#evaluate-button")).await.unwrap().click().await.unwrap();
        until(&c, "the result", "document.querySelector('#report [data-metric=\"obligation_t\"]')", wait).await;

        // The answer first, every number as the API's JSON says.
        check_headline(&headline(&c).await, &api, "en");
        let text = c.find(Locator::Css("#report")).await.unwrap().text().await.unwrap();
        for part in ["The answer", "Surrender plan", "Findings", "Charts", "Parameters used", "Signatures and stamp", "Sample Power Co."] {
            assert!(text.contains(part), "the result shows {part}");
        }
        c.execute("window.scrollTo(0, 0)", vec![]).await.unwrap();
        save_screenshot("page-en.png", &c.screenshot().await.unwrap());
        c.execute("document.getElementById('result').scrollIntoView()", vec![]).await.unwrap();
        save_screenshot("result-en.png", &c.screenshot().await.unwrap());

        // 中文: the same numbers.
        c.find(Locator::Css("#lang-toggle")).await.unwrap().click().await.unwrap();
        until(&c, "the Chinese result", "document.getElementById('report').textContent.includes('结论')", wait).await;
        check_headline(&headline(&c).await, &api, "zh");
        assert_eq!(c.find(Locator::Css("#evaluate-button")).await.unwrap().text().await.unwrap(), "评估");
        c.execute("document.getElementById('result').scrollIntoView()", vec![]).await.unwrap();
        save_screenshot("result-zh.png", &c.screenshot().await.unwrap());

        // Download the compliance workbook: the API's, byte for byte, and it reads back.
        c.find(Locator::Css("#downloads a[data-kind='workbook']")).await.unwrap().click().await.unwrap();
        let file = downloaded(downloads.path(), ".xlsx");
        let bytes = std::fs::read(&file).unwrap();
        assert_eq!(bytes, api_xlsx.to_vec(), "the page's workbook is the API's");
        let mut book: calamine::Xlsx<_> = calamine::open_workbook(&file).expect("the workbook opens");
        let summary = calamine::Reader::sheet_names(&book).into_iter().find(|n| n.contains("Summary")).expect("a Summary sheet");
        let range = calamine::Reader::worksheet_range(&mut book, &summary).unwrap();
        let obligation = api["metrics"].as_array().unwrap().iter().find(|m| m["key"] == "obligation_t").unwrap()["value"].as_str().unwrap().parse::<f64>().unwrap();
        let row = range.rows().find(|r| r.first().is_some_and(|k| *k == "obligation_t")).expect("obligation_t on the Summary");
        assert_eq!(row.get(3).and_then(calamine::DataType::as_f64), Some(obligation), "{row:?}");

        // The rules browser: the parameters in force for 2024.
        c.execute(&format!("const s = document.getElementById('rules-plugin'); s.value = '{JURISDICTION}'; s.dispatchEvent(new Event('change')); document.getElementById('rules-year').value = '{YEAR}';"), vec![]).await.unwrap();
        c.find(Locator::Css("#rules-show")).await.unwrap().click().await.unwrap();
        let count = rules["parameters"].as_array().unwrap().len();
        until(&c, "the rules", &format!("document.querySelectorAll('#rules-body tr').length === {count}"), wait).await;

        // A broken workbook: the problems, each with its sheet and cell, and no result.
        c.goto(&format!("{}/?lang=en", server.base)).await.unwrap();
        until(&c, "the plugins", &format!("document.querySelector('#plugins input[value=\"{JURISDICTION}\"]')"), wait).await;
        c.execute(&format!("const y = document.getElementById('year'); y.value = '{YEAR}'; y.dispatchEvent(new Event('change'));"), vec![]).await.unwrap();
        c.find(Locator::Css("#inventory")).await.unwrap().send_keys(broken_inventory.to_str().unwrap()).await.unwrap();
        c.find(Locator::Css("#evaluate-button")).await.unwrap().click().await.unwrap();
        until(&c, "the problems", "!document.getElementById('problems').hidden && document.querySelectorAll('#problems-body tr').length > 0", wait).await;
        let problems = c.find(Locator::Css("#problems-body")).await.unwrap().text().await.unwrap();
        assert!(problems.contains("broken-inventory.xlsx"), "{problems}");
        assert_eq!(c.execute("return document.getElementById('result').hidden", vec![]).await.unwrap(), json!(true));
        c.close().await.unwrap();
    });
    eprintln!("serve browser test: {:.1} s", t.elapsed().as_secs_f64());
}

fn which(name: &str) -> String {
    let o = Command::new("sh").arg("-c").arg(format!("command -v {name}")).output().unwrap();
    let path = String::from_utf8_lossy(&o.stdout).trim().to_string();
    // Debian's /usr/bin/chromium is a wrapper script; chromedriver accepts it as the binary.
    if path.is_empty() { name.to_string() } else { path }
}
