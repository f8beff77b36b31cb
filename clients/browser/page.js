// The player page: plays one HLS URL with hls.js (lowLatencyMode on) into a muted <video>, and keeps
// what a test wants to know in `window.report()`: whether it plays, how far currentTime got, decoded
// frames, hls.js errors (with the HTTP status of failed loads), timed-metadata cues (hls.js's
// FRAG_PARSING_METADATA samples and the cues of the 'metadata' TextTrack it fills), whether the
// playlist was low-latency HLS, and the wall clock read from the test pattern's barcode.
//
// The barcode (painted by crates/conformance/src/clock_pattern.rs): a 16 x 5 grid of equal blocks
// across the full width, rows starting at 2/9 of the height, each block 1/16 of the width square at
// 640x360. Row 0 is the marker 0xAACC, rows 1-3 the Unix time in ms (48 bits, most significant first),
// row 4 a check word (w1 ^ w2 ^ w3 ^ 0x5A5A). White is 1.

const COLS = 16;
const ROWS = 5;
const MARKER = 0xaacc;
const CHECK_MASK = 0x5a5a;

const state = {
  started: false,
  playing: false,
  playingAt: null, // Date.now() of the first 'playing' event
  endedAt: null, // Date.now() when the player reported the end of the stream
  firstTime: null, // currentTime when playing began
  currentTime: 0,
  decodedFrames: 0,
  droppedFrames: 0,
  errors: [], // {type, details, fatal, code, reason}
  fatal: null, // the first fatal error
  id3: [], // texts found in hls.js's FRAG_PARSING_METADATA samples
  cues: [], // texts of the metadata TextTrack's cues
  lowLatency: null, // {partTarget, canBlockReload, parts, targetDuration, fragments, map} of the last media playlist
  partsLoaded: 0,
  fragsLoaded: 0,
  clock: [], // {painted, seen} pairs: the barcode's time and Date.now() when the frame was shown
  clockErrors: 0, // frames whose barcode did not check out
  hlsLatency: null, // hls.js's own estimate (seconds behind the live edge)
  log: [],
};

function note(msg) {
  state.log.push(`${new Date().toISOString()} ${msg}`);
  if (state.log.length > 200) state.log.shift();
}

// Decodes ID3v2 frames (TXXX, T***, PRIV, GEOB as text) into readable strings; a test only needs
// "does this text arrive", so text frames give their values and others their bytes as Latin-1.
function id3Texts(bytes) {
  const out = [];
  const dec = new TextDecoder("utf-8");
  let i = 0;
  while (i + 10 <= bytes.length && bytes[i] === 0x49 && bytes[i + 1] === 0x44 && bytes[i + 2] === 0x33) {
    const size = ((bytes[i + 6] & 0x7f) << 21) | ((bytes[i + 7] & 0x7f) << 14) | ((bytes[i + 8] & 0x7f) << 7) | (bytes[i + 9] & 0x7f);
    const end = Math.min(bytes.length, i + 10 + size);
    let j = i + 10;
    while (j + 10 <= end) {
      const id = String.fromCharCode(bytes[j], bytes[j + 1], bytes[j + 2], bytes[j + 3]);
      if (!/^[A-Z0-9]{4}$/.test(id)) break;
      const len = (bytes[j + 4] << 24) | (bytes[j + 5] << 16) | (bytes[j + 6] << 8) | bytes[j + 7];
      const body = bytes.subarray(j + 10, Math.min(end, j + 10 + len));
      if (id[0] === "T") {
        // encoding byte, then (TXXX) description NUL value
        out.push(`${id}:${dec.decode(body.subarray(1)).replace(/\u0000/g, "|")}`);
      } else {
        out.push(`${id}:${String.fromCharCode(...body.subarray(0, 2048))}`);
      }
      j += 10 + Math.max(0, len);
    }
    i = end;
  }
  if (out.length === 0 && bytes.length) out.push(`raw:${dec.decode(bytes)}`);
  return out;
}

function cueText(cue) {
  const v = cue.value;
  if (v && typeof v === "object") {
    const data = v.data instanceof ArrayBuffer ? new TextDecoder().decode(v.data) : v.data;
    return `${v.key || ""}:${v.info ? `${v.info}|` : ""}${typeof data === "string" ? data : JSON.stringify(data)}`;
  }
  return cue.text || "";
}

let canvas = null;
let ctx = null;

// Reads the barcode of the frame on screen; the painted wall-clock ms, or null.
function readClock(video) {
  const w = video.videoWidth;
  const h = video.videoHeight;
  if (!w || !h) return null;
  if (!canvas || canvas.width !== w || canvas.height !== h) {
    canvas = document.createElement("canvas");
    canvas.width = w;
    canvas.height = h;
    ctx = canvas.getContext("2d", { willReadFrequently: true });
  }
  ctx.drawImage(video, 0, 0, w, h);
  const block = w / COLS;
  const top = (h * 2) / 9;
  const words = [];
  for (let r = 0; r < ROWS; r++) {
    let word = 0;
    for (let c = 0; c < COLS; c++) {
      const x = Math.floor(c * block + block / 4);
      const y = Math.floor(top + r * block + block / 4);
      const size = Math.max(1, Math.floor(block / 2));
      const px = ctx.getImageData(x, y, size, size).data;
      let sum = 0;
      for (let k = 0; k < px.length; k += 4) sum += px[k] + px[k + 1] + px[k + 2];
      const mean = sum / (px.length / 4) / 3;
      word = (word << 1) | (mean >= 128 ? 1 : 0);
    }
    words.push(word & 0xffff);
  }
  if (words[0] !== MARKER || (words[1] ^ words[2] ^ words[3] ^ CHECK_MASK) !== words[4]) {
    state.clockErrors++;
    return null;
  }
  return words[1] * 2 ** 32 + words[2] * 2 ** 16 + words[3];
}

