import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import t from 'tap';
import { createLogger } from '../src/logger.js';
import { MEDIA_CODECS } from '../src/sfu/codecs.js';
import { tempDir } from '../test/helpers/cli.js';
import { makeTestClip, startsWithKeyframe, streamCodecs } from '../test/helpers/media.js';
import { freePortBlock } from '../test/helpers/ports.js';
import { resolveWorkerBinary } from '../workers/workerBinary.js';
import { resolveFfmpeg } from './ffmpegBinary.js';
import { rtpSenderArgs } from './ffmpegArgs.js';
import { PointRecorder, sha256File } from './PointRecorder.js';
import { type SdpTrack, sdpTrackOf } from './sdp.js';

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

t.test(
  'segments are written with audio and video, start on a keyframe, and are hashed when closed',
  async (t) => {
    const audio = await producer('audio');
    const video = await producer('video');
    const sender = spawn(
      ffmpeg,
      rtpSenderArgs({
        input: clip,
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

    // Consumers, created paused, towards the ports the recording ffmpeg will listen on.
    const base = await freePortBlock(4);
    const tracks: SdpTrack[] = [];
    const consumers: types.Consumer[] = [];
    for (const [i, p] of [audio, video].entries()) {
      const out = await router.createPlainTransport({
        listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
        rtcpMux: false,
        comedia: false,
      });
      const port = base + i * 2;
      await out.connect({ ip: '127.0.0.1', port, rtcpPort: port + 1 });
      const consumer = await out.consume({
        producerId: p.producer.id,
        rtpCapabilities: router.rtpCapabilities,
        paused: true,
      });
      consumers.push(consumer);
      tracks.push(sdpTrackOf(consumer, port, port + 1));
    }

    const recorder = new PointRecorder({
      ffmpeg,
      dir: path.join(dir, 'media'),
      name: 'ha-noi-camera',
      tracks,
      segmentSeconds: 2,
      logger: createLogger('silent'),
    });
    const announced: string[] = [];
    recorder.on('segment', (s) => announced.push(path.basename(s.file)));
    await recorder.start();
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
