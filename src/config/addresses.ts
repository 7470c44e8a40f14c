/**
 * The addresses a server binds and the ones its users reach it by. A bind that looks
 * fine alone can be useless with another: a page served to the network whose media
 * ports answer only this machine opens, asks for the camera, and never connects.
 */
import type { Config } from './schema.js';

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Every interface: fine to bind, meaningless to give anyone as an address. */
export function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::';
}

/** Cross-key problems, each naming the key to change (empty: the addresses fit). */
export function addressProblems(config: Readonly<Config>): string[] {
  const problems: string[] = [];
  const { host, publicUrl } = config.http;
  const { listenIp, announcedAddress } = config.mediasoup;
  const mediaReach = announcedAddress ?? listenIp;
  if (!isLoopback(host) && isLoopback(mediaReach)) {
    problems.push(
      `mediasoup.listenIp: ${listenIp} serves this machine only, while http.host ${host} ` +
        'serves the network: delegate points would open the page but their media could never ' +
        "connect; set mediasoup.listenIp to this machine's LAN address (or 0.0.0.0 with " +
        'mediasoup.announcedAddress)',
    );
  }
  if (isWildcard(listenIp) && announcedAddress === null) {
    problems.push(
      `mediasoup.announcedAddress: required when mediasoup.listenIp is ${listenIp} ` +
        '(browsers must be given an address they can reach, e.g. 192.168.1.10)',
    );
  }
  if (publicUrl !== null) {
    let url: URL | null = null;
    try {
      url = new URL(publicUrl);
    } catch {
      // Reported below.
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.search !== '') {
      problems.push(
        `http.publicUrl: must be an http(s) address such as https://192.168.1.10:4443, got ${JSON.stringify(publicUrl)}`,
      );
    } else if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
      problems.push(
        `http.publicUrl: ${publicUrl} is plain HTTP on a network address: browsers give camera and microphone only to https:// pages`,
      );
    }
  }
  return problems;
}

/**
 * The address delegates open (invitation links): `http.publicUrl`, else the bind address
 * when it is a real one. Null when the server binds every interface and no public
 * address is configured: nobody can be told where to go.
 */
export function publicUrlOf(config: Readonly<Config>, port = config.http.port): string | null {
  const { host, publicUrl, tlsCertFile } = config.http;
  if (publicUrl !== null) {
    return publicUrl.replace(/\/+$/, '');
  }
  if (isWildcard(host)) {
    return null;
  }
  const scheme = tlsCertFile !== null || !isLoopback(host) ? 'https' : 'http';
  const name = host.includes(':') ? `[${host}]` : host;
  return `${scheme}://${name}:${port}`;
}
