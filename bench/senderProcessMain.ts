/**
 * The load process of bench/SenderProcess.ts: runs camera senders (bench/rtpSenders.ts)
 * and the UDP sink synthetic receivers send into, so that the load's own CPU is not
 * counted as the server's. Driven over Node's IPC channel.
 */
import dgram from 'node:dgram';
import { CameraSender, type CameraSpec } from './rtpSenders.js';

export type SenderRequest =
  | { id: number; op: 'camera'; spec: CameraSpec }
  | { id: number; op: 'layers'; camera: number; maxSpatialLayer: number };

export type SenderReply =
  { ready: true; sinkPort: number } | { id: number; camera?: number; error?: string };

const send = (reply: SenderReply): void => {
  process.send?.(reply);
};
const cameras: CameraSender[] = [];
const sink = dgram.createSocket('udp4');
await new Promise<void>((r) => sink.bind(0, '127.0.0.1', r));
sink.on('message', () => undefined);

process.on('message', (message: SenderRequest) => {
  void (async () => {
    try {
      if (message.op === 'camera') {
        cameras.push(await CameraSender.start(message.spec));
        send({ id: message.id, camera: cameras.length - 1 });
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
  process.exit(0);
});
send({ ready: true, sinkPort: sink.address().port });
