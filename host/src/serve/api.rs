//! The routes: the page, and the JSON API documented in `docs/api.md`.
//!
//! | route | what |
//! |---|---|
//! | `GET /` (`/app.js`, `/style.css`) | the page |
//! | `GET /api/health` | the server is up; evaluations running and waiting |
//! | `GET /api/plugins` | the installed plugins: years, names, the sheets they read |
//! | `GET /api/plugins/{id}` | one plugin: its input sheets and columns, parameters, metrics, findings |
//! | `GET /api/rules/{jurisdiction}?year=Y` | the parameters in force for a year, with their sources |
//! | `GET /api/template/{jurisdiction}?year=Y&part=all\|inventory\|portfolio` | an input workbook |
//! | `POST /api/validate` | check the inputs without evaluating |
//! | `POST /api/evaluate?format=json\|xlsx\|html\|all&lang=zh\|en` | evaluate |
//!
//! Inputs of `validate` and `evaluate`: a `multipart/form-data` body with the
//! fields `jurisdiction` (repeatable, or comma-separated), `year`, `inventory`
//! and `portfolio` (workbook files), `option` (`KEY=VALUE`, repeatable) and
//! `entity` (the name in the printable result's header), or with one
//! `request` file; or the request itself as the body (`application/json`, or
//! `application/toml`), as `lvyue evaluate --request` reads it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path as UrlPath, Query, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Value, json};

use super::State as Shared;
use super::error::ApiError;
use crate::contract::PluginInfo;
use crate::host::{Host, RunError, exit};
use crate::job::{self, JobInput, Outputs};
use crate::report::Report;
use crate::report::html::{self, Document, Lang};

/// Every answer of `validate` and `evaluate` (and every error) carries the
/// command line's exit code for the same outcome.
pub(crate) const EXIT_CODE_HEADER: HeaderName = HeaderName::from_static("x-lvyue-exit-code");

const INDEX_HTML: &str = include_str!("page/index.html");
const APP_JS: &str = include_str!("page/app.js");
const STYLE_CSS: &str = include_str!("page/style.css");

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The page's own policy: its script and style only; the result's inline style and SVG.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// The routes with their limits.
pub(crate) fn router(state: Arc<Shared>) -> Router {
    let limit = state.config.max_upload_bytes;
    Router::new()
        .route("/", get(|| async { page(INDEX_HTML, "text/html; charset=utf-8") }))
        .route("/index.html", get(|| async { page(INDEX_HTML, "text/html; charset=utf-8") }))
        .route("/app.js", get(|| async { page(APP_JS, "text/javascript; charset=utf-8") }))
        .route("/style.css", get(|| async { page(STYLE_CSS, "text/css; charset=utf-8") }))
        .route("/api/health", get(health))
        .route("/api/plugins", get(plugins))
        .route("/api/plugins/{id}", get(plugin))
        .route("/api/rules/{jurisdiction}", get(rules))
        .route("/api/template/{jurisdiction}", get(template))
        .route("/api/validate", post(validate))
        .route("/api/evaluate", post(evaluate))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "not_found", None, "no such page or API route; see docs/api.md") })
        .layer(DefaultBodyLimit::max(limit))
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .with_state(state)
}

fn page(text: &'static str, media_type: &'static str) -> Response {
    ([(header::CONTENT_TYPE, media_type)], text).into_response()
}

/// The `Host` check, and the headers every answer carries.
async fn guard(State(s): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok());
    let mut res = if super::limits::host_allowed(s.bound, host) {
        next.run(req).await
    } else {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "host_not_allowed",
            None,
            format!("this server listens on {} and answers requests addressed to localhost or 127.0.0.1 only", s.bound),
        )
        .into_response()
    };
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    res
}

async fn health(State(s): State<Arc<Shared>>) -> Response {
    axum::Json(json!({
        "status": "ok",
        "tool": format!("lvyue {}", crate::TOOL_VERSION),
        "evaluations": {
            "running": s.slots.running(),
            "waiting": s.slots.waiting(),
            "max_running": s.slots.max_running(),
            "max_waiting": s.slots.max_waiting(),
        },
        "max_upload_bytes": s.config.max_upload_bytes,
        "request_timeout_secs": s.config.request_timeout.as_secs(),
    }))
    .into_response()
}

