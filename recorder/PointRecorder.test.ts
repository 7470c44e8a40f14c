import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import t from 'tap';
import { createLogger } from '../common/logger.js';
import { MEDIA_CODECS } from '../src/sfu/codecs.js';
import { tempDir } from '../test/helpers/cli.js';
import {
  makeTestClip,
  startsWithKeyframe,
  streamCodecs,
  videoPackets,
} from '../test/helpers/media.js';
import { freePortBlock } from '../test/helpers/ports.js';
import { resolveWorkerBinary } from '../workers/workerBinary.js';
import { resolveFfmpeg } from '../archive/ffmpegBinary.js';
import { rtpSenderArgs } from './ffmpegArgs.js';
import { BROKEN_PICTURE_GAP_MS, PointRecorder } from './PointRecorder.js';
import { sha256File } from '../common/sha256File.js';
import { type SdpTrack, sdpTrackOf } from './sdp.js';
import { createRecordingConsumer } from '../src/recording/recordingConsumer.js';
import {
  type LossyRelay,
  type RelayVerdict,
  type RelayedPacket,
  lossyRelay,
} from '../test/helpers/lossyRelay.js';

// A point's audio and video go, through mediasoup consumers on PlainTransports, into a
// real ffmpeg writing Matroska segments: codec copy, keyframe first, each closed segment hashed.
const ffmpeg = resolveFfmpeg(null).path;
const worker = await mediasoup.createWorker({
  workerBin: resolveWorkerBinary(null).path,
  logLevel: 'none',
});
const router = await worker.createRouter({ mediaCodecs: MEDIA_CODECS });
const children: ChildProcess[] = [];
t.teardown(() => {
  children.forEach((c) => c.kill('SIGKILL'));
  worker.close();
});
const dir = tempDir('record');

// The "point": pre-encoded VP8 (keyframe every 1 s) + Opus, sent by ffmpeg into producers.
const clip = path.join(dir, 'clip.webm');
makeTestClip(clip, { size: '320x180', videoBitrate: '300k', gop: 25, seconds: 10 });

async function producer(
  kind: 'audio' | 'video',
): Promise<{ producer: types.Producer; transport: types.PlainTransport }> {
  const transport = await router.createPlainTransport({
    listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
    rtcpMux: false,
    comedia: true,
  });
  const rtpParameters: types.RtpParameters =
    kind === 'audio'
      ? {
          codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 }],
          encodings: [{ ssrc: 1111 }],
        }
      : {
          codecs: [{ mimeType: 'video/VP8', payloadType: 101, clockRate: 90000 }],
          encodings: [{ ssrc: 2222 }],
        };
  return { producer: await transport.produce({ kind, rtpParameters }), transport };
}

type Sending = Awaited<ReturnType<typeof producer>>;

/** The local addresses UDP sockets on these ports are bound to (IPv4 table). */
function boundAddresses(ports: number[]): string[] {
  const addresses = new Set<string>();
  for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
    const [hexAddress = '', hexPort = ''] = line.trim().split(/\s+/)[1]?.split(':') ?? [];
    if (ports.includes(parseInt(hexPort, 16))) {
      const bytes = (hexAddress.match(/../g) ?? []).map((b) => parseInt(b, 16)).reverse();
      addresses.add(bytes.join('.'));
    }
  }
  return [...addresses];
}

/** The point starts sending `input` (looped, in real time) into its producers. */
function send(input: string, audio: Sending, video: Sending): void {
  const sender = spawn(
    ffmpeg,
    rtpSenderArgs({
      input,
      audio: {
        payloadType: 100,
        ssrc: 1111,
        port: audio.transport.tuple.localPort,
        rtcpPort: audio.transport.rtcpTuple?.localPort ?? 0,
      },
      video: {
        payloadType: 101,
        ssrc: 2222,
        port: video.transport.tuple.localPort,
        rtcpPort: video.transport.rtcpTuple?.localPort ?? 0,
      },
    }),
    { stdio: 'ignore' },
  );
  children.push(sender);
}

/**
 * Recording consumers (the server's own, paused) towards the ports the recording ffmpeg
 * will listen on; `via` may put a hop in between for one of them.
 */
async function recordingConsumers(
  sending: Sending[],
  via: (kind: types.MediaKind, port: number) => Promise<{ port: number; rtcpPort: number }> = (
    _kind,
    port,
  ) => Promise.resolve({ port, rtcpPort: port + 1 }),
): Promise<{ consumers: types.Consumer[]; tracks: SdpTrack[] }> {
  const base = await freePortBlock(sending.length * 2);
  const tracks: SdpTrack[] = [];
  const consumers: types.Consumer[] = [];
  for (const [i, p] of sending.entries()) {
    const port = base + i * 2;
    const to = await via(p.producer.kind, port);
    const consumer = await createRecordingConsumer(router, p.producer.id, to.port, to.rtcpPort);
    consumers.push(consumer);
    tracks.push(sdpTrackOf(consumer, port, port + 1));
  }
  return { consumers, tracks };
}

