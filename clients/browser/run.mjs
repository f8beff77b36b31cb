#!/usr/bin/env node
// Plays one HLS URL with hls.js or the Amazon IVS Player in headless Chromium (playwright-core driving
// Debian's chromium) and checks what a viewer would see. The page is served from a local HTTP server,
// so its requests carry a real Origin, as a web player's do.
//
// usage: node run.mjs --url URL [--seconds 10] [--timeout 30] [--expect play|refused] [--status 403]
//                     [--cue TEXT]... [--barcode] [--min-advance 2] [--ll] [--warmup 0] [--port 0]
//                     [--progress] [--hls-config JSON] [--player hlsjs|ivs] [--until-ended S]
//                     [--error-type TYPE]
//   --expect play     (default) the stream must start playing within --timeout s, then currentTime
//                     must advance by --min-advance s while watched for --seconds s, with frames decoded
//   --expect refused  hls.js must fail fatally (with HTTP --status on the failed load, if given) and
//                     never play
//   --cue TEXT        a timed-metadata cue containing TEXT must arrive (waits up to --timeout s more)
//   --barcode         the wall-clock test pattern must be read and its clock advance by --min-advance s;
//                     glass-to-glass latency (Date.now() - painted time) is reported as percentiles over
//                     the samples after --warmup s of playing
//   --ll              the media playlist must be low-latency HLS (EXT-X-PART-INF) and parts be loaded
//   --port P          port of the page's server (its origin is http://127.0.0.1:P), default any free
//   --progress        a state line every second
//   --hls-config JSON hls.js settings on top of the page's (lowLatencyMode: true, metadata cues on),
//                     e.g. '{"liveSyncDurationCount":2}'
//   --player ivs      the Amazon IVS Player Web SDK (npm amazon-ivs-player, bundled here with esbuild;
//                     its wasm worker and binary served beside the page) instead of hls.js; cues are
//                     its TEXT_METADATA_CUE events (every one, so repeats show), states its own
//   --until-ended S   after watching, the player must report the end of the stream (the IVS Player's
//                     Ended state; the video element's `ended` for hls.js) within S s, with no error,
//                     and stay ended for 3 s
//   --error-type TYPE with --expect refused: the fatal error's type (the IVS Player's ErrorType, e.g.
//                     ErrorNotAvailable, ErrorAuthorization)
// Prints JSON lines on stdout: {"event":"ready","origin":..}, {"event":"playing",..}, optionally
// {"event":"state",..}, and last {"event":"result","ok":bool,"failures":[..],..}. Exit status: 0 when ok,
// 1 when a check failed, 2 for bad usage or when the browser could not start.
// Environment: CHROMIUM (default /usr/bin/chromium).

import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";

const here = dirname(fileURLToPath(import.meta.url));

function usage(msg) {
  process.stderr.write(`${msg}\nsee the comment at the top of run.mjs for usage\n`);
  process.exit(2);
}

let args;
try {
  args = parseArgs({
    options: {
      url: { type: "string" },
      seconds: { type: "string", default: "10" },
      timeout: { type: "string", default: "30" },
      expect: { type: "string", default: "play" },
      status: { type: "string" },
      cue: { type: "string", multiple: true, default: [] },
      barcode: { type: "boolean", default: false },
      "min-advance": { type: "string", default: "2" },
      ll: { type: "boolean", default: false },
      warmup: { type: "string", default: "0" },
      port: { type: "string", default: "0" },
      progress: { type: "boolean", default: false },
      "hls-config": { type: "string", default: "{}" },
      player: { type: "string", default: "hlsjs" },
      "until-ended": { type: "string" },
      "error-type": { type: "string" },
    },
  }).values;
} catch (e) {
  usage(String(e.message || e));
}
if (!args.url) usage("--url is required");
if (!["play", "refused"].includes(args.expect)) usage("--expect is play or refused");
if (!["hlsjs", "ivs"].includes(args.player)) usage("--player is hlsjs or ivs");
const ivs = args.player === "ivs";
const num = (name) => {
  const v = Number(args[name]);
  if (!Number.isFinite(v) || v < 0) usage(`--${name} must be a non-negative number`);
  return v;
};
const seconds = num("seconds");
const timeout = num("timeout");
const minAdvance = num("min-advance");
const warmup = num("warmup");
const port = num("port");
const status = args.status === undefined ? null : Number(args.status);
const untilEnded = args["until-ended"] === undefined ? null : num("until-ended");
let hlsConfig;
try {
  hlsConfig = JSON.parse(args["hls-config"]);
} catch (e) {
  usage(`--hls-config: ${e.message}`);
}

