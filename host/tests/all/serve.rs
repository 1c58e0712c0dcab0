//! `lvyue serve` over HTTP on loopback: every route, the exit codes as
//! statuses, and the limits (an oversized upload, a file that is not a
//! workbook, a zip bomb, too many evaluations at once, a request that times
//! out, a foreign `Host`), each answered clearly while the server keeps serving.
//! The server is the real binary, started on a free port.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::root;

/// A running `lvyue serve`, stopped when dropped.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    pub port: u16,
    stderr: Arc<Mutex<String>>,
}

/// The binary under test: a release build named by `LVYUE_RELEASE_BIN` when
/// there is one, so the load test's timings mean something (docs/benchmarks.md),
/// else this test build's.
pub fn binary() -> PathBuf {
    std::env::var_os("LVYUE_RELEASE_BIN")
        .map(PathBuf::from)
        .filter(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_lvyue")))
}

impl Server {
    /// Starts `lvyue [global] serve --listen 127.0.0.1:0 [args]` and waits for its address.
    pub fn start(global: &[&str], args: &[&str]) -> Server {
        Server::start_with(global, args, None)
    }

    /// As [`Server::start`], with the server's temporary folder (`TMPDIR`) in `tmp`.
    pub fn start_with(global: &[&str], args: &[&str], tmp: Option<&Path>) -> Server {
        let mut cmd = Command::new(binary());
        if let Some(dir) = tmp {
            cmd.env("TMPDIR", dir);
        }
        let mut child = cmd
            .args(global)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start lvyue serve");
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err = BufReader::new(child.stderr.take().unwrap());
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut line = String::new();
            while err.read_line(&mut line).is_ok_and(|n| n > 0) {
                sink.lock().unwrap().push_str(&line);
                line.clear();
            }
        });
        let (tx, rx) = std::sync::mpsc::channel();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = out.read_line(&mut line);
            let _ = tx.send(line);
            // Keep reading so the server never blocks on a full pipe.
            let mut rest = Vec::new();
            let _ = out.read_to_end(&mut rest);
        });
        let line = match rx.recv_timeout(Duration::from_secs(600)) {
            Ok(l) => l,
            Err(_) => {
                let _ = child.kill();
                panic!("lvyue serve printed no address within 600 s; stderr:\n{}", stderr.lock().unwrap());
            }
        };
        let Some(at) = line.find("http://") else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("lvyue serve did not start: {line:?}\nstderr:\n{}", stderr.lock().unwrap());
        };
        let url = line[at..].split_whitespace().next().unwrap().trim_end_matches('/').to_string();
        let port = url.rsplit(':').next().unwrap().parse().expect("a port");
        Server { child, base: url, port, stderr }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// The server still answers (and its process is alive).
    pub fn assert_serving(&mut self) {
        assert!(self.child.try_wait().unwrap().is_none(), "the server exited; stderr:\n{}", self.stderr());
        let r = client().get(self.url("/api/health")).send().expect("health");
        assert_eq!(r.status(), 200);
        let v: Value = r.json().unwrap();
        assert_eq!(v["status"], "ok");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder().timeout(Duration::from_secs(600)).no_proxy().build().unwrap()
}

/// The bundled sample the tests upload (`tests/samples/<SAMPLE>-inventory.xlsx`,
/// `-portfolio.xlsx`, `<SAMPLE>.toml`), its jurisdiction and year.
pub const SAMPLE: &str = "cn-ets-2024";
pub const JURISDICTION: &str = "cn-ets";
pub const YEAR: &str = "2024";

pub fn samples() -> PathBuf {
    root().join("tests/samples")
}

/// The bundled sample's request (as `lvyue demo` reads it).
pub fn sample_request() -> (String, lvyue::input::request::RequestFile) {
    lvyue::samples::bundled().unwrap().into_iter().find(|(n, _)| *n == format!("{SAMPLE}.toml")).expect("the bundled sample")
}

/// The bundled sample's options (e.g. the carbon price) as `KEY=VALUE` lines.
pub fn sample_options() -> Vec<String> {
    sample_request().1.options.iter().map(|(k, v)| format!("{k}={v}")).collect()
}

pub fn inventory() -> PathBuf {
    samples().join(format!("{SAMPLE}-inventory.xlsx"))
}

pub fn portfolio() -> PathBuf {
    samples().join(format!("{SAMPLE}-portfolio.xlsx"))
}

