/**
 * The bandwidth governor for the whole server: about once a second, every live session
 * gets its share of the central point's link (`bandwidth.linkMbps`, split evenly among
 * the sessions with a point across it) and governs its own within it (SessionBandwidth).
 */
import type { Logger } from '../../common/logger.js';
import type { BandwidthStatus } from '../../protocol/bandwidth.js';
import type { Room } from '../sfu/Room.js';
import { type BandwidthLimits, SessionBandwidth, crossesLink } from './SessionBandwidth.js';

export interface BandwidthConfig {
  enabled: boolean;
  linkMbps: number;
  headroomPct: number;
  delegateDownlinkMbps: number;
  centralOnLan: boolean;
  dynacast: boolean;
}

const TICK_MS = 1000;

export class BandwidthGovernor {
  readonly #config: Readonly<BandwidthConfig>;
  readonly #rooms: () => Iterable<{ id: string; room: Room }>;
  readonly #log: Logger;
  readonly #sessions = new Map<string, { room: Room; governed: SessionBandwidth }>();
  readonly #timer: NodeJS.Timeout | null;
  #ticking = false;
  #closed = false;

  constructor(
    config: Readonly<BandwidthConfig>,
    rooms: () => Iterable<{ id: string; room: Room }>,
    log: Logger,
    tickMs = TICK_MS,
  ) {
    this.#config = config;
    this.#rooms = rooms;
    this.#log = log.child({ component: 'bandwidth' });
    this.#timer = config.enabled ? setInterval(() => void this.tick(), tickMs) : null;
    this.#timer?.unref();
  }

  get config(): Readonly<BandwidthConfig> {
    return this.#config;
  }

  /** The session's account at the last tick; null when not governed (yet). */
  status(sessionId: string): BandwidthStatus | null {
    return this.#sessions.get(sessionId)?.governed.status ?? null;
  }

  statuses(): { sessionId: string; status: BandwidthStatus }[] {
    return [...this.#sessions].flatMap(([sessionId, s]) =>
      s.governed.status ? [{ sessionId, status: s.governed.status }] : [],
    );
  }

  /** One round over every live session; a round still running is not doubled. */
  async tick(now = Date.now()): Promise<void> {
    if (this.#ticking || this.#closed) {
      return;
    }
    this.#ticking = true;
    try {
      const live = [...this.#rooms()].filter(({ room }) => !room.closed);
      const ids = new Set(live.map((l) => l.id));
      for (const [id, s] of this.#sessions) {
        if (!ids.has(id) || s.room.closed) {
          this.#sessions.delete(id);
        }
      }
      for (const { id, room } of live) {
        const known = this.#sessions.get(id);
        if (!known || known.room !== room) {
          this.#sessions.set(id, {
            room,
            governed: new SessionBandwidth(room, this.#log.child({ sessionId: id }), () => {
              void this.tick();
            }),
          });
        }
      }
      const across = live.filter(({ room }) =>
        [...room.peers.values()].some(
          (p) => !p.closed && crossesLink(p, this.#config.centralOnLan),
        ),
      ).length;
      const limits = this.#limits(across);
      for (const [id, s] of this.#sessions) {
        try {
          await s.governed.tick(limits, now);
        } catch (err) {
          // A session closing under the tick: its next round, if any, starts afresh.
          this.#log.debug({ err, sessionId: id }, 'bandwidth tick failed');
        }
      }
    } finally {
      this.#ticking = false;
    }
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) {
      clearInterval(this.#timer);
    }
    this.#sessions.clear();
  }

  #limits(sessions: number): BandwidthLimits {
    return {
      linkKbps: (this.#config.linkMbps * 1000) / Math.max(1, sessions),
      delegateDownlinkKbps: this.#config.delegateDownlinkMbps * 1000,
      headroomPct: this.#config.headroomPct,
      centralOnLan: this.#config.centralOnLan,
      dynacast: this.#config.dynacast,
    };
  }
}
