/**
 * The operator console (`/console`): sign in with an operator account, then the
 * sessions (sessionsView.ts) and one session's page (sessionView.ts), chosen by the
 * address's `#/…` part so the browser's back button works. Every figure and every
 * action goes through the operator API; nothing is decided in the browser.
 */
import { Api, ApiError } from './api.js';
import { byId, formValues } from './dom.js';
import { Words } from './i18n.js';
import { SessionView } from './sessionView.js';
import { SessionsView } from './sessionsView.js';
import { addSessionFields } from './sessionFields.js';

class Console {
  readonly #w: Words;
  readonly #api: Api;
  readonly #sessions: SessionsView;
  readonly #session: SessionView;
  #signedIn = false;

  constructor(params: URLSearchParams) {
    this.#w = new Words(params.get('lang') ?? localStorage.getItem('diemcau-console-lang'));
    addSessionFields(byId<HTMLFormElement>('new-session-form'));
    addSessionFields(byId<HTMLFormElement>('edit-session-form'));
    this.#api = new Api(() => this.#signedOut(true));
    const onError = (err: unknown): void => this.#showError(err);
    this.#sessions = new SessionsView(this.#api, this.#w, onError);
    this.#session = new SessionView(this.#api, this.#w, onError);
    for (const b of document.querySelectorAll<HTMLButtonElement>('[data-lang]')) {
      b.addEventListener('click', () => {
        this.#w.lang = b.dataset['lang'] === 'en' ? 'en' : 'vi';
        localStorage.setItem('diemcau-console-lang', this.#w.lang);
        this.#w.apply();
        void this.#route();
      });
    }
    byId<HTMLFormElement>('login-form').addEventListener('submit', (e) => {
      e.preventDefault();
      void this.#login(e.target as HTMLFormElement);
    });
    byId('logout').addEventListener('click', () => void this.#logout());
    window.addEventListener('hashchange', () => void this.#route());
    this.#w.apply();
  }

  async start(): Promise<void> {
    try {
      const me = await this.#api.call<{ operator: string; csrfToken: string | null }>(
        'GET',
        '/auth/me',
      );
      this.#signIn(me.operator, me.csrfToken);
    } catch {
      this.#signedOut(false);
      return;
    }
    await this.#route();
  }

  #signIn(operator: string, csrf: string | null): void {
    this.#signedIn = true;
    this.#api.csrf = csrf;
    byId('whoami').textContent = operator.replace(/^operator:/, '');
    byId('logout').hidden = false;
    byId('login').hidden = true;
  }

  #signedOut(expired: boolean): void {
    this.#signedIn = false;
    this.#api.csrf = null;
    this.#session.hide();
    byId('sessions').hidden = true;
    byId('session').hidden = true;
    byId('logout').hidden = true;
    byId('whoami').textContent = '';
    byId('login').hidden = false;
    const error = byId('login-error');
    error.hidden = !expired;
    error.textContent = expired ? this.#w.get('login.expired') : '';
  }

  async #login(form: HTMLFormElement): Promise<void> {
    const f = formValues(form);
    const error = byId('login-error');
    try {
      const r = await this.#api.call<{ operator: string; csrfToken: string }>(
        'POST',
        '/auth/login',
        {
          username: f['username'] ?? '',
          password: f['password'] ?? '',
        },
      );
      form.reset();
      error.hidden = true;
      this.#signIn(r.operator, r.csrfToken);
      await this.#route();
    } catch (err) {
      error.hidden = false;
      error.textContent = err instanceof Error ? err.message : String(err);
    }
  }

  async #logout(): Promise<void> {
    await this.#api.call('POST', '/auth/logout').catch(() => undefined);
    this.#signedOut(false);
  }

  async #route(): Promise<void> {
    if (!this.#signedIn) {
      return;
    }
    byId('error').hidden = true;
    const match = /^#\/s\/(.+)$/.exec(location.hash);
    try {
      if (match) {
        byId('sessions').hidden = true;
        byId('session').hidden = false;
        await this.#session.show(decodeURIComponent(match[1] as string));
      } else {
        this.#session.hide();
        byId('session').hidden = true;
        byId('sessions').hidden = false;
        await this.#sessions.show();
      }
    } catch (err) {
      this.#showError(err);
    }
  }

  #showError(err: unknown): void {
    if (err instanceof ApiError && err.status === 401) {
      return;
    }
    const box = byId('error');
    box.hidden = false;
    box.textContent =
      err instanceof ApiError
        ? `${err.code}: ${err.message}`
        : err instanceof Error
          ? err.message
          : String(err);
    box.dataset['code'] = err instanceof ApiError ? err.code : '';
  }
}

void new Console(new URLSearchParams(location.search)).start();
