import t from 'tap';
import { errors } from '../common/errors.js';
import { CLIENT_ERROR_CODES, SERVER_ERROR_CODES } from '../protocol/errors.js';
import { METHODS } from './signaling/methods.js';
import type { SignalingMethod } from '../protocol/signaling.js';

// The protocol module is what both sides compile against; these are the same facts at
// run time, for a reader who looks for them in the tests.
t.test('the error catalogue holds exactly the protocol’s codes, each once', (t) => {
  const catalogued = Object.values(errors).map((E) => new E().code);
  t.same([...catalogued].sort(), [...SERVER_ERROR_CODES, ...CLIENT_ERROR_CODES].sort());
  t.equal(new Set(catalogued).size, catalogued.length, 'no code reused');
  t.end();
});

t.test('the server serves every method of the protocol, and nothing else', (t) => {
  const methods: Record<SignalingMethod, true> = {
    auth: true,
    getRouterRtpCapabilities: true,
    join: true,
    leave: true,
    createWebRtcTransport: true,
    connectWebRtcTransport: true,
    restartIce: true,
    produce: true,
    closeProducer: true,
    pauseProducer: true,
    resumeProducer: true,
    consume: true,
    resumeConsumer: true,
    setConsumerPreferredLayers: true,
    getStats: true,
    mutePoint: true,
    unmutePoint: true,
    removePoint: true,
    lockSession: true,
    spotlight: true,
    setRecording: true,
    endSession: true,
    ping: true,
    finishConnectivityTest: true,
  };
  t.same(Object.keys(METHODS).sort(), Object.keys(methods).sort());
  t.end();
});
