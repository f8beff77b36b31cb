//! Live streams and their control: GetStream, ListStreams, StopStream, PutMetadata, stream sessions,
//! and viewer-session revocation. Liveness comes from [`LiveStreams`]; a channel that is not live
//! answers `ChannelNotBroadcasting`.

use super::*;
use openivs_model::*;

/// PutMetadata payload limit: 1 KB.
const MAX_METADATA_BYTES: usize = 1024;

impl Service {
    fn live_or_not_broadcasting(&self, arn: &str) -> DomainResult<live::LiveStream> {
        self.live.get(arn).ok_or_else(|| DomainError::NotBroadcasting(format!("Channel {arn} is not live")))
    }

    /// `GetStream`.
    pub async fn get_stream(&self, ctx: &Ctx, input: GetStreamRequest) -> DomainResult<GetStreamResponse> {
        let arn = input.channel_arn.unwrap_or_default();
        let r = self.load(ctx, ResourceType::Channel, &arn).await?;
        let s = self.live_or_not_broadcasting(&arn)?;
        let playback_url = self.channel_view(&r)?.playback_url;
        Ok(GetStreamResponse {
            stream: Some(Stream {
                channel_arn: Some(arn),
                stream_id: Some(s.stream_id),
                playback_url,
                start_time: Some(s.start_time),
                state: Some(StreamState::Live),
                health: Some(s.health),
                viewer_count: Some(s.viewer_count),
            }),
        })
    }

    /// `ListStreams`: the live streams of the account and region, optionally by health.
    pub async fn list_streams(
        &self,
        ctx: &Ctx,
        input: ListStreamsRequest,
    ) -> DomainResult<ListStreamsResponse> {
        let health = input.filter_by.and_then(|f| f.health);
        let key = format!("{health:?}");
        let page = self.paging.request(
            Operation::ListStreams,
            &key,
            input.next_token.as_deref(),
            input.max_results,
            100,
        )?;
        // Keyset on the order of going live: a stream that starts or ends meanwhile never makes a
        // page skip or repeat another.
        let mut rest: Vec<_> = self
            .live
            .list(&ctx.scope)
            .into_iter()
            .filter(|s| health.as_ref().is_none_or(|h| &s.health == h))
            .filter(|s| i64::try_from(s.seq).unwrap_or(i64::MAX) > page.after_seq)
            .collect();
        rest.sort_by_key(|s| s.seq);
        let next =
            (rest.len() > page.limit).then(|| rest.get(page.limit.saturating_sub(1))).flatten().map(|s| {
                self.paging.token(Operation::ListStreams, &key, i64::try_from(s.seq).unwrap_or(i64::MAX))
            });
        let streams = rest
            .into_iter()
            .take(page.limit)
            .map(|s| StreamSummary {
                channel_arn: Some(s.channel_arn),
                stream_id: Some(s.stream_id),
                state: Some(StreamState::Live),
                health: Some(s.health),
                viewer_count: Some(s.viewer_count),
                start_time: Some(s.start_time),
            })
            .collect();
        Ok(ListStreamsResponse { streams: Some(streams), next_token: next })
    }

    /// `StopStream`: disconnects the encoder.
    pub async fn stop_stream(&self, ctx: &Ctx, input: StopStreamRequest) -> DomainResult<StopStreamResponse> {
        let arn = input.channel_arn.unwrap_or_default();
        self.load(ctx, ResourceType::Channel, &arn).await?;
        self.live_or_not_broadcasting(&arn)?;
        if !self.live.stop(&arn) {
            return Err(DomainError::NotBroadcasting(format!("Channel {arn} is not live")));
        }
        Ok(StopStreamResponse {})
    }

    /// `PutMetadata`: at most 1 KB, 5 per second per channel, on a live channel.
    pub async fn put_metadata(&self, ctx: &Ctx, input: PutMetadataRequest) -> DomainResult<()> {
        let arn = input.channel_arn.unwrap_or_default();
        let metadata = input.metadata.unwrap_or_default();
        if metadata.len() > MAX_METADATA_BYTES {
            return Err(DomainError::Validation(format!(
                "metadata is {} bytes; the limit is {MAX_METADATA_BYTES} bytes",
                metadata.len()
            )));
        }
        self.load(ctx, ResourceType::Channel, &arn).await?;
        if let Some(l) = &self.limits {
            l.take(&ctx.scope, &format!("PutMetadata {arn}"), limits::PUT_METADATA_PER_CHANNEL)?;
        }
        self.live_or_not_broadcasting(&arn)?;
        if !self.live.put_metadata(&arn, &metadata) {
            return Err(DomainError::NotBroadcasting(format!("Channel {arn} is not live")));
        }
        Ok(())
    }

