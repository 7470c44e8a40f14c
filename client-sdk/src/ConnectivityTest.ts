/**
 * The connectivity test of the real media path (docs/connectivity.md): the point's
 * camera and microphone are published to the SFU with the session's simulcast, in a room
 * of the test's own, and the camera is consumed back several times (one large copy and
 * thumbnails, about what a full session sends a delegate PC). `getStats` is sampled over
 * the test; the server adds what it measured, grades the whole against the thresholds
 * of the point's link class, and files it under the point and the slot.
 */
import { Device, type types } from 'mediasoup-client';
import type { ClientFigures, ConnectivityResult } from '../../protocol/connectivity.js';
import type { MediaSource } from '../../protocol/signaling.js';
import { CAMERA_ENCODINGS } from './capture.js';
import { SignalClient } from './SignalClient.js';

export type {
  ClientFigures,
  ConnectivityResult,
  Finding,
  Grade,
} from '../../protocol/connectivity.js';

export interface ConnectivityTestOptions {
  /** The point's invitation token (the same as for the session). */
  token: string;
  /** Server address; default: this page's origin. */
  url?: string;
  /** Told as the test goes: what it does now, and how far it is (0–1). */
  onProgress?: (step: ConnectivityStep, fraction: number) => void;
  /** The camera and microphone tracks are shown here while the test runs (optional). */
  onLocalTracks?: (tracks: {
    camera: MediaStreamTrack | null;
    mic: MediaStreamTrack | null;
  }) => void;
}

export type ConnectivityStep = 'devices' | 'connecting' | 'measuring' | 'grading';

const RAMP_UP_MS = 3000;
const CONNECT_WAIT_MS = 15_000;
const SAMPLE_MS = 1000;

/** Runs one test; resolves with the server's graded result, or rejects with a coded error. */
export async function testConnectivity(
  options: ConnectivityTestOptions,
): Promise<ConnectivityResult> {
  const progress = options.onProgress ?? (() => undefined);
  progress('devices', 0);
  const camera = await capture('camera');
  const mic = await capture('mic');
  options.onLocalTracks?.({ camera, mic });
  const watch = watchDevices(camera, mic);
  let signal: SignalClient | null = null;
  const transports: types.Transport[] = [];
  try {
    progress('connecting', 0.05);
    signal = await SignalClient.open(options.url, {
      notification: () => undefined,
      closed: () => undefined,
    });
    const s = signal;
    const auth = await s.request('auth', { token: options.token, purpose: 'connectivity-test' });
    const plan = auth.connectivityTest ?? { seconds: 15, videoCopies: 9 };
    const device = new Device();
    await device.load({
      routerRtpCapabilities: auth.routerRtpCapabilities as types.RtpCapabilities,
    });
    await s.request('join', { rtpCapabilities: device.rtpCapabilities });
    const send = await createTransport(s, device, 'send');
    transports.push(send);
    const recv = await createTransport(s, device, 'recv');
    transports.push(recv);
    let videoProducerId: string | null = null;
    let audioProducerId: string | null = null;
    if (camera) {
      const p = await send.produce({
        track: camera,
        encodings: CAMERA_ENCODINGS,
        codecOptions: { videoGoogleStartBitrate: 1000 },
        appData: { source: 'camera' satisfies MediaSource },
      });
      videoProducerId = p.id;
    }
    if (mic) {
      const p = await send.produce({
        track: mic,
        appData: { source: 'mic' satisfies MediaSource },
      });
      audioProducerId = p.id;
    }
    const copies = videoProducerId ? plan.videoCopies : 0;
    for (let i = 0; i < copies; i++) {
      await consumeBack(s, recv, videoProducerId as string, i === 0 ? 2 : 0);
    }
    if (audioProducerId) {
      await consumeBack(s, recv, audioProducerId, null);
    }
    // Measured once both transports are connected (a slow PC takes its time; a path
    // that never connects is measured as it is: nothing arrives).
    const connecting = Date.now();
    while (
      Date.now() - connecting < CONNECT_WAIT_MS &&
      !(send.connectionState === 'connected' && recv.connectionState === 'connected')
    ) {
      await sleep(250);
    }
    progress('measuring', 0.1);
    const total = RAMP_UP_MS + plan.seconds * 1000;
    const started = Date.now();
    // Measured after the ramp-up: the congestion controller starts low on purpose.
    await sleep(RAMP_UP_MS, () =>
      progress('measuring', 0.1 + (0.8 * (Date.now() - started)) / total),
    );
    const first = await snapshot(send, recv);
    const samples: Snapshot[] = [first];
    while (Date.now() - started < total) {
      await sleep(SAMPLE_MS);
      samples.push(await snapshot(send, recv));
      progress('measuring', Math.min(0.9, 0.1 + (0.8 * (Date.now() - started)) / total));
    }
    progress('grading', 0.95);
    const devices = watch.stop();
    const last = samples[samples.length - 1] as Snapshot;
    const figures = figuresOf(first, last, samples, devices, copies);
    const result = await s.request('finishConnectivityTest', { figures });
    progress('grading', 1);
    return result;
  } finally {
    watch.stop();
    for (const t of transports) {
      t.close();
    }
    camera?.stop();
    mic?.stop();
    signal?.close(1000, 'connectivity test done');
  }
}

