//! The command line's exit codes as HTTP statuses (`docs/api.md`):
//!
//! | exit | meaning | status |
//! |---|---|---|
//! | 2 | usage: a field missing or malformed | 400 |
//! | 3 | bad input: every problem with its sheet and cell | 422 |
//! | 4 | a plugin failed (trap, panic, limit) | 500 |
//! | 5 | no plugin for the jurisdiction / a plugin refused | 404 / 409 |
//! | 6 | the rules lack a parameter for the year, or are malformed | 409 |
//! | 1 | anything else | 500 |
//! | — | too many evaluations at once | 503 with `Retry-After` |
//! | — | the upload is larger than the cap | 413 |
//! | — | the answer took longer than the request timeout | 504 |
//!
//! Every error body is JSON: `{"error": kind, "exit_code": n or null,
//! "message": text, "problems": [...]}`; `problems` lists each input problem
//! as `{sheet, cell, found, expected_zh, expected_en}`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::host::{RunError, exit};
use crate::input::InputProblem;

/// An answer that is not a result.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub kind: &'static str,
    pub exit_code: Option<i32>,
    pub message: String,
    pub problems: Vec<InputProblem>,
    /// Seconds, for 503.
    pub retry_after: Option<u64>,
}

#[derive(Serialize)]
struct Body<'a> {
    error: &'a str,
    exit_code: Option<i32>,
    message: &'a str,
    problems: &'a [InputProblem],
}

impl ApiError {
    pub fn new(status: StatusCode, kind: &'static str, exit_code: Option<i32>, message: impl Into<String>) -> ApiError {
        ApiError { status, kind, exit_code, message: message.into(), problems: Vec::new(), retry_after: None }
    }

    /// A request the API cannot read (exit 2).
    pub fn usage(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "usage", Some(exit::USAGE), message)
    }

    pub fn busy(retry_after: u64, running: usize, waiting: usize) -> ApiError {
        let mut e = ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            None,
            format!(
                "busy: {running} evaluation(s) running and {waiting} waiting, the most this server takes; try again in {retry_after} s / 服务器繁忙，请 {retry_after} 秒后重试"
            ),
        );
        e.retry_after = Some(retry_after);
        e
    }

    pub fn too_large(limit: usize) -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            None,
            format!(
                "the upload is larger than {} MiB, the most this server accepts (lvyue serve --max-upload-mib) / 上传文件超过 {} MiB 上限",
                limit >> 20,
                limit >> 20
            ),
        )
    }

    pub fn timeout(secs: u64) -> ApiError {
        ApiError::new(
            StatusCode::GATEWAY_TIMEOUT,
            "timeout",
            None,
            format!("no answer within {secs} s (lvyue serve --request-timeout) / {secs} 秒内未完成"),
        )
    }

    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "other", Some(exit::OTHER), message)
    }

    /// The status for an error of the library, with the same meaning as its exit code.
    pub(crate) fn from_run(e: RunError) -> ApiError {
        let code = e.exit_code();
        let message = e.to_string();
        let (status, kind) = match &e {
            RunError::BadInput(_) | RunError::Unsupported(_) => (StatusCode::UNPROCESSABLE_ENTITY, "bad_input"),
            RunError::Usage(_) => (StatusCode::BAD_REQUEST, "usage"),
            RunError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            RunError::Refused { .. } => (StatusCode::CONFLICT, "refused"),
            RunError::Rules(_) => (StatusCode::CONFLICT, "rules"),
            RunError::Failed { .. } => (StatusCode::INTERNAL_SERVER_ERROR, "plugin_failed"),
            RunError::Io(_) => (StatusCode::INTERNAL_SERVER_ERROR, "other"),
        };
        let problems = match e {
            RunError::BadInput(p) => p,
            _ => Vec::new(),
        };
        ApiError { status, kind, exit_code: Some(code), message, problems, retry_after: None }
    }
}

impl From<RunError> for ApiError {
    fn from(e: RunError) -> ApiError {
        ApiError::from_run(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body { error: self.kind, exit_code: self.exit_code, message: &self.message, problems: &self.problems };
        let mut res = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if let Some(code) = self.exit_code {
            res.headers_mut().insert(super::api::EXIT_CODE_HEADER, HeaderValue::from(code));
        }
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_map_to_their_statuses() {
        let cases = [
            (RunError::BadInput(vec![]), 422, 3),
            (RunError::Unsupported("x".into()), 422, 3),
            (RunError::Usage("x".into()), 400, 2),
            (RunError::NotFound("x".into()), 404, 5),
            (RunError::Refused { plugin: "p".into(), reason: "r".into() }, 409, 5),
            (RunError::Rules(vec![]), 409, 6),
            (RunError::Io("x".into()), 500, 1),
        ];
        for (e, status, code) in cases {
            let a = ApiError::from_run(e);
            assert_eq!((a.status.as_u16(), a.exit_code), (status, Some(code)), "{}", a.kind);
        }
    }
}
