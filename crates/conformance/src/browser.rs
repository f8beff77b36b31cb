//! Playback in a real browser: runs `clients/browser/run.mjs` (hls.js or the Amazon IVS Player in headless Chromium, driven by
//! playwright-core) on a URL and hands its JSON-lines report over as it comes, so a test can act while
//! the player plays (put metadata once it is playing) and check the verdict at the end.
//!
//! Tests skip when node, Chromium or `clients/browser/node_modules` are missing, unless
//! `OPENIVS_REQUIRE_BROWSER=1` (as in CI) makes that a failure.

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

/// `clients/browser` of this checkout.
pub fn client_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../clients/browser")
}

/// The Chromium the runner starts: `$CHROMIUM`, else Debian's `/usr/bin/chromium`.
pub fn chromium() -> PathBuf {
    std::env::var_os("CHROMIUM").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"))
}

/// What is missing for browser tests, if anything.
pub fn missing() -> Option<String> {
    let node = Command::new("node").arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status();
    if !node.is_ok_and(|s| s.success()) {
        return Some("node is not installed (Node.js >= 20)".into());
    }
    let dir = client_dir();
    for pkg in ["playwright-core", "hls.js", "amazon-ivs-player", "esbuild"] {
        if !dir.join("node_modules").join(pkg).join("package.json").is_file() {
            return Some(format!(
                "clients/browser/node_modules/{pkg} is missing: run `npm ci` in clients/browser"
            ));
        }
    }
    if !chromium().is_file() {
        return Some(format!(
            "{} is missing: apt-get install -y --no-install-recommends chromium (or set CHROMIUM)",
            chromium().display()
        ));
    }
    None
}

/// True when browser tests can run; false (with a message) when they should skip; a panic when
/// `OPENIVS_REQUIRE_BROWSER=1` says they must run.
pub fn available() -> bool {
    let Some(what) = missing() else { return true };
    if std::env::var("OPENIVS_REQUIRE_BROWSER").is_ok_and(|v| v == "1") {
        panic!("browser tests required (OPENIVS_REQUIRE_BROWSER=1): {what}");
    }
    eprintln!("SKIPPED: {what} (set OPENIVS_REQUIRE_BROWSER=1 to fail instead)");
    false
}

/// A running `run.mjs`; killed on drop.
pub struct Runner {
    child: Child,
    lines: Receiver<Value>,
    /// Every line seen so far, in order.
    pub seen: Vec<Value>,
}

impl Runner {
    /// Starts the runner on `url` with extra arguments (see the usage at the top of `run.mjs`).
    pub fn start(url: &str, args: &[&str]) -> Self {
        let mut child = Command::new("node")
            .arg(client_dir().join("run.mjs"))
            .args(["--url", url])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawning node run.mjs");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                match serde_json::from_str::<Value>(&line) {
                    Ok(v) => {
                        if tx.send(v).is_err() {
                            break;
                        }
                    }
                    Err(_) => eprintln!("run.mjs: {line}"),
                }
            }
        });
        Runner { child, lines, seen: Vec::new() }
    }

    /// Waits up to `limit` for a line whose `event` is `event` (or the final `result`, which ends the
    /// run); that line, or `None` on timeout or when the runner exited without it.
    pub fn wait_for(&mut self, event: &str, limit: Duration) -> Option<Value> {
        if let Some(v) = self.seen.iter().find(|v| v["event"] == event) {
            return Some(v.clone());
        }
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(v) => {
                    self.seen.push(v.clone());
                    if v["event"] == event || v["event"] == "result" {
                        return (v["event"] == event).then_some(v);
                    }
                }
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return None,
            }
        }
    }

    /// Waits up to `limit` for the final report and the runner's exit; the report (a panic if none).
    pub fn result(&mut self, limit: Duration) -> Value {
        let r = self.wait_for("result", limit);
        let _ = self.child.wait();
        r.unwrap_or_else(|| panic!("run.mjs gave no result within {limit:?}; lines: {:?}", self.seen))
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
