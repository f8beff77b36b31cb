//! The default HTTP layer against a small local HTTP/1.1 server (plain and TLS): keep-alive reuse,
//! connections closed when the client is dropped, certificate checks, refused connections, the
//! response size limit, and servers that close connections.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use openivs_client::transport::HttpErrorKind;
use openivs_client::types::ListChannelsRequest;
use openivs_client::{Client, Config, Credentials, DefaultHttpClient, Environment, SdkError};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

const CERT: &str = include_str!("fixtures/tls.cert.pem");
const KEY: &str = include_str!("fixtures/tls.key.pem");

/// Counts of a test server.
#[derive(Default)]
struct Counts {
    accepted: AtomicUsize,
    closed: AtomicUsize,
}

struct TestServer {
    port: u16,
    counts: Arc<Counts>,
}

impl TestServer {
    /// Answers every request with a 200 and `body`; `close` adds `connection: close`.
    async fn start(tls: bool, body: String, close: bool) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let counts = Arc::new(Counts::default());
        let acceptor = tls.then(tls_acceptor);
        let c = counts.clone();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                c.accepted.fetch_add(1, Ordering::SeqCst);
                let (c, body, acceptor) = (c.clone(), body.clone(), acceptor.clone());
                tokio::spawn(async move {
                    match acceptor {
                        Some(a) => {
                            if let Ok(s) = a.accept(tcp).await {
                                serve(s, &body, close, &c).await
                            }
                        }
                        None => serve(tcp, &body, close, &c).await,
                    }
                });
            }
        });
        Self { port, counts }
    }

    fn accepted(&self) -> usize {
        self.counts.accepted.load(Ordering::SeqCst)
    }

    fn closed(&self) -> usize {
        self.counts.closed.load(Ordering::SeqCst)
    }
}

fn tls_acceptor() -> tokio_rustls::TlsAcceptor {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_slice_iter(CERT.as_bytes()).collect::<Result<Vec<_>, _>>().unwrap();
    let key = PrivateKeyDer::from_pem_slice(KEY.as_bytes()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

/// A minimal keep-alive HTTP/1.1 loop; counts the client closing the connection.
async fn serve<S: AsyncRead + AsyncWrite + Unpin>(stream: S, body: &str, close: bool, counts: &Counts) {
    let mut stream = BufReader::new(stream);
    loop {
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            match stream.read_line(&mut line).await {
                Ok(0) | Err(_) => {
                    counts.closed.fetch_add(1, Ordering::SeqCst);
                    return;
                }
                Ok(_) => {}
            }
            if line == "\r\n" {
                break;
            }
            if let Some((k, v)) = line.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                length = v.trim().parse().unwrap();
            }
        }
        let mut request_body = vec![0; length];
        stream.read_exact(&mut request_body).await.unwrap();
        let extra = if close { "connection: close\r\n" } else { "" };
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-amzn-RequestId: rid\r\n{extra}content-length: {}\r\n\r\n{body}",
            body.len()
        );
        stream.get_mut().write_all(response.as_bytes()).await.unwrap();
        if close {
            return;
        }
    }
}

fn client(endpoint: &str, http: DefaultHttpClient) -> Client {
    let config = Config::builder()
        .region("us-west-2")
        .endpoint_url(endpoint)
        .credentials(Credentials::new("AKID", "secret", None))
        .environment(Environment::from_vars(Vec::<(String, String)>::new()))
        .http_client(http)
        .build()
        .unwrap();
    Client::new(config)
}

async fn eventually(what: &str, f: impl Fn() -> bool) {
    for _ in 0..200 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting until {what}");
}

#[tokio::test]
async fn connections_are_reused_and_closed_when_the_client_is_dropped() {
    let server = TestServer::start(false, r#"{"channels":[]}"#.into(), false).await;
    let http = DefaultHttpClient::new();
    let c = client(&format!("http://127.0.0.1:{}", server.port), http.clone());
    for _ in 0..3 {
        let (out, meta) = c.send_with_metadata(ListChannelsRequest::default()).await.unwrap();
        assert_eq!((out.channels.map(|v| v.len()), meta.request_id.as_deref()), (Some(0), Some("rid")));
    }
    assert_eq!((server.accepted(), http.idle_connections()), (1, 1));

    // Two at once need two connections; both stay in the pool afterwards.
    let (a, b) = tokio::join!(c.list_channels(Default::default()), c.list_channels(Default::default()));
    a.unwrap();
    b.unwrap();
    assert_eq!((server.accepted(), http.idle_connections()), (2, 2));

    assert_eq!(server.closed(), 0);
    drop(http);
    drop(c);
    eventually("the server sees both connections closed", || server.closed() == 2).await;
}

#[tokio::test]
async fn a_server_that_closes_connections_gets_a_new_one_per_request() {
    let server = TestServer::start(false, "{}".into(), true).await;
    let c = client(&format!("http://127.0.0.1:{}", server.port), DefaultHttpClient::new());
    for _ in 0..3 {
        let (_, meta) = c.send_with_metadata(ListChannelsRequest::default()).await.unwrap();
        assert_eq!(meta.attempts, 1);
    }
    assert_eq!(server.accepted(), 3);
}

#[tokio::test]
async fn tls_needs_a_trusted_certificate() {
    let server = TestServer::start(true, r#"{"channels":[]}"#.into(), false).await;
    let endpoint = format!("https://localhost:{}", server.port);
    let trusting =
        DefaultHttpClient::builder().add_root_certificates_pem(CERT.as_bytes()).unwrap().build().unwrap();
    client(&endpoint, trusting).list_channels(ListChannelsRequest::default()).await.unwrap();
    assert_eq!(server.accepted(), 1);

    let e = client(&endpoint, DefaultHttpClient::new()).list_channels(Default::default()).await.unwrap_err();
    let SdkError::Transport(f) = &e else { panic!("{e:?}") };
    assert_eq!(f.http_error().map(|h| h.kind()), Some(HttpErrorKind::Connect));
    assert!(format!("{f}").contains("certificate"), "{f}");
    // A connect failure is retried: three handshakes in all.
    assert_eq!((f.meta().attempts, server.accepted()), (3, 4));
}

#[tokio::test]
async fn refused_connections_and_oversized_responses_are_transport_errors() {
    let unused = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = unused.local_addr().unwrap().port();
    drop(unused);
    let e = client(&format!("http://127.0.0.1:{port}"), DefaultHttpClient::new())
        .list_channels(Default::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&e, SdkError::Transport(f) if f.http_error().map(|h| h.kind()) == Some(HttpErrorKind::Connect)),
        "{e:?}"
    );

    let server =
        TestServer::start(false, format!(r#"{{"channels":[],"pad":"{}"}}"#, "x".repeat(4096)), false).await;
    let small = DefaultHttpClient::builder().max_response_bytes(1024).build().unwrap();
    let e =
        client(&format!("http://127.0.0.1:{}", server.port), small).list_channels(Default::default()).await;
    let e = e.unwrap_err();
    let SdkError::Transport(f) = &e else { panic!("{e:?}") };
    assert_eq!(
        (f.http_error().map(|h| h.kind()), f.meta().attempts),
        (Some(HttpErrorKind::ResponseTooLarge), 1)
    );
}
