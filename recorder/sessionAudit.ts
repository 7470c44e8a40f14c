import path from 'node:path';
import type { Logger } from '../src/logger.js';
import type { Session, SessionEvent } from '../src/sessions/Session.js';
import { AuditLog, type AuditRecord } from './AuditLog.js';

/** Sessions already being written, so a retried room creation cannot double every line. */
const audited = new WeakSet<Session>();

export function archiveDirOf(dataDir: string, sessionId: string): string {
  return path.join(dataDir, 'archive', sessionId);
}

/**
 * ffmpeg's working files of a session's recording runs (SDPs, segment lists): needed
 * while it is live and to take in what a crash left, never part of the archive.
 */
export function workDirOf(dataDir: string, sessionId: string): string {
  return path.join(dataDir, 'work', sessionId);
}

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

/**
 * One event for a session that has ended (its live audit writer is closed): the
 * composite finishing, an archive finalized from the command line.
 */
export function appendAudit(archiveDir: string, record: Omit<AuditRecord, 'at'>): void {
  const audit = AuditLog.open(path.join(archiveDir, 'audit.jsonl'));
  try {
    audit.append({ at: new Date().toISOString(), ...record });
  } finally {
    audit.close();
  }
}
