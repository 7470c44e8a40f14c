import { tcpFree, udpFree } from '../../common/portFree.js';

/**
 * A block of `count` consecutive ports free on 127.0.0.1 for both UDP and TCP, so
 * test files running in parallel never fight over a worker's WebRtcServer port.
 */
export async function freePortBlock(count: number): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    let ok = true;
    for (let port = base; port < base + count && ok; port++) {
      ok = (await tcpFree('127.0.0.1', port)) && (await udpFree('127.0.0.1', port));
    }
    if (ok) {
      return base;
    }
  }
  throw new Error(`no block of ${count} free ports found`);
}
