//! One RTMP connection, from handshake to close. Before the publish is authorized the client gets a
//! bounded time ([`super::Limits::setup_timeout`]) and a bounded number of bytes; a refusal, a `play`
//! or a wrong application is answered with an error `onStatus` and the connection is closed. Once
//! publishing, audio/video/data messages are parsed into the sink until the encoder unpublishes or
//! leaves, the server stops it, it starves, or it reaches the maximum duration.

use super::chunk::{ChunkReader, MAX_BUFFERED, MAX_MESSAGE_LEN, Timeline};
use super::messages::{is_unpublish, read_message, refusal_text};
use super::{APP, SessionConfig, metadata};
use crate::flv::{self, Parsed};
use crate::frame::MediaItem;
use crate::ingest::{Authorized, EndReason, IngestHandler, MediaSink, PublishRequest, Refusal};
use bytes::BytesMut;
use scuffle_rtmp::chunk::CHUNK_SIZE;
use scuffle_rtmp::chunk::writer::ChunkWriter;
use scuffle_rtmp::command_messages::netconnection::{
    NetConnectionCommand, NetConnectionCommandConnectResult,
};
use scuffle_rtmp::command_messages::netstream::NetStreamCommand;
use scuffle_rtmp::command_messages::on_status::{OnStatus, OnStatusCode};
use scuffle_rtmp::command_messages::{Command, CommandResultLevel, CommandType};
use scuffle_rtmp::handshake::{HandshakeServer, RTMP_HANDSHAKE_SIZE};
use scuffle_rtmp::messages::{MessageData, MessageType};
use scuffle_rtmp::protocol_control_messages::{
    ProtocolControlMessageAcknowledgement, ProtocolControlMessageSetChunkSize,
    ProtocolControlMessageSetPeerBandwidth, ProtocolControlMessageSetPeerBandwidthLimitType,
    ProtocolControlMessageWindowAcknowledgementSize,
};
use scuffle_rtmp::user_control_messages::EventMessageStreamBegin;
use std::io;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::Instant;

/// Bytes a client may send before its publish is authorized (commands only: a few hundred bytes).
const SETUP_BYTES: u64 = 64 * 1024;
/// How long one write to the encoder may take (acknowledgements, statuses).
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// Acknowledgement window until the client sets one (ffmpeg's and nginx-rtmp's value).
const DEFAULT_ACK_WINDOW: u32 = 2_500_000;

/// How a connection ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// It published, then ended for this reason.
    Ended(EndReason),
    /// Its publish was refused.
    Refused(Refusal),
    /// It went away or was closed before publishing (the reason, without secrets).
    Closed(String),
}

pub(super) type SessionError = Box<dyn std::error::Error + Send + Sync>;

/// Serves one connection to completion.
pub async fn run_session<S, H>(io: S, handler: &H, cfg: &SessionConfig) -> Outcome
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
    H: IngestHandler + ?Sized,
{
    let mut conn = Conn::new(io);
    let setup = tokio::time::timeout(cfg.limits.setup_timeout, conn.setup(handler, cfg)).await;
    let authorized = match setup {
        Err(_) => Outcome::Closed("setup timed out".into()),
        Ok(Err(e)) => Outcome::Closed(e.to_string()),
        Ok(Ok(Setup::Refused(r))) => Outcome::Refused(r),
        Ok(Ok(Setup::Closed(why))) => Outcome::Closed(why.into()),
        Ok(Ok(Setup::Publishing(a))) => {
            let reason = conn.publish(a, cfg).await;
            Outcome::Ended(reason)
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), conn.io.shutdown()).await;
    authorized
}

