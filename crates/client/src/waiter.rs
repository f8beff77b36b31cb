//! Waiters the AWS SDKs do not have for IVS: poll `GetStream` until a channel is live, or until it is
//! offline (`ChannelNotBroadcasting`, ivs-api.md GetStream), every `interval` up to `timeout`.

use std::time::Duration;

use openivs_model::types::{GetStreamRequest, GetStreamResponse, StreamState};

use crate::client::Client;
use crate::error::SdkError;
use crate::generated::GetStreamError;

/// How often and how long to poll.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaitConfig {
    /// Time between two `GetStream` calls (default 2 s).
    pub interval: Duration,
    /// Give up after this long (default 5 min).
    pub timeout: Duration,
}

impl Default for WaitConfig {
    fn default() -> Self {
        Self { interval: Duration::from_secs(2), timeout: Duration::from_secs(300) }
    }
}

/// Why a wait ended without the state it waited for.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WaitError {
    /// The channel was not in the awaited state within the timeout.
    #[error("the channel did not become {state} within {timeout:?} ({polls} polls)")]
    TimedOut {
        /// `live` or `offline`.
        state: &'static str,
        /// The timeout that ran out.
        timeout: Duration,
        /// How many times `GetStream` was called.
        polls: u32,
    },
    /// `GetStream` failed in a way that waiting does not fix (not found, access denied, …).
    #[error(transparent)]
    Failed(#[from] SdkError<GetStreamError>),
}

impl Client {
    /// Waits until the channel's stream is `LIVE`; returns the `GetStream` output that said so.
    pub async fn wait_until_live(
        &self,
        channel_arn: &str,
        wait: WaitConfig,
    ) -> Result<GetStreamResponse, WaitError> {
        self.wait_for(channel_arn, wait, "live", |r| match r {
            Ok(out) => {
                let live = out.stream.as_ref().and_then(|s| s.state.as_ref()) == Some(&StreamState::Live);
                Ok(live.then_some(out))
            }
            Err(SdkError::Service(GetStreamError::ChannelNotBroadcasting(_))) => Ok(None),
            Err(e) => Err(e),
        })
        .await
    }

    /// Waits until the channel is not broadcasting (`GetStream` answers `ChannelNotBroadcasting`, or a
    /// stream that is not `LIVE`).
    pub async fn wait_until_offline(&self, channel_arn: &str, wait: WaitConfig) -> Result<(), WaitError> {
        self.wait_for(channel_arn, wait, "offline", |r| match r {
            Ok(out) => {
                let live = out.stream.as_ref().and_then(|s| s.state.as_ref()) == Some(&StreamState::Live);
                Ok((!live).then_some(()))
            }
            Err(SdkError::Service(GetStreamError::ChannelNotBroadcasting(_))) => Ok(Some(())),
            Err(e) => Err(e),
        })
        .await
    }

    async fn wait_for<T>(
        &self,
        channel_arn: &str,
        wait: WaitConfig,
        state: &'static str,
        done: impl Fn(
            Result<GetStreamResponse, SdkError<GetStreamError>>,
        ) -> Result<Option<T>, SdkError<GetStreamError>>,
    ) -> Result<T, WaitError> {
        let end = tokio::time::Instant::now() + wait.timeout;
        let mut polls = 0;
        loop {
            polls += 1;
            let input = GetStreamRequest { channel_arn: Some(channel_arn.to_owned()) };
            if let Some(v) = done(self.get_stream(input).await)? {
                return Ok(v);
            }
            let next = tokio::time::Instant::now() + wait.interval;
            if next > end {
                return Err(WaitError::TimedOut { state, timeout: wait.timeout, polls });
            }
            tokio::time::sleep_until(next).await;
        }
    }
}
