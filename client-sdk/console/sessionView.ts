/**
 * One session's page: its state and the transitions an operator may make; the
 * readiness board (invitations, the tests at T−1 day and T−2 h with their figures,
 * who is connected); the live view while it runs (figures per point from the server's
 * sampler, the controls); and after it, the archive (files, composite, verify, export).
 * It refreshes itself every few seconds: a test run at a delegate PC shows up here
 * without a reload.
 */
import type { Api } from './api.js';
import { button, byId, el, fmtBytes, fmtDuration, formValues } from './dom.js';
import type { Words } from './i18n.js';
import { linkMbpsOf } from './sessionFields.js';
import type { LiveView, ReadinessRow, SessionSummary, TestCell } from './types.js';

const REFRESH_MS = 3000;

export class SessionView {
  readonly #api: Api;
  readonly #w: Words;
  readonly #onError: (err: unknown) => void;
  #id: string | null = null;
  #timer: ReturnType<typeof setInterval> | null = null;
  #expanded = new Set<string>();
  #session: SessionSummary | null = null;
  #rows: ReadinessRow[] = [];
  #live: LiveView | null = null;

  constructor(api: Api, words: Words, onError: (err: unknown) => void) {
    this.#api = api;
    this.#w = words;
    this.#onError = onError;
    byId<HTMLFormElement>('add-point-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const form = e.target as HTMLFormElement;
      const f = formValues(form);
      void this.#act(async () => {
        await this.#api.call('POST', `/sessions/${this.#enc()}/points`, {
          id: f['id'],
          name: f['name'],
          kind: f['kind'],
          ...(f['organisation'] ? { organisation: f['organisation'] } : {}),
        });
        form.reset();
      });
    });
    byId('verify').addEventListener('click', () => void this.#verify());
    byId<HTMLFormElement>('edit-session-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const f = formValues(e.target as HTMLFormElement);
      const revision = this.#session?.revision;
      void this.#act(async () => {
        // Made from the revision shown: refused (DC_ERR_EDIT_CONFLICT) if it changed since.
        await this.#api.call('PATCH', `/sessions/${this.#enc()}`, {
          title: f['title'],
          chair: f['chair'] ?? '',
          startsAt: new Date(f['startsAt'] ?? '').toISOString(),
          endsAt: new Date(f['endsAt'] ?? '').toISOString(),
          linkMbps: linkMbpsOf(f['linkMbps']),
          ...(revision !== undefined ? { revision } : {}),
        });
        byId<HTMLDetailsElement>('edit-session').open = false;
      });
    });
    byId('edit-session').addEventListener('toggle', () => this.#fillEditForm());
    byId<HTMLFormElement>('export-form').addEventListener('submit', (e) => {
      e.preventDefault();
      void this.#export(formValues(e.target as HTMLFormElement)['to'] ?? '');
    });
  }

  async show(id: string): Promise<void> {
    this.hide();
    this.#id = id;
    this.#expanded.clear();
    byId('credential-box').hidden = true;
    byId('verify-result').textContent = '';
    byId('export-status').textContent = '';
    await this.refresh();
    this.#timer = setInterval(() => void this.refresh().catch(() => undefined), REFRESH_MS);
  }

  hide(): void {
    if (this.#timer) {
      clearInterval(this.#timer);
      this.#timer = null;
    }
    this.#id = null;
  }

  /** Everything the page shows, from the server, then drawn. */
  async refresh(): Promise<void> {
    const id = this.#id;
    if (!id) {
      return;
    }
    const [session, ready, live] = await Promise.all([
      this.#api.call<SessionSummary>('GET', `/sessions/${this.#enc()}`),
      this.#api.call<{ points: ReadinessRow[] }>('GET', `/sessions/${this.#enc()}/readiness`),
      this.#api.call<LiveView>('GET', `/sessions/${this.#enc()}/live`),
    ]);
    if (this.#id !== id) {
      return;
    }
    this.#session = session;
    this.#rows = ready.points;
    this.#live = live;
    this.render();
    if (session.state === 'ended' || session.state === 'archived') {
      await this.#renderArchive();
    }
  }

  render(): void {
    const s = this.#session;
    if (!s) {
      return;
    }
    const w = this.#w;
    const locale = w.lang === 'vi' ? 'vi-VN' : 'en-GB';
    byId('session-title').textContent = s.title;
    const state = byId('session-state');
    state.textContent = w.get(`state.${s.state}`);
    state.dataset['state'] = s.state;
    byId('session-meta').textContent =
      `${s.id} · ${new Date(s.startsAt).toLocaleString(locale)} – ${new Date(s.endsAt).toLocaleString(locale)}${s.chair ? ` · ${s.chair}` : ''}`;
    const late = byId('session-late');
    late.hidden = s.late.length === 0;
    late.textContent = w.get('sessions.late', {
      steps: s.late.map((l) => w.get(`late.${l}`)).join(', '),
    });
    this.#renderActions(s);
    this.#renderReadiness();
    this.#renderLive();
    byId('archive-section').hidden = s.state !== 'ended' && s.state !== 'archived';
    byId('edit-session').hidden = !['planned', 'invited', 'ready'].includes(s.state);
  }

  #renderActions(s: SessionSummary): void {
    const w = this.#w;
    const transition = (to: string, confirmKey?: string) => () => {
      if (confirmKey && !confirm(w.get(confirmKey))) {
        return;
      }
      void this.#act(() => this.#api.call('POST', `/sessions/${this.#enc()}/transitions`, { to }));
    };
    const actions: HTMLElement[] = [];
    if (s.state === 'ready') {
      actions.push(
        button(w.get('action.open'), transition('live'), { 'data-testid': 'open-session' }),
      );
    }
    if (s.state === 'invited' || s.state === 'planned') {
      // Not every point passed its test: ready by hand, with the reason on record.
      actions.push(
        button(
          w.get('action.ready'),
          () => {
            const reason = prompt(w.get('prompt.readyReason'));
            if (reason) {
              void this.#act(() =>
                this.#api.call('POST', `/sessions/${this.#enc()}/transitions`, {
                  to: 'ready',
                  reason,
                }),
              );
            }
          },
          { class: 'secondary', 'data-testid': 'ready-session' },
        ),
      );
    }
    if (s.state === 'ready' || s.state === 'invited' || s.state === 'planned') {
      actions.push(
        button(w.get('action.cancel'), transition('cancelled', 'confirm.cancel'), {
          class: 'danger',
          'data-testid': 'cancel-session',
        }),
      );
    }
    if (s.state === 'live') {
      actions.push(
        button(w.get('action.end'), transition('ended', 'confirm.end'), {
          class: 'danger',
          'data-testid': 'end-session',
        }),
      );
    }
    byId('session-actions').replaceChildren(...actions);
  }

  #renderReadiness(): void {
    const w = this.#w;
    const rows: HTMLElement[] = [];
    for (const p of this.#rows) {
      const inv = p.invitation;
      const invText = inv.revokedAt
        ? w.get('inv.revoked')
        : !inv.issued
          ? w.get('inv.none')
          : [
              w.get('inv.issued'),
              inv.printed ? w.get('inv.printed') : null,
              inv.used ? w.get('inv.used') : null,
              inv.locked ? w.get('inv.locked') : null,
            ]
              .filter(Boolean)
              .join(', ');
      const latest = el('span', {
        class: 'grade',
        'data-testid': 'test-grade',
        'data-grade': p.grade ?? '',
      });
      latest.textContent = p.grade ? w.get(`grade.${p.grade}`) : w.get('grade.none');
      const actions = el('td', { class: 'actions' });
      if (inv.issued) {
        actions.append(
          el(
            'a',
            {
              href: `/api/v1/sessions/${this.#enc()}/points/${encodeURIComponent(p.pointId)}/invitation?format=html&lang=${w.lang}`,
              target: '_blank',
              rel: 'noopener',
              'data-testid': 'print-invitation',
            },
            w.get('inv.print'),
          ),
          button(w.get('inv.revoke'), () => this.#revoke(p), {
            class: 'secondary',
            'data-testid': 'revoke',
          }),
        );
      }
      actions.append(
        button(inv.issued ? w.get('inv.reissue') : w.get('inv.issue'), () => this.#issue(p), {
          class: 'secondary',
          'data-testid': 'issue',
        }),
        button(w.get('details'), () => this.#toggle(p.pointId), {
          class: 'secondary',
          'data-testid': 'test-details',
        }),
      );
      rows.push(
        el(
          'tr',
          { 'data-point-id': p.pointId },
          el(
            'td',
            {},
            el('strong', {}, p.name),
            el('div', { class: 'meta' }, `${p.pointId} · ${p.kind}`),
          ),
          el('td', { 'data-testid': 'invitation-state' }, invText),
          this.#slotCell(p.tests['day-before'], 'slot-day-before'),
          this.#slotCell(p.tests['two-hours-before'], 'slot-two-hours-before'),
          el('td', {}, latest),
          el('td', { 'data-testid': 'joined' }, p.joined ? w.get('yes') : w.get('no')),
          actions,
        ),
      );
      if (this.#expanded.has(p.pointId)) {
        rows.push(this.#detailRow(p));
      }
    }
    byId('readiness').replaceChildren(...rows);
  }

  #slotCell(test: TestCell | undefined, testid: string): HTMLElement {
    const w = this.#w;
    const td = el('td', { 'data-testid': testid, 'data-grade': test?.grade ?? '' });
    if (!test) {
      td.textContent = '—';
      return td;
    }
    const c = test.figures.client ?? {};
    const summary = `↑ ${num(c['upKbps'])} kbit/s · ↓ ${num(c['downKbps'])} kbit/s · RTT ${num(c['rttMs'])} ms`;
    td.title = summary;
    td.append(
      el('span', { class: 'grade', 'data-grade': test.grade }, w.get(`grade.${test.grade}`)),
      el(
        'div',
        { class: 'meta' },
        new Date(test.at).toLocaleString(w.lang === 'vi' ? 'vi-VN' : 'en-GB'),
      ),
    );
    return td;
  }

  /** The latest test's findings and figures, as the server kept them. */
  #detailRow(p: ReadinessRow): HTMLElement {
    const w = this.#w;
    const tests = Object.values(p.tests).filter((t): t is TestCell => t !== undefined);
    const latest = tests.sort((a, b) => Date.parse(b.at) - Date.parse(a.at))[0];
    const cell = el('td', { colspan: '7', 'data-testid': 'test-detail' });
    if (!latest) {
      cell.textContent = w.get('grade.none');
    } else {
      const findings = el('ul', { class: 'findings' });
      for (const f of latest.figures.findings ?? []) {
        findings.append(el('li', { 'data-code': f.code }, f.message[w.lang]));
      }
      const c = latest.figures.client ?? {};
      const figures = el(
        'div',
        { class: 'meta', 'data-testid': 'test-figures' },
        [
          `↑ ${num(c['upKbps'])} kbit/s`,
          `↓ ${num(c['downKbps'])} kbit/s`,
          `RTT ${num(c['rttMs'])} ms`,
          `loss ${num(c['upLossPct'])} / ${num(c['downLossPct'])} %`,
          `jitter ${num(c['upJitterMs'])} / ${num(c['downJitterMs'])} ms`,
          text(c['transport'], '—').toUpperCase(),
          text(c['platform'], ''),
        ].join(' · '),
      );
      cell.append(findings, figures);
    }
    return el('tr', { class: 'detail', 'data-detail-of': p.pointId }, cell);
  }

  #renderLive(): void {
    const w = this.#w;
    const view = this.#live;
    const section = byId('live-section');
    const live = view?.live ?? null;
    section.hidden = live === null && this.#session?.state !== 'live';
    if (!view) {
      return;
    }
    const free = fmtBytes(view.disk.freeBytes);
    byId('live-status').textContent = live
      ? w.get('live.status', {
          recording: live.recording ? w.get('yes') : w.get('no'),
          locked: live.locked ? w.get('yes') : w.get('no'),
          free,
        })
      : w.get('live.none');
    byId('live-status').dataset['recording'] = String(live?.recording ?? false);
    const control = (action: string, pointId?: string, confirmText?: string) => () => {
      if (confirmText && !confirm(confirmText)) {
        return;
      }
      void this.#act(() =>
        this.#api.call('POST', `/sessions/${this.#enc()}/controls`, {
          action,
          ...(pointId ? { pointId } : {}),
        }),
      );
    };
    byId('live-actions').replaceChildren(
      ...(live
        ? [
            button(
              w.get(live.locked ? 'ctl.unlock' : 'ctl.lock'),
              control(live.locked ? 'unlock' : 'lock'),
              {
                class: 'secondary',
                'data-testid': 'control-lock',
              },
            ),
            button(
              w.get(live.recording ? 'ctl.recording-off' : 'ctl.recording-on'),
              control(live.recording ? 'recording-off' : 'recording-on'),
              { class: 'secondary', 'data-testid': 'control-recording' },
            ),
            ...(live.spotlight
              ? [
                  button(w.get('ctl.clear-spotlight'), control('clear-spotlight'), {
                    class: 'secondary',
                  }),
                ]
              : []),
          ]
        : []),
    );
    const rows = (live?.points ?? []).map((p) => {
      const warning = p.warning
        ? el(
            'span',
            { class: 'warning', 'data-testid': 'live-warning' },
            w.get(`warn.${p.warning}`),
          )
        : null;
      const loss =
        p.upLossPct === null && p.downLossPct === null
          ? '—'
          : `${p.upLossPct ?? '—'} / ${p.downLossPct ?? '—'}`;
      return el(
        'tr',
        { 'data-live-point-id': p.pointId, 'data-muted': String(p.mutedByOperator) },
        el(
          'td',
          {},
          el('strong', {}, p.name),
          el('div', { class: 'meta' }, `${p.pointId} · ${p.role}`),
        ),
        el('td', {}, w.get(`live.${p.connection}`), ' ', warning),
        el('td', { 'data-testid': 'live-in' }, String(p.inKbps)),
        el('td', { 'data-testid': 'live-out' }, String(p.outKbps)),
        el('td', { 'data-testid': 'live-loss' }, loss),
        el('td', { 'data-testid': 'live-rtt' }, p.rttMs === null ? '—' : String(p.rttMs)),
        el('td', {}, `${p.producerScore ?? '—'} / ${p.consumerScore ?? '—'}`),
        el('td', {}, p.receivingLayer === null ? '—' : String(p.receivingLayer)),
        el(
          'td',
          { class: 'actions' },
          button(
            w.get(p.mutedByOperator ? 'ctl.unmute' : 'ctl.mute'),
            control(p.mutedByOperator ? 'unmute' : 'mute', p.pointId),
            { class: 'secondary', 'data-testid': 'control-mute' },
          ),
          button(w.get('ctl.spotlight'), control('spotlight', p.pointId), { class: 'secondary' }),
          button(
            w.get('ctl.remove'),
            control('remove', p.pointId, w.get('confirm.remove', { name: p.name })),
            { class: 'danger', 'data-testid': 'control-remove' },
          ),
        ),
      );
    });
    byId('live').replaceChildren(...rows);
  }

  async #renderArchive(): Promise<void> {
    const w = this.#w;
    const r = await this.#api.call<{
      files: {
        file: string;
        kind: string;
        pointId: string | null;
        bytes: number;
        seconds: number;
      }[];
      composite: { status?: string } | null;
    }>('GET', `/sessions/${this.#enc()}/recordings`);
    byId('composite').textContent = r.composite
      ? w.get('archive.composite', { status: r.composite.status ?? '—' })
      : '';
    const rows = r.files.map((f) =>
      el(
        'tr',
        { 'data-file': f.file },
        el('td', {}, f.pointId ?? f.kind),
        el('td', {}, f.file),
        el('td', {}, fmtDuration(f.seconds)),
        el('td', {}, fmtBytes(f.bytes)),
      ),
    );
    byId('archive-files').replaceChildren(
      ...(rows.length ? rows : [el('tr', {}, el('td', { colspan: '4' }, w.get('archive.none')))]),
    );
  }

  async #verify(): Promise<void> {
    const out = byId('verify-result');
    out.textContent = this.#w.get('archive.verifying');
    try {
      const v = await this.#api.call<{
        ok: boolean;
        status: string;
        problems: string[];
        gaps: string[];
      }>('POST', `/sessions/${this.#enc()}/recordings/verify`);
      out.dataset['status'] = v.status;
      out.textContent = [v.status, ...v.problems, ...v.gaps].join(' · ');
    } catch (err) {
      out.textContent = '';
      this.#onError(err);
    }
  }

  async #export(to: string): Promise<void> {
    const w = this.#w;
    const bar = byId<HTMLProgressElement>('export-progress');
    const status = byId('export-status');
    try {
      await this.#api.call('POST', `/sessions/${this.#enc()}/recordings/export`, { to });
      bar.hidden = false;
      for (;;) {
        await new Promise((r) => setTimeout(r, 500));
        const job = await this.#api.call<{
          copiedBytes: number;
          totalBytes: number;
          outcome: { status: string; target?: string } | null;
          error: string | null;
        }>('GET', `/sessions/${this.#enc()}/recordings/export`);
        bar.value = job.totalBytes > 0 ? job.copiedBytes / job.totalBytes : 0;
        status.textContent = `${fmtBytes(job.copiedBytes)} / ${fmtBytes(job.totalBytes)}`;
        if (job.outcome || job.error) {
          status.dataset['status'] = job.outcome?.status ?? 'error';
          status.textContent =
            job.outcome?.status === 'exported'
              ? w.get('archive.exported', { target: job.outcome.target ?? '' })
              : w.get('archive.exportFailed', { status: job.outcome?.status ?? job.error ?? '' });
          break;
        }
      }
    } catch (err) {
      this.#onError(err);
    } finally {
      bar.hidden = true;
    }
  }

  /** The form starts from the session as the server has it now. */
  #fillEditForm(): void {
    const s = this.#session;
    const form = byId<HTMLFormElement>('edit-session-form');
    if (!s || !byId<HTMLDetailsElement>('edit-session').open) {
      return;
    }
    const local = (iso: string): string => {
      const d = new Date(iso);
      return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
    };
    (form.elements.namedItem('title') as HTMLInputElement).value = s.title;
    (form.elements.namedItem('chair') as HTMLInputElement).value = s.chair;
    (form.elements.namedItem('startsAt') as HTMLInputElement).value = local(s.startsAt);
    (form.elements.namedItem('endsAt') as HTMLInputElement).value = local(s.endsAt);
    (form.elements.namedItem('linkMbps') as HTMLInputElement).value =
      s.linkMbps === null ? '' : String(s.linkMbps);
  }

  #toggle(pointId: string): void {
    if (!this.#expanded.delete(pointId)) {
      this.#expanded.add(pointId);
    }
    this.#renderReadiness();
  }

  #issue(p: ReadinessRow): void {
    void this.#act(async () => {
      const c = await this.#api.call<{ joinUrl: string; login: string; password: string }>(
        'POST',
        `/sessions/${this.#enc()}/points/${encodeURIComponent(p.pointId)}/credential`,
      );
      const w = this.#w;
      const box = byId('credential-box');
      box.replaceChildren(
        el('p', {}, w.get('inv.issuedFor', { name: p.name })),
        el(
          'p',
          {},
          `${w.get('inv.link')}: `,
          el(
            'a',
            { href: c.joinUrl, target: '_blank', rel: 'noopener', class: 'secret' },
            c.joinUrl,
          ),
        ),
        el(
          'p',
          {},
          `${w.get('inv.login')}: `,
          el('span', { class: 'secret', 'data-testid': 'new-login' }, c.login),
        ),
        el(
          'p',
          {},
          `${w.get('inv.password')}: `,
          el('span', { class: 'secret', 'data-testid': 'new-password' }, c.password),
        ),
      );
      box.hidden = false;
    });
  }

  #revoke(p: ReadinessRow): void {
    if (!confirm(this.#w.get('inv.confirmRevoke', { name: p.name }))) {
      return;
    }
    void this.#act(() =>
      this.#api.call(
        'DELETE',
        `/sessions/${this.#enc()}/points/${encodeURIComponent(p.pointId)}/credential`,
      ),
    );
  }

  /** Does it, then shows the page as the server now has it. */
  async #act(work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
      await this.refresh();
    } catch (err) {
      this.#onError(err);
    }
  }

  #enc(): string {
    return encodeURIComponent(this.#id ?? '');
  }
}

const text = (x: unknown, otherwise: string): string => (typeof x === 'string' ? x : otherwise);
const num = (x: unknown): string => (typeof x === 'number' ? String(Math.round(x)) : '—');