enum Setup {
    Publishing(Authorized),
    Refused(Refusal),
    Closed(&'static str),
}

enum Step {
    Continue,
    Publish { key: String, transaction_id: f64, stream_id: u32 },
    Close(&'static str),
}

struct Conn<S> {
    io: S,
    read_buf: BytesMut,
    write_buf: Vec<u8>,
    reader: ChunkReader,
    writer: ChunkWriter,
    ack_window: u32,
    sequence: u32,
    total_read: u64,
    connected: bool,
    /// Message times on a 64-bit timeline.
    timeline: Timeline,
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send> Conn<S> {
    fn new(io: S) -> Self {
        Conn {
            io,
            read_buf: BytesMut::new(),
            write_buf: Vec::new(),
            reader: ChunkReader::default(),
            writer: ChunkWriter::default(),
            ack_window: DEFAULT_ACK_WINDOW,
            sequence: 0,
            total_read: 0,
            connected: false,
            timeline: Timeline::default(),
        }
    }

    /// Reads what is available; 0 at end of stream. Queues an acknowledgement when a window is full.
    async fn read_more(&mut self) -> io::Result<usize> {
        self.read_buf.reserve(CHUNK_SIZE);
        let n = self.io.read_buf(&mut self.read_buf).await?;
        self.total_read += n as u64;
        let n32 = u32::try_from(n).unwrap_or(u32::MAX);
        if self.ack_window > 0 && (self.sequence % self.ack_window).saturating_add(n32) >= self.ack_window {
            let ack =
                ProtocolControlMessageAcknowledgement { sequence_number: self.sequence.wrapping_add(n32) };
            ack.write(&mut self.write_buf, &self.writer).map_err(io::Error::other)?;
        }
        self.sequence = self.sequence.wrapping_add(n32);
        Ok(n)
    }

    async fn read_at_least(&mut self, n: usize) -> io::Result<()> {
        while self.read_buf.len() < n {
            if self.read_more().await? == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
        }
        Ok(())
    }

    async fn flush(&mut self) -> io::Result<()> {
        if self.write_buf.is_empty() {
            return Ok(());
        }
        let write = async {
            self.io.write_all(&self.write_buf).await?;
            self.io.flush().await
        };
        tokio::time::timeout(WRITE_TIMEOUT, write)
            .await
            .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))??;
        self.write_buf.clear();
        Ok(())
    }

    /// C0+C1 then C2 (complex handshake when the client offers it, else simple).
    async fn handshake(&mut self) -> Result<(), SessionError> {
        let mut hs = HandshakeServer::default();
        for need in [RTMP_HANDSHAKE_SIZE + 1, RTMP_HANDSHAKE_SIZE] {
            self.read_at_least(need).await?;
            let input = self.read_buf.split().freeze();
            let mut cursor = io::Cursor::new(input.clone());
            hs.handshake(&mut cursor, &mut self.write_buf)?;
            let used = usize::try_from(cursor.position()).unwrap_or(input.len()).min(input.len());
            self.read_buf.extend_from_slice(&input[used..]);
            self.flush().await?;
        }
        if !hs.is_finished() {
            return Err("handshake did not finish".into());
        }
        ProtocolControlMessageSetChunkSize { chunk_size: CHUNK_SIZE as u32 }
            .write(&mut self.write_buf, &self.writer)?;
        self.writer.set_chunk_size(CHUNK_SIZE);
        Ok(())
    }

    async fn setup<H: IngestHandler + ?Sized>(
        &mut self,
        handler: &H,
        cfg: &SessionConfig,
    ) -> Result<Setup, SessionError> {
        self.handshake().await?;
        loop {
            while let Some(message) = self.reader.read(&mut self.read_buf)? {
                let stream_id = message.stream_id;
                match self.setup_message(read_message(message)?, stream_id)? {
                    Step::Continue => {}
                    Step::Close(why) => {
                        let _ = self.flush().await;
                        return Ok(Setup::Closed(why));
                    }
                    Step::Publish { key, transaction_id, stream_id } => {
                        let request = PublishRequest {
                            app: APP.into(),
                            stream_key: key,
                            secure: cfg.secure,
                            peer: cfg.peer,
                            protocol: crate::ingest::Protocol::Rtmp,
                        };
                        return match handler.authorize(request).await {
                            Ok(a) => {
                                self.reader.set_limits(MAX_MESSAGE_LEN, MAX_BUFFERED);
                                EventMessageStreamBegin { stream_id }
                                    .write(&self.writer, &mut self.write_buf)?;
                                self.status(transaction_id, OnStatusCode::NET_STREAM_PUBLISH_START, None)?;
                                self.flush().await?;
                                Ok(Setup::Publishing(a))
                            }
                            Err(r) => {
                                let code = OnStatusCode::from(r.status_code());
                                self.status(transaction_id, code, Some(refusal_text(r)))?;
                                let _ = self.flush().await;
                                Ok(Setup::Refused(r))
                            }
                        };
                    }
                }
            }
            self.flush().await?;
            if self.total_read > SETUP_BYTES {
                return Ok(Setup::Closed("too much data before publish"));
            }
            if self.read_more().await? == 0 {
                return Ok(Setup::Closed("closed before publish"));
            }
        }
    }