function sampleClock(video) {
  const painted = readClock(video);
  if (painted !== null) {
    state.clock.push({ painted, seen: Date.now() });
    if (state.clock.length > 20000) state.clock.splice(0, 10000);
  }
}

function watchFrames(video) {
  if (typeof video.requestVideoFrameCallback === "function") {
    const onFrame = () => {
      try {
        sampleClock(video);
      } catch (e) {
        note(`clock: ${e}`);
      }
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  } else {
    setInterval(() => sampleClock(video), 100);
  }
}

function update(video, hls) {
  state.currentTime = video.currentTime;
  const q = video.getVideoPlaybackQuality ? video.getVideoPlaybackQuality() : null;
  if (q) {
    state.decodedFrames = q.totalVideoFrames;
    state.droppedFrames = q.droppedVideoFrames;
  }
  state.hlsLatency = Number.isFinite(hls.latency) ? hls.latency : null;
  const texts = [];
  for (const track of video.textTracks) {
    if (track.kind !== "metadata") continue;
    if (track.mode === "disabled") track.mode = "hidden";
    for (const cue of track.cues || []) texts.push(cueText(cue));
  }
  // Cues leave the track when the buffer behind them is flushed: keep every text seen.
  for (const t of texts) if (!state.cues.includes(t)) state.cues.push(t);
}

window.startPlayback = function startPlayback(url, options = {}) {
  if (state.started) return;
  state.started = true;
  const video = document.getElementById("video");
  if (!window.Hls || !Hls.isSupported()) {
    state.fatal = { type: "setup", details: "hls.js is not supported here (no MediaSource)" };
    return;
  }
  const hls = new Hls({
    lowLatencyMode: true,
    enableID3MetadataCues: true,
    enableEmsgMetadataCues: true,
    debug: false,
    ...options,
  });
  window.hls = hls;
  hls.on(Hls.Events.ERROR, (_e, d) => {
    const err = {
      type: d.type,
      details: d.details,
      fatal: !!d.fatal,
      code: d.response ? d.response.code : d.networkDetails && d.networkDetails.status,
      reason: d.reason || (d.error && String(d.error)) || "",
    };
    state.errors.push(err);
    if (state.errors.length > 100) state.errors.shift();
    note(`hls error ${JSON.stringify(err)}`);
    if (d.fatal && !state.fatal) {
      state.fatal = err;
      hls.destroy();
    }
  });
  hls.on(Hls.Events.FRAG_PARSING_METADATA, (_e, d) => {
    for (const s of d.samples || []) {
      for (const t of id3Texts(s.data)) if (!state.id3.includes(t)) state.id3.push(t);
    }
  });
  hls.on(Hls.Events.LEVEL_LOADED, (_e, d) => {
    const det = d.details;
    state.lowLatency = {
      partTarget: det.partTarget || 0,
      canBlockReload: !!det.canBlockReload,
      parts: det.partList ? det.partList.length : 0,
      targetDuration: det.targetduration,
      fragments: det.fragments.length,
      // EXT-X-MAP: an init section, as fragmented MP4 has and MPEG-TS does not
      map: det.fragments.some((f) => !!f.initSegment),
    };
  });
  hls.on(Hls.Events.FRAG_LOADED, (_e, d) => {
    if (d.part) state.partsLoaded++;
    else state.fragsLoaded++;
  });
  video.addEventListener("playing", () => {
    if (!state.playing) {
      state.playing = true;
      state.playingAt = Date.now();
      state.firstTime = video.currentTime;
      note(`playing at currentTime ${video.currentTime}`);
    }
  });
  video.addEventListener("ended", () => {
    if (!state.endedAt) state.endedAt = Date.now();
  });
  video.addEventListener("error", () => {
    const e = video.error;
    const err = { type: "media", details: e ? `${e.code} ${e.message}` : "unknown", fatal: true };
    state.errors.push(err);
    if (!state.fatal) state.fatal = err;
  });
  hls.on(Hls.Events.MEDIA_ATTACHED, () => {
    hls.loadSource(url);
  });
  hls.on(Hls.Events.MANIFEST_PARSED, () => {
    video.play().catch((e) => note(`play(): ${e}`));
  });
  hls.attachMedia(video);
  watchFrames(video);
  setInterval(() => update(video, hls), 200);
};

// What the runner reads; `since` drops clock samples it already has.
window.report = function report(since = 0) {
  const video = document.getElementById("video");
  if (video && window.hls) update(video, window.hls);
  return { ...state, clock: state.clock.filter((c) => c.seen > since), log: state.log.slice(-20) };
};
