//! The HTTP API: restJson1 routing for the 46 operations (`POST /<Operation>`, tags at
//! `GET|POST|DELETE /tags/{resourceArn}`), request ids, body limits, authentication, rate limits, and
//! the mapping of every failure to an AWS-style error. Handlers are thin: input in, service call,
//! output out.

pub mod auth;
mod dispatch;
pub mod error;
mod input;

use crate::control::Service;
use auth::Authenticator;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use error::ApiError;
use openivs_model::Operation;
use openivs_sigv4::HttpRequest;
use std::collections::HashMap;
use std::sync::Arc;

/// Largest request body accepted. The biggest legitimate IVS request (50 tags of maximal size, or a
/// batch of 50 ARNs) is well under this.
pub const MAX_BODY: usize = 256 * 1024;

/// How long a request body may take to arrive once its headers are authenticated: 256 KiB takes
/// well under a second on any link an SDK is used over, and every byte of it is still unverified.
pub const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Shared state of the API handlers.
pub struct ApiState {
    svc: Arc<Service>,
    auth: Authenticator,
    routes: HashMap<&'static str, Operation>,
}

/// The API router.
pub fn router(svc: Arc<Service>) -> axum::Router {
    let routes = route_table();
    let auth = Authenticator::new(svc.store().clone());
    let state = Arc::new(ApiState { svc, auth, routes });
    axum::Router::new().fallback(handle).with_state(state)
}

/// The fixed paths (`/CreateChannel`, …) of the operations without a path label.
fn route_table() -> HashMap<&'static str, Operation> {
    Operation::ALL.iter().filter(|op| !op.info().uri.contains('{')).map(|op| (op.info().uri, *op)).collect()
}

/// Finds the operation of a request; `Ok((op, label))` with the still-encoded path label.
fn route<'a>(
    routes: &HashMap<&'static str, Operation>,
    method: &str,
    path: &'a str,
) -> Result<(Operation, Option<&'a str>), ApiError> {
    if let Some(label) = path.strip_prefix("/tags/") {
        if label.is_empty() || label.contains('/') {
            return Err(ApiError::validation(
                "The resource ARN in the path must be URL-encoded as one path segment",
            ));
        }
        let op = match method {
            "GET" => Operation::ListTagsForResource,
            "POST" => Operation::TagResource,
            "DELETE" => Operation::UntagResource,
            _ => return Err(method_not_allowed(method, path)),
        };
        return Ok((op, Some(label)));
    }
    match routes.get(path) {
        Some(op) if op.info().method == method => Ok((*op, None)),
        Some(_) => Err(method_not_allowed(method, path)),
        None => Err(ApiError::common(
            404,
            "UnknownOperationException",
            format!("No operation at {method} {path}"),
        )),
    }
}

fn method_not_allowed(method: &str, path: &str) -> ApiError {
    ApiError::common(405, "MethodNotAllowedException", format!("{method} is not allowed on {path}"))
}

async fn handle(State(state): State<Arc<ApiState>>, req: Request) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let started = std::time::Instant::now();
    let method = req.method().as_str().to_owned();
    let path = req.uri().path().to_owned();
    let result = process(&state, req).await;
    let (status, resp) = match result {
        Ok((status, body)) => (status, success(status, body, &request_id)),
        Err(e) => (e.status, e.into_response_with_id(&request_id)),
    };
    tracing::debug!(target: "openivs::api", %request_id, %method, %path, status, micros = started.elapsed().as_micros() as u64, "request");
    resp
}

fn success(status: u16, body: Vec<u8>, request_id: &str) -> Response {
    let mut resp = if status == 204 {
        StatusCode::NO_CONTENT.into_response()
    } else {
        (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), [("content-type", "application/json")], body)
            .into_response()
    };
    if let Ok(v) = HeaderValue::from_str(request_id) {
        resp.headers_mut().insert("x-amzn-requestid", v);
    }
    resp
}

