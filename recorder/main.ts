/**
 * The recorder process: started and supervised by `diemcau serve`, driven over IPC.
 * Keeping ffmpeg management and segment hashing out of the server's process means a
 * recorder fault never stalls signaling, and the server restarts it if it dies.
 */
import { createLogger } from '../common/logger.js';
import { defaultFontFile, renderComposite } from '../archive/composite.js';
import { joinSegments } from '../archive/joinSegments.js';
import { PointRecorder } from './PointRecorder.js';
import type {
  RecorderAnswer,
  RecorderMessage,
  RecorderMethod,
  RecorderMethods,
  RecorderRequest,
} from '../protocol/recorder.js';

const logger = createLogger(
  (process.env['DIEMCAU_LOG_LEVEL'] as 'info' | undefined) ?? 'info',
).child({
  component: 'recorder',
});
const ffmpeg = process.env['DIEMCAU_RECORDER_FFMPEG'] ?? 'ffmpeg';
// Everything written here and by the ffmpegs started here (segments, joined files, the
// composite) is for the archive's owner only: 0600 files in 0700 directories.
process.umask(0o077);
const points = new Map<string, PointRecorder>();
const composites = new Set<Promise<unknown>>();
// A composite is made again from the per-point files; a shutdown does not wait for one.
const stopping = new AbortController();

function send(message: RecorderMessage): void {
  if (process.connected) {
    process.send?.(message);
  }
}

/** What the recorder does for each request, typed by the protocol's request→answer map. */
const handlers: {
  [M in RecorderMethod]: (request: RecorderMethods[M]['request']) => Promise<RecorderAnswer<M>>;
} = {
  ping: () => Promise.resolve({ points: [...points.keys()] }),
  startPoint: async (request) => {
    await points.get(request.key)?.stop();
    const recorder = new PointRecorder({
      ffmpeg,
      dir: request.dir,
      workDir: request.workDir,
      name: request.name,
      tracks: request.tracks,
      segmentSeconds: request.segmentSeconds,
      logger,
    });
    const { key, name } = request;
    recorder.on('segment', (segment) => send({ type: 'segment', key, name, segment }));
    recorder.on('pictureBroken', () => send({ type: 'pictureBroken', key, name }));
    recorder.on('pictureQuiet', (since) => send({ type: 'pictureQuiet', key, name, since }));
    recorder.on('pictureFlows', () => send({ type: 'pictureFlows', key, name }));
    recorder.on('died', (err) => {
      if (points.get(key) === recorder) {
        points.delete(key);
      }
      send({ type: 'pointDied', key, name, message: err.message });
    });
    await recorder.start();
    points.set(key, recorder);
    // The server keeps it: if this process dies, the orphaned ffmpeg is told to finish.
    return { pid: recorder.pid, rtcpPorts: recorder.ffmpegRtcpPorts };
  },
  stopPoint: async (request) => {
    const recorder = points.get(request.key);
    points.delete(request.key);
    return { segments: recorder ? await recorder.stop() : [] };
  },
  joinRun: (request) =>
    joinSegments(ffmpeg, request.segments, request.output, {
      ...(request.recordedSeconds !== undefined
        ? { recordedSeconds: request.recordedSeconds }
        : {}),
    }),
  composite: (request) => {
    const { job } = request;
    const done = renderComposite({
      ffmpeg,
      cells: request.cells,
      origin: new Date(request.origin),
      seconds: request.seconds,
      output: request.output,
      fontFile: defaultFontFile(),
      onProgress: (fraction) => send({ type: 'compositeProgress', job, fraction }),
      signal: stopping.signal,
    });
    composites.add(done);
    return done.finally(() => composites.delete(done));
  },
  shutdown: async () => {
    await stopAll();
    setImmediate(() => process.exit(0));
    return {};
  },
};

function handle(request: RecorderRequest): Promise<unknown> {
  const handler = handlers[request.type] as (r: RecorderRequest) => Promise<unknown>;
  return handler(request);
}

async function stopAll(): Promise<void> {
  stopping.abort();
  const all = [...points.values()];
  points.clear();
  await Promise.all(all.map((r) => r.stop()));
}

process.on('message', (raw) => {
  const request = raw as RecorderRequest;
  handle(request).then(
    (data) => send({ type: 'ok', id: request.id, data }),
    (err: unknown) =>
      send({
        type: 'error',
        id: request.id,
        message: (err as Error).message,
        ...(stopping.signal.aborted ? { interrupted: true } : {}),
      }),
  );
});
// The server went away: finish what is being written, then leave.
process.on('disconnect', () => {
  void stopAll().finally(() => process.exit(0));
});
process.on('SIGINT', () => undefined);
send({ type: 'ready', pid: process.pid });
