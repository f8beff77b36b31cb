//! Stream time on the 90 kHz clock of MPEG-TS and HLS (ISO/IEC 13818-1 §2.4.3.7): publisher
//! milliseconds moved by a fixed offset, and audio times counted in AAC frames.

use crate::ts::TS_MASK;

/// Audio timestamps from sample counts. RTMP carries milliseconds, so AAC frames of 21.33 ms arrive
/// 21 or 22 ms apart; written as such, decoders see frames overlap and complain of non-monotonic
/// timestamps. Worse, scuffle-rtmp 0.2.3 gives a message sent with a type-3 chunk header (which ffmpeg
/// uses when size and delta repeat, common for AAC) the previous message's time instead of adding the
/// delta, so the stream's audio times fall behind by a frame each time. The count wins while the
/// stream's time is at most [`AUDIO_AHEAD_TICKS`] ahead of it or [`AUDIO_BEHIND_TICKS`] behind; beyond
/// that (a real gap or discontinuity) it resynchronizes.
#[derive(Default)]
pub(crate) struct AudioClock {
    /// 90 kHz time of the last resynchronization.
    base: Option<i64>,
    samples: i64,
}

/// 50 ms on the 90 kHz clock: well under what viewers notice as lip-sync error.
const AUDIO_AHEAD_TICKS: i64 = 4500;
/// 2 s on the 90 kHz clock.
const AUDIO_BEHIND_TICKS: i64 = 180_000;

/// When an AAC frame starts: on the 90 kHz clock and in samples at the stream's rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct AudioTime {
    pub ticks: i64,
    pub samples: i64,
}

impl AudioClock {
    /// The time of an AAC frame (1024 samples at `rate`) whose stream time is `pts_ms`.
    pub(crate) fn at(&mut self, pts_ms: i64, rate: u32) -> AudioTime {
        let given = pts_ms.wrapping_add(OFFSET_MS).wrapping_mul(90);
        let rate = i64::from(rate.max(1));
        let counted = self.base.map(|b| b.wrapping_add(self.samples.wrapping_mul(90_000) / rate));
        match counted {
            Some(c) if (-AUDIO_BEHIND_TICKS..=AUDIO_AHEAD_TICKS).contains(&given.wrapping_sub(c)) => {}
            _ => {
                self.base = Some(given);
                self.samples = 0;
            }
        }
        let base = self.base.unwrap_or(given);
        let at = AudioTime {
            ticks: base.wrapping_add(self.samples.wrapping_mul(90_000) / rate),
            samples: base.wrapping_mul(rate) / 90_000 + self.samples,
        };
        self.samples += 1024;
        at
    }

    /// The 33-bit MPEG-TS PTS of the next frame.
    #[cfg(test)]
    pub(crate) fn next(&mut self, pts_ms: i64, rate: u32) -> u64 {
        self.at(pts_ms, rate).ticks as u64 & TS_MASK
    }
}

/// Offset added to publisher timestamps so the first PTS/DTS and PCR are not near zero: 1.4 s, as
/// other muxers do, keeps PCR (100 ms behind DTS) and audio slightly before video from wrapping.
pub(crate) const OFFSET_MS: i64 = 1400;

/// A publisher timestamp in ms on the 33-bit 90 kHz clock.
pub fn ts90(ms: i64) -> u64 {
    (ms.wrapping_add(OFFSET_MS).wrapping_mul(90) as u64) & TS_MASK
}

/// A publisher timestamp in ms on the (unwrapped) 90 kHz clock.
pub(crate) fn ticks90(ms: i64) -> i64 {
    ms.wrapping_add(OFFSET_MS).wrapping_mul(90)
}