async fn process(state: &ApiState, req: Request) -> Result<(u16, Vec<u8>), ApiError> {
    let (parts, body) = req.into_parts();
    let method = parts.method.as_str();
    let path = parts.uri.path();
    let query = parts.uri.query().unwrap_or("");
    let (op, label) = route(&state.routes, method, path)?;
    let info = op.info();
    let mut headers: Vec<(&str, &str)> =
        parts.headers.iter().filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str(), v))).collect();
    let authority = parts.uri.authority().map(|a| a.as_str().to_owned());
    if !headers.iter().any(|(k, _)| *k == "host")
        && let Some(a) = authority.as_deref()
    {
        // HTTP/2 carries the host as :authority, which SigV4 signs as `host`.
        headers.push(("host", a));
    }
    // No body byte is read before the headers name a known key, dated now, for this service.
    let head = state.auth.authenticate_head(&headers, query).await?;
    let body = read_body(&parts.headers, body).await?;
    let http = HttpRequest { method, path, query, headers: &headers, body: &body };
    let ctx = state.auth.authenticate_body(head, &http, &format!("ivs:{}", info.name))?;
    state.svc.check_rate(&ctx, op)?;
    check_content_type(&parts.headers, &body)?;
    let input = input::input_json(info, &body, label, query)?;
    let out = dispatch::dispatch(&state.svc, &ctx, op, input).await?;
    Ok((info.success_status, out))
}

async fn read_body(headers: &axum::http::HeaderMap, body: Body) -> Result<Vec<u8>, ApiError> {
    let too_large = || {
        ApiError::common(
            413,
            "RequestEntityTooLargeException",
            format!("Request body larger than {MAX_BODY} bytes"),
        )
    };
    if let Some(len) =
        headers.get("content-length").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok())
        && len > MAX_BODY
    {
        return Err(too_large());
    }
    // A client that stops sending mid-body must not hold its connection and task forever.
    match tokio::time::timeout(BODY_TIMEOUT, to_bytes(body, MAX_BODY)).await {
        Ok(Ok(b)) => Ok(b.to_vec()),
        Ok(Err(_)) => Err(too_large()),
        Err(_) => {
            Err(ApiError::common(408, "RequestTimeoutException", "The request body was not received in time"))
        }
    }
}

