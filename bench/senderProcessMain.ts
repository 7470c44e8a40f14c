/**
 * The load process of bench/SenderProcess.ts: runs camera senders (bench/rtpSenders.ts),
 * the UDP sink synthetic receivers send into and, for bare mediasoup, the recording
 * ffmpegs, so that the load's own CPU is not counted as the server's. Driven over
 * Node's IPC channel.
 */
import dgram from 'node:dgram';
import { createLogger } from '../common/logger.js';
import { PointRecorder, type PointRecorderOptions } from '../recorder/PointRecorder.js';
import { CameraSender, type CameraSpec } from './rtpSenders.js';

export type RecordSpec = Pick<PointRecorderOptions, 'ffmpeg' | 'dir' | 'name' | 'tracks'>;

export type SenderRequest =
  | { id: number; op: 'camera'; spec: CameraSpec }
  | { id: number; op: 'layers'; camera: number; maxSpatialLayer: number }
  | { id: number; op: 'record'; spec: RecordSpec };

export type SenderReply =
  { ready: true; sinkPort: number } | { id: number; camera?: number; pid?: number; error?: string };

const send = (reply: SenderReply): void => {
  process.send?.(reply);
};
const cameras: CameraSender[] = [];
const recorders: PointRecorder[] = [];
const recorderLog = createLogger('error');
/** As config/default.json records a point: segments of 30 s. */
const SEGMENT_SECONDS = 30;
const sink = dgram.createSocket('udp4');
await new Promise<void>((r) => sink.bind(0, '127.0.0.1', r));
sink.on('message', () => undefined);

process.on('message', (message: SenderRequest) => {
  void (async () => {
    try {
      if (message.op === 'camera') {
        cameras.push(await CameraSender.start(message.spec));
        send({ id: message.id, camera: cameras.length - 1 });
      } else if (message.op === 'record') {
        const recorder = new PointRecorder({
          ...message.spec,
          segmentSeconds: SEGMENT_SECONDS,
          logger: recorderLog,
        });
        await recorder.start();
        recorders.push(recorder);
        send({ id: message.id, pid: recorder.pid ?? 0 });
      } else {
        cameras[message.camera]?.setMaxSpatialLayer(message.maxSpatialLayer);
        send({ id: message.id });
      }
    } catch (e) {
      send({ id: message.id, error: String(e) });
    }
  })();
});
// The bench ending (or dying) closes the channel: nothing is left sending.
process.on('disconnect', () => {
  for (const camera of cameras) {
    camera.close();
  }
  sink.close();
  // Recordings end cleanly (ffmpeg told by RTCP BYE), then the process.
  void Promise.allSettled(recorders.map((r) => r.stop())).then(() => process.exit(0));
});
send({ ready: true, sinkPort: sink.address().port });
