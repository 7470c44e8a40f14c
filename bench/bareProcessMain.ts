/**
 * Bare mediasoup's session in a process of its own (bench/BareProcess.ts): its Node work
 * (the channel to its worker, its workers' notifications, its stats reads) is measured
 * as its own, as diemcau's is, instead of running inside diemcau's process and being
 * counted as diemcau's. Its load (senders, sink, recording ffmpegs) runs in a load
 * process of its own in turn.
 */
import * as mediasoup from 'mediasoup';
import { resolveWorkerBinary } from '../workers/workerBinary.js';
import { BareSession } from './BareSession.js';
import { answerRequests } from './ChildChannel.js';
import type { SimulcastClips } from './rtpSenders.js';
import { SenderProcess } from './SenderProcess.js';

export interface BareStart {
  clips: SimulcastClips;
  ffmpeg: string;
  recordingDir: string;
  pointIds: string[];
  speaker: string;
}

export type BareRequest = ({ op: 'start' } & BareStart) | { op: 'bytes' };

export interface BareStarted {
  workerPid: number;
  loadPid: number;
  recorderPids: number[];
  consumerCount: number;
}

export interface BareBytes {
  received: number;
  sent: number;
}

let load: SenderProcess | undefined;
let worker: mediasoup.types.Worker | undefined;
let session: BareSession | undefined;

async function start(spec: BareStart): Promise<BareStarted> {
  load = await SenderProcess.start();
  worker = await mediasoup.createWorker({
    workerBin: resolveWorkerBinary(null).path,
    logLevel: 'warn',
  });
  session = await BareSession.start(worker, load, spec.recordingDir);
  for (const id of spec.pointIds) {
    await session.addPoint(id, spec.clips, spec.ffmpeg);
  }
  await session.setSpeaker(spec.speaker);
  return {
    workerPid: worker.pid,
    loadPid: load.pid,
    recorderPids: [...session.recorderPids],
    consumerCount: session.consumerCount,
  };
}

answerRequests<BareRequest>(
  async (request) => {
    if (request.op === 'start') {
      return { ...(await start(request)) };
    }
    if (!session) {
      throw new Error('not started');
    }
    return { ...(await session.bytes()) };
  },
  async () => {
    session?.close();
    // Its ffmpegs finish their files as the load process ends.
    await load?.close();
    worker?.close();
  },
  {},
);