/// Runs blocking library work off the async threads; a panic in it is an error answer.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, ApiError> + Send + 'static) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| ApiError::internal(format!("internal error: {e}")))?
}

fn bilingual(t: &crate::contract::TextZhEn) -> Value {
    json!({ "zh": t.zh, "en": t.en })
}

fn sheets_json(info: &PluginInfo, columns: bool) -> Value {
    Value::Array(
        info.input
            .iter()
            .map(|s| {
                let mut v = json!({
                    "key": s.key,
                    "name": bilingual(&s.name),
                    "required": s.required,
                    "workbook": if crate::input::template::is_portfolio(s) { "portfolio" } else { "inventory" },
                });
                if columns {
                    v["help"] = bilingual(&s.help);
                    v["unique_key"] = json!(s.unique_key);
                    v["columns"] = Value::Array(
                        s.columns
                            .iter()
                            .map(|c| {
                                json!({
                                    "key": c.key,
                                    "name": bilingual(&c.name),
                                    "kind": crate::rules::kind_name(c.kind),
                                    "unit": c.unit,
                                    "required": c.required,
                                    "choices": c.choices,
                                    "help": bilingual(&c.help),
                                })
                            })
                            .collect(),
                    );
                }
                v
            })
            .collect(),
    )
}

fn plugin_json(host: &Host, b: &crate::bundle::Bundle, full: bool) -> Value {
    let m = &b.manifest;
    let mut v = json!({
        "id": m.id,
        "name": { "zh": m.name.zh, "en": m.name.en },
        "version": m.version,
        "contract": b.contract.to_string(),
        "origin": b.origin.to_string(),
        "jurisdictions": m.jurisdictions,
        "component_sha256": m.component.sha256,
        "rules_sha256": m.rules.sha256,
        "has_documents": !b.templates.is_empty(),
    });
    match host.describe(b) {
        Ok(info) => {
            v["years"] = json!(info.years);
            v["sheets"] = sheets_json(&info, full);
            if full {
                v["legal_sources"] = json!(m.legal_source);
                v["parameters"] = Value::Array(
                    info.parameters
                        .iter()
                        .map(|p| json!({ "key": p.key, "kind": crate::rules::kind_name(p.kind), "unit": p.unit, "required": p.required }))
                        .collect(),
                );
                v["metrics"] = Value::Array(
                    info.metrics.iter().map(|p| json!({ "key": p.key, "unit": p.unit, "label": bilingual(&p.label) })).collect(),
                );
                v["findings"] = Value::Array(
                    info.findings.iter().map(|f| json!({ "code": f.code, "description": bilingual(&f.description) })).collect(),
                );
            }
        }
        Err(e) => {
            v["years"] = json!(m.years);
            v["error"] = json!(e.to_string());
            v["exit_code"] = json!(e.exit_code());
        }
    }
    v
}

async fn plugins(State(s): State<Arc<Shared>>) -> Result<Response, ApiError> {
    blocking(move || {
        let list: Vec<Value> = s.host.bundles().iter().map(|b| plugin_json(&s.host, b, false)).collect();
        let refused: Vec<String> = s.host.refused().iter().map(|e| e.to_string()).collect();
        Ok(axum::Json(json!({ "plugins": list, "refused": refused })).into_response())
    })
    .await
}

async fn plugin(State(s): State<Arc<Shared>>, UrlPath(id): UrlPath<String>) -> Result<Response, ApiError> {
    blocking(move || {
        let b = s.host.find(&id).ok_or_else(|| RunError::NotFound(id.clone()))?;
        Ok(axum::Json(plugin_json(&s.host, b, true)).into_response())
    })
    .await
}

#[derive(Deserialize)]
struct YearQuery {
    year: Option<String>,
    part: Option<String>,
}

fn parse_year(text: Option<&str>) -> Result<Option<u16>, ApiError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => t.parse::<u16>().map(Some).map_err(|_| ApiError::usage(format!("year `{t}` is not a year such as 2024"))),
    }
}

