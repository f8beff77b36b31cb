//! Live ingest wired to the control plane (ivs-behaviour.md §3): who may publish (a current stream
//! key of an existing channel, compared in constant time; plain RTMP only with `insecureIngest`; one
//! encoder per channel), the registry of live streams that control's stream operations read, and the
//! stream sessions kept in the store. The RTMP/RTMPS work itself is `openivs_media::rtmp`.

pub mod attempts;
pub mod registry;
pub mod session;
pub mod tls;

#[cfg(test)]
mod race_tests;

pub use registry::Registry;

use crate::control::Service;
use crate::control::ids;
use crate::store::{Store, StreamSessionRecord};
use openivs_media::ingest::{Authorized, IngestHandler, PublishRequest, Refusal, SrtSecret};
use openivs_model::arn::ResourceType;
use openivs_model::{StreamSession, Timestamp};
use registry::LiveEntry;
use std::sync::Arc;
use subtle::ConstantTimeEq;
use tokio::sync::{mpsc, oneshot};

/// Authorizes publishers against the store and registers their streams.
pub struct Ingest {
    store: Arc<dyn Store>,
    service: Arc<Service>,
    registry: Arc<Registry>,
    failed: attempts::FailedAttempts,
    /// Refused publishes per address: one line each minute with the first one's reason, and a count
    /// of the rest (issue 16: a line per wrong key let an attacker grow the log at will).
    refused: Arc<openivs_media::admission::Tally>,
    /// Records streams of channels with a recording configuration.
    recorder: Option<Arc<crate::recording::Recorder>>,
}

impl Ingest {
    /// Ingest over a store, the service (for channel views) and the registry control reads.
    pub fn new(store: Arc<dyn Store>, service: Arc<Service>, registry: Arc<Registry>) -> Self {
        let refused = Arc::new(openivs_media::admission::Tally::new("publishes refused"));
        refused.flush_periodically();
        Ingest {
            store,
            service,
            registry,
            failed: attempts::FailedAttempts::default(),
            refused,
            recorder: None,
        }
    }

    /// The same ingest recording streams with `recorder`.
    pub fn with_recorder(mut self, recorder: Arc<crate::recording::Recorder>) -> Self {
        self.recorder = Some(recorder);
        self
    }

    /// Refuses and logs why (the first refusal of an address each minute; the rest as a count), never
    /// with the key itself.
    fn refuse(&self, req: &PublishRequest, why: Refusal, channel: Option<&str>) -> Refusal {
        let first = req.peer.is_none_or(|p| self.refused.note(p.ip(), std::time::Instant::now()));
        if first {
            tracing::info!(peer = ?req.peer, protocol = req.protocol.name(req.secure), secure = req.secure, channel, reason = %why, "publish refused (more from this address are counted for a minute)");
        }
        why
    }

    /// Counts a failed attempt (a wrong key or passphrase) against the address.
    fn count_failure(&self, req: &PublishRequest) {
        if let Some(peer) = req.peer
            && self.failed.failed(peer.ip(), std::time::Instant::now())
        {
            tracing::warn!(
                ip = %peer.ip(),
                "too many wrong stream keys or passphrases from this address; its connections are refused for a while"
            );
        }
    }

    /// Refuses a wrong key and counts it against the address.
    fn bad_key(&self, req: &PublishRequest, channel: Option<&str>) -> Refusal {
        self.count_failure(req);
        self.refuse(req, Refusal::BadKey, channel)
    }