const out = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- the page's server
const ivsAssets = "node_modules/amazon-ivs-player/dist/assets";
const files = {
  "/": [ivs ? "ivs.html" : "index.html", "text/html; charset=utf-8"],
  "/page.js": ["page.js", "text/javascript"],
  "/hls.min.js": ["node_modules/hls.js/dist/hls.min.js", "text/javascript"],
  "/ivs-page.js": ["ivs-page.js", "text/javascript"],
  "/amazon-ivs-wasmworker.min.js": [`${ivsAssets}/amazon-ivs-wasmworker.min.js`, "text/javascript"],
  "/amazon-ivs-wasmworker.min.wasm": [`${ivsAssets}/amazon-ivs-wasmworker.min.wasm`, "application/wasm"],
};
// The IVS Player is CommonJS with dependencies of its own: bundled once per run for the page.
let ivsBundle = null;
if (ivs) {
  try {
    const { build } = await import("esbuild");
    const out = await build({
      stdin: { contents: 'window.IVSPlayerPackage = require("amazon-ivs-player");', resolveDir: here },
      bundle: true,
      format: "iife",
      write: false,
      logLevel: "silent",
    });
    ivsBundle = out.outputFiles[0].contents;
  } catch (e) {
    process.stderr.write(`bundling amazon-ivs-player failed: run npm ci in ${here} (${e.message})\n`);
    process.exit(2);
  }
}
const server = createServer(async (req, res) => {
  const path = new URL(req.url, "http://x").pathname;
  if (path === "/ivs-player.js" && ivsBundle) {
    res.writeHead(200, { "content-type": "text/javascript", "cache-control": "no-store" }).end(ivsBundle);
    return;
  }
  const f = files[path];
  if (!f) {
    res.writeHead(404).end();
    return;
  }
  try {
    const body = await readFile(join(here, f[0]));
    res.writeHead(200, { "content-type": f[1], "cache-control": "no-store" }).end(body);
  } catch (e) {
    res.writeHead(500).end(String(e));
  }
});
await new Promise((resolve, reject) => {
  server.once("error", reject);
  server.listen(port, "127.0.0.1", resolve);
});
const origin = `http://127.0.0.1:${server.address().port}`;

// ---------------------------------------------------------------- the browser
let chromium;
try {
  ({ chromium } = await import("playwright-core"));
} catch (e) {
  process.stderr.write(`playwright-core is missing: run npm ci in ${here} (${e.message})\n`);
  process.exit(2);
}
let browser;
try {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--autoplay-policy=no-user-gesture-required",
      // A hidden headless page must still paint and run its timers at full rate.
      "--disable-background-timer-throttling",
      "--disable-renderer-backgrounding",
      "--disable-backgrounding-occluded-windows",
    ],
  });
} catch (e) {
  process.stderr.write(`chromium did not start: ${e.message}\n`);
  server.close();
  process.exit(2);
}

const failures = [];
let report = null;
const clock = [];
let playingEvent = false;
let loadAt = Date.now();
const consoleErrors = []; // the page's console errors (the IVS Player's telemetry failing offline is one)
try {
  const page = await browser.newPage();
  page.on("pageerror", (e) => failures.push(`page error: ${e.message}`));
  await page.goto(`${origin}/`);
  out({ event: "ready", origin });
  page.on("console", (m) => {
    if (m.type() !== "error") return;
    consoleErrors.push(m.text());
    if (consoleErrors.length > 30) consoleErrors.shift();
  });
  loadAt = Date.now();
  if (ivs) await page.evaluate((u) => window.startIvsPlayback(u), args.url);
  else await page.evaluate(([u, c]) => window.startPlayback(u, c), [args.url, hlsConfig]);

  const poll = async () => {
    const since = clock.length ? clock[clock.length - 1].seen : 0;
    report = await page.evaluate((s) => window.report(s), since);
    clock.push(...report.clock);
    return report;
  };
  const wantCues = () =>
    args.cue.filter((t) => ![...report.cues, ...report.id3].some((c) => c.includes(t)));

  const start = Date.now();
  // Phase 1: until it plays (or is refused).
  while (Date.now() - start < timeout * 1000) {
    await poll();
    if (report.fatal || report.playing) break;
    await sleep(250);
  }
  if (report.playing) {
    playingEvent = true;
    out({ event: "playing", currentTime: report.currentTime, afterMs: report.playingAt - loadAt });
  }
  // Phase 2: watch it play for --seconds (and until the expected cues came, up to --timeout more).
  if (args.expect === "play" && report.playing && !report.fatal) {
    const watchFrom = Date.now();
    let lastProgress = 0;
    for (;;) {
      await poll();
      const elapsed = Date.now() - watchFrom;
      if (report.fatal) break;
      if (args.progress && Date.now() - lastProgress >= 1000) {
        lastProgress = Date.now();
        const last = clock[clock.length - 1];
        out({
          event: "state",
          currentTime: report.currentTime,
          decodedFrames: report.decodedFrames,
          latencyMs: last ? last.seen - last.painted : null,
          hlsLatency: report.hlsLatency,
        });
      }
      if (elapsed >= seconds * 1000 && (wantCues().length === 0 || elapsed >= (seconds + timeout) * 1000)) break;
      await sleep(250);
    }
    // Phase 3: the end of the stream (the caller stops the encoder once it saw "watched").
    if (untilEnded !== null && !report.fatal) {
      out({ event: "watched", currentTime: report.currentTime });
      // The end must hold: the IVS Player has been seen to say Ended while it waited at a segment's end
      // for the final playlist's last segment, then play that segment and end again. What a viewer is
      // left with is the settled state, so wait until it has stayed ended for 3 s.
      const from = Date.now();
      const endedNow = () => (ivs ? report.ivs && report.ivs.state === "Ended" : !!report.endedAt);
      let endedSince = null;
      while (Date.now() - from < untilEnded * 1000) {
        await poll();
        if (report.fatal) break;
        if (!endedNow()) endedSince = null;
        else if (endedSince === null) endedSince = Date.now();
        else if (Date.now() - endedSince >= 3000) break;
        await sleep(250);
      }
      if (report.endedAt) out({ event: "ended", afterMs: report.endedAt - from });
    }
  } else if (args.expect === "refused" && !report.fatal) {
    // Give a refusal the whole timeout to show, and a stream that wrongly plays a moment to be seen.
    while (Date.now() - start < timeout * 1000 && !report.fatal) {
      await poll();
      await sleep(250);
    }
  }
} catch (e) {
  failures.push(`runner: ${e.message}`);
}

