import path from 'node:path';
import t, { type Test } from 'tap';
import { resolveFfmpeg } from '../../archive/ffmpegBinary.js';
import { freeUdpPorts } from '../../common/portFree.js';
import { createLogger } from '../../common/logger.js';
import { PointRecorder } from '../../recorder/PointRecorder.js';
import { sdpTrackOf } from '../../recorder/sdp.js';
import { tempDir } from '../../test/helpers/cli.js';
import { lossyRelay } from '../../test/helpers/lossyRelay.js';
import { pointPeer } from '../../test/helpers/session.js';
import { oneWorkerPool, roomOn } from '../../test/helpers/workerPool.js';
import { encodedVp8Frames, sendingCamera } from '../../test/helpers/simulcastRtpSender.js';
import { RecordedLayerFallback } from './RecordedLayerFallback.js';

// A point's browser stops the simulcast layer the recording takes, telling nobody:
// the recording must go on from the layer below within a second, not after the SFU's
// 1.5 s of inactivity. Each case runs once without the fallback, to show the hole it
// closes, and once with it. A real worker; a sender that answers keyframe requests; a
// real recorder (its ffmpeg says when the picture goes quiet), behind a hop that notes
// when each packet passes.
const logger = createLogger('silent');
const ffmpeg = resolveFfmpeg(null).path;
const pool = await oneWorkerPool(logger);
t.teardown(() => pool.close());
const dir = tempDir('layer-fallback');
// Frames ffmpeg can decode: it probes a picture's first frames before it records it.
const frames = encodedVp8Frames(ffmpeg, dir);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A recorded camera: its sender, its paused recording consumer, when packets reached ffmpeg. */
async function recordedCamera(t: Test, withFallback: boolean) {
  const room = await roomOn(pool, logger);
  const hue = pointPeer('s', 'hue');
  await room.join(hue, await room.rtpCapabilities());
  const { producer, sender } = await sendingCamera(room, hue, frames);
  // Every reading of its layers, each a request to the worker.
  const readings: number[] = [];
  const getStats = producer.getStats.bind(producer);
  producer.getStats = () => {
    readings.push(Date.now());
    return getStats();
  };
  const port = await freeUdpPorts(2);
  const arrivals: number[] = [];
  const hop = await lossyRelay({ port, rtcpPort: port + 1 }, () => {
    arrivals.push(Date.now());
    return 'pass';
  });
  const consumer = await room.media.recordingConsumer(producer.id, hop.port, hop.rtcpPort);
  const recorder = new PointRecorder({
    ffmpeg,
    dir: path.join(dir, `run-${Date.now()}`),
    name: 'hue-camera',
    tracks: [sdpTrackOf(consumer, port, port + 1)],
    segmentSeconds: 30,
    logger,
  });
  const fallback = withFallback
    ? new RecordedLayerFallback(() => room.media.recordedVideos(), logger)
    : null;
  // As the session's recorder wires them: the recorder's word on the picture.
  const said: ('quiet' | 'flows')[] = [];
  recorder.on('pictureQuiet', () => {
    said.push('quiet');
    fallback?.pictureQuiet([consumer.id]);
  });
  recorder.on('pictureFlows', () => {
    said.push('flows');
    fallback?.pictureFlows([consumer.id]);
  });
  await recorder.start();
  t.teardown(async () => {
    fallback?.close();
    sender.close();
    await recorder.stop();
    hop.close();
    room.close();
  });
  // Every layer flowing, as the SFU sees them, before anything happens.
  await sleep(1000);
  return { sender, consumer, arrivals, said, readings };
}

/** The longest time without a packet from `from` until `to` (the first packet counts). */
function longestHole(arrivals: readonly number[], from: number, to: number): number {
  let last = from;
  let longest = 0;
  for (const at of arrivals.filter((a) => a >= from && a <= to)) {
    longest = Math.max(longest, at - last);
    last = at;
  }
  return Math.max(longest, to - last);
}

async function until(ms: number, ready: () => boolean): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > deadline) {
      return false;
    }
    await sleep(20);
  }
  return true;
}

async function layerStopsMidRecording(t: Test, withFallback: boolean) {
  const { sender, consumer, arrivals, said, readings } = await recordedCamera(t, withFallback);
  await consumer.resume();
  await consumer.requestKeyFrame();
  t.ok(
    await until(3000, () => consumer.currentLayers?.spatialLayer === 2),
    'recording the top layer',
  );
  t.ok(await until(3000, () => said.at(-1) === 'flows'), 'the recorder says its picture flows');
  if (withFallback) {
    const flowingFrom = Date.now();
    await sleep(1000);
    t.same(
      readings.filter((at) => at >= flowingFrom),
      [],
      'a picture that flows costs the watch no request to the worker',
    );
  }
  const stoppedAt = Date.now();
  sender.setActive(2, false);
  await sleep(3000);
  return { sender, consumer, arrivals, hole: longestHole(arrivals, stoppedAt, Date.now()) };
}

t.test(
  'without the fallback, a stopped top layer leaves a hole until the SFU sees it gone',
  async (t) => {
    const { hole } = await layerStopsMidRecording(t, false);
    t.ok(hole >= 1200, `nothing recorded for ${hole} ms`);
  },
);

t.test(
  'with it, the recording goes on from the layer below within a second, and back up',
  async (t) => {
    const { sender, consumer, arrivals, hole } = await layerStopsMidRecording(t, true);
    t.ok(hole < 800, `the longest hole: ${hole} ms`);
    t.equal(consumer.currentLayers?.spatialLayer, 1, 'recording the middle layer');
    const backAt = Date.now();
    sender.setActive(2, true);
    t.ok(
      await until(3000, () => consumer.currentLayers?.spatialLayer === 2),
      'the top layer recorded again once it flows',
    );
    t.equal(consumer.preferredLayers?.spatialLayer, 2, 'preferring the top layer again');
    const wayBack = longestHole(arrivals, backAt, Date.now());
    t.ok(wayBack < 300, `no hole on the way back (${wayBack} ms)`);
  },
);

async function runStartsAsLayerStops(t: Test, withFallback: boolean): Promise<number> {
  const { sender, consumer, arrivals } = await recordedCamera(t, withFallback);
  sender.setActive(2, false);
  await sleep(100);
  const resumedAt = Date.now();
  await consumer.resume();
  await consumer.requestKeyFrame();
  await until(3000, () => arrivals.length > 0);
  return (arrivals[0] ?? Infinity) - resumedAt;
}

t.test(
  'without the fallback, a run that starts as its layer stops waits for the SFU',
  async (t) => {
    const first = await runStartsAsLayerStops(t, false);
    t.ok(first >= 1200, `its first packet after ${first} ms`);
  },
);

t.test('with it, that run records from the layer below within a second', async (t) => {
  const first = await runStartsAsLayerStops(t, true);
  t.ok(first < 1000, `its first packet after ${first} ms`);
});