async fn rules(State(s): State<Arc<Shared>>, UrlPath(j): UrlPath<String>, Query(q): Query<YearQuery>) -> Result<Response, ApiError> {
    let year =
        parse_year(q.year.as_deref())?.ok_or_else(|| ApiError::usage("give the compliance year: /api/rules/<jurisdiction>?year=2024"))?;
    blocking(move || {
        let b = s.host.find(&j).ok_or_else(|| RunError::NotFound(j.clone()))?;
        let (rules, source) = s.host.rules(b, &j)?;
        let (params, missing) = rules.resolve_all(year);
        let blocking = s.host.rules_block(&s.host.describe(b)?, &missing);
        let missing: Vec<String> = missing.iter().map(|e| e.to_string()).collect();
        let mut body = json!({
            "jurisdiction": j,
            "year": year,
            "plugin": { "id": b.manifest.id, "version": b.manifest.version, "rules_sha256": b.manifest.rules.sha256 },
            "source": source,
            "parameters": params,
            "missing": missing,
        });
        if !blocking {
            return Ok(axum::Json(body).into_response());
        }
        // As `lvyue rules` exits 6 when a parameter the plugin requires has no value for the year.
        body["error"] = json!("rules");
        body["exit_code"] = json!(exit::RULES);
        body["message"] =
            json!(format!("{} parameter(s) have no value for {year}, and the plugin requires one of them at least", missing.len()));
        let mut res = (StatusCode::CONFLICT, axum::Json(body)).into_response();
        res.headers_mut().insert(EXIT_CODE_HEADER, HeaderValue::from(exit::RULES));
        Ok(res)
    })
    .await
}

async fn template(State(s): State<Arc<Shared>>, UrlPath(j): UrlPath<String>, Query(q): Query<YearQuery>) -> Result<Response, ApiError> {
    let year = parse_year(q.year.as_deref())?;
    let part = q.part.unwrap_or_else(|| "all".into());
    if !["all", "inventory", "portfolio"].contains(&part.as_str()) {
        return Err(ApiError::usage(format!("part `{part}`: expected all, inventory or portfolio")));
    }
    blocking(move || {
        let b = s.host.find(&j).ok_or_else(|| RunError::NotFound(j.clone()))?;
        let info = s.host.describe(b)?;
        let (inventory, portfolio) = crate::input::template::split(&info);
        let chosen = match part.as_str() {
            "inventory" => inventory,
            "portfolio" => portfolio,
            _ => info,
        };
        if chosen.input.is_empty() {
            return Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", None, format!("plugin {j} reads no {part} sheets")));
        }
        let bytes = crate::input::template::build(&chosen, year).map_err(|e| ApiError::internal(format!("building the template: {e}")))?;
        let name = match year {
            Some(y) => format!("{j}-{y}-{part}.xlsx"),
            None => format!("{j}-{part}.xlsx"),
        };
        Ok(attachment(bytes, XLSX, &name))
    })
    .await
}

fn attachment(bytes: Vec<u8>, media_type: &str, name: &str) -> Response {
    let disposition = format!("attachment; filename=\"{}\"", name.replace(['"', '\\', '\r', '\n'], "_"));
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_str(media_type).expect("valid")),
            (header::CONTENT_DISPOSITION, HeaderValue::from_str(&disposition).unwrap_or(HeaderValue::from_static("attachment"))),
        ],
        bytes,
    )
        .into_response()
}

/// What a `validate` or `evaluate` request brings.
#[derive(Default)]
struct Upload {
    jurisdictions: Vec<String>,
    year: Option<String>,
    inventory: Option<(String, Bytes)>,
    portfolio: Option<(String, Bytes)>,
    /// (file name or "request.json"/"request.toml", bytes)
    request: Option<(String, Bytes)>,
    options: Vec<(String, String)>,
    entity: Option<String>,
}

fn parse_option(s: &str) -> Result<(String, String), ApiError> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(ApiError::usage(format!("option `{s}`: expected KEY=VALUE"))),
    }
}

