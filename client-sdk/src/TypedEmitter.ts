type Listener = (...args: unknown[]) => void;

/** A minimal typed event emitter for the browser (no Node `events` in the bundle). */
export class TypedEmitter<E extends Record<string, unknown[]>> {
  readonly #listeners = new Map<keyof E, Set<Listener>>();

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof E>(event: K, listener: (...args: E[K]) => void): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener as unknown as Listener);
    return () => this.off(event, listener);
  }

  off<K extends keyof E>(event: K, listener: (...args: E[K]) => void): void {
    this.#listeners.get(event)?.delete(listener as unknown as Listener);
  }

  /** A throwing listener is reported on the console, never into the SDK's own flow. */
  protected emit<K extends keyof E>(event: K, ...args: E[K]): void {
    for (const listener of [...(this.#listeners.get(event) ?? [])]) {
      try {
        listener(...args);
      } catch (err) {
        // eslint-disable-next-line no-console -- the application's bug, shown where its developer looks
        console.error(`diemcau: "${String(event)}" listener failed`, err);
      }
    }
  }
}
