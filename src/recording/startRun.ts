import type { types } from 'mediasoup';
import { freeUdpPorts } from '../../common/portFree.js';
import type { SdpTrack } from '../../protocol/recorder.js';
import { sdpTrackOf } from '../../recorder/sdp.js';
import type { RoomMedia } from '../sfu/RoomMedia.js';
import type { Group } from './RecordingArchive.js';
import type { RecorderSupervisor } from './RecorderSupervisor.js';

export interface StartedRun {
  name: string;
  consumers: types.Consumer[];
  /** Wall clock of ffmpeg's time zero: the moment sound and picture began to flow. */
  startedAt: Date;
  ffmpegPid: number | null;
  /** Where its ffmpeg takes RTCP: a BYE there ends it cleanly. */
  rtcpPorts: readonly number[];
}

/**
 * Starts recording one point's group: a paused recording consumer per producer towards
 * free loopback ports, the recorder's ffmpeg started listening on them, and only then
 * the consumers resumed with a keyframe asked for (media let flow before ffmpeg listens
 * loses the first keyframe). On failure, whatever was made is closed again.
 */
export async function startRun(
  media: RoomMedia,
  supervisor: RecorderSupervisor,
  run: {
    key: string;
    pointId: string;
    group: Group;
    producers: types.Producer[];
    dir: string;
    workDir: string;
    segmentSeconds: number;
  },
): Promise<StartedRun> {
  const consumers: types.Consumer[] = [];
  const tracks: SdpTrack[] = [];
  try {
    const base = await freeUdpPorts(run.producers.length * 2);
    for (const [i, producer] of run.producers.entries()) {
      const port = base + i * 2;
      const consumer = await media.recordingConsumer(producer.id, port, port + 1);
      consumers.push(consumer);
      tracks.push(sdpTrackOf(consumer, port, port + 1));
    }
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const name = `${run.pointId}-${run.group}-${stamp}`;
    const started = await supervisor.request({
      type: 'startPoint',
      key: run.key,
      dir: run.dir,
      workDir: run.workDir,
      name,
      tracks,
      segmentSeconds: run.segmentSeconds,
    });
    // ffmpeg listens now: only now may media flow, starting with a keyframe.
    const startedAt = await letFlow(consumers);
    return { name, consumers, startedAt, ffmpegPid: started.pid, rtcpPorts: started.rtcpPorts };
  } catch (err) {
    for (const consumer of consumers) {
      consumer.close();
    }
    throw err;
  }
}

/** A keyframe waited for this long at most before the sound flows anyway. */
const FIRST_KEYFRAME_WAIT_MS = 1000;

/**
 * Resumes a run's consumers so that its sound and picture reach ffmpeg together, and
 * tells when. ffmpeg times each stream from its own first packet until that stream's
 * first sender report, then moves it onto the clock of whichever stream had a report
 * first (mediasoup sends them at random moments, up to 1.5 s in). Picture reaches it
 * only with the keyframe asked for, sound at once: were the sound let flow first, the
 * file's time zero would be the first sound or the first picture by chance, 50 to
 * 300 ms apart, and the stream reported second would jump by as much a second in.
 * So the picture goes first and the sound follows its first keyframe, which costs the
 * run the same fraction of a second of sound that its picture lacks anyway.
 */
async function letFlow(consumers: types.Consumer[]): Promise<Date> {
  const videos = consumers.filter((c) => c.kind === 'video' && !c.producerPaused);
  const rest = consumers.filter((c) => !videos.includes(c));
  let startedAt = new Date();
  if (videos.length > 0) {
    const keyframe = await keyframeWatch(videos);
    try {
      await resumeEach(videos);
      startedAt = (await keyframe.first(FIRST_KEYFRAME_WAIT_MS)) ?? new Date();
    } finally {
      await keyframe.stop();
    }
  }
  await resumeEach(rest);
  return startedAt;
}

/** Resumed one after another, a keyframe asked for each picture. */
async function resumeEach(consumers: types.Consumer[]): Promise<void> {
  for (const consumer of consumers) {
    await consumer.resume();
    if (consumer.kind === 'video') {
      await consumer.requestKeyFrame();
    }
  }
}

/** Watches these consumers for the first keyframe one of them sends on. */
async function keyframeWatch(consumers: types.Consumer[]): Promise<{
  /** When it was sent, or null if none was within `timeoutMs`. */
  first: (timeoutMs: number) => Promise<Date | null>;
  stop: () => Promise<void>;
}> {
  let onTrace: (trace: types.ConsumerTraceEventData) => void = () => undefined;
  const sent = new Promise<Date>((resolve) => {
    onTrace = (trace) => {
      if (trace.type === 'keyframe' && trace.direction === 'out') {
        resolve(new Date());
      }
    };
  });
  for (const consumer of consumers) {
    consumer.on('trace', onTrace);
    await consumer.enableTraceEvent(['keyframe']);
  }
  return {
    first: async (timeoutMs) => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<null>((resolve) => (timer = setTimeout(resolve, timeoutMs, null)));
      const at = await Promise.race([sent, late]);
      clearTimeout(timer);
      return at;
    },
    stop: async () => {
      for (const consumer of consumers) {
        consumer.off('trace', onTrace);
        if (!consumer.closed) {
          await consumer.enableTraceEvent([]).catch(() => undefined);
        }
      }
    },
  };
}
