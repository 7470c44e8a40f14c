import path from 'node:path';
import type { Logger } from '../../common/logger.js';
import { AuditLog } from '../../archive/AuditLog.js';
import { archiveDirOf } from '../../archive/archivePaths.js';
import type { Session, SessionEvent } from './Session.js';

/**
 * Writes a session's observer stream into `<dataDir>/archive/<sessionId>/audit.jsonl`
 * from its first event (those recorded before it was attached included) until closed.
 * A failing write is logged loudly and never reaches the session itself.
 */
export class SessionAudit {
  readonly #session: Session;
  readonly #log: Logger;
  readonly #audit: AuditLog | null;
  readonly #write = (event: SessionEvent): void => {
    try {
      this.#audit?.append(event);
    } catch (err) {
      this.#log.error({ err, event: event.type }, 'audit log write failed');
    }
  };
  #closed = false;

  constructor(session: Session, dataDir: string, logger: Logger) {
    this.#session = session;
    this.#log = logger.child({ sessionId: session.id, component: 'audit' });
    let audit: AuditLog | null = null;
    try {
      audit = AuditLog.open(path.join(archiveDirOf(dataDir, session.id), 'audit.jsonl'));
    } catch (err) {
      this.#log.error({ err }, 'cannot open the audit log: this session is not being audited');
    }
    this.#audit = audit;
    session.timeline.forEach(this.#write);
    session.observer.on('event', this.#write);
  }

  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    this.#session.observer.off('event', this.#write);
    this.#audit?.close();
  }
}