/// One field of the form into the upload.
fn take_field(up: &mut Upload, name: &str, file_name: Option<String>, data: Bytes) -> Result<(), ApiError> {
    let text = || String::from_utf8(data.to_vec()).map_err(|_| ApiError::usage(format!("field `{name}` is not UTF-8 text")));
    match name {
        "jurisdiction" => up.jurisdictions.extend(text()?.split(',').map(|j| j.trim().to_string()).filter(|j| !j.is_empty())),
        "year" => up.year = Some(text()?),
        "option" => {
            for line in text()?.lines().map(str::trim).filter(|l| !l.is_empty()) {
                up.options.push(parse_option(line)?);
            }
        }
        "entity" => up.entity = Some(text()?.trim().to_string()).filter(|e| !e.is_empty()),
        "inventory" | "portfolio" | "request" => {
            if data.is_empty() && file_name.as_deref().unwrap_or("").is_empty() {
                return Ok(()); // an empty file input of a form
            }
            let file = file_name.unwrap_or_else(|| format!("{name}.xlsx"));
            let slot = match name {
                "inventory" => &mut up.inventory,
                "portfolio" => &mut up.portfolio,
                _ => &mut up.request,
            };
            if slot.is_some() {
                return Err(ApiError::usage(format!("field `{name}` is given twice")));
            }
            *slot = Some((file, data));
        }
        other => return Err(ApiError::usage(format!("unknown field `{other}`; see docs/api.md"))),
    }
    Ok(())
}

/// Reads the body of `validate` or `evaluate` (within the upload cap). A
/// request refused for what it says is still read to its end, so that the
/// client, still sending, gets the answer and not a closed connection.
async fn read_upload(req: Request, limit: usize) -> Result<Upload, ApiError> {
    let media = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    let media = media.split(';').next().unwrap_or("").trim().to_string();
    let mut up = Upload::default();
    match media.as_str() {
        "multipart/form-data" => {
            let mut form =
                Multipart::from_request(req, &()).await.map_err(|e| ApiError::usage(format!("not a multipart form: {}", e.body_text())))?;
            let mut refused = None;
            loop {
                let field = match form.next_field().await {
                    Ok(Some(f)) => f,
                    Ok(None) => break,
                    Err(e) => return Err(multipart_error(e, limit)),
                };
                let name = field.name().unwrap_or("").to_string();
                let file_name = field.file_name().map(str::to_string);
                let data = field.bytes().await.map_err(|e| multipart_error(e, limit))?;
                if refused.is_none() {
                    refused = take_field(&mut up, &name, file_name, data).err();
                }
            }
            if let Some(e) = refused {
                return Err(e);
            }
        }
        "application/json" | "application/toml" | "text/toml" | "text/plain" => {
            let ext = if media == "application/json" { "json" } else { "toml" };
            let bytes = Bytes::from_request(req, &()).await.map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE { ApiError::too_large(limit) } else { ApiError::usage(e.body_text()) }
            })?;
            up.request = Some((format!("request.{ext}"), bytes));
        }
        other => {
            let what = if other.is_empty() { "no Content-Type".to_string() } else { format!("Content-Type {other}") };
            discard(req.into_body(), limit).await;
            return Err(ApiError::usage(format!("{what}: send multipart/form-data, or a request as application/json or application/toml")));
        }
    }
    Ok(up)
}

fn multipart_error(e: axum::extract::multipart::MultipartError, limit: usize) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::too_large(limit)
    } else {
        ApiError::usage(format!("reading the upload: {}", e.body_text()))
    }
}

/// A file name safe to create in the temporary folder, with the user's extension kept.
fn safe_name(name: &str, fallback: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = base.chars().map(|c| if c.is_alphanumeric() || "._- ()".contains(c) { c } else { '_' }).take(120).collect();
    let clean = clean.trim_start_matches('.').trim().to_string();
    if clean.is_empty() { fallback.to_string() } else { clean }
}

/// The uploads written to the temporary folder, and how to name them back to the user.
struct Staged {
    input: JobInput,
    entity: Option<String>,
    /// (temporary path as text, the name the user gave)
    names: Vec<(String, String)>,
}

