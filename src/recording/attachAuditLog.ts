import path from 'node:path';
import { AuditLog } from '../../archive/AuditLog.js';
import { archiveDirOf } from '../../archive/archivePaths.js';
import type { Logger } from '../../common/logger.js';
import type { Session, SessionEvent } from '../sessions/Session.js';

/** Sessions already being written, so a retried room creation cannot double every line. */
const audited = new WeakSet<Session>();

/**
 * Writes a session's observer stream into `<dataDir>/archive/<sessionId>/audit.jsonl`
 * from its first event (those recorded before this was attached included) until it
 * closes. A failing write is logged loudly and never reaches the session itself.
 */
export function attachAuditLog(session: Session, dataDir: string, logger: Logger): void {
  if (audited.has(session)) {
    return;
  }
  audited.add(session);
  const log = logger.child({ sessionId: session.id, component: 'audit' });
  let audit: AuditLog;
  try {
    audit = AuditLog.open(path.join(archiveDirOf(dataDir, session.id), 'audit.jsonl'));
  } catch (err) {
    log.error({ err }, 'cannot open the audit log: this session is not being audited');
    return;
  }
  const write = (event: SessionEvent): void => {
    try {
      audit.append(event);
    } catch (err) {
      log.error({ err, event: event.type }, 'audit log write failed');
    }
  };
  session.timeline.forEach(write);
  session.observer.on('event', write);
  session.observer.once('close', () => {
    session.observer.off('event', write);
    audit.close();
  });
}