    fn setup_message(&mut self, msg: MessageData<'_>, stream_id: u32) -> Result<Step, SessionError> {
        self.control_message(&msg)?;
        let MessageData::Amf0Command(cmd) = msg else { return Ok(Step::Continue) };
        let txn = cmd.transaction_id;
        match cmd.command_type {
            CommandType::NetConnection(NetConnectionCommand::Connect(c)) => {
                if c.app.as_str().trim_end_matches('/') != APP {
                    self.error_result(
                        txn,
                        OnStatusCode::NET_CONNECTION_CONNECT_REJECTED,
                        "unknown application",
                    )?;
                    return Ok(Step::Close("unknown application"));
                }
                ProtocolControlMessageWindowAcknowledgementSize {
                    acknowledgement_window_size: DEFAULT_ACK_WINDOW,
                }
                .write(&mut self.write_buf, &self.writer)?;
                ProtocolControlMessageSetPeerBandwidth {
                    acknowledgement_window_size: DEFAULT_ACK_WINDOW,
                    limit_type: ProtocolControlMessageSetPeerBandwidthLimitType::Dynamic,
                }
                .write(&mut self.write_buf, &self.writer)?;
                let result =
                    NetConnectionCommand::ConnectResult(NetConnectionCommandConnectResult::default());
                Command { command_type: CommandType::NetConnection(result), transaction_id: txn }
                    .write(&mut self.write_buf, &self.writer)?;
                self.connected = true;
            }
            CommandType::NetConnection(NetConnectionCommand::CreateStream) if self.connected => {
                let result = NetConnectionCommand::CreateStreamResult { stream_id: 1.0 };
                Command { command_type: CommandType::NetConnection(result), transaction_id: txn }
                    .write(&mut self.write_buf, &self.writer)?;
            }
            CommandType::NetStream(NetStreamCommand::Publish { publishing_name, .. }) if self.connected => {
                let key = publishing_name.as_str().to_owned();
                return Ok(Step::Publish { key, transaction_id: txn, stream_id: stream_id.max(1) });
            }
            CommandType::NetStream(NetStreamCommand::Publish { .. }) => {
                return Ok(Step::Close("publish before connect"));
            }
            CommandType::NetStream(NetStreamCommand::Play { .. } | NetStreamCommand::Play2 { .. }) => {
                let code = OnStatusCode::from("NetStream.Play.Failed");
                self.status(txn, code, Some("openivs ingest accepts publishers only"))?;
                return Ok(Step::Close("play refused"));
            }
            CommandType::NetStream(NetStreamCommand::DeleteStream { .. } | NetStreamCommand::CloseStream)
            | CommandType::NetConnection(NetConnectionCommand::Close) => {
                return Ok(Step::Close("closed before publish"));
            }
            // releaseStream, FCPublish, _checkbw, …: nothing to answer (clients do not wait for them).
            _ => {}
        }
        Ok(Step::Continue)
    }

    /// Acknowledgement window changes, in any phase (chunk size changes are the reader's).
    fn control_message(&mut self, msg: &MessageData<'_>) -> Result<(), SessionError> {
        if let MessageData::SetAcknowledgementWindowSize(w) = msg {
            self.ack_window = w.acknowledgement_window_size;
        }
        Ok(())
    }

