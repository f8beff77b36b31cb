//! A whole ingest session fed one client byte stream. The first byte picks the framing: even, a
//! canned simple handshake (C0, C1, C2) goes first and the rest is the chunk stream; odd, the rest is
//! the whole client stream, handshake included. Any stream key starting with `sk_` is accepted, so
//! inputs that get through `publish` reach the media path. Time is paused, so timeouts cost nothing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openivs_media::MediaItem;
use openivs_media::ingest::{
    Authorized, EndReason, IngestHandler, MediaSink, PublishRequest, Refusal, StreamMetadata,
};
use openivs_media::rtmp::{Limits, SessionConfig, run_session};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct Handler(tokio::sync::watch::Sender<bool>);
struct Sink;

impl MediaSink for Sink {
    fn media(&mut self, _: MediaItem) {}
    fn metadata(&mut self, _: StreamMetadata) {}
    fn end(self: Box<Self>, _: EndReason) {}
}

#[async_trait::async_trait]
impl IngestHandler for Handler {
    async fn authorize(&self, r: PublishRequest) -> Result<Authorized, Refusal> {
        if !r.stream_key.starts_with("sk_") {
            return Err(Refusal::BadKey);
        }
        Ok(Authorized { sink: Box::new(Sink), stop: self.0.subscribe() })
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let mut input = Vec::with_capacity(rest.len() + 3073);
    if mode % 2 == 0 {
        input.push(3);
        input.extend(std::iter::repeat_n(0u8, 1536 * 2));
    }
    input.extend_from_slice(rest);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap();
    rt.block_on(async {
        let handler = Handler(tokio::sync::watch::channel(false).0);
        let (mut client, server) = tokio::io::duplex(64 << 10);
        let cfg = SessionConfig { secure: true, peer: None, limits: Limits::default() };
        let session = tokio::spawn(async move { run_session(server, &handler, &cfg).await });
        let (mut rd, mut wr) = tokio::io::split(&mut client);
        let write = async {
            let _ = wr.write_all(&input).await;
            let _ = wr.shutdown().await;
        };
        let read = async {
            let mut sink = Vec::new();
            let _ = rd.read_to_end(&mut sink).await;
        };
        tokio::join!(write, read);
        drop(client);
        session.await.expect("the session must not panic");
    });
});