async function capture(source: 'camera' | 'mic'): Promise<MediaStreamTrack | null> {
  try {
    const stream = await navigator.mediaDevices.getUserMedia(
      source === 'camera'
        ? { video: { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 25 } } }
        : { audio: { echoCancellation: true, noiseSuppression: false, autoGainControl: true } },
    );
    return stream.getTracks()[0] ?? null;
  } catch {
    // No such device, or not allowed: the test says so instead of failing.
    return null;
  }
}

async function createTransport(
  s: SignalClient,
  device: Device,
  direction: 'send' | 'recv',
): Promise<types.Transport> {
  const info = await s.request('createWebRtcTransport', { direction });
  const options = info as unknown as types.TransportOptions;
  const transport =
    direction === 'send'
      ? device.createSendTransport(options)
      : device.createRecvTransport(options);
  transport.on('connect', ({ dtlsParameters }, callback, errback) => {
    s.request('connectWebRtcTransport', { transportId: transport.id, dtlsParameters }).then(
      () => callback(),
      errback,
    );
  });
  transport.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
    s.request('produce', {
      transportId: transport.id,
      kind,
      rtpParameters,
      source: (appData as { source: MediaSource }).source,
    }).then(callback, errback);
  });
  return transport;
}

async function consumeBack(
  s: SignalClient,
  recv: types.Transport,
  producerId: string,
  layer: 0 | 2 | null,
): Promise<types.Consumer> {
  const r = await s.request('consume', { transportId: recv.id, producerId });
  const consumer = await recv.consume({
    id: r.id,
    producerId: r.producerId,
    kind: r.kind,
    rtpParameters: r.rtpParameters as types.RtpParameters,
  });
  await s.request('resumeConsumer', { consumerId: consumer.id });
  if (layer !== null && r.type === 'simulcast') {
    await s.request('setConsumerPreferredLayers', { consumerId: consumer.id, spatialLayer: layer });
  }
  return consumer;
}

interface Snapshot {
  at: number;
  bytesSent: number;
  bytesReceived: number;
  /**
   * Per inbound stream, packets received and lost so far. Kept apart because a stream's
   * lost count falls when retransmissions fill its gaps (a slow link's NACKs), so only a
   * stream's own rise counts as loss, never a sum that fell.
   */
  packets: Map<string, { received: number; lost: number }>;
  /** RTCP receiver reports of the SFU about what we send: loss fraction and jitter. */
  remoteLoss: number[];
  remoteJitterMs: number[];
  jitterMs: number[];
  rttMs: number | null;
  availableOutgoingBps: number | null;
  availableIncomingBps: number | null;
  transport: 'udp' | 'tcp' | null;
  framesDecoded: Map<string, number>;
}

