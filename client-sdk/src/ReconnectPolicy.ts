import { FINAL_ERROR_CODES } from '../../protocol/errors.js';
import { CLOSE_CODES } from '../../protocol/signaling.js';
import { DiemcauError } from './types.js';

/** Why a session ended for good, from the server's close code. */
export type FinalClose = 'replaced' | 'auth-failed' | 'removed' | 'ended';

/**
 * When a bridge point should reconnect, and how soon: after a network or server drop
 * always, with a growing delay (0.2 s doubling up to 3 s); never after a refusal no
 * retry can fix (a dead link, a removed point, a full or locked session) or a close
 * that says this connection is over.
 */
export class ReconnectPolicy {
  static readonly firstDelayMs = 200;
  static readonly maxDelayMs = 3000;
  #running: Promise<void> | null = null;
  #again = false;

  /**
   * Runs `attempt` until it succeeds (and nothing asked for another run meanwhile), the
   * session closes, or a refusal is final (`onFinal`). A call while it runs only asks
   * for one more attempt; returns whether a new recovery started.
   */
  recover(
    attempt: () => Promise<void>,
    closed: () => boolean,
    onFinal: (err: DiemcauError) => void,
  ): boolean {
    if (this.#running) {
      this.#again = true;
      return false;
    }
    this.#running = (async () => {
      for (let n = 0; !closed(); n++) {
        this.#again = false;
        try {
          await attempt();
          if (!this.#again) {
            return;
          }
        } catch (err) {
          if (this.isFinal(err)) {
            onFinal(err);
            return;
          }
          await new Promise((resolve) => setTimeout(resolve, this.delayMs(n)));
        }
      }
    })().finally(() => {
      this.#running = null;
    });
    return true;
  }

  /** The wait before attempt `attempt` (0-based). */
  delayMs(attempt: number): number {
    return Math.min(ReconnectPolicy.firstDelayMs * 2 ** attempt, ReconnectPolicy.maxDelayMs);
  }

  /** A refusal that ends the session instead of a retry. */
  isFinal(err: unknown): err is DiemcauError {
    return err instanceof DiemcauError && FINAL_ERROR_CODES.includes(err.code);
  }

  /** What a WebSocket close code means: a final end, or `null` (reconnect). */
  finalClose(code: number): FinalClose | null {
    switch (code) {
      case CLOSE_CODES.replaced:
        return 'replaced';
      case CLOSE_CODES.authFailed:
        return 'auth-failed';
      case CLOSE_CODES.removed:
        return 'removed';
      case CLOSE_CODES.ended:
        return 'ended';
      default:
        return null;
    }
  }
}