// ---------------------------------------------------------------- verdict
const r = report || {};
const advanced = r.playing ? r.currentTime - (r.firstTime || 0) : 0;
const usable = clock.filter((c) => r.playingAt && c.seen - r.playingAt >= warmup * 1000);
const lat = usable.map((c) => c.seen - c.painted).sort((a, b) => a - b);
const pct = (p) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))] : null);
const clockAdvance = clock.length ? (clock[clock.length - 1].painted - clock[0].painted) / 1000 : 0;
if (args.expect === "play") {
  if (!r.playing) failures.push(`did not start playing within ${timeout} s`);
  if (r.fatal) failures.push(`fatal error: ${JSON.stringify(r.fatal)}`);
  if (r.playing && advanced < minAdvance) failures.push(`currentTime advanced ${advanced.toFixed(2)} s < ${minAdvance}`);
  if (r.playing && !(r.decodedFrames > 0)) failures.push("no video frame decoded");
  if (args.barcode && clockAdvance < minAdvance)
    failures.push(`the decoded wall clock advanced ${clockAdvance.toFixed(2)} s < ${minAdvance} (${clock.length} frames read, ${r.clockErrors} unreadable)`);
  if (args.ll && !(r.lowLatency && r.lowLatency.partTarget > 0 && r.partsLoaded > 0))
    failures.push(`not played as low-latency HLS: ${JSON.stringify(r.lowLatency)}, ${r.partsLoaded} parts loaded`);
  if (untilEnded !== null && !r.endedAt) failures.push(`the player did not report the end within ${untilEnded} s`);
  const finalState = ivs ? r.ivs && r.ivs.state : "ended";
  if (untilEnded !== null && r.endedAt && !["Ended", "ended"].includes(finalState))
    failures.push(`the player reported the end but did not stay ended (${finalState})`);
  const seen = [...(r.cues || []), ...(r.id3 || [])];
  for (const t of args.cue) if (!seen.some((c) => c.includes(t))) failures.push(`no metadata cue containing ${JSON.stringify(t)} (cues: ${JSON.stringify(seen)})`);
} else {
  if (playingEvent) failures.push("played, but was expected to be refused");
  if (!r.fatal) failures.push(`no fatal error within ${timeout} s`);
  else if (status !== null && r.fatal.code !== status)
    failures.push(`refused with ${JSON.stringify(r.fatal)}, expected HTTP ${status}`);
  else if (args["error-type"] && r.fatal.type !== args["error-type"])
    failures.push(`refused with ${JSON.stringify(r.fatal)}, expected ${args["error-type"]}`);
}
out({
  event: "result",
  ok: failures.length === 0,
  failures,
  origin,
  hlsConfig,
  player: args.player,
  startMs: r.playingAt ? r.playingAt - loadAt : null,
  ended: !!r.endedAt,
  ivs: r.ivs || null,
  playing: !!r.playing,
  currentTime: r.currentTime,
  advanced,
  decodedFrames: r.decodedFrames,
  droppedFrames: r.droppedFrames,
  fatal: r.fatal || null,
  errors: (r.errors || []).slice(-10),
  cues: r.cues || [],
  id3: r.id3 || [],
  lowLatency: r.lowLatency || null,
  partsLoaded: r.partsLoaded || 0,
  fragsLoaded: r.fragsLoaded || 0,
  hlsLatency: r.hlsLatency,
  clockFrames: clock.length,
  clockErrors: r.clockErrors || 0,
  clockAdvance,
  latencyMs: lat.length
    ? { count: lat.length, min: lat[0], p50: pct(50), p90: pct(90), p99: pct(99), max: lat[lat.length - 1], mean: Math.round(lat.reduce((a, b) => a + b, 0) / lat.length) }
    : null,
  log: failures.length ? r.log || [] : [],
  console: failures.length ? consoleErrors : [],
});
await browser.close().catch(() => {});
server.close();
process.exit(failures.length ? 1 : 0);
