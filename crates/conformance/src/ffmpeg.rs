//! An ffmpeg publisher (RTMP(S) in FLV, SRT in MPEG-TS) for end-to-end tests of the media plane, and the rule for when tests may skip
//! without ffmpeg: only when `OPENIVS_REQUIRE_FFMPEG=1` is not set (CI sets it).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// True when ffmpeg can run; false (with a message) when the test should skip.
pub fn ffmpeg_available() -> bool {
    tools_available(&["ffmpeg"])
}

/// True when every tool (`ffmpeg`, `ffprobe`) runs; false (with a message) when the test should skip,
/// and a panic when `OPENIVS_REQUIRE_FFMPEG=1` says they must be there.
pub fn tools_available(tools: &[&str]) -> bool {
    let runs = |t: &&str| {
        Command::new(t)
            .arg("-version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    let missing: Vec<&str> = tools.iter().filter(|t| !runs(t)).copied().collect();
    if missing.is_empty() {
        return true;
    }
    if std::env::var("OPENIVS_REQUIRE_FFMPEG").is_ok_and(|v| v == "1") {
        panic!("{} required (OPENIVS_REQUIRE_FFMPEG=1) but not installed", missing.join(", "));
    }
    eprintln!(
        "SKIPPED: {} not installed (apt-get install ffmpeg; set OPENIVS_REQUIRE_FFMPEG=1 to fail instead)",
        missing.join(", ")
    );
    false
}

/// An ffmpeg publisher: 640x360 at 30 fps H.264 and 48 kHz AAC, in real time; killed on drop.
pub struct Publisher {
    child: Child,
}

impl Publisher {
    /// Publishes to `url` for `seconds`, with a keyframe every 2 s.
    pub fn start(url: &str, seconds: u32) -> Self {
        Self::with_gop(url, seconds, 60)
    }

    /// Publishes to `url` for `seconds`, with a keyframe every `gop` frames (30 per second).
    pub fn with_gop(url: &str, seconds: u32, gop: u32) -> Self {
        Self::spawn(url, seconds, gop, "flv")
    }

    /// Publishes MPEG-TS over SRT to `url` (`srt://host:port?streamid=…&passphrase=…`) for `seconds`,
    /// with a keyframe every 2 s.
    pub fn srt(url: &str, seconds: u32) -> Self {
        Self::spawn(url, seconds, 60, "mpegts")
    }

    fn spawn(url: &str, seconds: u32, gop: u32, format: &str) -> Self {
        let child = Command::new("ffmpeg")
            .args(["-nostdin", "-loglevel", "error", "-re"])
            .args(["-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30"])
            .args(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"])
            .args(["-t", &seconds.to_string()])
            .args([
                "-c:v",
                "libx264",
                "-preset",
                "veryfast",
                "-tune",
                "zerolatency",
                "-g",
                &gop.to_string(),
                "-pix_fmt",
                "yuv420p",
            ])
            .args(["-c:a", "aac", "-f", format, url])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawning ffmpeg");
        Publisher { child }
    }

    /// Waits up to `limit` for ffmpeg to exit; its success, or `None` if still running.
    pub async fn wait(&mut self, limit: Duration) -> Option<bool> {
        let deadline = Instant::now() + limit;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status.success());
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Sends a signal to ffmpeg (`STOP` freezes it: the connection stays open and nothing arrives).
    pub fn signal(&self, name: &str) {
        let _ = Command::new("kill").arg(format!("-{name}")).arg(self.child.id().to_string()).status();
    }

    /// Kills ffmpeg with SIGKILL: the connection drops without an unpublish.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Publisher {
    fn drop(&mut self) {
        self.signal("CONT");
        self.kill();
    }
}

/// Plays `url` (HLS) as a viewer would: ffprobe sees H.264 640x360 (what [`Publisher`] sends) and AAC,
/// and ffmpeg decodes `seconds` of it with no timestamp or decoding complaint. Panics otherwise.
pub fn assert_plays(url: &str, seconds: u32) {
    let probe = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "stream=codec_name,width,height,codec_type", "-of", "csv=p=0"])
        .arg(url)
        .output()
        .expect("ffprobe");
    let streams = String::from_utf8_lossy(&probe.stdout);
    assert!(probe.status.success(), "{url}: {}", String::from_utf8_lossy(&probe.stderr));
    assert!(streams.lines().any(|l| l.starts_with("h264,video,640,360")), "{url}: {streams}");
    assert!(streams.lines().any(|l| l.starts_with("aac,audio")), "{url}: {streams}");
    let play = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "warning", "-i", url, "-t", &seconds.to_string(), "-f", "null", "-"])
        .output()
        .expect("ffmpeg");
    let log = String::from_utf8_lossy(&play.stderr);
    assert!(play.status.success(), "{url}: {log}");
    for bad in ["Non-monotonous", "non monotonically", "DTS", "PTS", "corrupt", "error", "Invalid"] {
        assert!(!log.contains(bad), "ffmpeg complained ({bad}) playing {url}: {log}");
    }
}