    fn status(
        &mut self,
        txn: f64,
        code: OnStatusCode,
        description: Option<&'static str>,
    ) -> Result<(), SessionError> {
        let level = if code == OnStatusCode::NET_STREAM_PUBLISH_START {
            CommandResultLevel::Status
        } else {
            CommandResultLevel::Error
        };
        let status = OnStatus { code, level, description: description.map(Into::into), others: None };
        Command { command_type: CommandType::OnStatus(status), transaction_id: txn }
            .write(&mut self.write_buf, &self.writer)?;
        Ok(())
    }

    fn error_result(
        &mut self,
        txn: f64,
        code: OnStatusCode,
        description: &'static str,
    ) -> Result<(), SessionError> {
        self.status(txn, code, Some(description))
    }

    /// The publishing phase; returns why it ended (after telling the sink).
    async fn publish(&mut self, authorized: Authorized, cfg: &SessionConfig) -> EndReason {
        let Authorized { sink, mut stop } = authorized;
        let mut pipe = Pipe { sink, last_media: Instant::now() };
        // One timer for the whole stream, not one registered again on every read.
        let max_duration = tokio::time::sleep(cfg.limits.max_duration);
        tokio::pin!(max_duration);
        let mut tick = tokio::time::interval(Duration::from_millis(500));
        let reason = loop {
            match self.drain(&mut pipe) {
                Ok(Some(reason)) => break reason,
                Ok(None) => {}
                Err(e) => break EndReason::ProtocolError(e.to_string()),
            }
            if self.flush().await.is_err() {
                break EndReason::Disconnected;
            }
            tokio::select! {
                read = self.read_more() => match read {
                    Ok(0) | Err(_) => break EndReason::Disconnected,
                    Ok(_) => {}
                },
                () = super::until_true(&mut stop) => break EndReason::Stopped,
                _ = tick.tick() => {
                    if pipe.last_media.elapsed() >= cfg.limits.starvation_timeout {
                        break EndReason::Starved;
                    }
                }
                () = &mut max_duration => break EndReason::MaxDuration,
            }
        };
        pipe.sink.end(reason.clone());
        reason
    }

    /// Parses the complete messages buffered; `Some` when the encoder unpublished.
    fn drain(&mut self, pipe: &mut Pipe) -> Result<Option<EndReason>, SessionError> {
        while let Some(message) = self.reader.read(&mut self.read_buf)? {
            let ts = self.timeline.time(message.timestamp);
            let is_command = MessageType(message.type_id) == MessageType::CommandAMF0;
            let msg = match read_message(message) {
                Ok(m) => m,
                // A command we cannot read does not end a stream that is publishing fine.
                Err(e) if is_command => {
                    tracing::debug!(error = %e, "skipping an unreadable command");
                    continue;
                }
                Err(e) => return Err(e),
            };
            self.control_message(&msg)?;
            let parsed = match msg {
                MessageData::VideoData { data } => flv::parse_video(ts, data),
                MessageData::AudioData { data } => flv::parse_audio(ts, data),
                MessageData::DataAmf0 { data } => {
                    if let Some(meta) = metadata::parse(data) {
                        pipe.sink.metadata(meta);
                    }
                    continue;
                }
                MessageData::Amf0Command(cmd) => {
                    if is_unpublish(&cmd.command_type) {
                        return Ok(Some(EndReason::Unpublished));
                    }
                    continue;
                }
                _ => continue,
            };
            match parsed {
                Ok(Parsed::Frame(f)) => {
                    pipe.last_media = Instant::now();
                    pipe.sink.media(MediaItem::Frame(f));
                }
                Ok(Parsed::VideoConfig(c)) => pipe.sink.media(MediaItem::VideoConfig(Arc::new(c))),
                Ok(Parsed::AudioConfig(c)) => pipe.sink.media(MediaItem::AudioConfig(Arc::new(c))),
                Ok(Parsed::Ignored) => {}
                Err(e) => tracing::debug!(error = %e, "skipping a malformed media message"),
            }
        }
        Ok(None)
    }
}

struct Pipe {
    sink: Box<dyn MediaSink>,
    last_media: Instant,
}
