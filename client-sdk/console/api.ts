/**
 * The console's one door to the server: `/api/v1` with the sign-in cookie, and for every
 * request that changes something the CSRF token the sign-in gave. A 401 sends the
 * operator back to the sign-in form; any other refusal is a coded error to show.
 */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export class Api {
  #csrf: string | null = null;
  readonly #onSignedOut: () => void;

  constructor(onSignedOut: () => void) {
    this.#onSignedOut = onSignedOut;
  }

  set csrf(token: string | null) {
    this.#csrf = token;
  }

  async call<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<T> {
    const headers: Record<string, string> = {};
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
    }
    if (method !== 'GET' && this.#csrf) {
      headers['x-csrf-token'] = this.#csrf;
    }
    const res = await fetch(`/api/v1${path}`, {
      method,
      headers,
      credentials: 'same-origin',
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    if (res.status === 204) {
      return {} as T;
    }
    const data = (await res.json().catch(() => ({}))) as {
      error?: { code?: string; message?: string };
    };
    if (!res.ok) {
      if (res.status === 401 && !path.startsWith('/auth/login')) {
        this.#onSignedOut();
      }
      throw new ApiError(
        res.status,
        data.error?.code ?? `HTTP_${res.status}`,
        data.error?.message ?? res.statusText,
      );
    }
    return data as T;
  }
}
