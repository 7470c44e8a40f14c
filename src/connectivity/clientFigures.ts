/**
 * The schema of the figures a page reports at the end of its connectivity test: every
 * field bounded, so a hostile page can store nothing but plausible numbers and short
 * strings.
 */
import type { ClientFigures } from '../../protocol/connectivity.js';
import { type Validator, v } from '../signaling/validate.js';

const kbps = v.number(0, 10_000_000);
const ms = v.nullable(v.number(0, 600_000));
const pct = v.nullable(v.number(0, 100));

export const clientFigures: Validator<ClientFigures> = v.object({
  seconds: v.number(0, 600),
  upKbps: kbps,
  downKbps: kbps,
  availableOutgoingKbps: v.nullable(kbps),
  availableIncomingKbps: v.nullable(kbps),
  rttMs: ms,
  upLossPct: pct,
  downLossPct: pct,
  upJitterMs: ms,
  downJitterMs: ms,
  transport: v.nullable(v.oneOf(['udp', 'tcp'] as const)),
  framesDecoded: v.integer(0, 10_000_000),
  videoCopies: v.integer(0, 100),
  videoCopiesDecoding: v.integer(0, 100),
  camera: v.object({
    found: v.boolean(),
    picture: v.boolean(),
    meanLuma: v.nullable(v.number(0, 255)),
  }),
  microphone: v.object({
    found: v.boolean(),
    sound: v.boolean(),
    peakDb: v.nullable(v.number(-200, 10)),
  }),
  userAgent: v.string({ max: 512 }),
  platform: v.string({ max: 128 }),
});
