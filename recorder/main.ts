/**
 * The recorder process: started and supervised by `diemcau serve`, driven over IPC.
 * Keeping ffmpeg management and segment hashing out of the server's process means a
 * recorder fault never stalls signaling, and the server restarts it if it dies.
 */
import { createLogger } from '../src/logger.js';
import { PointRecorder } from './PointRecorder.js';
import type { RecorderMessage, RecorderRequest } from './protocol.js';

const logger = createLogger(
  (process.env['DIEMCAU_LOG_LEVEL'] as 'info' | undefined) ?? 'info',
).child({
  component: 'recorder',
});
const ffmpeg = process.env['DIEMCAU_RECORDER_FFMPEG'] ?? 'ffmpeg';
const points = new Map<string, PointRecorder>();

function send(message: RecorderMessage): void {
  if (process.connected) {
    process.send?.(message);
  }
}

async function handle(request: RecorderRequest): Promise<unknown> {
  switch (request.type) {
    case 'ping':
      return { points: [...points.keys()] };
    case 'startPoint': {
      await points.get(request.key)?.stop();
      const recorder = new PointRecorder({
        ffmpeg,
        dir: request.dir,
        name: request.name,
        tracks: request.tracks,
        segmentSeconds: request.segmentSeconds,
        logger,
      });
      recorder.on('segment', (segment) => send({ type: 'segment', key: request.key, segment }));
      recorder.on('died', (err) => {
        points.delete(request.key);
        send({ type: 'pointDied', key: request.key, message: err.message });
      });
      await recorder.start();
      points.set(request.key, recorder);
      return {};
    }
    case 'stopPoint': {
      const recorder = points.get(request.key);
      points.delete(request.key);
      return { segments: recorder ? await recorder.stop() : [] };
    }
    case 'shutdown':
      await stopAll();
      setImmediate(() => process.exit(0));
      return {};
  }
}

async function stopAll(): Promise<void> {
  const all = [...points.values()];
  points.clear();
  await Promise.all(all.map((r) => r.stop()));
}

process.on('message', (raw) => {
  const request = raw as RecorderRequest;
  handle(request).then(
    (data) => send({ type: 'ok', id: request.id, data }),
    (err: unknown) => send({ type: 'error', id: request.id, message: (err as Error).message }),
  );
});
// The server went away: finish what is being written, then leave.
process.on('disconnect', () => {
  void stopAll().finally(() => process.exit(0));
});
process.on('SIGINT', () => undefined);
send({ type: 'ready', pid: process.pid });
