import t from 'tap';
import { dtlsHandshakeCheck } from './dtlsCheck.js';
import { resolveWorkerBinary } from './workerBinary.js';
import { SRTP_SUITES, smokeCheck, srtpRoundTrip } from './workerSelfCheck.js';

const workerBin = resolveWorkerBinary(null).path;

t.test('worker, router, WebRTC and plain transports, produce/consume', async (t) => {
  const report = await smokeCheck(workerBin);
  t.same(report.routerCodecs.slice().sort(), ['audio/opus', 'video/VP8', 'video/rtx'].sort());
  t.ok(
    report.webRtcCandidates.some((c) => c.startsWith('udp:127.0.0.1:')),
    'UDP ICE candidate',
  );
  t.ok(
    report.webRtcCandidates.some((c) => c.startsWith('tcp:127.0.0.1:')),
    'TCP ICE candidate',
  );
  t.equal(report.consumerKind, 'audio');
  t.equal(report.transportCount, 2);
  t.ok(report.closedWithRouter, 'closing the router closes its transports and consumers');
});

t.test('a DTLS handshake with a real DTLS client (openssl s_client) completes', async (t) => {
  const result = await dtlsHandshakeCheck(workerBin);
  t.same(result, { iceState: 'completed', dtlsState: 'connected', workerAlive: true });
});

for (const suite of SRTP_SUITES) {
  t.test(`SRTP round trip between two PlainTransports: ${suite}`, async (t) => {
    const good = await srtpRoundTrip(workerBin, suite);
    t.ok(good.delivered >= good.sent - 2, `${good.delivered}/${good.sent} payloads arrived intact`);
    const bad = await srtpRoundTrip(workerBin, suite, { wrongKey: true, packets: 20 });
    t.equal(bad.delivered, 0, 'nothing passes with the wrong key');
  });
}
