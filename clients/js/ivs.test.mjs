// The official AWS SDK for JavaScript v3 (`@aws-sdk/client-ivs`, pinned in package.json) against a running
// openivs, with only the endpoint pointed at it. Run with node's built-in test runner:
//
//   OPENIVS_ENDPOINT=http://127.0.0.1:PORT OPENIVS_ACCESS_KEY_ID=... OPENIVS_SECRET_ACCESS_KEY=... \
//   OPENIVS_REGION=us-west-2 node --test clients/js/ivs.test.mjs
//
// The Rust test `official_clients` (crates/conformance) starts a fresh server and runs this file.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  ChannelNotBroadcasting,
  ConflictException,
  CreateChannelCommand,
  CreateRecordingConfigurationCommand,
  CreateStreamKeyCommand,
  DeleteChannelCommand,
  DeletePlaybackKeyPairCommand,
  DeleteRecordingConfigurationCommand,
  GetChannelCommand,
  GetPlaybackKeyPairCommand,
  GetRecordingConfigurationCommand,
  GetStreamCommand,
  ImportPlaybackKeyPairCommand,
  IvsClient,
  IvsServiceException,
  ListChannelsCommand,
  ListStreamKeysCommand,
  ListTagsForResourceCommand,
  ResourceNotFoundException,
  ServiceQuotaExceededException,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateChannelCommand,
  paginateListChannels,
} from "@aws-sdk/client-ivs";

function env(name, fallback) {
  const v = process.env[name] ?? fallback;
  if (v === undefined || v === "") {
    throw new Error(`${name} is not set: point OPENIVS_ENDPOINT, OPENIVS_ACCESS_KEY_ID and OPENIVS_SECRET_ACCESS_KEY at a running openivs`);
  }
  return v;
}

const endpoint = env("OPENIVS_ENDPOINT");
const region = env("OPENIVS_REGION", "us-west-2");
const credentials = {
  accessKeyId: env("OPENIVS_ACCESS_KEY_ID"),
  secretAccessKey: env("OPENIVS_SECRET_ACCESS_KEY"),
};

const client = new IvsClient({ region, endpoint, credentials });

// Unique names so the suite also works against a server that already has resources.
const run = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
const name = (what) => `js-${what}-${run}`;

const CHANNEL_ARN = new RegExp(`^arn:aws:ivs:${region}:\\d{12}:channel/[A-Za-z0-9]{12}$`);

/** Awaits `promise`, requires it to reject with the modeled exception `cls`, checks what every typed IVS
 * error carries, and returns the error. */
async function expectServiceError(promise, cls, status) {
  let err;
  try {
    const out = await promise;
    assert.fail(`expected ${cls.name}, but the call succeeded: ${JSON.stringify(out)}`);
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    err = e;
  }
  assert.equal(err.name, cls.name, `error name (error: ${err.stack})`);
  assert.ok(err instanceof cls, `error is not an instance of the exported ${cls.name} class`);
  assert.ok(err instanceof IvsServiceException, "error is not an IvsServiceException");
  assert.equal(err.$fault, "client");
  assert.equal(err.$metadata?.httpStatusCode, status, "HTTP status");
  assert.equal(typeof err.$metadata?.requestId, "string", "$metadata.requestId");
  assert.notEqual(err.$metadata.requestId, "", "$metadata.requestId is empty");
  const message = err.exceptionMessage ?? err.message;
  assert.equal(typeof message, "string");
  assert.notEqual(message.trim(), "", "error message is empty");
  return err;
}

async function createChannel(input = {}) {
  const out = await client.send(new CreateChannelCommand({ name: name("ch"), ...input }));
  return out;
}

async function deleteChannel(arn) {
  await client.send(new DeleteChannelCommand({ arn }));
}

