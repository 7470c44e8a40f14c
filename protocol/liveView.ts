/**
 * The live view of a running session as the operator API gives it
 * (`GET /api/v1/sessions/{id}/live`): sampled by the server (src/sessions/LiveQuality.ts),
 * read by the console. One definition for both sides.
 */
import type { LinkQuality, PointInfo } from './signaling.js';

export type QualityWarning = 'dropped' | 'lossy' | 'slow-rtt' | 'low-score' | null;

export interface PointQuality {
  pointId: string;
  name: string;
  kind: PointInfo['kind'];
  role: PointInfo['role'];
  connection: PointInfo['connection'];
  mutedByOperator: boolean;
  /** What the SFU receives from the point and sends to it, kbit/s. */
  inKbps: number;
  outKbps: number;
  /**
   * Loss on what the point sends (seen by the SFU) and on what it receives (its RTCP,
   * the least of its streams: a sender's own loss shows in every receiver's), %.
   */
  upLossPct: number | null;
  downLossPct: number | null;
  rttMs: number | null;
  /** mediasoup's scores (0–10): the worst of its producers', the median of its consumers'. */
  producerScore: number | null;
  consumerScore: number | null;
  /** The highest spatial layer it receives of any camera (0 thumbnail … 2 large). */
  receivingLayer: number | null;
  warning: QualityWarning;
  /** The grade every page shows on the point's tile. */
  quality: LinkQuality;
}

export interface SessionQuality {
  sessionId: string;
  sampledAt: string;
  recording: boolean;
  locked: boolean;
  spotlight: string | null;
  points: PointQuality[];
}