/**
 * A point sending the clip, and a recorder (not started) of what `recorded` picks of it:
 * its sound and picture, or its sound alone.
 */
async function recordedPoint(
  name: string,
  segmentSeconds: number,
  recorded: 'av' | 'audio' = 'av',
): Promise<{ consumers: types.Consumer[]; tracks: SdpTrack[]; recorder: PointRecorder }> {
  const audio = await producer('audio');
  const video = await producer('video');
  send(clip, audio, video);
  const { consumers, tracks } = await recordingConsumers(
    recorded === 'av' ? [audio, video] : [audio],
  );
  const recorder = new PointRecorder({
    ffmpeg,
    dir: path.join(dir, name),
    name,
    tracks,
    segmentSeconds,
    logger: createLogger('silent'),
  });
  return { consumers, tracks, recorder };
}

t.test(
  'segments are written with audio and video, start on a keyframe, and are hashed when closed',
  async (t) => {
    const { consumers, tracks, recorder } = await recordedPoint('ha-noi-camera', 2);
    const announced: string[] = [];
    recorder.on('segment', (s) => announced.push(path.basename(s.file)));
    await recorder.start();
    t.same(
      boundAddresses(tracks.flatMap((tr) => [tr.port, tr.rtcpPort])),
      ['127.0.0.1'],
      'ffmpeg takes media on 127.0.0.1 only, not from the network',
    );
    // Only now, with ffmpeg listening: resume, and ask for a keyframe.
    for (const consumer of consumers) {
      await consumer.resume();
    }
    await consumers[1]?.requestKeyFrame();
    await new Promise((r) => setTimeout(r, 7000));
    const segments = await recorder.stop();

    t.ok(segments.length >= 2, `${segments.length} segments closed`);
    t.same(
      announced,
      segments.map((s) => path.basename(s.file)),
      'each announced as it closed',
    );
    for (const segment of segments) {
      t.equal(
        await sha256File(segment.file),
        segment.sha256,
        `${path.basename(segment.file)} hash matches`,
      );
      t.same(streamCodecs(segment.file).sort(), ['opus', 'vp8'], 'Opus and VP8, not transcoded');
    }
    const first = segments[0];
    t.ok(first);
    t.ok(startsWithKeyframe(first?.file ?? ''), 'the first video packet is a keyframe');
  },
);

// A clip with one keyframe in 10 s: a picture broken by a lost packet would stay broken
// (ffmpeg's VP8 reader drops every picture until the next keyframe) for the whole test.
const sparseKeyframes = path.join(dir, 'sparse-keyframes.webm');
makeTestClip(sparseKeyframes, { size: '320x180', videoBitrate: '300k', gop: 250, seconds: 12 });

/**
 * Record 7 s of the sparse-keyframe clip, its video through a relay that loses or holds
 * back what `verdict` picks; the clip starts (on its keyframe) once the recording listens.
 */
async function recordThroughRelay(verdict: (packet: RelayedPacket) => RelayVerdict) {
  const audio = await producer('audio');
  const video = await producer('video');
  let relay: LossyRelay | undefined;
  const { consumers, tracks } = await recordingConsumers([audio, video], async (kind, port) => {
    if (kind === 'audio') {
      return { port, rtcpPort: port + 1 };
    }
    relay = await lossyRelay({ port, rtcpPort: port + 1 }, verdict);
    return { port: relay.port, rtcpPort: relay.rtcpPort };
  });
  const recorder = new PointRecorder({
    ffmpeg,
    dir: path.join(dir, `relay-${Date.now()}`),
    name: 'da-nang-camera',
    tracks,
    segmentSeconds: 30,
    logger: createLogger('silent'),
  });
  const broken: number[] = [];
  recorder.on('pictureBroken', () => broken.push(Date.now()));
  await recorder.start();
  for (const consumer of consumers) {
    await consumer.resume();
  }
  send(sparseKeyframes, audio, video);
  await new Promise((r) => setTimeout(r, 7000));
  const segments = await recorder.stop();
  relay?.close();
  for (const p of [audio, video]) {
    p.transport.close();
  }
  const pts = videoPackets(segments[0]?.file ?? '').map((p) => p.pts);
  const longestGap = Math.max(...pts.slice(1).map((p, i) => p - (pts[i] ?? p)));
  return { relay: relay as LossyRelay, pts, longestGap, broken, segments };
}

/** Picks, once, the first packet of a picture about 2 s (the 100th packet) in. */
function onePictureStart(): (p: RelayedPacket) => boolean {
  let seen = 0;
  let picked = false;
  return (p) => {
    if (picked || ++seen < 100 || !p.startsPicture) {
      return false;
    }
    picked = true;
    return true;
  };
}