test("CreateChannel returns a channel with IVS's defaults and a stream key", async () => {
  const out = await createChannel({ name: name("defaults") });
  try {
    const ch = out.channel;
    assert.ok(ch, "channel in the response");
    assert.match(ch.arn, CHANNEL_ARN);
    assert.equal(ch.name, name("defaults"));
    assert.equal(ch.type, "STANDARD");
    assert.equal(ch.latencyMode, "LOW");
    assert.equal(ch.authorized, false);
    assert.equal(ch.insecureIngest, false);
    assert.equal(ch.preset, "");
    assert.equal(ch.recordingConfigurationArn, "");
    assert.equal(ch.playbackRestrictionPolicyArn, "");
    assert.deepEqual(ch.tags, {});
    assert.equal(typeof ch.ingestEndpoint, "string");
    assert.notEqual(ch.ingestEndpoint, "");
    assert.match(ch.playbackUrl, /^https?:\/\/.+\.m3u8$/);

    const sk = out.streamKey;
    assert.ok(sk, "streamKey in the response");
    assert.equal(sk.channelArn, ch.arn);
    const m = sk.arn.match(new RegExp(`^arn:aws:ivs:${region}:\\d{12}:stream-key/([A-Za-z0-9]{12})$`));
    assert.ok(m, `stream key ARN shape: ${sk.arn}`);
    // sk_<region>_<stream key resource id>_<30 alphanumerics>
    assert.match(sk.value, new RegExp(`^sk_${region}_${m[1]}_[A-Za-z0-9]{30}$`));
    assert.deepEqual(sk.tags, {});
  } finally {
    await deleteChannel(out.channel.arn);
  }
});

test("GetChannel returns what CreateChannel made", async () => {
  const created = (await createChannel({ type: "BASIC", latencyMode: "NORMAL", tags: { team: "js" } })).channel;
  try {
    const out = await client.send(new GetChannelCommand({ arn: created.arn }));
    assert.equal(out.$metadata.httpStatusCode, 200);
    assert.ok(out.$metadata.requestId, "requestId on a success");
    assert.deepEqual(out.channel, created);
    assert.equal(out.channel.type, "BASIC");
    assert.equal(out.channel.latencyMode, "NORMAL");
    assert.deepEqual(out.channel.tags, { team: "js" });
  } finally {
    await deleteChannel(created.arn);
  }
});

test("ListChannels pages with paginateListChannels (maxResults 2, 5 channels)", async () => {
  const prefix = name("page");
  const arns = [];
  for (let i = 0; i < 5; i++) {
    arns.push((await createChannel({ name: `${prefix}-${i}` })).channel.arn);
  }
  try {
    const pages = [];
    for await (const page of paginateListChannels({ client, pageSize: 2 }, { maxResults: 2 })) {
      pages.push(page);
      assert.ok(pages.length < 1000, "paginator does not stop");
    }
    assert.ok(pages.length >= 3, `5 channels at 2 a page need at least 3 pages, got ${pages.length}`);
    for (const [i, p] of pages.entries()) {
      assert.ok(p.channels.length <= 2, `page ${i} has ${p.channels.length} channels`);
      if (i < pages.length - 1) assert.ok(p.nextToken, `page ${i} has no nextToken but is not the last`);
    }
    assert.equal(pages.at(-1).nextToken, undefined, "last page carries a nextToken");
    const seen = pages.flatMap((p) => p.channels.map((c) => c.arn));
    assert.equal(new Set(seen).size, seen.length, "a channel was listed twice");
    for (const arn of arns) assert.ok(seen.includes(arn), `${arn} missing from the listing`);

    // Summaries carry the channel's fields.
    const mine = pages.flatMap((p) => p.channels).find((c) => c.arn === arns[0]);
    assert.equal(mine.name, `${prefix}-0`);
    assert.equal(mine.latencyMode, "LOW");
    assert.equal(mine.type, "STANDARD");
    assert.equal(mine.authorized, false);

    // filterByName narrows the list to those names.
    const filtered = await client.send(new ListChannelsCommand({ filterByName: `${prefix}-3` }));
    assert.deepEqual(filtered.channels.map((c) => c.arn), [arns[3]]);
  } finally {
    for (const arn of arns) await deleteChannel(arn);
  }
});

