//! End-to-end tests of the client commands of the `openivs` binary against a real `openivs serve`.
//!
//! Each test starts its own server in a fresh directory with no flag for the data dir, so the server
//! writes `./openivs-data` there; the CLI then runs in that directory with an empty environment (no
//! AWS variables, an empty HOME) and finds the server through those files, as a user beside a local
//! server would.

mod helpers;
mod ivs;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_openivs");

/// A running `openivs serve` in a temporary directory, killed on drop.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub endpoint: String,
    dir: tempfile::TempDir,
}

/// What a CLI run gave.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Stdout as JSON; panics (with both streams) unless the run succeeded.
    pub fn json(&self) -> Value {
        assert_eq!(self.code, 0, "{self:?}");
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:?}"))
    }

    /// Asserts success and returns stdout.
    pub fn ok(&self) -> &str {
        assert_eq!(self.code, 0, "{self:?}");
        &self.stdout
    }
}

/// A command of the binary with an empty environment (HOME set to `home`) in `cwd`.
pub fn clean_command(cwd: &Path, home: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(cwd).env_clear().env("HOME", home);
    if let Ok(path) = std::env::var("PATH") {
        cmd.env("PATH", path);
    }
    cmd
}

/// Runs a command and collects its output.
pub fn run(mut cmd: Command) -> Run {
    let out = cmd.output().expect("running openivs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

impl Server {
    /// Starts `openivs serve` on port 0 in a new directory, with the default data dir.
    pub fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join("home")).expect("home dir");
        let mut cmd = clean_command(dir.path(), &dir.path().join("home"));
        // Ingest on port 0 too: tests run in parallel, and the default ports would collide.
        cmd.args(["serve", "--api-listen", "127.0.0.1:0", "--disable-rate-limits"])
            .args([
                "--rtmps-listen",
                "127.0.0.1:0",
                "--rtmp-listen",
                "127.0.0.1:0",
                "--srt-listen",
                "127.0.0.1:0",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = cmd.spawn().expect("spawning openivs serve");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let endpoint = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(url) = line.strip_prefix("openivs API listening on ") {
                        break url.trim().to_string();
                    }
                }
                _ => panic!("openivs serve exited before it was ready"),
            }
        };
        std::thread::spawn(move || for _ in lines {});
        Self { child, endpoint, dir }
    }

    /// The directory the server runs in (it holds `openivs-data`).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The data dir.
    pub fn data_dir(&self) -> PathBuf {
        self.dir().join("openivs-data")
    }

    /// A command of the CLI in the server's directory, with no configuration at all.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = clean_command(self.dir(), &self.dir().join("home"));
        cmd.args(args);
        cmd
    }

    /// Runs the CLI in the server's directory.
    pub fn cli(&self, args: &[&str]) -> Run {
        run(self.command(args))
    }

    /// The root key from the generated credentials file.
    pub fn root_key(&self) -> (String, String) {
        let text = std::fs::read_to_string(self.data_dir().join("credentials")).expect("credentials file");
        let value = |k: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(k).and_then(|r| r.trim().strip_prefix('=')))
                .map(|v| v.trim().to_string())
                .expect("key in credentials file")
        };
        (value("aws_access_key_id"), value("aws_secret_access_key"))
    }

    /// Creates a channel and returns its `CreateChannel` output.
    pub fn create_channel(&self, name: &str) -> Value {
        self.cli(&["ivs", "create-channel", "--name", name]).json()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The string at a JSON pointer.
pub fn s<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or_else(|| panic!("no string at {pointer} in {v}"))
}
