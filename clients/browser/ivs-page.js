// The player page for the Amazon IVS Player Web SDK (npm amazon-ivs-player, bundled by run.mjs into
// /ivs-player.js as window.IVSPlayerPackage; its wasm worker and binary are served beside this page).
// It reuses page.js's state, clock reading and report(), and adds what the IVS Player tells: its
// states in order (Idle, Ready, Buffering, Playing, Ended), its ERROR events (type, code, source,
// message), TEXT_METADATA_CUE texts, getPosition(), isLiveLowLatency(), getLiveLatency() and the
// qualities' names.

window.startIvsPlayback = function startIvsPlayback(url) {
  if (state.started) return;
  state.started = true;
  state.ivs = { states: [], lowLatency: false, liveLatency: null, qualities: [], version: null };
  const video = document.getElementById("video");
  const pkg = window.IVSPlayerPackage;
  if (!pkg || !pkg.isPlayerSupported) {
    state.fatal = { type: "setup", details: "the IVS Player is not supported here" };
    return;
  }
  const { PlayerState, PlayerEventType } = pkg;
  const player = pkg.create({
    wasmWorker: `${location.origin}/amazon-ivs-wasmworker.min.js`,
    wasmBinary: `${location.origin}/amazon-ivs-wasmworker.min.wasm`,
  });
  window.ivsPlayer = player;
  state.ivs.version = player.getVersion();
  for (const s of Object.values(PlayerState)) {
    player.addEventListener(s, () => {
      state.ivs.states.push({ state: s, at: Date.now(), position: player.getPosition() });
      note(`state ${s} at position ${player.getPosition()}`);
      if (s === PlayerState.PLAYING && !state.playing) {
        state.playing = true;
        state.playingAt = Date.now();
        state.firstTime = player.getPosition();
      }
      if (s === PlayerState.ENDED && !state.endedAt) state.endedAt = Date.now();
    });
  }
  player.addEventListener(PlayerEventType.ERROR, (e) => {
    const err = { type: e.type, details: e.message, fatal: true, code: e.code, source: e.source, reason: e.message };
    state.errors.push(err);
    note(`ivs error ${JSON.stringify(err)}`);
    if (!state.fatal) state.fatal = err;
  });
  player.addEventListener(PlayerEventType.RECOVERABLE_ERROR, (e) => {
    state.errors.push({ type: e.type, details: e.message, fatal: false, code: e.code, source: e.source });
  });
  player.addEventListener(PlayerEventType.TEXT_METADATA_CUE, (cue) => {
    // Every cue, repeats included: a test counts them.
    state.cues.push(`${cue.description || ""}|${cue.text}`);
  });
  player.attachHTMLVideoElement(video);
  player.setAutoplay(true);
  player.setMuted(true);
  player.load(url);
  player.play();
  watchFrames(video);
  setInterval(() => updateIvs(video, player), 200);
};

function updateIvs(video, player) {
  state.currentTime = player.getPosition();
  const q = video.getVideoPlaybackQuality ? video.getVideoPlaybackQuality() : null;
  if (q) {
    state.decodedFrames = q.totalVideoFrames;
    state.droppedFrames = q.droppedVideoFrames;
  }
  state.ivs.lowLatency = player.isLiveLowLatency();
  state.ivs.liveLatency = player.getLiveLatency();
  state.ivs.buffer = player.getBufferDuration();
  state.ivs.qualities = player.getQualities().map((q) => q.name);
  state.ivs.state = player.getState();
}

// report() from page.js calls update(video, hls) when window.hls exists; here it does not, so the
// IVS state is refreshed by the interval above and by this wrapper.
const pageReport = window.report;
window.report = function report(since = 0) {
  if (window.ivsPlayer) updateIvs(document.getElementById("video"), window.ivsPlayer);
  return pageReport(since);
};