t.test(
  'a video packet that comes late (as one resent to the SFU does) still finds its place',
  async (t) => {
    const pick = onePictureStart();
    const run = await recordThroughRelay((p) => (pick(p) ? { holdMs: 300 } : 'pass'));
    t.equal(run.relay.held.length, 1, 'one packet came 300 ms late');
    t.equal(
      run.relay.ssrcs.size,
      1,
      "only the point's own stream reached ffmpeg (no probing padding)",
    );
    t.ok((run.pts.at(-1) ?? 0) > 5, `the picture goes on to the end (last at ${run.pts.at(-1)} s)`);
    t.ok(run.longestGap < 0.1, `no picture lost: longest gap ${run.longestGap.toFixed(3)} s`);
    t.same(run.broken, [], 'nothing reported broken');
  },
);

t.test(
  'a video packet lost for good is reported at once, to ask the point for a keyframe',
  async (t) => {
    const pick = onePictureStart();
    let lostAt = 0;
    const run = await recordThroughRelay((p) => {
      if (!pick(p)) {
        return 'pass';
      }
      lostAt = Date.now();
      return 'drop';
    });
    t.equal(run.relay.dropped.length, 1, 'one packet lost');
    // This sender cannot make keyframes: the picture stays broken, and is reported again
    // at most every 0.5 s, not for every packet dropped.
    // (Seen once in CI: one last picture stamped ~11 h away, a clock jump of the kind the
    // join takes out; it is no picture going on in the run's time.)
    const inRun = run.pts.filter((p) => p < 3600);
    t.ok((inRun.at(-1) ?? 0) < 3, `the picture broke there (last at ${inRun.at(-1)} s)`);
    if (inRun.length < run.pts.length) {
      t.comment(`pictures stamped outside the run: ${run.pts.filter((p) => p >= 3600).join(', ')}`);
    }
    t.ok(run.broken.length >= 1, `reported (${run.broken.length} times)`);
    const first = (run.broken[0] ?? Infinity) - lostAt;
    t.ok(first < 1000, `within ${first} ms of the loss`);
    const gaps = run.broken.slice(1).map((at, i) => at - (run.broken[i] ?? at));
    t.ok(
      gaps.every((g) => g >= BROKEN_PICTURE_GAP_MS),
      `no more than one report per 0.5 s (${gaps.join(', ')} ms apart)`,
    );
  },
);

t.test(
  'a picture that stops reaching ffmpeg is said quiet within half a second, and flowing when it comes back',
  async (t) => {
    const { consumers, recorder } = await recordedPoint('hue-camera', 30);
    const said: { what: 'quiet' | 'flows'; at: number; since?: number }[] = [];
    recorder.on('pictureQuiet', (since) => said.push({ what: 'quiet', at: Date.now(), since }));
    recorder.on('pictureFlows', () => said.push({ what: 'flows', at: Date.now() }));
    await recorder.start();
    for (const consumer of consumers) {
      await consumer.resume();
    }
    const picture = consumers[1] as types.Consumer;
    await picture.requestKeyFrame();
    await new Promise((r) => setTimeout(r, 3000));
    t.equal(said.at(-1)?.what, 'flows', 'flowing once ffmpeg has its streams');
    const flowingFrom = said.length;

    // The SFU stops forwarding the picture; the sound goes on.
    await picture.pause();
    const stoppedAt = Date.now();
    await new Promise((r) => setTimeout(r, 1500));
    const quiet = said.slice(flowingFrom);
    t.equal(quiet.length, 1, 'said once');
    t.equal(quiet[0]?.what, 'quiet', 'quiet');
    const late = (quiet[0]?.at ?? Infinity) - stoppedAt;
    t.ok(late < 500, `said ${late} ms after the picture stopped`);
    const since = (quiet[0]?.since ?? 0) - stoppedAt;
    t.ok(since > -400 && since < 200, `quiet since its last frame, ${since} ms from the stop`);

    await picture.resume();
    await picture.requestKeyFrame();
    const resumedAt = Date.now();
    await new Promise((r) => setTimeout(r, 1500));
    const back = said.slice(flowingFrom + 1);
    t.equal(back.length, 1, 'said once');
    t.equal(back[0]?.what, 'flows', 'flowing again');
    t.ok((back[0]?.at ?? Infinity) - resumedAt < 700, 'within a moment of its keyframe');
    const segments = await recorder.stop();
    t.ok(segments.length >= 1, 'the record goes on');
    t.same(streamCodecs(segments[0]?.file ?? '').sort(), ['opus', 'vp8']);
  },
);

t.test('a run without a picture says nothing of one', async (t) => {
  const { consumers, recorder } = await recordedPoint('hue-mic', 30, 'audio');
  let said = 0;
  recorder.on('pictureQuiet', () => said++);
  recorder.on('pictureFlows', () => said++);
  await recorder.start();
  await consumers[0]?.resume();
  await new Promise((r) => setTimeout(r, 1500));
  await recorder.stop();
  t.equal(said, 0);
});