fn stage(dir: &Path, up: Upload) -> Result<Staged, ApiError> {
    let mut input = JobInput { options: up.options, ..Default::default() };
    let mut names = Vec::new();
    let mut put = |sub: &str, (name, bytes): (String, Bytes), fallback: &str| -> Result<PathBuf, ApiError> {
        let folder = dir.join(sub);
        std::fs::create_dir_all(&folder).map_err(|e| ApiError::internal(format!("temporary folder: {e}")))?;
        let path = folder.join(safe_name(&name, fallback));
        std::fs::write(&path, &bytes).map_err(|e| ApiError::internal(format!("temporary folder: {e}")))?;
        names.push((path.display().to_string(), safe_name(&name, fallback)));
        Ok(path)
    };
    if let Some(req) = up.request {
        if !up.jurisdictions.is_empty() || up.year.is_some() || up.inventory.is_some() || up.portfolio.is_some() {
            return Err(ApiError::usage("give either a request, or jurisdiction, year and workbooks, not both"));
        }
        let fallback = if req.0.to_ascii_lowercase().ends_with(".json") { "request.json" } else { "request.toml" };
        input.request = Some(put("request", req, fallback)?);
    } else {
        if up.jurisdictions.is_empty() || up.year.is_none() || up.inventory.is_none() {
            return Err(ApiError::usage(
                "give jurisdiction, year and the inventory workbook (and optionally the portfolio workbook), or a request",
            ));
        }
        input.jurisdictions = up.jurisdictions;
        input.year = parse_year(up.year.as_deref())?;
        if let Some(f) = up.inventory {
            input.inventory = Some(put("inventory", f, "inventory.xlsx")?);
        }
        if let Some(f) = up.portfolio {
            input.portfolio = Some(put("portfolio", f, "portfolio.xlsx")?);
        }
    }
    Ok(Staged { input, entity: up.entity, names })
}

/// The user's file names instead of the temporary paths, in messages and in the report.
fn unstage(text: &str, names: &[(String, String)], dir: &Path) -> String {
    let mut s = text.to_string();
    for (tmp, user) in names {
        s = s.replace(tmp.as_str(), user);
    }
    s.replace(&dir.display().to_string(), "(upload)")
}

fn unstage_error(e: ApiError, names: &[(String, String)], dir: &Path) -> ApiError {
    let mut e = e;
    e.message = unstage(&e.message, names, dir);
    for p in &mut e.problems {
        p.sheet = unstage(&p.sheet, names, dir);
        p.cell = unstage(&p.cell, names, dir);
        p.found = unstage(&p.found, names, dir);
        p.expected_en = unstage(&p.expected_en, names, dir);
        p.expected_zh = unstage(&p.expected_zh, names, dir);
    }
    e
}

/// Takes a slot (or answers busy), then runs `work` on the upload within the request timeout.
async fn with_slot<F>(s: Arc<Shared>, req: Request, work: F) -> Response
where
    F: FnOnce(&Host, &Path, Upload) -> Result<Response, ApiError> + Send + 'static,
{
    let limit = s.config.max_upload_bytes;
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return ApiError::too_large(limit).into_response();
    }
    let slot = match s.slots.acquire().await {
        Ok(slot) => slot,
        Err(b) => {
            // Read (and drop) the upload first: a client still sending it would
            // otherwise see the connection closed instead of the answer.
            let _ = tokio::time::timeout(s.config.request_timeout, discard(req.into_body(), limit)).await;
            return ApiError::busy(retry_after(&s), b.running, b.waiting).into_response();
        }
    };
    let secs = s.config.request_timeout.as_secs();
    let state = s.clone();
    let answer = async move {
        let up = read_upload(req, limit).await?;
        // The slot, the uploads and the temporary folder go with the work: a
        // timed-out evaluation keeps its slot until it ends, then its folder is removed.
        blocking(move || {
            let _slot = slot;
            let dir = tempfile::Builder::new()
                .prefix("lvyue-serve-")
                .tempdir()
                .map_err(|e| ApiError::internal(format!("temporary folder: {e}")))?;
            work(&state.host, dir.path(), up)
        })
        .await
    };
    match tokio::time::timeout(s.config.request_timeout, answer).await {
        Ok(Ok(res)) => res,
        Ok(Err(e)) => e.into_response(),
        Err(_) => ApiError::timeout(secs).into_response(),
    }
}

/// Reads a request body to its end (at most `limit` bytes), keeping nothing.
async fn discard(body: axum::body::Body, limit: usize) {
    use futures_util::StreamExt;
    let mut stream = body.into_data_stream();
    let mut read = 0;
    while let Some(Ok(chunk)) = stream.next().await {
        read += chunk.len();
        if read > limit {
            break;
        }
    }
}

/// A client told "busy" may try again after about one evaluation's time.
fn retry_after(s: &Shared) -> u64 {
    (s.config.request_timeout.as_secs() / 60).clamp(1, 10)
}

