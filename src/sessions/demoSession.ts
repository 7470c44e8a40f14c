import type { Planning } from './Planning.js';

export const DEMO_SESSION = 'demo';

/** What the quick start prints: each point's name and its join link. */
export interface DemoSession {
  id: string;
  links: { pointId: string; name: string; joinUrl: string; login: string; password: string }[];
}

/**
 * On a data directory without any session: a demo reception session, planned, its
 * points invited and the session opened, so that a new operator can try diemcau at
 * once (`sessions.demo`; off for a production install). Its links are printed; it is
 * a session like any other (the console and `diemcau session …` show it).
 */
export function openDemoSession(planning: Planning): DemoSession | null {
  const { sessions, credentials } = planning;
  if (planning.store.listSessions().length > 0) {
    return null;
  }
  const now = sessions.now();
  const by = 'demo';
  sessions.create(
    {
      id: DEMO_SESSION,
      title: 'Buổi tiếp công dân thử (demo)',
      caseSummary: 'Một buổi tiếp thử để làm quen với diemcau.',
      category: 'other',
      hostLevel: 'province',
      chair: 'Chủ trì thử',
      startsAt: new Date(now.getTime() + 60_000).toISOString(),
      endsAt: new Date(now.getTime() + 8 * 3_600_000).toISOString(),
      points: [
        { id: 'central', kind: 'central', name: 'Điểm cầu trung tâm (thử)' },
        { id: 'ha-noi', kind: 'delegate', name: 'UBND TP Hà Nội (thử)' },
        { id: 'lao-cai', kind: 'delegate', name: 'UBND tỉnh Lào Cai (thử)' },
      ],
    },
    by,
  );
  const links = ['central', 'ha-noi', 'lao-cai'].map((pointId) => {
    const issued = credentials.issue(DEMO_SESSION, pointId, by);
    return {
      pointId,
      name: sessions.point(DEMO_SESSION, pointId).name,
      joinUrl: issued.joinUrl,
      login: issued.login,
      password: issued.password,
    };
  });
  sessions.transition(DEMO_SESSION, 'ready', by, 'a demo session: no connectivity tests');
  sessions.transition(DEMO_SESSION, 'live', by);
  return { id: DEMO_SESSION, links };
}
