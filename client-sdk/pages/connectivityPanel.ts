/**
 * "Kiểm tra kết nối" on the delegate page: runs the SDK's connectivity test with the
 * point's credential and shows the server's grade, what is wrong and what to do (in the
 * page's language), and the figures. The grade and its advice come from the server.
 */
import { type ConnectivityResult, testConnectivity } from '/sdk/diemcau-client.js';
import { byId, element } from './dom.js';
import type { Translator } from './i18n.js';

export class ConnectivityPanel {
  readonly #token: () => string;
  readonly #t: Translator;
  #result: ConnectivityResult | null = null;
  #running = false;

  constructor(token: () => string, t: Translator) {
    this.#token = token;
    this.#t = t;
    byId('connectivity-test').addEventListener('click', () => void this.run());
    t.onChange(() => this.render());
  }

  async run(): Promise<void> {
    if (this.#running) {
      return;
    }
    this.#running = true;
    const button = byId<HTMLButtonElement>('connectivity-test');
    const bar = byId<HTMLProgressElement>('connectivity-progress');
    const step = byId('connectivity-step');
    const box = byId('connectivity-result');
    button.disabled = true;
    bar.hidden = false;
    box.hidden = true;
    try {
      this.#result = await testConnectivity({
        token: this.#token(),
        onProgress: (now, fraction) => {
          bar.value = fraction;
          step.textContent = this.#t.get(`test.step.${now}`);
        },
      });
      this.render();
    } catch (err) {
      this.#result = null;
      box.hidden = false;
      box.dataset['grade'] = 'error';
      box.replaceChildren(
        element(
          'p',
          'error',
          this.#t.get('test.failed').replace('{error}', (err as Error).message ?? String(err)),
        ),
      );
    } finally {
      this.#running = false;
      button.disabled = false;
      bar.hidden = true;
      step.textContent = '';
    }
  }

  render(): void {
    const r = this.#result;
    if (!r) {
      return;
    }
    const t = this.#t;
    const box = byId('connectivity-result');
    box.hidden = false;
    box.dataset['grade'] = r.grade;
    byId('connectivity-test').textContent = t.get('test.again');
    const head = element('p', `grade grade-${r.grade}`, t.get(`test.grade.${r.grade}`));
    head.dataset['testid'] = 'connectivity-grade';
    const findings = element('ul', 'findings');
    for (const f of r.findings) {
      const li = element('li', `finding finding-${f.grade}`, f.message[t.lang]);
      li.dataset['code'] = f.code;
      findings.append(li);
    }
    const c = r.client;
    const pair = (a: number | null, b: number | null, unit: string): string =>
      `${a ?? '—'} / ${b ?? '—'} ${unit}`;
    const rows: [string, string][] = [
      ['test.figure.up', `${Math.max(c.upKbps, c.availableOutgoingKbps ?? 0).toFixed(0)} kbit/s`],
      [
        'test.figure.down',
        `${Math.max(c.downKbps, r.server.availableOutgoingKbps ?? 0).toFixed(0)} kbit/s`,
      ],
      ['test.figure.rtt', c.rttMs === null ? '—' : `${c.rttMs.toFixed(0)} ms`],
      ['test.figure.loss', pair(c.upLossPct, c.downLossPct, '%')],
      ['test.figure.jitter', pair(c.upJitterMs, c.downJitterMs, 'ms')],
      ['test.figure.transport', (c.transport ?? r.server.protocol ?? '—').toUpperCase()],
      ['test.figure.video', `${c.videoCopiesDecoding} / ${c.videoCopies}`],
      ['test.figure.browser', c.platform],
    ];
    const table = element('table', 'figures');
    for (const [key, value] of rows) {
      const tr = document.createElement('tr');
      tr.append(element('th', '', t.get(key)), element('td', '', value));
      table.append(tr);
    }
    const saved = element(
      'p',
      'saved',
      t
        .get('test.savedAs')
        .replace('{slot}', t.get(`test.slot.${r.slot}`))
        .replace('{time}', new Date(r.at).toLocaleString(t.lang === 'vi' ? 'vi-VN' : 'en-GB')),
    );
    box.replaceChildren(head, findings, table, saved);
  }
}