pub fn file_part(path: &Path) -> reqwest::blocking::multipart::Part {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    reqwest::blocking::multipart::Part::bytes(std::fs::read(path).unwrap()).file_name(name)
}

/// The sample as a form: both workbooks, the year and the sample's options.
pub fn sample_form() -> reqwest::blocking::multipart::Form {
    let mut form = reqwest::blocking::multipart::Form::new()
        .text("jurisdiction", JURISDICTION)
        .text("year", YEAR)
        .part("inventory", file_part(&inventory()))
        .part("portfolio", file_part(&portfolio()));
    for o in sample_options() {
        form = form.text("option", o);
    }
    form
}

fn exit_header(r: &reqwest::blocking::Response) -> Option<i32> {
    r.headers().get("x-lvyue-exit-code").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok())
}

/// A JSON error answer: (status, body), checking the body names the kind and exit code.
fn error(r: reqwest::blocking::Response, status: u16, kind: &str, exit: Option<i32>) -> Value {
    let got = r.status().as_u16();
    let header = exit_header(&r);
    let body: Value = r.json().expect("a JSON error body");
    assert_eq!(got, status, "{body:#}");
    assert_eq!(body["error"], kind, "{body:#}");
    assert_eq!(body["exit_code"].as_i64().map(|c| c as i32), exit, "{body:#}");
    assert_eq!(header, exit, "the X-Lvyue-Exit-Code header");
    assert!(!body["message"].as_str().unwrap_or("").is_empty(), "{body:#}");
    body
}

/// A raw HTTP/1.1 exchange, for what a client library will not send: a
/// declared length the body never reaches, a foreign Host header.
fn raw(port: u16, head: &str, body: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    read_response(&mut s)
}

fn read_response(s: &mut TcpStream) -> (u16, String) {
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or_else(|| panic!("no HTTP status in {text:?}"));
    (status, text)
}

/// The JSON `lvyue evaluate --json` writes for the same files and options.
fn cli_json(inventory: &Path, portfolio: &Path) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.json");
    let mut cmd = Command::new(binary());
    cmd.args(["evaluate", "-j", JURISDICTION, "--year", YEAR, "--inventory"])
        .arg(inventory)
        .arg("--portfolio")
        .arg(portfolio)
        .arg("--json")
        .arg(&out);
    for o in sample_options() {
        cmd.args(["--option", &o]);
    }
    let o = cmd.output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap()
}

/// Input stamps name the file; the server names the upload, the command line its path.
fn without_input_paths(mut v: Value) -> Value {
    for i in v["inputs"].as_array_mut().unwrap() {
        let name = Path::new(i["path"].as_str().unwrap()).file_name().unwrap().to_string_lossy().into_owned();
        i["path"] = Value::String(name);
    }
    v
}

/// A TOML request as JSON (dates as ISO text).
fn toml_to_json(v: toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => Value::from(f),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => Value::Object(t.into_iter().map(|(k, v)| (k, toml_to_json(v))).collect()),
    }
}

