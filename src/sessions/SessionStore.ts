import { Session } from './Session.js';

/**
 * Where sessions live. Until sessions are planned ahead through the API, a session comes
 * into being when the first valid token for it joins; a persistent store (planned
 * sessions, invitations) implements the same interface.
 */
export interface SessionStore {
  get(id: string): Session | undefined;
  /** The session a valid token names, created on first use. */
  open(id: string): Session;
  list(): Session[];
}

export class MemorySessionStore implements SessionStore {
  readonly #sessions = new Map<string, Session>();

  constructor(private readonly onListenerError?: (event: string, error: unknown) => void) {}

  get(id: string): Session | undefined {
    return this.#sessions.get(id);
  }

  open(id: string): Session {
    let session = this.#sessions.get(id);
    if (!session) {
      session = new Session(id, this.onListenerError);
      this.#sessions.set(id, session);
      session.observer.once('close', () => this.#sessions.delete(id));
    }
    return session;
  }

  list(): Session[] {
    return [...this.#sessions.values()];
  }
}