    /// The stream key a publish names and its channel, or the refusal (wrong keys counted).
    async fn channel_for(&self, req: &PublishRequest) -> Result<Found, Refusal> {
        // An address out of attempts is refused before the store is asked (it may have connected
        // just before its last attempt failed).
        if let Some(peer) = req.peer
            && !self.failed.allows(peer.ip(), std::time::Instant::now())
        {
            tracing::debug!(ip = %peer.ip(), "publish refused: too many wrong stream keys from this address");
            return Err(Refusal::BadKey);
        }
        let key = match self.store.find_unique(ResourceType::StreamKey, &req.stream_key).await {
            Ok(Some(k)) => k,
            Ok(None) => return Err(self.bad_key(req, None)),
            Err(e) => {
                tracing::error!(error = %e, "stream key lookup failed");
                return Err(self.refuse(req, Refusal::Unavailable, None));
            }
        };
        // The lookup found the row by value; compare again without an early exit so the answer's
        // timing says nothing about how much of a guess matched.
        let stored = key.unique.as_deref().unwrap_or("");
        if !bool::from(stored.as_bytes().ct_eq(req.stream_key.as_bytes()))
            || key.kind != ResourceType::StreamKey
        {
            return Err(self.bad_key(req, None));
        }
        let Some(channel_arn) = key.parent.clone() else {
            return Err(self.refuse(req, Refusal::BadKey, None));
        };
        let channel_rec = match self.store.get(&key.scope, &channel_arn).await {
            Ok(Some(c)) => c,
            Ok(None) => return Err(self.refuse(req, Refusal::BadKey, Some(&channel_arn))),
            Err(e) => {
                tracing::error!(error = %e, "channel lookup failed");
                return Err(self.refuse(req, Refusal::Unavailable, Some(&channel_arn)));
            }
        };
        let channel = self.service.session_channel(&channel_rec).map_err(|e| {
            tracing::error!(error = %e, "channel view failed");
            Refusal::Unavailable
        })?;
        Ok(Found { key, channel_arn, channel })
    }
}

impl Ingest {
    /// Starts recording a stream whose channel names a recording configuration; the Recording Start
    /// Failure event when it cannot (the configuration is not ACTIVE, or there is no recorder).
    fn record(
        &self,
        entry: &Arc<LiveEntry>,
        channel: &openivs_model::Channel,
        config: Option<&openivs_model::RecordingConfiguration>,
    ) -> Option<openivs_model::StreamEvent> {
        let config = config?;
        let active =
            config.state.as_ref().is_none_or(|s| *s == openivs_model::RecordingConfigurationState::Active);
        match &self.recorder {
            Some(recorder) if active => {
                recorder.attach(entry, channel, config);
                None
            }
            _ => {
                tracing::error!(channel = %entry.channel_arn, state = ?config.state, "the stream is not recorded: its recording configuration is not ACTIVE");
                let mut ev =
                    session::event("Recording Start Failure", "IVS Recording State Change", entry.start_time);
                ev.code = Some("ValidationException".into());
                Some(ev)
            }
        }
    }
}

/// A stream key and its channel.
struct Found {
    key: crate::store::Record,
    channel_arn: String,
    channel: openivs_model::Channel,
}

#[async_trait::async_trait]
impl IngestHandler for Ingest {
    fn admit(&self, peer: std::net::SocketAddr) -> bool {
        self.failed.allows(peer.ip(), std::time::Instant::now())
    }

    async fn srt_secret(&self, req: &PublishRequest) -> Result<SrtSecret, Refusal> {
        let found = self.channel_for(req).await?;
        if self.registry.entry(&found.channel_arn).is_some() {
            return Err(self.refuse(req, Refusal::AlreadyPublishing, Some(&found.channel_arn)));
        }
        let passphrase = found.channel.srt.as_ref().and_then(|s| s.passphrase.clone()).unwrap_or_default();
        Ok(SrtSecret { passphrase })
    }

    fn refused_in_handshake(&self, req: &PublishRequest, why: Refusal) {
        if why == Refusal::BadPassphrase {
            // A wrong passphrase is a guess at a secret, as a wrong key is (a caller without
            // encryption fails the same way: the handshake does not tell them apart).
            self.count_failure(req);
        }
        self.refuse(req, why, None);
    }

