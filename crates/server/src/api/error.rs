//! The one place where errors become wire errors: status, `x-amzn-ErrorType`, and a JSON body with
//! `exceptionMessage` (the only modeled member of every IVS error, which the SDKs put in the typed
//! error) and `message` (which they read for the generic error message).

use crate::control::DomainError;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use openivs_model::ErrorCode;

/// An error as it goes on the wire.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// `x-amzn-ErrorType`: a modeled code or an AWS-common one (`UnrecognizedClientException`, …).
    pub code: &'static str,
    /// Human message.
    pub message: String,
}

impl ApiError {
    /// A modeled error with its model status.
    pub fn modeled(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { status: code.status(), code: code.as_str(), message: message.into() }
    }

    /// An error the model does not define (auth failures, unknown operations, …).
    pub fn common(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into() }
    }

    /// `ValidationException`.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::modeled(ErrorCode::ValidationException, message)
    }

    /// The response, tagged with the request id.
    pub fn into_response_with_id(self, request_id: &str) -> Response {
        let body = serde_json::json!({ "exceptionMessage": self.message, "message": self.message });
        let mut resp = (
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            [("content-type", "application/json")],
            body.to_string(),
        )
            .into_response();
        let h = resp.headers_mut();
        h.insert("x-amzn-errortype", HeaderValue::from_static(self.code));
        if let Ok(v) = HeaderValue::from_str(request_id) {
            h.insert("x-amzn-requestid", v);
        }
        resp
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        use ErrorCode as C;
        match e {
            DomainError::Validation(m) => Self::modeled(C::ValidationException, m),
            DomainError::NotFound(m) => Self::modeled(C::ResourceNotFoundException, m),
            DomainError::Conflict(m) => Self::modeled(C::ConflictException, m),
            DomainError::QuotaExceeded(m) => Self::modeled(C::ServiceQuotaExceededException, m),
            DomainError::NotBroadcasting(m) => Self::modeled(C::ChannelNotBroadcasting, m),
            DomainError::Throttled(m) => Self::modeled(C::ThrottlingException, m),
            DomainError::AccessDenied(m) => Self::modeled(C::AccessDeniedException, m),
            DomainError::StreamUnavailable(m) => Self::modeled(C::StreamUnavailable, m),
            DomainError::Internal(m) => {
                // The cause is logged by the caller with the request id; the wire says nothing of it.
                tracing::error!(cause = %m, "internal error");
                Self::modeled(C::InternalServerException, "Internal server error")
            }
        }
    }
}

impl From<openivs_sigv4::AuthError> for ApiError {
    fn from(e: openivs_sigv4::AuthError) -> Self {
        Self::common(403, e.aws_code(), e.to_string())
    }
}
