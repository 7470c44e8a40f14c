/**
 * The load process of bench/SenderProcess.ts: runs camera senders (bench/rtpSenders.ts),
 * the UDP sink synthetic receivers send into and, for bare mediasoup, the recording
 * ffmpegs, so that the load's own CPU is not counted as the server's. Driven over
 * Node's IPC channel.
 */
import dgram from 'node:dgram';
import { createLogger } from '../common/logger.js';
import { PointRecorder, type PointRecorderOptions } from '../recorder/PointRecorder.js';
import { answerRequests } from './ChildChannel.js';
import { CameraSender, type CameraSpec } from './rtpSenders.js';

export type RecordSpec = Pick<PointRecorderOptions, 'ffmpeg' | 'dir' | 'name' | 'tracks'>;

export type SenderRequest =
  | { op: 'camera'; spec: CameraSpec }
  | { op: 'layers'; camera: number; maxSpatialLayer: number }
  | { op: 'record'; spec: RecordSpec };

export interface SenderAnswer {
  camera?: number;
  pid?: number;
}

export interface SenderReady {
  sinkPort: number;
}

const cameras: CameraSender[] = [];
const recorders: PointRecorder[] = [];
const recorderLog = createLogger('error');
/** As config/default.json records a point: segments of 30 s. */
const SEGMENT_SECONDS = 30;
const sink = dgram.createSocket('udp4');
await new Promise<void>((r) => sink.bind(0, '127.0.0.1', r));
sink.on('message', () => undefined);

answerRequests<SenderRequest>(
  async (request): Promise<SenderAnswer & Record<string, unknown>> => {
    if (request.op === 'camera') {
      cameras.push(await CameraSender.start(request.spec));
      return { camera: cameras.length - 1 };
    }
    if (request.op === 'record') {
      const recorder = new PointRecorder({
        ...request.spec,
        segmentSeconds: SEGMENT_SECONDS,
        logger: recorderLog,
      });
      await recorder.start();
      recorders.push(recorder);
      return { pid: recorder.pid ?? 0 };
    }
    cameras[request.camera]?.setMaxSpatialLayer(request.maxSpatialLayer);
    return {};
  },
  async () => {
    for (const camera of cameras) {
      camera.close();
    }
    sink.close();
    // Recordings end cleanly (ffmpeg told by RTCP BYE), then the process.
    await Promise.allSettled(recorders.map((r) => r.stop()));
  },
  { sinkPort: sink.address().port } satisfies SenderReady,
);
