/**
 * The central point's planning, opened on the data directory's database: sessions and
 * points (SessionService), credentials (Credentials), operator accounts (Operators).
 * The server and every command line use the same, on the same file at the same time.
 */
import type { Config } from '../config/schema.js';
import { Operators } from '../auth/Operators.js';
import { Sealer } from '../auth/Sealer.js';
import { TokenService } from '../auth/TokenService.js';
import { Database } from '../store/Database.js';
import { SqliteStore } from '../store/SqliteStore.js';
import type { Store } from '../store/Store.js';
import { Credentials, type CredentialsOptions } from './Credentials.js';
import type { SessionState } from './plan.js';
import { SessionService } from './SessionService.js';

export interface PlanningOptions {
  config: Readonly<Config>;
  signingKey: Buffer;
  /** The address delegates open, for join links (`http.publicUrl`, else the bind). */
  publicUrl: () => string;
  onRevoked?: CredentialsOptions['onRevoked'];
  onState?: (sessionId: string, from: SessionState, to: SessionState, by: string) => void;
  now?: () => Date;
}

export class Planning {
  readonly store: Store;
  readonly tokens: TokenService;
  readonly sessions: SessionService;
  readonly credentials: Credentials;
  readonly operators: Operators;

  static open(options: PlanningOptions): Planning {
    return new Planning(new SqliteStore(Database.open(options.config.dataDir)), options);
  }

  constructor(store: Store, options: PlanningOptions) {
    this.store = store;
    this.tokens = new TokenService(options.signingKey);
    this.sessions = new SessionService({
      store,
      dataDir: options.config.dataDir,
      maxDelegatePoints: options.config.sessions.maxDelegatePoints,
      ...(options.now ? { now: options.now } : {}),
      ...(options.onState ? { onState: options.onState } : {}),
    });
    this.credentials = new Credentials({
      sessions: this.sessions,
      tokens: this.tokens,
      publicUrl: options.publicUrl,
      sealer: new Sealer(options.signingKey),
      ...(options.onRevoked ? { onRevoked: options.onRevoked } : {}),
    });
    this.operators = new Operators(store, options.signingKey, options.now);
  }

  close(): void {
    this.store.close();
  }
}
