import { EventEmitter } from 'node:events';

export type EventMap = Record<string, unknown[]>;

/**
 * A typed event emitter (mediasoup's pattern). `safeEmit` never lets a listener's
 * exception escape into the emitter's own code path: a broken metrics or audit
 * listener must not take a worker pool or a session down with it.
 */
export class EnhancedEventEmitter<E extends EventMap> extends EventEmitter {
  constructor(private readonly onListenerError?: (event: string, error: unknown) => void) {
    super();
    this.setMaxListeners(Infinity);
  }

  override emit<K extends keyof E & string>(event: K, ...args: E[K]): boolean {
    return super.emit(event, ...args);
  }

  safeEmit<K extends keyof E & string>(event: K, ...args: E[K]): boolean {
    try {
      return super.emit(event, ...args);
    } catch (error) {
      this.onListenerError?.(event, error);
      return true;
    }
  }

  override on<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    return super.on(event, listener as (...args: unknown[]) => void);
  }

  override once<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    return super.once(event, listener as (...args: unknown[]) => void);
  }

  override off<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    return super.off(event, listener as (...args: unknown[]) => void);
  }

  /** Adds a listener; returns the function that removes it (for owners that outlive it). */
  subscribe<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): () => void {
    this.on(event, listener);
    return () => this.off(event, listener);
  }
}