async fn validate(State(s): State<Arc<Shared>>, req: Request) -> Response {
    with_slot(s, req, |host, dir, up| {
        let staged = stage(dir, up)?;
        let run = || -> Result<Vec<Value>, RunError> {
            let mut checked = Vec::new();
            for l in job::load(host, &staged.input)? {
                if let Some(e) = l.error {
                    return Err(e);
                }
                let request = host.build_request(&l.job())?.request;
                let rows: usize = request.tables.iter().map(|t| t.rows.len()).sum();
                checked.push(json!({ "jurisdiction": l.jurisdiction, "year": l.year, "sheets": request.tables.len(), "rows": rows }));
            }
            Ok(checked)
        };
        match run() {
            Ok(checked) => {
                let mut res = axum::Json(json!({ "ok": true, "checked": checked })).into_response();
                res.headers_mut().insert(EXIT_CODE_HEADER, HeaderValue::from(exit::OK));
                Ok(res)
            }
            Err(e) => Err(unstage_error(e.into(), &staged.names, dir)),
        }
    })
    .await
}

#[derive(Deserialize, Default)]
struct EvaluateQuery {
    format: Option<String>,
    lang: Option<String>,
}

#[derive(Clone, Copy, PartialEq)]
enum Format {
    Json,
    Xlsx,
    Html,
    All,
}

async fn evaluate(State(s): State<Arc<Shared>>, Query(q): Query<EvaluateQuery>, req: Request) -> Response {
    let format = match q.format.as_deref().unwrap_or("json") {
        "json" => Ok(Format::Json),
        "xlsx" => Ok(Format::Xlsx),
        "html" => Ok(Format::Html),
        "all" => Ok(Format::All),
        other => Err(ApiError::usage(format!("format `{other}`: expected json, xlsx, html or all"))),
    };
    let lang = match q.lang.as_deref().map(Lang::parse) {
        None => Ok(Lang::Zh),
        Some(Some(l)) => Ok(l),
        Some(None) => Err(ApiError::usage("lang: expected zh or en")),
    };
    let (format, lang) = match (format, lang) {
        (Ok(f), Ok(l)) => (f, l),
        (Err(e), _) | (_, Err(e)) => {
            let _ = tokio::time::timeout(s.config.request_timeout, discard(req.into_body(), s.config.max_upload_bytes)).await;
            return e.into_response();
        }
    };
    with_slot(s, req, move |host, dir, up| {
        let staged = stage(dir, up)?;
        evaluate_staged(host, dir, &staged, format, lang).map_err(|e| unstage_error(e, &staged.names, dir))
    })
    .await
}