async function snapshot(send: types.Transport, recv: types.Transport): Promise<Snapshot> {
  const out: Snapshot = {
    at: performance.now(),
    bytesSent: 0,
    bytesReceived: 0,
    packets: new Map(),
    remoteLoss: [],
    remoteJitterMs: [],
    jitterMs: [],
    rttMs: null,
    availableOutgoingBps: null,
    availableIncomingBps: null,
    transport: null,
    framesDecoded: new Map(),
  };
  const [sendStats, recvStats] = await Promise.all([send.getStats(), recv.getStats()]);
  readPair(sendStats, out, 'send');
  readPair(recvStats, out, 'recv');
  for (const r of sendStats.values() as IterableIterator<Record<string, unknown>>) {
    if (r.type === 'outbound-rtp') {
      out.bytesSent += num(r.bytesSent);
    } else if (r.type === 'remote-inbound-rtp') {
      if (typeof r.fractionLost === 'number') {
        out.remoteLoss.push(r.fractionLost * 100);
      }
      if (typeof r.jitter === 'number') {
        out.remoteJitterMs.push(r.jitter * 1000);
      }
    }
  }
  for (const r of recvStats.values() as IterableIterator<Record<string, unknown>>) {
    if (r.type === 'inbound-rtp') {
      out.bytesReceived += num(r.bytesReceived);
      out.packets.set(String(r.id), {
        received: num(r.packetsReceived),
        lost: num(r.packetsLost),
      });
      if (typeof r.jitter === 'number') {
        out.jitterMs.push(r.jitter * 1000);
      }
      if (r.kind === 'video') {
        out.framesDecoded.set(String(r.id), num(r.framesDecoded));
      }
    }
  }
  return out;
}

/** The selected candidate pair: RTT, the estimates, and whether it runs over UDP. */
function readPair(stats: RTCStatsReport, out: Snapshot, direction: 'send' | 'recv'): void {
  const all = [...(stats.values() as IterableIterator<Record<string, unknown>>)];
  const transport = all.find((r) => r.type === 'transport');
  const pair =
    all.find((r) => r.type === 'candidate-pair' && r.id === transport?.selectedCandidatePairId) ??
    all.find((r) => r.type === 'candidate-pair' && r.nominated === true && r.state === 'succeeded');
  if (!pair) {
    return;
  }
  if (typeof pair.currentRoundTripTime === 'number') {
    out.rttMs = Math.max(out.rttMs ?? 0, pair.currentRoundTripTime * 1000);
  }
  if (direction === 'send' && typeof pair.availableOutgoingBitrate === 'number') {
    out.availableOutgoingBps = pair.availableOutgoingBitrate;
  }
  if (direction === 'recv' && typeof pair.availableIncomingBitrate === 'number') {
    out.availableIncomingBps = pair.availableIncomingBitrate;
  }
  const local = all.find((r) => r.id === pair.localCandidateId);
  const protocol = local?.protocol;
  if (protocol === 'udp' || protocol === 'tcp') {
    out.transport = out.transport === 'tcp' ? 'tcp' : protocol;
  }
}

function figuresOf(
  first: Snapshot,
  last: Snapshot,
  samples: Snapshot[],
  devices: DeviceFindings,
  copies: number,
): ClientFigures {
  const seconds = Math.max(0.001, (last.at - first.at) / 1000);
  const kbps = (bytes: number): number => round((bytes * 8) / seconds / 1000);
  let received = 0;
  let lost = 0;
  for (const [id, now] of last.packets) {
    const before = first.packets.get(id) ?? { received: 0, lost: 0 };
    received += Math.max(0, now.received - before.received);
    lost += Math.max(0, now.lost - before.lost);
  }
  const expected = received + lost;
  const average = (xs: number[]): number | null =>
    xs.length ? round(xs.reduce((a, b) => a + b, 0) / xs.length) : null;
  const fromSamples = (pick: (s: Snapshot) => number[]): number | null =>
    average(samples.slice(1).flatMap((s) => (pick(s).length ? [Math.max(...pick(s))] : [])));
  const decoding = [...last.framesDecoded].filter(
    ([id, frames]) => frames > (first.framesDecoded.get(id) ?? 0),
  ).length;
  const rtts = samples.flatMap((s) => (s.rttMs === null ? [] : [s.rttMs]));
  return {
    seconds: round(seconds),
    upKbps: kbps(last.bytesSent - first.bytesSent),
    downKbps: kbps(last.bytesReceived - first.bytesReceived),
    availableOutgoingKbps:
      last.availableOutgoingBps === null ? null : round(last.availableOutgoingBps / 1000),
    availableIncomingKbps:
      last.availableIncomingBps === null ? null : round(last.availableIncomingBps / 1000),
    rttMs: rtts.length ? round(median(rtts)) : null,
    upLossPct: clampPct(fromSamples((s) => s.remoteLoss)),
    downLossPct: expected > 0 ? round((100 * lost) / expected) : null,
    upJitterMs: fromSamples((s) => s.remoteJitterMs),
    downJitterMs: fromSamples((s) => s.jitterMs),
    transport: last.transport,
    framesDecoded: [...last.framesDecoded.values()].reduce((a, b) => a + b, 0),
    videoCopies: copies,
    videoCopiesDecoding: decoding,
    camera: devices.camera,
    microphone: devices.microphone,
    userAgent: navigator.userAgent.slice(0, 512),
    platform: platformOf().slice(0, 128),
  };
}