    /// `GetStreamSession`: the given session, or the latest one of the channel.
    pub async fn get_stream_session(
        &self,
        ctx: &Ctx,
        input: GetStreamSessionRequest,
    ) -> DomainResult<GetStreamSessionResponse> {
        let arn = input.channel_arn.unwrap_or_default();
        self.load(ctx, ResourceType::Channel, &arn).await?;
        let Some(rec) = self.store.get_stream_session(&arn, input.stream_id.as_deref()).await? else {
            return Err(DomainError::NotFound(match input.stream_id {
                Some(id) => format!("Stream session {id} not found for channel {arn}"),
                None => format!("Channel {arn} has no stream sessions yet"),
            }));
        };
        let session: StreamSession = serde_json::from_str(&rec.doc)?;
        Ok(GetStreamSessionResponse { stream_session: Some(session) })
    }

    /// `ListStreamSessions` of a channel, newest first.
    pub async fn list_stream_sessions(
        &self,
        ctx: &Ctx,
        input: ListStreamSessionsRequest,
    ) -> DomainResult<ListStreamSessionsResponse> {
        let arn = input.channel_arn.unwrap_or_default();
        self.load(ctx, ResourceType::Channel, &arn).await?;
        let page = self.paging.request(
            Operation::ListStreamSessions,
            &arn,
            input.next_token.as_deref(),
            input.max_results,
            100,
        )?;
        // Newest first: the token holds the last session's order and the next page is older.
        let before = if page.after_seq == 0 { i64::MAX } else { page.after_seq };
        let mut rows = self.store.list_stream_sessions(&arn, before, page.limit + 1).await?;
        let next = if rows.len() > page.limit {
            rows.truncate(page.limit);
            rows.last().map(|r| self.paging.token(Operation::ListStreamSessions, &arn, r.seq))
        } else {
            None
        };
        let summaries = rows
            .into_iter()
            .map(|r| StreamSessionSummary {
                stream_id: Some(r.stream_id),
                start_time: Some(Timestamp::from_unix_millis(r.start_ms)),
                end_time: r.end_ms.map(Timestamp::from_unix_millis),
                has_error_event: Some(r.has_error),
            })
            .collect();
        Ok(ListStreamSessionsResponse { stream_sessions: Some(summaries), next_token: next })
    }

    /// The channel as a new stream session records it (as GetChannel shows it now).
    pub fn session_channel(&self, r: &Record) -> DomainResult<Channel> {
        self.channel_view(r)
    }

    /// The recording configuration with this ARN in the scope, as a new stream session records it.
    pub async fn session_recording(&self, scope: &Scope, arn: &str) -> Option<RecordingConfiguration> {
        let r = self.store.get(scope, arn).await.ok().flatten()?;
        self.recording_view(&r).ok()
    }

    /// `StartViewerSessionRevocation`: stored for playback, which refuses tokens of that viewer with a
    /// session version at most the given one.
    pub async fn start_viewer_session_revocation(
        &self,
        ctx: &Ctx,
        input: StartViewerSessionRevocationRequest,
    ) -> DomainResult<StartViewerSessionRevocationResponse> {
        let arn = input.channel_arn.unwrap_or_default();
        self.load(ctx, ResourceType::Channel, &arn).await?;
        let version = i64::from(input.viewer_session_versions_less_than_or_equal_to.unwrap_or(0));
        let viewer = input.viewer_id.unwrap_or_default();
        self.store.revoke_viewer(&ctx.scope, &arn, &viewer, version, Timestamp::now().unix_millis()).await?;
        Ok(StartViewerSessionRevocationResponse {})
    }

    /// `BatchStartViewerSessionRevocation`: each session on its own; failures are listed, not raised.
    pub async fn batch_start_viewer_session_revocation(
        &self,
        ctx: &Ctx,
        input: BatchStartViewerSessionRevocationRequest,
    ) -> DomainResult<BatchStartViewerSessionRevocationResponse> {
        let mut errors = Vec::new();
        for s in input.viewer_sessions.unwrap_or_default() {
            let req = StartViewerSessionRevocationRequest {
                channel_arn: s.channel_arn.clone(),
                viewer_id: s.viewer_id.clone(),
                viewer_session_versions_less_than_or_equal_to: s
                    .viewer_session_versions_less_than_or_equal_to,
            };
            let (code, message) = match self.start_viewer_session_revocation(ctx, req).await {
                Ok(_) => continue,
                Err(DomainError::NotFound(m)) => ("ResourceNotFoundException", m),
                Err(DomainError::Internal(m)) => {
                    tracing::error!(error = %m, "viewer session revocation failed");
                    ("InternalServerException", "Internal error".to_string())
                }
                Err(e) => ("ValidationException", e.to_string()),
            };
            errors.push(BatchStartViewerSessionRevocationError {
                channel_arn: s.channel_arn,
                viewer_id: s.viewer_id,
                code: Some(code.into()),
                message: Some(message),
            });
        }
        Ok(BatchStartViewerSessionRevocationResponse { errors: Some(errors), ..Default::default() })
    }
}