/// A body, when there is one, must be JSON (`application/json`, any parameters); no type is accepted.
fn check_content_type(headers: &axum::http::HeaderMap, body: &[u8]) -> Result<(), ApiError> {
    if body.is_empty() {
        return Ok(());
    }
    match headers.get("content-type").map(|v| v.to_str().unwrap_or("")) {
        None => Ok(()),
        Some(ct) => {
            let mime = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
            if mime == "application/json" || mime.starts_with("application/x-amz-json") {
                Ok(())
            } else {
                Err(ApiError::common(
                    415,
                    "UnsupportedMediaTypeException",
                    format!("Content-Type {ct:?} is not supported; send application/json"),
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One line per operation: method, path, the operation it routes to.
    const TABLE: &[(&str, &str, Operation)] = &[
        ("POST", "/BatchGetChannel", Operation::BatchGetChannel),
        ("POST", "/BatchGetStreamKey", Operation::BatchGetStreamKey),
        ("POST", "/BatchStartViewerSessionRevocation", Operation::BatchStartViewerSessionRevocation),
        ("POST", "/CreateAdConfiguration", Operation::CreateAdConfiguration),
        ("POST", "/CreateChannel", Operation::CreateChannel),
        ("POST", "/CreateFailoverSlateConfiguration", Operation::CreateFailoverSlateConfiguration),
        ("POST", "/CreatePlaybackRestrictionPolicy", Operation::CreatePlaybackRestrictionPolicy),
        ("POST", "/CreateRecordingConfiguration", Operation::CreateRecordingConfiguration),
        ("POST", "/CreateStreamKey", Operation::CreateStreamKey),
        ("POST", "/DeleteAdConfiguration", Operation::DeleteAdConfiguration),
        ("POST", "/DeleteChannel", Operation::DeleteChannel),
        ("POST", "/DeleteFailoverSlateConfiguration", Operation::DeleteFailoverSlateConfiguration),
        ("POST", "/DeletePlaybackKeyPair", Operation::DeletePlaybackKeyPair),
        ("POST", "/DeletePlaybackRestrictionPolicy", Operation::DeletePlaybackRestrictionPolicy),
        ("POST", "/DeleteRecordingConfiguration", Operation::DeleteRecordingConfiguration),
        ("POST", "/DeleteStreamKey", Operation::DeleteStreamKey),
        ("POST", "/GetAdConfiguration", Operation::GetAdConfiguration),
        ("POST", "/GetChannel", Operation::GetChannel),
        ("POST", "/GetFailoverSlateConfiguration", Operation::GetFailoverSlateConfiguration),
        ("POST", "/GetPlaybackKeyPair", Operation::GetPlaybackKeyPair),
        ("POST", "/GetPlaybackRestrictionPolicy", Operation::GetPlaybackRestrictionPolicy),
        ("POST", "/GetRecordingConfiguration", Operation::GetRecordingConfiguration),
        ("POST", "/GetStream", Operation::GetStream),
        ("POST", "/GetStreamKey", Operation::GetStreamKey),
        ("POST", "/GetStreamSession", Operation::GetStreamSession),
        ("POST", "/ImportPlaybackKeyPair", Operation::ImportPlaybackKeyPair),
        ("POST", "/InsertAdBreak", Operation::InsertAdBreak),
        ("POST", "/ListAdConfigurations", Operation::ListAdConfigurations),
        ("POST", "/ListChannels", Operation::ListChannels),
        ("POST", "/ListFailoverSlateConfigurations", Operation::ListFailoverSlateConfigurations),
        ("POST", "/ListPlaybackKeyPairs", Operation::ListPlaybackKeyPairs),
        ("POST", "/ListPlaybackRestrictionPolicies", Operation::ListPlaybackRestrictionPolicies),
        ("POST", "/ListRecordingConfigurations", Operation::ListRecordingConfigurations),
        ("POST", "/ListStreamKeys", Operation::ListStreamKeys),
        ("POST", "/ListStreamSessions", Operation::ListStreamSessions),
        ("POST", "/ListStreams", Operation::ListStreams),
        ("GET", "/tags/arn%3Aaws%3Aivs%3Aus-west-2%3A1%3Achannel%2Fa", Operation::ListTagsForResource),
        ("POST", "/PutMetadata", Operation::PutMetadata),
        ("POST", "/StartViewerSessionRevocation", Operation::StartViewerSessionRevocation),
        ("POST", "/StopStream", Operation::StopStream),
        ("POST", "/tags/arn%3Aaws%3Aivs%3Aus-west-2%3A1%3Achannel%2Fa", Operation::TagResource),
        ("DELETE", "/tags/arn%3Aaws%3Aivs%3Aus-west-2%3A1%3Achannel%2Fa", Operation::UntagResource),
        ("POST", "/UpdateAdConfiguration", Operation::UpdateAdConfiguration),
        ("POST", "/UpdateChannel", Operation::UpdateChannel),
        ("POST", "/UpdateFailoverSlateConfiguration", Operation::UpdateFailoverSlateConfiguration),
        ("POST", "/UpdatePlaybackRestrictionPolicy", Operation::UpdatePlaybackRestrictionPolicy),
    ];

    #[test]
    fn every_operation_routes() {
        let routes = route_table();
        assert_eq!(TABLE.len(), Operation::ALL.len());
        for (method, path, op) in TABLE {
            let (got, label) =
                route(&routes, method, path).unwrap_or_else(|e| panic!("{method} {path}: {e:?}"));
            assert_eq!(got, *op, "{method} {path}");
            assert_eq!(label.is_some(), path.starts_with("/tags/"));
        }
    }

    #[test]
    fn unknown_paths_methods_and_labels_are_refused() {
        let routes = route_table();
        let status = |m: &str, p: &str| route(&routes, m, p).map(|_| 0).unwrap_or_else(|e| e.status);
        assert_eq!(status("POST", "/NoSuchOperation"), 404);
        assert_eq!(status("POST", "/createchannel"), 404, "paths are case sensitive");
        assert_eq!(status("GET", "/CreateChannel"), 405);
        assert_eq!(status("PUT", "/tags/arn"), 405);
        assert_eq!(status("GET", "/tags/"), 400);
        assert_eq!(
            status("GET", "/tags/arn:aws:ivs:us-west-2:1:channel/a"),
            400,
            "an unencoded / splits the label"
        );
    }
}
