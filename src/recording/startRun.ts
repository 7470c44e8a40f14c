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
  /** Wall clock of ffmpeg's time zero: the moment media was let flow to it. */
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
    // ffmpeg listens now: only now may media flow, starting with a keyframe. Its time
    // zero is the first packet, i.e. now: the files' wall clock counts from here.
    const startedAt = new Date();
    for (const consumer of consumers) {
      await consumer.resume();
      if (consumer.kind === 'video') {
        await consumer.requestKeyFrame();
      }
    }
    return { name, consumers, startedAt, ffmpegPid: started.pid, rtcpPorts: started.rtcpPorts };
  } catch (err) {
    for (const consumer of consumers) {
      consumer.close();
    }
    throw err;
  }
}
