//! Domain errors, in domain words. The API layer maps each to its wire error (`api::error`); store
//! errors are mapped here, where the resource they concern is known.

use crate::store::StoreError;

/// Why a domain operation failed.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// Input breaks a rule (beyond the model's constraints, which the API checks first).
    #[error("{0}")]
    Validation(String),
    /// A resource does not exist (in the caller's account and region).
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with the current state.
    #[error("{0}")]
    Conflict(String),
    /// A quota would be exceeded.
    #[error("{0}")]
    QuotaExceeded(String),
    /// The channel is not live.
    #[error("{0}")]
    NotBroadcasting(String),
    /// A rate limit was hit.
    #[error("{0}")]
    Throttled(String),
    /// The caller may not do this.
    #[error("{0}")]
    AccessDenied(String),
    /// The live stream could not be reached.
    #[error("{0}")]
    StreamUnavailable(String),
    /// Something broke inside; the message is logged, not sent.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Result of domain operations.
pub type DomainResult<T> = Result<T, DomainError>;

impl DomainError {
    /// A generic mapping for store errors where no more specific one applies.
    pub fn from_store(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(arn) => Self::NotFound(format!("Resource not found: {arn}")),
            StoreError::Duplicate(what) => Self::Conflict(format!("Resource already exists: {what}")),
            StoreError::QuotaExceeded(n) => Self::QuotaExceeded(format!("Quota of {n} exceeded")),
            StoreError::Referenced(by) => Self::Conflict(format!("Resource is in use by {}", by.join(", "))),
            StoreError::TooManyTags(n) => Self::Validation(format!(
                "A resource can have at most {} tags; this request would leave {n}",
                super::MAX_TAGS
            )),
            StoreError::Backend(m) => Self::Internal(m),
        }
    }
}

impl From<StoreError> for DomainError {
    fn from(e: StoreError) -> Self {
        Self::from_store(e)
    }
}

impl From<serde_json::Error> for DomainError {
    fn from(e: serde_json::Error) -> Self {
        Self::Internal(format!("stored document: {e}"))
    }
}
