//! An S3-compatible server for recording tests: s3s-fs (the `s3s` crate's file-system backend), run
//! in-process on its own runtime, with SigV4 verified against one access key. Objects are plain files
//! under `<root>/<bucket>/<key>`, so tests read a recording's layout straight from disk. It can be
//! stopped and started again on the same port, to test a store that goes away mid-recording.

use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Access key id of the test S3 server.
pub const ACCESS_KEY_ID: &str = "OPENIVSTESTS3KEY";
/// Its secret.
pub const SECRET_ACCESS_KEY: &str = "openivs-test-s3-secret-0123456789abcdef";

/// A running (or stopped) s3s-fs server.
pub struct S3Server {
    /// `http://127.0.0.1:PORT`
    pub endpoint: String,
    /// Where its buckets are (a folder each).
    pub root: PathBuf,
    addr: SocketAddr,
    runtime: Option<tokio::runtime::Runtime>,
    _tmp: tempfile::TempDir,
}

impl S3Server {
    /// Starts a server on a free port with the given (pre-created) buckets.
    pub fn start(buckets: &[&str]) -> Self {
        let tmp = tempfile::tempdir().expect("temp dir");
        let root = tmp.path().to_path_buf();
        for b in buckets {
            std::fs::create_dir_all(root.join(b)).expect("bucket folder");
        }
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind S3");
        let addr = listener.local_addr().expect("S3 address");
        let mut s = S3Server { endpoint: format!("http://{addr}"), root, addr, runtime: None, _tmp: tmp };
        s.run(listener);
        s
    }

    fn run(&mut self, listener: std::net::TcpListener) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("S3 runtime");
        let root = self.root.clone();
        listener.set_nonblocking(true).expect("nonblocking");
        runtime.spawn(async move {
            let fs = s3s_fs::FileSystem::new(&root).expect("s3s-fs root");
            let mut b = S3ServiceBuilder::new(fs);
            b.set_auth(SimpleAuth::from_single(ACCESS_KEY_ID, SECRET_ACCESS_KEY));
            let service = b.build();
            let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
            let http = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
            loop {
                let Ok((socket, _)) = listener.accept().await else { continue };
                let conn = http.serve_connection(hyper_util::rt::TokioIo::new(socket), service.clone());
                let conn = conn.into_owned();
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
        });
        self.runtime = Some(runtime);
    }

    /// Stops it: the port closes and every connection drops.
    pub fn stop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }

    /// Starts it again on the same port, with the same objects.
    pub fn restart(&mut self) {
        self.stop();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let listener = loop {
            match std::net::TcpListener::bind(self.addr) {
                Ok(l) => break l,
                Err(e) if std::time::Instant::now() < deadline => {
                    let _ = e;
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                Err(e) => panic!("rebinding the S3 port {}: {e}", self.addr),
            }
        };
        self.run(listener);
    }

    /// The environment that points `openivs serve` at this server.
    pub fn serve_env(&self) -> Vec<(String, String)> {
        [
            ("OPENIVS_S3_ENDPOINT", self.endpoint.as_str()),
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID),
            ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY),
            ("AWS_REGION", "us-east-1"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    /// The folder of a bucket.
    pub fn bucket_dir(&self, bucket: &str) -> PathBuf {
        self.root.join(bucket)
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Every file under `dir`, as paths relative to it with `/` separators, sorted.
pub fn keys(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(base, &p, out);
            } else if let Ok(rel) = p.strip_prefix(base) {
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}