#[test]
fn serve_the_page_and_the_read_only_routes() {
    let t = Instant::now();
    let mut server = Server::start(&[], &[]);
    let c = client();

    let page = c.get(server.url("/")).send().unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(page.headers()["content-security-policy"].to_str().unwrap().contains("default-src 'self'"));
    let html = page.text().unwrap();
    assert!(html.contains("/app.js") && html.contains("/style.css") && html.contains("履约"), "{html}");
    assert!(!html.contains("https://"), "the page loads nothing from elsewhere");
    for (path, media) in [("/app.js", "text/javascript"), ("/style.css", "text/css")] {
        let r = c.get(server.url(path)).send().unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with(media), "{path}");
        assert!(!r.text().unwrap().contains("https://"), "{path} loads nothing from elsewhere");
    }
    error(c.get(server.url("/no/such/page")).send().unwrap(), 404, "not_found", None);

    // Plugins: every built-in, with its years and the sheets of each workbook.
    let v: Value = c.get(server.url("/api/plugins")).send().unwrap().json().unwrap();
    let ets = v["plugins"].as_array().unwrap().iter().find(|p| p["id"] == JURISDICTION).expect("the sample's plugin listed");
    assert!(ets["years"].as_array().unwrap().iter().any(|y| y.as_u64() == YEAR.parse().ok()), "{ets:#}");
    assert!(ets["sheets"].as_array().unwrap().iter().any(|s| s["workbook"] == "portfolio"), "{ets:#}");
    assert!(ets.get("error").is_none(), "{ets:#}");
    let one: Value = c.get(server.url(&format!("/api/plugins/{JURISDICTION}"))).send().unwrap().json().unwrap();
    assert!(one["sheets"][0]["columns"].as_array().is_some_and(|c| !c.is_empty()), "{one:#}");
    assert!(one["metrics"].as_array().unwrap().iter().any(|m| m["key"] == "obligation_t"));
    error(c.get(server.url("/api/plugins/xx-nowhere")).send().unwrap(), 404, "not_found", Some(5));

    // Rules: the same parameters as `lvyue rules --json`, each with its source and confidence.
    let r = c.get(server.url(&format!("/api/rules/{JURISDICTION}?year={YEAR}"))).send().unwrap();
    let o = Command::new(binary()).args(["rules", JURISDICTION, "--year", YEAR, "--json"]).output().unwrap();
    // 200 when every parameter has a value for the year (exit 0), else 409 listing those without (exit 6).
    match o.status.code() {
        Some(0) => assert_eq!(r.status(), 200),
        Some(6) => assert_eq!((r.status().as_u16(), exit_header(&r)), (409, Some(6))),
        other => panic!("lvyue rules exited {other:?}: {}", String::from_utf8_lossy(&o.stderr)),
    }
    let rules: Value = r.json().unwrap();
    let cli: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(rules["parameters"], cli, "the API and the command line resolve the same parameters");
    assert!(
        rules["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["reference"].as_str().is_some_and(|s| !s.is_empty()) && p["confidence"].is_string())
    );
    error(c.get(server.url(&format!("/api/rules/{JURISDICTION}"))).send().unwrap(), 400, "usage", Some(2));
    error(c.get(server.url(&format!("/api/rules/{JURISDICTION}?year=twenty"))).send().unwrap(), 400, "usage", Some(2));
    let old = error(c.get(server.url(&format!("/api/rules/{JURISDICTION}?year=1990"))).send().unwrap(), 409, "rules", Some(6));
    assert!(!old["missing"].as_array().unwrap().is_empty(), "{old:#}");
    error(c.get(server.url("/api/rules/xx-nowhere?year=2024")).send().unwrap(), 404, "not_found", Some(5));

    // Templates: a workbook with the plugin's sheets, split as the samples are.
    let r = c.get(server.url(&format!("/api/template/{JURISDICTION}?year={YEAR}&part=portfolio"))).send().unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-disposition"].to_str().unwrap().contains(&format!("{JURISDICTION}-{YEAR}-portfolio.xlsx")));
    let bytes = r.bytes().unwrap();
    let book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).expect("an xlsx");
    let names = calamine::Reader::sheet_names(&book);
    assert!(names.iter().any(|n| n.contains("Credit holdings")), "{names:?}");
    assert!(!names.iter().any(|n| n.contains("Emission sources")), "{names:?}");
    error(c.get(server.url(&format!("/api/template/{JURISDICTION}?part=everything"))).send().unwrap(), 400, "usage", Some(2));
    server.assert_serving();
    eprintln!("serve: read-only routes in {:.1} s", t.elapsed().as_secs_f64());
}

