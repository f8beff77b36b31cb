//! SRT ingest over real SRT on loopback: srt-tokio's caller against our listener. What a caller with
//! the right key and passphrase sends reaches the sink as frames; every refusal is a handshake reject
//! with its code, and the ones that guess secrets are reported to the handler.

use super::*;
use crate::ingest::{MediaSink, SrtSecret, StreamMetadata};
use bytes::Bytes;
use futures::SinkExt;
use std::sync::Mutex;

const KEY: &str = "sk_us-west-2_test_0123456789abcdefghijklmnopqr";
const PASS: &str = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01";

#[derive(Default)]
struct Seen {
    items: Vec<MediaItem>,
    ended: Option<EndReason>,
    refused_in_handshake: Vec<Refusal>,
    live: bool,
    stops: Vec<watch::Sender<bool>>,
}

#[derive(Default, Clone)]
struct Handler(Arc<Mutex<Seen>>);

impl Handler {
    fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.0.lock().unwrap()
    }
}

struct Sink(Arc<Mutex<Seen>>);

impl MediaSink for Sink {
    fn media(&mut self, item: MediaItem) {
        self.0.lock().unwrap().items.push(item);
    }
    fn metadata(&mut self, _: StreamMetadata) {}
    fn end(self: Box<Self>, reason: EndReason) {
        let mut seen = self.0.lock().unwrap();
        seen.ended = Some(reason);
        seen.live = false;
    }
}

#[async_trait::async_trait]
impl IngestHandler for Handler {
    async fn srt_secret(&self, req: &PublishRequest) -> Result<SrtSecret, Refusal> {
        if req.stream_key != KEY {
            return Err(Refusal::BadKey);
        }
        if self.seen().live {
            return Err(Refusal::AlreadyPublishing);
        }
        Ok(SrtSecret { passphrase: PASS.into() })
    }

    fn refused_in_handshake(&self, _: &PublishRequest, why: Refusal) {
        self.seen().refused_in_handshake.push(why);
    }

    async fn authorize(&self, req: PublishRequest) -> Result<Authorized, Refusal> {
        assert_eq!(req.protocol, Protocol::Srt);
        let mut seen = self.seen();
        if seen.live {
            return Err(Refusal::AlreadyPublishing);
        }
        seen.live = true;
        let (tx, stop) = watch::channel(false);
        seen.stops.push(tx);
        Ok(Authorized { sink: Box::new(Sink(self.0.clone())), stop })
    }
}

async fn listener(handler: Handler) -> (SocketAddr, watch::Sender<bool>) {
    let (tx, rx) = watch::channel(false);
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let l = serve(socket, Arc::new(handler), Limits::default(), rx).unwrap();
    (l.local_addr, tx)
}

async fn call(
    addr: SocketAddr,
    stream_id: &str,
    key_size: Option<(u16, &str)>,
) -> std::io::Result<SrtSocket> {
    let mut b = SrtSocket::builder().latency(Duration::from_millis(120));
    if let Some((size, pass)) = key_size {
        b = b.encryption(size, pass);
    }
    tokio::time::timeout(Duration::from_secs(20), b.call(addr, Some(stream_id)))
        .await
        .unwrap_or_else(|_| Err(std::io::ErrorKind::TimedOut.into()))
}

/// The reject reason in a failed call's error, as srt-tokio words it.
fn rejected(r: std::io::Result<SrtSocket>) -> String {
    match r {
        Ok(_) => panic!("the call was accepted"),
        Err(e) => {
            assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused, "{e:?}");
            format!("{:?}", e.get_ref())
        }
    }
}

async fn wait_for(handler: &Handler, what: impl Fn(&Seen) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !what(&handler.seen()) {
        assert!(Instant::now() < deadline, "timed out waiting");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_caller_with_the_key_and_passphrase_publishes_ts_into_the_sink() {
    // 0: a caller that announces no key length (libsrt without `pbkeylen`) and sends AES-128 keys.
    for key_size in [0, 16, 24, 32] {
        let handler = Handler::default();
        let (addr, _stop) = listener(handler.clone()).await;
        let mut caller = call(addr, KEY, Some((key_size, PASS))).await.expect("accepted");
        let ts = crate::mpegts::tests::stream(900_000, 30, 15);
        for chunk in ts.chunks(1316) {
            caller.send((Instant::now(), Bytes::copy_from_slice(chunk))).await.unwrap();
        }
        caller.close().await.unwrap();
        wait_for(&handler, |s| s.ended.is_some()).await;
        let seen = handler.seen();
        let video =
            seen.items.iter().filter(|i| matches!(i, MediaItem::Frame(f) if f.track == crate::Track::Video));
        assert_eq!(video.count(), 30, "AES-{}", key_size * 8);
        assert!(matches!(seen.items[0], MediaItem::VideoConfig(_) | MediaItem::AudioConfig(_)));
        assert_eq!(seen.ended, Some(EndReason::Unpublished));
    }
}

#[tokio::test]
async fn refusals_are_handshake_rejects_with_their_codes() {
    let handler = Handler::default();
    let (addr, _stop) = listener(handler.clone()).await;
    let wrong_key = rejected(call(addr, "sk_us-west-2_nope", Some((16, PASS))).await);
    assert!(wrong_key.contains("Unauthorized"), "{wrong_key}");
    let wrong_pass = rejected(call(addr, KEY, Some((16, "not-the-passphrase"))).await);
    assert!(wrong_pass.contains("BadSecret"), "{wrong_pass}");
    let unencrypted = rejected(call(addr, KEY, None).await);
    assert!(unencrypted.contains("Unsecure"), "{unencrypted}");
    let player = rejected(call(addr, &format!("#!::r={KEY},m=request"), Some((16, PASS))).await);
    assert!(player.contains("BadMode"), "{player}");
    assert_eq!(
        handler.seen().refused_in_handshake,
        [Refusal::BadPassphrase, Refusal::BadPassphrase],
        "the handler counts what guesses secrets"
    );
    assert!(handler.seen().items.is_empty() && !handler.seen().live);
    // The access-control form, then a second publisher while it is live.
    let _first = call(addr, &format!("#!::u={KEY},priority=1"), Some((32, PASS))).await.expect("accepted");
    wait_for(&handler, |s| s.live).await;
    let second = rejected(call(addr, KEY, Some((32, PASS))).await);
    assert!(second.contains("Conflict"), "{second}");
}
