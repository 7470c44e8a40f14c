/**
 * The bandwidth governor for the whole server: about once a second, every live session
 * gets its share of the central point's link (`bandwidth.linkMbps` among the sessions
 * with a point across it: a session's own `linkMbps` caps its share, the rest is split
 * evenly, `shareLink`) and governs its own within it (SessionBandwidth).
 */
import type { Logger } from '../../common/logger.js';
import type { BandwidthStatus } from '../../protocol/bandwidth.js';
import type { Room } from '../sfu/Room.js';
import { type BandwidthLimits, SessionBandwidth, crossesLink } from './SessionBandwidth.js';
import { shareLink } from './shareLink.js';

/** A live session as the governor sees it: its room and its own share of the link, if any. */
export interface GovernedRoom {
  id: string;
  room: Room;
  /** Its plan's share of the central link (Mbit/s); null: an even share. */
  linkMbps: number | null;
}

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
  readonly #rooms: () => Iterable<GovernedRoom>;
  readonly #log: Logger;
  readonly #sessions = new Map<string, { room: Room; governed: SessionBandwidth }>();
  readonly #timer: NodeJS.Timeout | null;
  #ticking = false;
  #again = false;
  #closed = false;

  constructor(
    config: Readonly<BandwidthConfig>,
    rooms: () => Iterable<GovernedRoom>,
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

  /**
   * One round over every live session. A round still running is not doubled: one more
   * follows it, so what asked for it (a new picture held until it is fitted in) does
   * not wait for the next second.
   */
  async tick(now = Date.now()): Promise<void> {
    if (this.#closed) {
      return;
    }
    if (this.#ticking) {
      this.#again = true;
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
      const linkKbps = this.#config.linkMbps * 1000;
      const across = live.filter(({ room }) =>
        [...room.peers.values()].some(
          (p) => !p.closed && crossesLink(p, this.#config.centralOnLan),
        ),
      );
      const shares = shareLink(
        linkKbps,
        new Map(across.map((l) => [l.id, l.linkMbps === null ? null : l.linkMbps * 1000])),
      );
      const capOf = new Map(live.map((l) => [l.id, l.linkMbps]));
      for (const [id, s] of this.#sessions) {
        // Nothing of a session with no point across the link crosses it: its own cap.
        const cap = capOf.get(id);
        const share =
          shares.get(id) ??
          Math.min(linkKbps, cap === null || cap === undefined ? Infinity : cap * 1000);
        try {
          await s.governed.tick(this.#limits(share), now);
        } catch (err) {
          // A session closing under the tick: its next round, if any, starts afresh.
          this.#log.debug({ err, sessionId: id }, 'bandwidth tick failed');
        }
      }
    } finally {
      this.#ticking = false;
      if (this.#again) {
        this.#again = false;
        setImmediate(() => void this.tick());
      }
    }
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) {
      clearInterval(this.#timer);
    }
    this.#sessions.clear();
  }

  #limits(linkKbps: number): BandwidthLimits {
    return {
      linkKbps,
      delegateDownlinkKbps: this.#config.delegateDownlinkMbps * 1000,
      headroomPct: this.#config.headroomPct,
      centralOnLan: this.#config.centralOnLan,
      dynacast: this.#config.dynacast,
    };
  }
}
