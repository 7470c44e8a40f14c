/**
 * The connectivity test (Decision 748's connection check before a session): what the
 * delegate page measures of the real media path, what the server adds from its side,
 * and the graded result kept against the point and the test slot. Shared by the server,
 * the client SDK, the page and the console.
 */

export type Grade = 'pass' | 'warn' | 'fail';
export type LinkClass = 'central' | 'delegate';
export const TEST_SLOTS = ['day-before', 'two-hours-before', 'adhoc'] as const;
export type TestSlot = (typeof TEST_SLOTS)[number];

/** What the browser measured (getStats over the test, and its own devices). */
export interface ClientFigures {
  /** Seconds the media flowed while measured. */
  seconds: number;
  /** Achieved upstream (bytes sent by the camera and microphone), kbit/s. */
  upKbps: number;
  /** Achieved downstream (everything received back through the SFU), kbit/s. */
  downKbps: number;
  /** The browser's own estimates (null when it gives none). */
  availableOutgoingKbps: number | null;
  availableIncomingKbps: number | null;
  /** Round-trip time of the selected ICE candidate pair, ms. */
  rttMs: number | null;
  /** Upstream loss as the SFU reported it back (RTCP), %. */
  upLossPct: number | null;
  /** Downstream loss, packets lost / expected, %. */
  downLossPct: number | null;
  /** Upstream jitter the SFU saw (RTCP), ms; downstream jitter this browser saw, ms. */
  upJitterMs: number | null;
  downJitterMs: number | null;
  /** How ICE connected: over UDP, or only over TCP. */
  transport: 'udp' | 'tcp' | null;
  framesDecoded: number;
  /** Copies of the camera consumed back, and how many of them decoded frames. */
  videoCopies: number;
  videoCopiesDecoding: number;
  camera: { found: boolean; picture: boolean; meanLuma: number | null };
  microphone: { found: boolean; sound: boolean; peakDb: number | null };
  userAgent: string;
  platform: string;
}

/** What the SFU measured of the same test. */
export interface ServerFigures {
  /** Bitrate the SFU received from the point and sent to it, kbit/s. */
  recvKbps: number;
  sendKbps: number;
  /** mediasoup's own estimate of the downstream to the point, kbit/s. */
  availableOutgoingKbps: number | null;
  /** The ICE tuple's protocol as the SFU sees it. */
  protocol: 'udp' | 'tcp' | null;
  /**
   * Copies of the camera the SFU sent below the layer asked for, although the camera
   * sends that layer: the SFU's congestion control held them back (the downstream is
   * short). Zero: the link carried all the session would send.
   */
  videoLayersHeldBack: number;
  /** The lowest producer and consumer scores (0–10) seen at the end. */
  producerScore: number | null;
  consumerScore: number | null;
}

/** One thing the clerk should know: what is wrong, in plain words, and what to do. */
export interface Finding {
  code: FindingCode;
  grade: 'warn' | 'fail';
  /** The measured value and the limit it crossed (units in the code's name). */
  value: number | null;
  limit: number | null;
  message: { vi: string; en: string };
}

export type FindingCode =
  | 'upstream-slow'
  | 'downstream-slow'
  | 'loss-up'
  | 'loss-down'
  | 'rtt-high'
  | 'jitter-high'
  | 'tcp-only'
  | 'no-camera'
  | 'camera-black'
  | 'no-microphone'
  | 'microphone-silent'
  | 'no-video-back'
  | 'no-media';

export interface ConnectivityResult {
  id: number;
  sessionId: string;
  pointId: string;
  slot: TestSlot;
  linkClass: LinkClass;
  grade: Grade;
  at: string;
  findings: Finding[];
  client: ClientFigures;
  server: ServerFigures;
}