interface DeviceFindings {
  camera: ClientFigures['camera'];
  microphone: ClientFigures['microphone'];
}

/**
 * Whether the camera shows a picture (not black: its brightest frame's mean luma) and
 * the microphone gives sound (not digital silence: its loudest peak), while the test runs.
 */
function watchDevices(camera: MediaStreamTrack | null, mic: MediaStreamTrack | null) {
  let maxLuma: number | null = null;
  let peak = 0;
  let stopped = false;
  let result: DeviceFindings | null = null;
  const video = document.createElement('video');
  const canvas = document.createElement('canvas');
  canvas.width = 32;
  canvas.height = 18;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  let timer: ReturnType<typeof setInterval> | null = null;
  if (camera) {
    video.muted = true;
    video.playsInline = true;
    video.srcObject = new MediaStream([camera]);
    void video.play().catch(() => undefined);
    timer = setInterval(() => {
      if (!ctx || video.readyState < 2) {
        return;
      }
      ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
      const d = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      let sum = 0;
      for (let i = 0; i < d.length; i += 4) {
        sum += 0.299 * (d[i] ?? 0) + 0.587 * (d[i + 1] ?? 0) + 0.114 * (d[i + 2] ?? 0);
      }
      maxLuma = Math.max(maxLuma ?? 0, sum / (d.length / 4));
    }, 500);
  }
  let audio: AudioContext | null = null;
  let analyser: AnalyserNode | null = null;
  let audioTimer: ReturnType<typeof setInterval> | null = null;
  if (mic) {
    audio = new AudioContext();
    analyser = audio.createAnalyser();
    analyser.fftSize = 2048;
    audio.createMediaStreamSource(new MediaStream([mic])).connect(analyser);
    const buf = new Float32Array(analyser.fftSize);
    audioTimer = setInterval(() => {
      analyser?.getFloatTimeDomainData(buf);
      for (const x of buf) {
        peak = Math.max(peak, Math.abs(x));
      }
    }, 100);
  }
  return {
    stop(): DeviceFindings {
      if (!stopped) {
        stopped = true;
        if (timer) {
          clearInterval(timer);
        }
        if (audioTimer) {
          clearInterval(audioTimer);
        }
        void audio?.close().catch(() => undefined);
        video.srcObject = null;
        const peakDb = peak > 0 ? round(20 * Math.log10(peak)) : null;
        result = {
          camera: {
            found: camera !== null,
            // Dark grey is a picture; black (a covered lens, a dead camera) is not.
            picture: maxLuma !== null && maxLuma > 12,
            meanLuma: maxLuma === null ? null : round(maxLuma),
          },
          microphone: {
            found: mic !== null,
            // A live microphone hears at least its own noise; a dead one gives zeros.
            sound: peakDb !== null && peakDb > -70,
            peakDb,
          },
        };
      }
      return result as DeviceFindings;
    },
  };
}

function platformOf(): string {
  const nav = navigator as Navigator & { userAgentData?: { platform?: string } };
  return nav.userAgentData?.platform || navigator.platform || 'unknown';
}

const round = (x: number): number => Math.round(x * 10) / 10;
const num = (x: unknown): number => (typeof x === 'number' && Number.isFinite(x) ? x : 0);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

function sleep(ms: number, tick?: () => void): Promise<void> {
  return new Promise((resolve) => {
    const timer = tick ? setInterval(tick, 250) : null;
    setTimeout(() => {
      if (timer) {
        clearInterval(timer);
      }
      resolve();
    }, ms);
  });
}
/** The server refuses a loss figure outside 0–100 %, and a refused report loses the test. */
const clampPct = (x: number | null): number | null =>
  x === null ? null : Math.min(100, Math.max(0, x));