/// One evaluation, as `lvyue evaluate` does it: load, evaluate every
/// jurisdiction, build the outputs in memory.
fn evaluate_staged(host: &Host, dir: &Path, staged: &Staged, format: Format, lang: Lang) -> Result<Response, ApiError> {
    let mut loaded = job::load(host, &staged.input)?;
    let (mut reports, failures) = job::evaluate_all(host, &mut loaded, false)?;
    drop(loaded); // the rows as read: not needed for the outputs
    for r in &mut reports {
        for i in &mut r.inputs {
            i.path = unstage(&i.path, &staged.names, dir);
        }
    }
    let failures: Vec<(String, RunError)> = failures.into_iter().map(|(j, e)| (j, unstage_run_error(e, &staged.names, dir))).collect();
    let exit_code = failures.first().map(|(_, e)| e.exit_code()).unwrap_or(exit::OK);
    let stem = stem(&reports);
    let out = dir.join("out");
    let (xlsx_path, json_path, render_dir) =
        (out.join(format!("{stem}-report.xlsx")), out.join(format!("{stem}-report.json")), out.join("documents"));
    let to = Outputs {
        workbook: matches!(format, Format::Xlsx | Format::All).then_some(xlsx_path.as_path()),
        json: matches!(format, Format::Json | Format::All).then_some(json_path.as_path()),
        render: matches!(format, Format::All).then_some(render_dir.as_path()),
    };
    let files = job::build_outputs(host, &reports, &failures, to)?;
    let failed: Vec<(String, String)> = failures.iter().map(|(j, e)| (j.clone(), e.to_string())).collect();
    let document = |lang: Lang| html::document(&Document { reports: &reports, failures: &failed, entity: staged.entity.as_deref(), lang });
    let take = |path: &Path| files.iter().find(|(p, _)| p == path).map(|(_, b)| b.clone()).unwrap_or_default();
    let mut res = match format {
        Format::Json => ([(header::CONTENT_TYPE, "application/json")], take(&json_path)).into_response(),
        Format::Xlsx => attachment(take(&xlsx_path), XLSX, &format!("{stem}-report.xlsx")),
        Format::Html => ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], document(lang)).into_response(),
        Format::All => {
            let json_bytes = take(&json_path);
            let result: Value = serde_json::from_slice(&json_bytes).map_err(|e| ApiError::internal(format!("the report JSON: {e}")))?;
            let fragment =
                |lang: Lang| html::fragment(&Document { reports: &reports, failures: &failed, entity: staged.entity.as_deref(), lang });
            let b64 = base64::engine::general_purpose::STANDARD;
            let mut list = vec![
                json!({ "name": format!("{stem}-report.xlsx"), "media_type": XLSX, "kind": "workbook", "base64": b64.encode(take(&xlsx_path)) }),
                json!({ "name": format!("{stem}-report.json"), "media_type": "application/json", "kind": "json", "base64": b64.encode(&json_bytes) }),
            ];
            for l in [Lang::Zh, Lang::En] {
                let name = format!("{stem}-report.{}.html", if l == Lang::Zh { "zh" } else { "en" });
                list.push(json!({ "name": name, "media_type": "text/html", "kind": "printable", "lang": if l == Lang::Zh { "zh" } else { "en" }, "base64": b64.encode(document(l)) }));
            }
            for (p, bytes) in files.iter().filter(|(p, _)| p.parent() == Some(render_dir.as_path())) {
                let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let media = if name.ends_with(".html") { "text/html" } else { "text/markdown" };
                list.push(json!({ "name": name, "media_type": media, "kind": "document", "base64": b64.encode(bytes) }));
            }
            axum::Json(json!({
                "exit_code": exit_code,
                "result": result,
                "failures": failed.iter().map(|(j, e)| json!({ "jurisdiction": j, "error": e })).collect::<Vec<_>>(),
                "html": { "zh": fragment(Lang::Zh), "en": fragment(Lang::En) },
                "files": list,
            }))
            .into_response()
        }
    };
    res.headers_mut().insert(EXIT_CODE_HEADER, HeaderValue::from(exit_code));
    Ok(res)
}

fn unstage_run_error(e: RunError, names: &[(String, String)], dir: &Path) -> RunError {
    match e {
        RunError::BadInput(problems) => {
            RunError::BadInput(unstage_error(ApiError::from_run(RunError::BadInput(problems)), names, dir).problems)
        }
        RunError::Io(m) => RunError::Io(unstage(&m, names, dir)),
        other => other,
    }
}

/// The outputs' file names: `cn-ets-2024`, or `cn-ets+cn-shanghai-2024` for several jurisdictions.
fn stem(reports: &[Report]) -> String {
    let mut js: Vec<&str> = reports.iter().map(|r| r.jurisdiction.as_str()).collect();
    js.dedup();
    let mut years: Vec<u16> = reports.iter().map(|r| r.year).collect();
    years.dedup();
    let year = years.iter().map(|y| y.to_string()).collect::<Vec<_>>().join("+");
    format!("{}-{year}", js.join("+"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploaded_names_stay_inside_the_folder() {
        assert_eq!(safe_name("../../etc/passwd", "x"), "passwd");
        assert_eq!(safe_name("C:\\Users\\me\\清单 2024.xlsx", "x"), "清单 2024.xlsx");
        assert_eq!(safe_name("..", "inventory.xlsx"), "inventory.xlsx");
        assert_eq!(safe_name("a;b|c.xlsx", "x"), "a_b_c.xlsx");
    }

    #[test]
    fn options_need_a_key() {
        assert_eq!(parse_option("carbon_price_cny=92.5").unwrap(), ("carbon_price_cny".into(), "92.5".into()));
        assert!(parse_option("=1").is_err());
        assert!(parse_option("novalue").is_err());
    }
}
