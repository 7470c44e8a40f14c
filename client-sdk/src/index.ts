/**
 * diemcau client SDK: join an online citizen reception session from a browser.
 *
 * ```js
 * import { connect } from '/sdk/diemcau-client.js';
 * const s = await connect({ token });
 * s.on('track', ({ pointId, kind, track }) => …);
 * await s.publish({ audio: true, video: true });
 * ```
 */
import { DiemcauSession } from './DiemcauSession.js';
import type { ConnectOptions } from './types.js';

export { DiemcauSession } from './DiemcauSession.js';
export { LocalRecording, type LocalRecordingOptions } from './LocalRecording.js';
export * from './types.js';
export {
  testConnectivity,
  type ConnectivityTestOptions,
  type ConnectivityStep,
  type ConnectivityResult,
  type ClientFigures,
  type Finding,
  type Grade,
} from './ConnectivityTest.js';

/**
 * Connects to the server, authenticates with the invitation token and joins its
 * session. Resolves once joined (`connectionState` is `connected`); rejects with a
 * {@link DiemcauError} (e.g. `DC_ERR_TOKEN_EXPIRED`) if refused. The tracks found while
 * joining are emitted as `track` just after it resolves, so a listener added right after
 * `await connect()` sees every track.
 */
export async function connect(options: ConnectOptions): Promise<DiemcauSession> {
  const session = new DiemcauSession(options);
  await session.start();
  return session;
}
