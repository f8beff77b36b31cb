//! The official AWS clients other than the Rust SDK, each as a child process against a fresh server:
//! the AWS SDK for JavaScript v3 (`clients/js/ivs.test.mjs`, `node --test`), boto3
//! (`clients/python/test_boto3.py`) and the AWS CLI (`clients/awscli.sh`).
//!
//! A missing tool (node and `npm ci` in clients/js, python3 with boto3, the `aws` command) skips the test
//! with a "skipping: ..." line on stderr, so `cargo test` works on a machine with only Rust, unless
//! `OPENIVS_REQUIRE_CLIENTS=1` is set (as `.ci/run` does): then it fails and says what to install.

use conformance::{REGION, Server};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long one client suite may run before it is killed.
const TIMEOUT: Duration = Duration::from_secs(300);

fn repo_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root)
}

/// Whether a command runs and exits 0 (used to probe for tools).
fn runs(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Returns false (after printing why) when the suite should be skipped; panics instead when
/// `OPENIVS_REQUIRE_CLIENTS=1`.
fn require(suite: &str, missing: Option<String>) -> bool {
    let Some(what) = missing else { return true };
    if std::env::var("OPENIVS_REQUIRE_CLIENTS").is_ok_and(|v| v == "1") {
        panic!("{suite}: {what} (OPENIVS_REQUIRE_CLIENTS=1, so this is a failure, not a skip)");
    }
    // Straight to the process's stderr, past libtest's output capture, so the skip shows in `cargo test`.
    let _ = writeln!(
        std::io::stderr(),
        "skipping: {suite}: {what} (set OPENIVS_REQUIRE_CLIENTS=1 to make this a failure)"
    );
    false
}

/// Runs `program args` from the repo root with the server's endpoint and root key in the environment,
/// and panics with the child's output unless it exits 0.
fn run_suite(s: &Server, suite: &str, program: &str, args: &[&str]) {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(repo_root())
        .env("OPENIVS_ENDPOINT", &s.endpoint)
        .env("OPENIVS_ACCESS_KEY_ID", &s.access_key_id)
        .env("OPENIVS_SECRET_ACCESS_KEY", &s.secret_access_key)
        .env("OPENIVS_REGION", REGION)
        // @aws-sdk 3.1136 warns that later releases need node >= 22; the version is pinned for that.
        .env("AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED", "true")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONUNBUFFERED", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // Nothing from the caller's AWS setup may reach the clients: only the endpoint and key above.
    for var in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_IVS",
        "AWS_CONFIG_FILE",
        "AWS_SHARED_CREDENTIALS_FILE",
    ] {
        cmd.env_remove(var);
    }
    let started = Instant::now();
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("{suite}: cannot start {program}: {e}"));
    let reader = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = reader(Box::new(child.stdout.take().expect("stdout")));
    let err = reader(Box::new(child.stderr.take().expect("stderr")));
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for the client suite") {
            break Some(status);
        }
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    let line = format!("{program} {}", args.join(" "));
    match status {
        Some(st) if st.success() => {
            println!("{suite}: `{line}` passed in {:.1?}\n{stdout}{stderr}", started.elapsed());
        }
        Some(st) => panic!(
            "{suite}: `{line}` failed ({st}) against {}\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}",
            s.endpoint
        ),
        None => panic!(
            "{suite}: `{line}` did not finish within {TIMEOUT:?}\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}"
        ),
    }
}

#[test]
fn aws_sdk_for_javascript_v3() {
    let suite = "@aws-sdk/client-ivs (clients/js)";
    let missing = if !runs("node", &["--version"]) {
        Some(
            "node is not installed: install Node.js >= 20 (with npm), then run `npm ci` in clients/js"
                .to_string(),
        )
    } else if !repo_root().join("clients/js/node_modules/@aws-sdk/client-ivs/package.json").is_file() {
        Some("clients/js/node_modules is missing: run `npm ci` in clients/js".to_string())
    } else {
        None
    };
    if !require(suite, missing) {
        return;
    }
    let s = Server::start();
    run_suite(&s, suite, "node", &["--test", "clients/js/ivs.test.mjs"]);
}

#[test]
fn boto3() {
    let suite = "boto3 (clients/python)";
    let missing = if !runs("python3", &["--version"]) {
        Some("python3 is not installed: install Python 3 and `pip install boto3`".to_string())
    } else if !runs("python3", &["-c", "import boto3"]) {
        Some("boto3 is not importable by python3: `pip install boto3`".to_string())
    } else {
        None
    };
    if !require(suite, missing) {
        return;
    }
    let s = Server::start();
    run_suite(&s, suite, "python3", &["clients/python/test_boto3.py"]);
}

#[test]
fn aws_cli() {
    let suite = "AWS CLI (clients/awscli.sh)";
    let missing = if !runs("bash", &["--version"]) {
        Some("bash is not installed".to_string())
    } else if !runs("aws", &["--version"]) {
        Some("the aws command is not installed: `pip install awscli`".to_string())
    } else if !runs("python3", &["--version"]) {
        Some("python3 is not installed (clients/awscli.sh parses JSON with it)".to_string())
    } else {
        None
    };
    if !require(suite, missing) {
        return;
    }
    let s = Server::start();
    run_suite(&s, suite, "bash", &["clients/awscli.sh"]);
}
