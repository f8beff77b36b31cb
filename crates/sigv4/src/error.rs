//! Why a request failed authentication, in the words and codes AWS JSON services use on
//! the wire (`MissingAuthenticationTokenException`, `IncompleteSignatureException`,
//! `InvalidSignatureException`). Messages never contain the secret or the expected
//! signature, so they are safe to return to the client.

/// A SigV4 authentication failure. [`AuthError::aws_code`] is the wire error code; the
/// `Display` text is the wire message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The request carries no `Authorization` header and no presigned query.
    #[error("Missing Authentication Token")]
    MissingAuthentication,

    /// The authorization is malformed or incomplete: an unknown algorithm, a missing or
    /// badly formed `Credential`, `SignedHeaders`, `Signature`, date or `X-Amz-Expires`.
    #[error("{0}")]
    Malformed(String),

    /// `host` is not among the signed headers, so the signature could be replayed against
    /// another endpoint.
    #[error("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")]
    HostNotSigned,

    /// The presigned URL asks for more than seven days.
    #[error("X-Amz-Expires must be less than a week (in seconds) that is 604800")]
    ExpiresTooLong,

    /// The credential scope date is not the date of the request time.
    #[error(
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{scope_date}' != '{request_date}', from '{amz_date}'."
    )]
    ScopeDateMismatch {
        /// The date in the credential scope.
        scope_date: String,
        /// The date part of the request time.
        request_date: String,
        /// The request time as `YYYYMMDD'T'HHMMSS'Z'`.
        amz_date: String,
    },

    /// The request time is outside the allowed window (clock skew for the header form,
    /// the expiry for a presigned URL). `detail` explains which, with the times.
    #[error("Signature expired: {detail}")]
    Expired {
        /// Which bound was crossed, e.g. `20150830T123600Z is now earlier than …`.
        detail: String,
    },

    /// The request time is too far in the future for the allowed clock skew.
    #[error("Signature not yet current: {detail}")]
    NotYetCurrent {
        /// The request time and the latest accepted time.
        detail: String,
    },

    /// `x-amz-content-sha256` names a hash that is not the hash of the body received.
    #[error("The provided 'x-amz-content-sha256' header does not match what was computed.")]
    ContentSha256Mismatch,

    /// The recomputed signature differs. `canonical_request` and `string_to_sign` are what
    /// the server computed, for logs; they are not in the message.
    #[error(
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
    )]
    SignatureMismatch {
        /// The canonical request the server built.
        canonical_request: String,
        /// The string to sign the server built.
        string_to_sign: String,
    },
}

impl AuthError {
    /// The AWS error code a server puts in `x-amzn-ErrorType` for this failure.
    pub fn aws_code(&self) -> &'static str {
        match self {
            Self::MissingAuthentication => "MissingAuthenticationTokenException",
            Self::Malformed(_) | Self::HostNotSigned | Self::ExpiresTooLong => "IncompleteSignatureException",
            // AWS reports clock skew and expiry as signature failures, not as
            // malformed requests: the request was well formed, just not valid now.
            Self::ScopeDateMismatch { .. }
            | Self::Expired { .. }
            | Self::NotYetCurrent { .. }
            | Self::ContentSha256Mismatch
            | Self::SignatureMismatch { .. } => "InvalidSignatureException",
        }
    }

    pub(crate) fn malformed(message: impl Into<String>) -> Self {
        Self::Malformed(message.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert_eq!(AuthError::MissingAuthentication.aws_code(), "MissingAuthenticationTokenException");
        assert_eq!(AuthError::HostNotSigned.aws_code(), "IncompleteSignatureException");
        let expired = AuthError::Expired { detail: "x".into() };
        assert_eq!(expired.aws_code(), "InvalidSignatureException");
        assert_eq!(expired.to_string(), "Signature expired: x");
    }
}