#[test]
fn serve_evaluates_as_the_command_line_does() {
    let t = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let mut server = Server::start_with(&[], &[], Some(tmp.path()));
    let c = client();
    let (inv, port) = (inventory(), portfolio());

    // JSON: the same report as `lvyue evaluate --json`, but for the input paths.
    let r = c.post(server.url("/api/evaluate")).multipart(sample_form()).send().unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(exit_header(&r), Some(0));
    let served: Value = r.json().unwrap();
    assert_eq!(served["inputs"][0]["path"], format!("{SAMPLE}-inventory.xlsx"), "the upload's name, not the temporary path");
    assert_eq!(without_input_paths(served.clone()), without_input_paths(cli_json(&inv, &port)));

    // The same numbers as `lvyue demo`.
    let demo = tempfile::tempdir().unwrap();
    let o = Command::new(binary()).arg("demo").arg("--out-dir").arg(demo.path()).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let demo: Value = serde_json::from_slice(&std::fs::read(demo.path().join(format!("{SAMPLE}-report.json"))).unwrap()).unwrap();
    assert_eq!(served["metrics"], demo["metrics"], "the sample upload gives the numbers of `lvyue demo`");

    // The workbook, the printable result and everything at once.
    let r = c.post(server.url("/api/evaluate?format=xlsx")).multipart(sample_form()).send().unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-disposition"].to_str().unwrap().contains(&format!("{JURISDICTION}-{YEAR}-report.xlsx")));
    let xlsx = r.bytes().unwrap();
    assert!(xlsx.starts_with(b"PK"));
    let html =
        c.post(server.url("/api/evaluate?format=html&lang=en")).multipart(sample_form().text("entity", "Sample Power Co.")).send().unwrap();
    assert_eq!(html.status(), 200);
    let html = html.text().unwrap();
    let obligation =
        served["metrics"].as_array().unwrap().iter().find(|m| m["key"] == "obligation_t").unwrap()["value"].as_str().unwrap().to_string();
    assert!(html.contains(&format!("data-metric=\"obligation_t\" data-value=\"{obligation}\"")), "the headline carries the exact value");
    assert!(html.contains("Sample Power Co.") && html.contains("@page") && html.contains("counter(pages)"), "A4 header and page numbers");
    let all: Value = c.post(server.url("/api/evaluate?format=all")).multipart(sample_form()).send().unwrap().json().unwrap();
    assert_eq!(all["exit_code"], 0);
    assert_eq!(all["result"]["metrics"], served["metrics"]);
    assert!(all["html"]["zh"].as_str().unwrap().contains("结论") && all["html"]["en"].as_str().unwrap().contains("The answer"));
    let kinds: Vec<&str> = all["files"].as_array().unwrap().iter().map(|f| f["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"workbook") && kinds.contains(&"json") && kinds.contains(&"printable"), "{kinds:?}");

    // The sample's request, as TOML and as JSON, as `lvyue evaluate --request` reads it.
    let toml_text = std::fs::read_to_string(samples().join(format!("{SAMPLE}.toml"))).unwrap();
    let r = c.post(server.url("/api/evaluate")).header("content-type", "application/toml").body(toml_text.clone()).send().unwrap();
    assert_eq!(r.status(), 200);
    let from_request: Value = r.json().unwrap();
    assert_eq!(from_request["metrics"], served["metrics"], "a request and its workbooks give the same numbers");
    let request = toml_to_json(toml::Value::Table(toml_text.parse::<toml::Table>().unwrap()));
    let r = c.post(server.url("/api/evaluate")).json(&request).send().unwrap();
    assert_eq!(r.status(), 200);
    let from_json: Value = r.json().unwrap();
    assert_eq!(from_json["metrics"], served["metrics"], "the request as JSON gives the same numbers");

    // Validate only.
    let r = c.post(server.url("/api/validate")).multipart(sample_form()).send().unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().unwrap();
    assert_eq!(v["ok"], true);
    assert!(v["checked"][0]["rows"].as_u64().unwrap() > 0, "{v:#}");

    // Nothing is left in the server's temporary folder.
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().filter_map(|e| e.ok()).map(|e| e.path()).collect();
    assert!(leftovers.is_empty(), "temporary folders left: {leftovers:?}");
    server.assert_serving();
    eprintln!("serve: evaluations in {:.1} s", t.elapsed().as_secs_f64());
}

#[test]
fn serve_answers_bad_requests_with_the_exit_codes_meanings() {
    let mut server = Server::start(&[], &[]);
    let c = client();
    let form = || reqwest::blocking::multipart::Form::new().text("jurisdiction", JURISDICTION).text("year", YEAR);
    let inv = || file_part(&inventory());

    // 400 (exit 2): something missing or malformed.
    error(c.post(server.url("/api/evaluate")).multipart(form()).send().unwrap(), 400, "usage", Some(2));
    error(
        c.post(server.url("/api/evaluate")).multipart(form().part("inventory", inv()).text("option", "no-equals")).send().unwrap(),
        400,
        "usage",
        Some(2),
    );
    error(
        c.post(server.url("/api/evaluate")).multipart(form().part("inventory", inv()).text("colour", "green")).send().unwrap(),
        400,
        "usage",
        Some(2),
    );
    error(c.post(server.url("/api/evaluate")).header("content-type", "image/png").body("x").send().unwrap(), 400, "usage", Some(2));
    error(c.post(server.url("/api/evaluate?format=pdf")).multipart(form().part("inventory", inv())).send().unwrap(), 400, "usage", Some(2));

    // 422 (exit 3): a file that is not a workbook, with the upload's name and no temporary path.
    let junk = reqwest::blocking::multipart::Part::bytes(b"this is not a workbook\n".to_vec()).file_name("清单.xlsx");
    let body =
        error(c.post(server.url("/api/evaluate")).multipart(form().part("inventory", junk)).send().unwrap(), 422, "bad_input", Some(3));
    let text = body.to_string();
    assert!(!body["problems"].as_array().unwrap().is_empty(), "{body:#}");
    assert!(text.contains("清单.xlsx") && !text.contains("lvyue-serve-"), "{body:#}");

    // 422: a zip bomb (1.1 GB of a sheet in 1.1 MB), stopped by the bounded reader.
    let bomb = file_part(&root().join("tests/malformed/d5-bomb-whitespace-1.1GB.xlsx"));
    let t = Instant::now();
    let body = error(
        c.post(server.url("/api/evaluate")).multipart(form().part("inventory", inv()).part("portfolio", bomb)).send().unwrap(),
        422,
        "bad_input",
        Some(3),
    );
    assert!(body.to_string().contains("Allowance account"), "the problem names the sheet: {body:#}");
    assert!(t.elapsed() < Duration::from_secs(60), "refused without reading the bomb");

    // 422: every problem of a workbook with a wrong cell, each with its sheet and cell.
    let bad = Server::broken_sample();
    let body = error(
        c.post(server.url("/api/evaluate"))
            .multipart(form().part("inventory", file_part(&bad.1)).part("portfolio", file_part(&portfolio())))
            .send()
            .unwrap(),
        422,
        "bad_input",
        Some(3),
    );
    let p = body["problems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["found"].as_str().unwrap().contains("a lot"))
        .unwrap_or_else(|| panic!("the text in a number cell: {body:#}"));
    assert!(
        p["sheet"].as_str().unwrap().contains("Emission sources") && p["cell"].as_str().unwrap().contains("Emission sources!"),
        "{body:#}"
    );
    assert!(!p["expected_zh"].as_str().unwrap().is_empty() && !p["expected_en"].as_str().unwrap().is_empty(), "{body:#}");

    // 422: a year the plugin does not cover; 404 (exit 5): no such plugin.
    error(
        c.post(server.url("/api/evaluate")).multipart(form().text("year", "1990").part("inventory", inv())).send().unwrap(),
        422,
        "bad_input",
        Some(3),
    );
    let nowhere =
        reqwest::blocking::multipart::Form::new().text("jurisdiction", "xx-nowhere").text("year", "2024").part("inventory", inv());
    error(c.post(server.url("/api/evaluate")).multipart(nowhere).send().unwrap(), 404, "not_found", Some(5));
    // A request that is not one.
    error(
        c.post(server.url("/api/evaluate")).header("content-type", "application/json").body("{\"year\": \"soon\"").send().unwrap(),
        422,
        "bad_input",
        Some(3),
    );

    // 403: a page on another site reaching this server through DNS rebinding.
    let (status, text) = raw(server.port, "GET /api/plugins HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n", b"");
    assert_eq!(status, 403, "{text}");
    server.assert_serving();
}

impl Server {
    /// The sample inventory with a text in a number cell, in a temporary folder.
    fn broken_sample() -> (tempfile::TempDir, PathBuf) {
        let host = lvyue::host::Host::new(lvyue::host::HostOptions::default()).unwrap();
        let (name, mut req) = sample_request();
        let table = req.tables.iter_mut().find(|t| t.key == "emission_sources").unwrap();
        let cell = table.rows[0].cells.get_mut("fuel_consumption").unwrap();
        cell.value = lvyue::input::RawValue::Text("a lot".into());
        let dir = tempfile::tempdir().unwrap();
        let (file, bytes) = lvyue::samples::workbooks(&host, &name, &req).unwrap().remove(0);
        let path = dir.path().join(file);
        std::fs::write(&path, bytes).unwrap();
        (dir, path)
    }
}

#[test]
fn serve_limits_uploads_concurrency_and_time() {
    let t = Instant::now();
    let mut server = Server::start(&[], &["--max-upload-mib", "1", "--max-evaluations", "1", "--queue", "0", "--request-timeout", "3"]);
    let c = client();

    // 413: declared larger than the cap, answered before the body is read.
    let head = format!(
        "POST /api/evaluate HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: multipart/form-data; boundary=XYZ\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        server.port,
        3 << 20
    );
    let (status, text) = raw(server.port, &head, b"");
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("too_large") && text.contains("1 MiB"), "{text}");
    server.assert_serving();

    // 503: one evaluation is uploading (slowly) and none may wait.
    let mut slow = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let head = format!(
        "POST /api/evaluate HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: multipart/form-data; boundary=XYZ\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n--XYZ\r\n",
        server.port
    );
    slow.write_all(head.as_bytes()).unwrap();
    let started = Instant::now();
    // The slow request holds the slot once the server has read its head.
    let busy = loop {
        let r = c.post(server.url("/api/evaluate")).multipart(sample_form()).send().unwrap();
        if r.status() == 503 || started.elapsed() > Duration::from_secs(2) {
            break r;
        }
    };
    assert!(busy.headers().get("retry-after").is_some(), "503 says when to retry");
    error(busy, 503, "busy", None);

    // 504: the slow upload is not answered within the request timeout, and its slot is freed.
    let (status, text) = read_response(&mut slow);
    assert_eq!(status, 504, "{text}");
    assert!(text.contains("timeout"), "{text}");
    assert!(started.elapsed() >= Duration::from_secs(3) - Duration::from_millis(200));

    // The server keeps serving: the next evaluation gets the slot.
    let r = c.post(server.url("/api/evaluate")).multipart(sample_form()).send().unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().unwrap_or_default());
    server.assert_serving();
    eprintln!("serve: limits in {:.1} s", t.elapsed().as_secs_f64());
}

#[test]
fn serve_maps_rules_and_plugin_failures() {
    // Exit 6 (rules) → 409: a rules override that is not a rules file.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "this is [not a rules file").unwrap();
    let mut server = Server::start(&["--rules-override", bad.to_str().unwrap()], &[]);
    let c = client();
    error(c.post(server.url("/api/evaluate")).multipart(sample_form()).send().unwrap(), 409, "rules", Some(6));
    server.assert_serving();
    drop(server);

    // Exit 4 (a plugin failed) → 500 with the message: too little fuel to run.
    let mut server = Server::start(&["--fuel", "1000"], &[]);
    let body = error(c.post(server.url("/api/evaluate")).multipart(sample_form()).send().unwrap(), 500, "plugin_failed", Some(4));
    assert!(body["message"].as_str().unwrap().contains("fuel"), "{body:#}");
    server.assert_serving();
}

/// The server reads uploads with its own limits (1,000,000 cells and strings),
/// lower than the command line's: a request past them is answered 422 naming
/// the limit, the same file evaluates on the command line, and the server
/// goes on serving.
#[test]
fn serve_refuses_an_upload_past_its_cell_limit_that_the_command_line_reads() {
    // 91,000 rows × the 11 columns cn-ets declares for emission sources: 1,001,000 cells.
    let rows = 91_000;
    let mut body = String::from(
        r#"{"jurisdiction":"cn-ets","year":2024,"options":{"carbon_price_cny":"92.5"},"units":{"emission_sources":{"emissions_t":"tCO2"}},"tables":{"emission_sources":["#,
    );
    for i in 0..rows {
        let category = ["fuel_combustion", "process", "other_direct", "purchased_electricity"][i % 4];
        body.push_str(&format!(
            r#"{}{{"facility":"Unit {}","source":"Source {i}","category":"{category}","emissions_t":"{}.{}"}}"#,
            if i > 0 { "," } else { "" },
            i % 40,
            100 + (i * 37) % 900,
            i % 100
        ));
    }
    body.push_str(r#"],"allowances":[{"type":"CEA","vintage":2024,"quantity_t":"20000000"}]}}"#);

    let mut server = Server::start(&[], &[]);
    let r = client().post(server.url("/api/evaluate")).header("content-type", "application/json").body(body.clone()).send().unwrap();
    let answer = error(r, 422, "bad_input", Some(3));
    let text = answer.to_string();
    assert!(text.contains("1,001,000") || text.contains("91,000 rows"), "the problem counts the cells: {answer:#}");
    assert!(text.contains("1,000,000"), "the problem names the server's limit: {answer:#}");
    server.assert_serving();

    // The command line's limits are higher: the same request evaluates.
    let dir = tempfile::tempdir().unwrap();
    let request = dir.path().join("request.json");
    std::fs::write(&request, &body).unwrap();
    let out = std::process::Command::new(binary())
        .args(["evaluate", "--request"])
        .arg(&request)
        .arg("--json")
        .arg(dir.path().join("r.json"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