test("UpdateChannel changes fields and GetChannel sees them", async () => {
  const arn = (await createChannel()).channel.arn;
  try {
    const out = await client.send(
      new UpdateChannelCommand({ arn, name: name("renamed"), latencyMode: "NORMAL", type: "BASIC", authorized: true }),
    );
    assert.equal(out.channel.arn, arn);
    assert.equal(out.channel.name, name("renamed"));
    assert.equal(out.channel.latencyMode, "NORMAL");
    assert.equal(out.channel.type, "BASIC");
    assert.equal(out.channel.authorized, true);
    assert.equal(out.channel.preset, "");
    const got = await client.send(new GetChannelCommand({ arn }));
    assert.deepEqual(got.channel, out.channel);
  } finally {
    await deleteChannel(arn);
  }
});

test("TagResource, ListTagsForResource and UntagResource put the ARN in the path", async () => {
  const arn = (await createChannel({ tags: { a: "1" } })).channel.arn;
  const paths = [];
  const spy = (next) => async (args) => {
    paths.push(`${args.request.method} ${args.request.path}`);
    return next(args);
  };
  const tagClient = new IvsClient({ region, endpoint, credentials });
  tagClient.middlewareStack.add(spy, { step: "finalizeRequest", name: "openivsPathSpy" });
  try {
    await tagClient.send(new TagResourceCommand({ resourceArn: arn, tags: { b: "2", c: "3" } }));
    let tags = (await tagClient.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags;
    assert.deepEqual(tags, { a: "1", b: "2", c: "3" });

    await tagClient.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ["a", "c"] }));
    tags = (await tagClient.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags;
    assert.deepEqual(tags, { b: "2" });

    // GetChannel reports the same tags.
    assert.deepEqual((await client.send(new GetChannelCommand({ arn }))).channel.tags, { b: "2" });

    const encoded = `/tags/${encodeURIComponent(arn)}`;
    assert.deepEqual(paths, [`POST ${encoded}`, `GET ${encoded}`, `DELETE ${encoded}`, `GET ${encoded}`]);

    // Tagging a resource that does not exist is a typed 404.
    const missing = arn.replace(/[A-Za-z0-9]{12}$/, "AAAAAAAAAAAA");
    await expectServiceError(
      tagClient.send(new TagResourceCommand({ resourceArn: missing, tags: { x: "y" } })),
      ResourceNotFoundException,
      404,
    );
  } finally {
    await deleteChannel(arn);
  }
});

test("CreateStreamKey on a channel that already has one is ServiceQuotaExceededException (402)", async () => {
  const out = await createChannel();
  const arn = out.channel.arn;
  try {
    const err = await expectServiceError(
      client.send(new CreateStreamKeyCommand({ channelArn: arn })),
      ServiceQuotaExceededException,
      402,
    );
    assert.ok(err.$response === undefined || err.$response.statusCode === 402);
    // The channel still has exactly its original key.
    const keys = await client.send(new ListStreamKeysCommand({ channelArn: arn }));
    assert.deepEqual(keys.streamKeys.map((k) => k.arn), [out.streamKey.arn]);
  } finally {
    await deleteChannel(arn);
  }
});

