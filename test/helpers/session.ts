import { TokenService } from '../../src/auth/TokenService.js';
import type { PointKind, Role } from '../../src/auth/roles.js';
import { Peer, type PeerChannel } from '../../src/sfu/Peer.js';
import { type RunningServer, startServer, tempDir } from './cli.js';
import { freePortBlock } from './ports.js';

/** The signing secret every test server is started with, so tests can mint tokens. */
export const TEST_SECRET = 'test-secret-for-diemcau-tests-0123456789';
export const tokens = new TokenService(Buffer.from(TEST_SECRET, 'utf8'));

export function tokenFor(
  sessionId: string,
  pointId: string,
  role: Role,
  options: { kind?: PointKind; name?: string; ttl?: number } = {},
): string {
  return tokens.issue(
    {
      sessionId,
      pointId,
      role,
      pointKind: options.kind ?? (role === 'host' || role === 'operator' ? 'central' : 'delegate'),
      pointName: options.name ?? pointId,
    },
    options.ttl ?? 3600,
  );
}

/** A point as the room sees it once its token is checked; its channel hears nothing by default. */
export function pointPeer(
  sessionId: string,
  pointId: string,
  kind: PointKind = 'delegate',
  options: { name?: string; channel?: PeerChannel } = {},
): Peer {
  const role = kind === 'central' ? 'host' : 'delegate';
  const claims = tokens.verify(tokenFor(sessionId, pointId, role, { kind, name: options.name }));
  return new Peer(claims, options.channel ?? { notify: () => undefined, close: () => undefined });
}

/** `diemcau serve` on free ports with the test secret. */
export async function startTestServer(env: NodeJS.ProcessEnv = {}): Promise<RunningServer> {
  const workers = Number(env['DIEMCAU_MEDIASOUP_NUM_WORKERS'] ?? 2);
  return startServer({
    DIEMCAU_DATA_DIR: tempDir('server'),
    DIEMCAU_MEDIASOUP_NUM_WORKERS: String(workers),
    DIEMCAU_MEDIASOUP_RTC_PORT: String(await freePortBlock(workers)),
    DIEMCAU_AUTH_JWT_SECRET: TEST_SECRET,
    ...env,
  });
}

export function wsUrl(server: RunningServer): string {
  return `${server.url.replace(/^http/, 'ws')}/ws`;
}
