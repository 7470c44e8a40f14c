/**
 * Where the sessions the server knows of are kept. A credential is checked against it
 * before a room is opened: the session must exist. This store keeps sessions in memory
 * and knows only ad-hoc ones (opened by a `diemcau token` link naming them); a planned,
 * persistent store implements the same interface. Live state (who is present, the
 * timeline of a sitting) is not the store's: it lives in a LiveSession while points
 * are connected.
 */
export interface StoredSession {
  id: string;
  /** Opened by a credential naming it, not planned ahead. */
  adHoc: boolean;
  createdAt: Date;
}

export interface SessionStore {
  /** The session with this id, if the server knows of it. */
  get(id: string): StoredSession | undefined;
  /**
   * The session an ad-hoc credential names, made on first use and kept from then on
   * (its archive, its timeline across sittings). A store may refuse (coded error).
   */
  openAdHoc(id: string): StoredSession;
  list(): StoredSession[];
}

export class MemorySessionStore implements SessionStore {
  readonly #sessions = new Map<string, StoredSession>();

  get(id: string): StoredSession | undefined {
    return this.#sessions.get(id);
  }

  openAdHoc(id: string): StoredSession {
    let session = this.#sessions.get(id);
    if (!session) {
      session = { id, adHoc: true, createdAt: new Date() };
      this.#sessions.set(id, session);
    }
    return session;
  }

  list(): StoredSession[] {
    return [...this.#sessions.values()];
  }
}