    async fn authorize(&self, req: PublishRequest) -> Result<Authorized, Refusal> {
        let Found { key, channel_arn, channel } = self.channel_for(&req).await?;
        if !req.secure && !channel.insecure_ingest.unwrap_or(false) {
            return Err(self.refuse(&req, Refusal::InsecureNotAllowed, Some(&channel_arn)));
        }
        let recording = match channel.recording_configuration_arn.as_deref().filter(|a| !a.is_empty()) {
            Some(arn) => self.service.session_recording(&key.scope, arn).await,
            None => None,
        };
        let stream_id = format!("st-{}", ids::alnum(23));
        let entry = Arc::new(LiveEntry::new(
            channel_arn.clone(),
            stream_id.clone(),
            key.scope.clone(),
            self.registry.next_seq(),
        ));
        if !self.registry.try_insert(entry.clone()) {
            return Err(self.refuse(&req, Refusal::AlreadyPublishing, Some(&channel_arn)));
        }
        // DeleteChannel or DeleteStreamKey may have run since the lookups above. Now that the stream
        // is registered (DeleteChannel refuses from here on, and stops what it missed), the key must
        // still be there; otherwise the channel would be live without a channel or a key.
        match self.store.find_unique(ResourceType::StreamKey, &req.stream_key).await {
            Ok(Some(k)) if k.arn == key.arn => {}
            found => {
                self.registry.remove(&entry);
                if let Err(e) = found {
                    tracing::error!(error = %e, "stream key re-check failed");
                    return Err(self.refuse(&req, Refusal::Unavailable, Some(&channel_arn)));
                }
                return Err(self.refuse(&req, Refusal::BadKey, Some(&channel_arn)));
            }
        }
        crate::playback::live::start(&entry, &channel);
        let recording_failure = self.record(&entry, &channel, recording.as_ref());
        let mut doc = StreamSession {
            stream_id: Some(stream_id.clone()),
            start_time: Some(entry.start_time),
            channel: Some(channel),
            recording_configuration: recording,
            openivs_viewers: Some(openivs_model::ext::SessionViewers {
                peak_concurrent_viewers: Some(0),
                peak_time: None,
                playback_sessions: Some(0),
            }),
            openivs_ingest: Some(openivs_model::ext::SessionIngest {
                protocol: Some(req.protocol.name(req.secure).to_string()),
                srt: None,
            }),
            ..Default::default()
        };
        session::push_event(
            &mut doc,
            session::event("Session Created", "IVS Stream State Change", entry.start_time),
        );
        session::push_event(
            &mut doc,
            session::event("Stream Start", "IVS Stream State Change", entry.start_time),
        );
        if let Some(failure) = recording_failure {
            session::push_event(&mut doc, failure);
        }
        let written = match session::record(&entry, &doc, false) {
            Ok(r) => self.store.put_stream_session(r).await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if let Err(e) = written {
            tracing::error!(error = %e, "writing the new stream session failed");
            self.registry.remove(&entry);
            return Err(Refusal::Unavailable);
        }
        let (changed_tx, changed_rx) = mpsc::channel(8);
        let (ended_tx, ended_rx) = oneshot::channel();
        tokio::spawn(session::monitor(self.store.clone(), entry.clone(), doc, changed_rx, ended_rx));
        tracing::info!(peer = ?req.peer, protocol = req.protocol.name(req.secure), secure = req.secure, channel = %channel_arn, %stream_id, "stream live");
        let stop = entry.stop_signal();
        let sink = session::Sink {
            entry,
            registry: self.registry.clone(),
            changed: changed_tx,
            ended: Some(ended_tx),
        };
        Ok(Authorized { sink: Box::new(sink), stop })
    }
}

/// Ends the sessions that were live when the server last stopped (killed or crashed): they get an end
/// time and their closing events, so no session stays "live" forever.
pub async fn close_orphaned_sessions(store: &dyn Store) -> anyhow::Result<usize> {
    let open = store.open_stream_sessions().await?;
    let now = Timestamp::now();
    for rec in &open {
        let mut doc: StreamSession = serde_json::from_str(&rec.doc).unwrap_or_default();
        doc.end_time = Some(now);
        let mut ended = session::event("Session Ended", "IVS Stream State Change", now);
        ended.code = Some("ServerRestarted".into());
        session::push_event(&mut doc, ended);
        session::push_event(&mut doc, session::event("Stream End", "IVS Stream State Change", now));
        store
            .put_stream_session(StreamSessionRecord {
                end_ms: Some(now.unix_millis()),
                doc: serde_json::to_string(&doc)?,
                ..rec.clone()
            })
            .await?;
    }
    Ok(open.len())
}
