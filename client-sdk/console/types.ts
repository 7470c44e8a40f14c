/** What the operator API answers, as the console reads it (docs/contract.md). */
import type { Finding } from '../../protocol/connectivity.js';
import type { SessionQuality } from '../../protocol/liveView.js';

export interface SessionSummary {
  id: string;
  title: string;
  state: string;
  startsAt: string;
  endsAt: string;
  chair: string;
  /** Its share of the central link, Mbit/s; null: an even share. */
  linkMbps: number | null;
  category: string;
  hostLevel: string;
  late: string[];
  revision: number;
  points: { id: string; name: string; kind: string }[];
}

export interface TestCell {
  grade: 'pass' | 'warn' | 'fail';
  at: string;
  id: number;
  figures: {
    findings?: Finding[];
    client?: Record<string, unknown>;
    server?: Record<string, unknown>;
    linkClass?: string;
  };
}

export interface ReadinessRow {
  pointId: string;
  name: string;
  kind: string;
  invitation: {
    issued: boolean;
    issuedAt: string | null;
    printed: boolean;
    used: boolean;
    revokedAt: string | null;
    expiresAt: string | null;
    locked: boolean;
  };
  tests: Partial<Record<'day-before' | 'two-hours-before' | 'adhoc', TestCell>>;
  grade: 'pass' | 'warn' | 'fail' | null;
  joined: boolean;
}

export interface LiveView {
  state: string;
  live: SessionQuality | null;
  disk: { freeBytes: number; low: boolean };
}