test("ImportPlaybackKeyPair takes a P-384 public key", async () => {
  const pem = readFileSync(new URL("../../crates/conformance/fixtures/p384-1.pub.pem", import.meta.url), "utf8");
  const out = await client.send(
    new ImportPlaybackKeyPairCommand({ publicKeyMaterial: pem, name: name("pkp"), tags: { k: "v" } }),
  );
  const kp = out.keyPair;
  try {
    assert.match(kp.arn, new RegExp(`^arn:aws:ivs:${region}:\\d{12}:playback-key/[A-Za-z0-9]{12}$`));
    assert.equal(kp.name, name("pkp"));
    assert.equal(typeof kp.fingerprint, "string");
    assert.notEqual(kp.fingerprint, "");
    assert.deepEqual(kp.tags, { k: "v" });
    const got = await client.send(new GetPlaybackKeyPairCommand({ arn: kp.arn }));
    assert.deepEqual(got.keyPair, kp);
    // The same key twice is a conflict.
    await expectServiceError(
      client.send(new ImportPlaybackKeyPairCommand({ publicKeyMaterial: pem })),
      ConflictException,
      409,
    );
  } finally {
    await client.send(new DeletePlaybackKeyPairCommand({ arn: kp.arn }));
  }
});

test("GetChannel of a missing ARN is ResourceNotFoundException (404)", async () => {
  const arn = `arn:aws:ivs:${region}:123456789012:channel/AbCdEfGhIjKl`;
  await expectServiceError(client.send(new GetChannelCommand({ arn })), ResourceNotFoundException, 404);
});

test("ListChannels with two filters is ConflictException (409)", async () => {
  await expectServiceError(
    client.send(
      new ListChannelsCommand({
        filterByName: "x",
        filterByRecordingConfigurationArn: `arn:aws:ivs:${region}:123456789012:recording-configuration/AbCdEfGhIjKl`,
      }),
    ),
    ConflictException,
    409,
  );
});

test("GetStream of a channel that is not live is ChannelNotBroadcasting (404)", async () => {
  const arn = (await createChannel()).channel.arn;
  try {
    await expectServiceError(client.send(new GetStreamCommand({ channelArn: arn })), ChannelNotBroadcasting, 404);
  } finally {
    await deleteChannel(arn);
  }
});

test("CreateRecordingConfiguration and DeleteRecordingConfiguration", async () => {
  const out = await client.send(
    new CreateRecordingConfigurationCommand({
      name: name("rec"),
      destinationConfiguration: { s3: { bucketName: "openivs-js-test" } },
    }),
  );
  const rc = out.recordingConfiguration;
  let deleted = false;
  try {
    assert.match(rc.arn, new RegExp(`^arn:aws:ivs:${region}:\\d{12}:recording-configuration/[A-Za-z0-9]{12}$`));
    assert.equal(rc.name, name("rec"));
    assert.deepEqual(rc.destinationConfiguration, { s3: { bucketName: "openivs-js-test" } });
    assert.ok(["CREATING", "ACTIVE"].includes(rc.state), `state ${rc.state}`);
    assert.equal(rc.recordingReconnectWindowSeconds, 0);
    assert.deepEqual(rc.tags, {});

    const got = await client.send(new GetRecordingConfigurationCommand({ arn: rc.arn }));
    assert.equal(got.recordingConfiguration.arn, rc.arn);

    const del = await client.send(new DeleteRecordingConfigurationCommand({ arn: rc.arn }));
    deleted = true;
    assert.equal(del.$metadata.httpStatusCode, 204);
    await expectServiceError(
      client.send(new GetRecordingConfigurationCommand({ arn: rc.arn })),
      ResourceNotFoundException,
      404,
    );
  } finally {
    if (!deleted) await client.send(new DeleteRecordingConfigurationCommand({ arn: rc.arn }));
  }
});

test("DeleteChannel removes the channel and its stream key", async () => {
  const out = await createChannel();
  const arn = out.channel.arn;
  const del = await client.send(new DeleteChannelCommand({ arn }));
  assert.equal(del.$metadata.httpStatusCode, 204);
  await expectServiceError(client.send(new GetChannelCommand({ arn })), ResourceNotFoundException, 404);
  await expectServiceError(client.send(new DeleteChannelCommand({ arn })), ResourceNotFoundException, 404);
  const list = await client.send(new ListChannelsCommand({ filterByName: out.channel.name }));
  assert.deepEqual(list.channels, []);
});
