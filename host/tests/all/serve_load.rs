//! `lvyue serve` under load on loopback: 200 evaluations from 8 concurrent
//! clients, each with its own inventory (the sample with one emission source
//! changed by its number) and its own carbon price. None may be lost, refused
//! or mixed up: every answer must carry its own input's digest, obligation and
//! price. Prints p50/p95 latency (docs/benchmarks.md, "lvyue serve under load").

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rust_decimal::Decimal;
use serde_json::Value;

use crate::serve::{JURISDICTION, Server, YEAR, binary, client, portfolio, sample_options, sample_request};

const EVALUATIONS: usize = 200;
const CLIENTS: usize = 8;

/// One answer: (evaluation number, latency, status, body).
type Answer = (usize, Duration, u16, Option<Value>);

struct Input {
    inventory: Vec<u8>,
    sha256: String,
    price: String,
}

fn metric(v: &Value, key: &str) -> String {
    v["metrics"].as_array().unwrap().iter().find(|m| m["key"] == key).unwrap_or_else(|| panic!("no {key}"))["value"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn serve_under_load_loses_and_mixes_up_nothing() {
    // The inputs: the sample's one given emission source plus i tonnes, price 50.00 + i/100 CNY/t.
    let host = lvyue::host::Host::new(lvyue::host::HostOptions::default()).unwrap();
    let (name, req) = sample_request();
    let sources = req.tables.iter().position(|t| t.key == "emission_sources").unwrap();
    // The last source given directly as emissions (a number, or a number written as text).
    let given_at = |r: &lvyue::input::RawRow| match r.cells.get("emissions_t").map(|c| &c.value) {
        Some(lvyue::input::RawValue::Number(t) | lvyue::input::RawValue::Text(t)) => t.parse::<Decimal>().ok(),
        _ => None,
    };
    let row = req.tables[sources].rows.iter().rposition(|r| given_at(r).is_some()).expect("a source given as emissions");
    let given = given_at(&req.tables[sources].rows[row]).unwrap();
    let portfolio = std::fs::read(portfolio()).unwrap();
    let inputs: Vec<Input> = (0..EVALUATIONS)
        .map(|i| {
            let mut r = req.clone();
            r.tables[sources].rows[row].cells.get_mut("emissions_t").unwrap().value =
                lvyue::input::RawValue::Number((given + Decimal::from(i)).to_string());
            let inventory = lvyue::samples::workbooks(&host, &name, &r).unwrap().remove(0).1;
            let sha256 = lvyue::bundle::digest::sha256_hex(&inventory);
            Input { inventory, sha256, price: format!("{}", Decimal::new(5000 + i as i64, 2)) }
        })
        .collect();
    let options: Vec<String> = sample_options().into_iter().filter(|o| !o.starts_with("carbon_price_cny=")).collect();

    let server = Server::start(&[], &[]);
    let form = |i: usize| {
        let mut f = reqwest::blocking::multipart::Form::new()
            .text("jurisdiction", JURISDICTION)
            .text("year", YEAR)
            .part(
                "inventory",
                reqwest::blocking::multipart::Part::bytes(inputs[i].inventory.clone()).file_name(format!("inventory-{i}.xlsx")),
            )
            .part("portfolio", reqwest::blocking::multipart::Part::bytes(portfolio.clone()).file_name("portfolio.xlsx"))
            .text("option", format!("carbon_price_cny={}", inputs[i].price));
        for o in &options {
            f = f.text("option", o.clone());
        }
        f
    };
    // One evaluation first (plugins compiled and cached), which is also the base for the obligations.
    let first: Value = client().post(server.url("/api/evaluate")).multipart(form(0)).send().unwrap().json().unwrap();
    let base: Decimal = metric(&first, "obligation_t").parse().unwrap();

    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Answer>> = Mutex::new(Vec::new());
    let wall = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..CLIENTS {
            s.spawn(|| {
                let c = client();
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= EVALUATIONS {
                        break;
                    }
                    let t = Instant::now();
                    let r = c.post(server.url("/api/evaluate")).multipart(form(i)).send().expect("an answer");
                    let status = r.status().as_u16();
                    let body = r.json::<Value>().ok();
                    results.lock().unwrap().push((i, t.elapsed(), status, body));
                }
            });
        }
    });
    let wall = wall.elapsed();
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|r| r.0);
    assert_eq!(results.len(), EVALUATIONS, "every evaluation answered");
    for (i, _, status, body) in &results {
        assert_eq!(*status, 200, "evaluation {i}: {body:?}");
        let v = body.as_ref().unwrap();
        assert_eq!(v["inputs"][0]["path"], format!("inventory-{i}.xlsx"), "evaluation {i} names its own upload");
        assert_eq!(v["inputs"][0]["sha256"], inputs[*i].sha256, "evaluation {i} read its own inventory");
        assert_eq!(metric(v, "obligation_t").parse::<Decimal>().unwrap(), base + Decimal::from(*i), "evaluation {i}: its own emissions");
        assert_eq!(
            metric(v, "carbon_price_cny").parse::<Decimal>().unwrap(),
            inputs[*i].price.parse::<Decimal>().unwrap(),
            "evaluation {i}: its own price"
        );
    }
    let mut ms: Vec<f64> = results.iter().map(|r| r.1.as_secs_f64() * 1000.0).collect();
    ms.sort_by(f64::total_cmp);
    let pct = |p: f64| ms[((p * ms.len() as f64).ceil() as usize).clamp(1, ms.len()) - 1];
    eprintln!(
        "serve load: {EVALUATIONS} evaluations from {CLIENTS} clients in {:.2} s ({:.1}/s) on {} core(s), binary {}: p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms",
        wall.as_secs_f64(),
        EVALUATIONS as f64 / wall.as_secs_f64(),
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        binary().display(),
        pct(0.50),
        pct(0.95),
        ms[ms.len() - 1]
    );
    let health: Value = client().get(server.url("/api/health")).send().unwrap().json().unwrap();
    assert_eq!(health["evaluations"]["running"], 0, "every slot released");
    assert_eq!(health["evaluations"]["waiting"], 0);
}
