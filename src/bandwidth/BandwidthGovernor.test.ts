import t, { type Test } from 'tap';
import type { types } from 'mediasoup';
import { createLogger } from '../../common/logger.js';
import { BandwidthGovernor, type GovernedRoom } from './BandwidthGovernor.js';
import { STOP_AFTER_MS } from './Dynacast.js';
import { pointPeer } from '../../test/helpers/session.js';
import { oneWorkerPool, roomOn } from '../../test/helpers/workerPool.js';
import { VoiceRtpSender, voiceRtpParameters } from '../../test/helpers/voiceRtpSender.js';
import type { Peer } from '../sfu/Peer.js';
import type { Room } from '../sfu/Room.js';

// A new picture under the governor: held until a tick has fitted it in (the tick it
// asks for, not the next second's), never flowing at whatever layer it starts on.
const logger = createLogger('silent');
const pool = await oneWorkerPool(logger);
t.teardown(() => pool.close());

/**
 * A room and a governor that never ticks by itself (an hour between ticks), its share
 * of the link `linkMbps`.
 */
async function governedRoom(
  t: Test,
  o: { linkMbps: number; centralOnLan: boolean; dynacast: boolean },
): Promise<{ room: Room; governor: BandwidthGovernor }> {
  const room = await roomOn(pool, logger);
  const governed: GovernedRoom = { id: 's', room, linkMbps: o.linkMbps };
  const governor = new BandwidthGovernor(
    {
      enabled: true,
      linkMbps: 30,
      headroomPct: 10,
      delegateDownlinkMbps: 5,
      centralOnLan: o.centralOnLan,
      dynacast: o.dynacast,
    },
    () => [governed],
    logger,
    3_600_000,
  );
  t.teardown(() => {
    governor.close();
    room.close();
  });
  return { room, governor };
}

/** A governed room, all across the link, joined by the central point and `delegates`. */
async function centralAnd(t: Test, linkMbps: number, delegates: readonly string[]) {
  const { room, governor } = await governedRoom(t, {
    linkMbps,
    centralOnLan: false,
    dynacast: false,
  });
  const caps = await room.rtpCapabilities();
  const central = pointPeer('s', 'central', 'central');
  const others = delegates.map((id) => pointPeer('s', id));
  for (const p of [central, ...others]) {
    await room.join(p, caps);
  }
  return { room, governor, central, delegates: others };
}

/** A point's simulcast camera (120/350/900 kbit/s encodings, SSRCs from `ssrc`). */
async function camera(room: Room, peer: Peer, ssrc: number): Promise<string> {
  const send = await room.media.createPlainTransport(peer, 'send');
  const { id } = await room.produce(peer, {
    transportId: send.id,
    kind: 'video',
    source: 'camera',
    rtpParameters: {
      codecs: [{ mimeType: 'video/VP8', payloadType: 101, clockRate: 90000 }],
      encodings: [120_000, 350_000, 900_000].map((maxBitrate, i) => ({
        ssrc: ssrc + i,
        maxBitrate,
      })),
    },
  });
  return id;
}

/**
 * A session where the central point sends a simulcast camera (120/350/900 kbit/s
 * encodings) and a delegate is about to receive it; a governor that never ticks by
 * itself (an hour between ticks), its share of the link `linkMbps`.
 */
async function setUp(
  t: Test,
  linkMbps: number,
  options: { dynacast?: boolean; toCentral?: (method: string, data: unknown) => void } = {},
) {
  const { room, governor } = await governedRoom(t, {
    linkMbps,
    centralOnLan: true,
    dynacast: options.dynacast ?? false,
  });
  const caps = await room.rtpCapabilities();
  const central = pointPeer('s', 'central', 'central', {
    channel: { notify: options.toCentral ?? (() => undefined), close: () => undefined },
  });
  const hue = pointPeer('s', 'hue');
  await room.join(central, caps);
  await room.join(hue, caps);
  const producerId = await camera(room, central, 1111);
  // The governor takes the session in hand before anyone receives.
  await governor.tick();
  const recv = await room.media.createPlainTransport(hue, 'recv');
  await recv.connect({ ip: '127.0.0.1', port: 9 });
  /** The delegate's page takes the camera and resumes it at once, as pages do. */
  const receive = async (): Promise<types.Consumer> => {
    const { id } = await room.media.consume(hue, recv.id, producerId);
    const consumer = hue.consumers.get(id) as types.Consumer;
    await room.media.resumeConsumer(hue, id);
    return consumer;
  };
  return { governor, receive, room, central, hue };
}

/** A point's microphone, fed by a hand-made sender that speaks when told. */
async function microphone(t: Test, room: Room, peer: Peer, ssrc: number): Promise<VoiceRtpSender> {
  const send = await room.media.createPlainTransport(peer, 'send');
  await room.produce(peer, {
    transportId: send.id,
    kind: 'audio',
    source: 'mic',
    rtpParameters: voiceRtpParameters(ssrc),
  });
  const sender = await VoiceRtpSender.start(send.tuple.localPort, ssrc);
  t.teardown(() => sender.close());
  return sender;
}

async function until(ms: number, ready: () => boolean): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > deadline) {
      return false;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

t.test('a new picture that fits flows once the tick it asked for has fitted it', async (t) => {
  const { governor, receive } = await setUp(t, 30);
  const consumer = await receive();
  t.ok(consumer.paused, 'held after the page resumed it: not at the layer it starts on');
  t.ok(
    await until(3000, () => !consumer.paused),
    'flowing without waiting for a periodic tick (there is none within the hour)',
  );
  const planned = governor.status('s')?.consumers.find((c) => c.consumerId === consumer.id);
  t.same(planned?.layers?.spatial, 2, 'at the layer the plan gave it (the large one fits)');
  t.equal(consumer.preferredLayers?.spatialLayer, 2, 'and mediasoup was told that layer');
});

t.test('a new picture that does not fit is never sent, not even for a moment', async (t) => {
  // 0.1 Mbit/s: not even the 120 kbit/s thumbnail fits.
  const { governor, receive } = await setUp(t, 0.1);
  let resumed = 0;
  const consumer = await receive();
  consumer.observer.on('resume', () => resumed++);
  t.ok(
    await until(3000, () =>
      (governor.status('s')?.consumers ?? []).some((c) => c.consumerId === consumer.id),
    ),
    'the tick it asked for planned it',
  );
  const planned = governor.status('s')?.consumers.find((c) => c.consumerId === consumer.id);
  t.equal(planned?.layers, null, 'planned paused');
  t.ok(consumer.paused, 'still paused');
  t.equal(resumed, 0, 'never resumed in between');
});

t.test('a governor that does not answer keeps no picture out of sight for long', async (t) => {
  const { governor, receive } = await setUp(t, 30);
  // Stopped after taking the session in hand: the tick a new picture asks for never comes.
  governor.close();
  const consumer = await receive();
  t.ok(consumer.paused, 'held at first');
  t.ok(await until(6000, () => !consumer.paused), 'flowing after the hold (3 s), ungoverned');
});

t.test(
  'a voice wakes the layers dynacast stopped, before the speaker detection names it',
  async (t) => {
    const told: number[] = [];
    const { governor, room, central, hue } = await setUp(t, 30, {
      dynacast: true,
      toCentral: (method, data) => {
        if (method === 'publishLayers') {
          told.push((data as { maxSpatialLayer: number }).maxSpatialLayer);
        }
      },
    });
    const hueMic = await microphone(t, room, hue, 3333);
    await new Promise((r) => setTimeout(r, 1000));
    hueMic.speak(-25);
    t.ok(await until(5000, () => room.media.activeSpeaker === 'hue'), 'the delegate speaks');
    // Nobody receives the central point's camera, and it has never spoken: five seconds
    // on, its medium and large layers trickle.
    await new Promise((r) => setTimeout(r, STOP_AFTER_MS + 100));
    await governor.tick();
    t.same(told, [0], 'told to send its thumbnail only');
    const centralMic = await microphone(t, room, central, 2222);
    await new Promise((r) => setTimeout(r, 500));
    t.same(told, [0], 'a quiet microphone wakes nothing');
    centralMic.speak(-25);
    let loudestWhenWoken: string | null = null;
    t.ok(
      await until(3000, () => {
        loudestWhenWoken = room.media.activeSpeaker;
        return told.at(-1) === 2;
      }),
      'it speaks: told within a moment to send every layer again (there is no tick within the hour)',
    );
    t.equal(loudestWhenWoken, 'hue', 'before the detection names it');
    await new Promise((r) => setTimeout(r, 600));
    t.same(told, [0, 2], 'a voice that goes on asks nothing more');
  },
);

t.test('a new speaker holds from its first word, not from when it is named', async (t) => {
  const { governor, room, central, hue } = await setUp(t, 30);
  const centralMic = await microphone(t, room, central, 2222);
  const hueMic = await microphone(t, room, hue, 3333);
  await new Promise((r) => setTimeout(r, 1000));
  centralMic.speak(-25);
  t.ok(
    await until(5000, () => governor.status('s')?.stageSpeaker === 'central'),
    'the first to speak takes the stage',
  );
  let namedAt: number | null = null;
  room.media.on('activespeaker', (pointId) => {
    if (pointId === 'hue') {
      namedAt ??= Date.now();
    }
  });
  // The delegate starts as the central point finishes: the detection names it only once
  // the central point has stopped, a second after its first word.
  const firstWord = Date.now();
  hueMic.speak(-30);
  await new Promise((r) => setTimeout(r, 1000));
  centralMic.speak(null);
  t.ok(
    await until(6000, () => governor.status('s')?.stageSpeaker === 'hue'),
    'the next speaker takes the stage',
  );
  const onStage = Date.now();
  t.ok(namedAt !== null, 'once the detection named it');
  const named = namedAt ?? onStage;
  t.ok(named - firstWord >= 1000, `named ${named - firstWord} ms after its first word`);
  t.ok(
    onStage - named < 800,
    `on the stage ${onStage - named} ms after it was named: it had held since its first word`,
  );
});

t.test(
  'on a full link what steps down goes first, and what rises (a new speaker, a new screen) just after',
  async (t) => {
    // 1.3 Mbit/s: one large layer (900 kbit/s) and a thumbnail (120) fit, two large don't.
    const { room, governor, central, delegates } = await centralAnd(t, 1.3, ['hue', 'hanoi']);
    const [hue, hanoi] = delegates as [Peer, Peer];
    const centralCamera = await camera(room, central, 1111);
    const hueCamera = await camera(room, hue, 5555);
    const centralMic = await microphone(t, room, central, 2222);
    const hueMic = await microphone(t, room, hue, 3333);
    await governor.tick();
    const recv = await room.media.createPlainTransport(hanoi, 'recv');
    await recv.connect({ ip: '127.0.0.1', port: 9 });
    const receive = async (producerId: string): Promise<types.Consumer> => {
      const { id } = await room.media.consume(hanoi, recv.id, producerId);
      await room.media.resumeConsumer(hanoi, id);
      return hanoi.consumers.get(id) as types.Consumer;
    };
    const ofCentral = await receive(centralCamera);
    const ofHue = await receive(hueCamera);
    const layer = (c: types.Consumer): number | undefined => c.preferredLayers?.spatialLayer;

    await new Promise((r) => setTimeout(r, 1000));
    centralMic.speak(-25);
    t.ok(
      await until(5000, () => layer(ofCentral) === 2 && layer(ofHue) === 0),
      'the central point speaks: large, the delegate a thumbnail',
    );
    // Watched every few ms: the link never carries both large at once.
    let bothLarge = false;
    let fellAt: number | null = null;
    let roseAt: number | null = null;
    const watch = setInterval(() => {
      const now = Date.now();
      bothLarge ||= layer(ofCentral) === 2 && layer(ofHue) === 2;
      if (fellAt === null && layer(ofCentral) === 0) {
        fellAt = now;
      }
      if (roseAt === null && layer(ofHue) === 2) {
        roseAt = now;
      }
    }, 5);
    t.teardown(() => clearInterval(watch));
    hueMic.speak(-30);
    await new Promise((r) => setTimeout(r, 1000));
    centralMic.speak(null);
    t.ok(await until(6000, () => roseAt !== null), 'the delegate, now speaking, is raised');
    clearInterval(watch);
    t.notOk(bothLarge, 'never both large: the fall went first');
    const fell = fellAt ?? Infinity;
    const rose = roseAt ?? Infinity;
    t.ok(fell <= rose, 'the old speaker fell before the new one rose');
    t.ok(
      rose - fell < 1000,
      `the new speaker rose ${rose - fell} ms after the fall, without waiting for a tick (none within the hour)`,
    );

    // The central point shares a screen (400 kbit/s): the speaker steps down to its
    // medium layer for it, and the screen flows only once it has.
    const send = await room.media.createPlainTransport(central, 'send');
    const { id: screenId } = await room.produce(central, {
      transportId: send.id,
      kind: 'video',
      source: 'screen',
      rtpParameters: {
        codecs: [{ mimeType: 'video/VP8', payloadType: 101, clockRate: 90000 }],
        encodings: [{ ssrc: 7777, maxBitrate: 400_000 }],
      },
    });
    const { id } = await room.media.consume(hanoi, recv.id, screenId);
    const screen = hanoi.consumers.get(id) as types.Consumer;
    let speakerWhenScreenFlowed: number | undefined;
    screen.observer.on('resume', () => (speakerWhenScreenFlowed = layer(ofHue)));
    await room.media.resumeConsumer(hanoi, id);
    t.ok(await until(3000, () => !screen.paused), 'the screen flows');
    t.equal(layer(ofHue), 1, 'the speaker at its medium layer beside it');
    t.equal(speakerWhenScreenFlowed, 1, 'and had stepped down before the screen flowed');
  },
);

t.test(
  'a page that puts the speaker on its stage after the governor did gets it large at once',
  async (t) => {
    const { room, governor, central, delegates } = await centralAnd(t, 30, ['hanoi']);
    const [hanoi] = delegates as [Peer];
    const centralCamera = await camera(room, central, 1111);
    const centralMic = await microphone(t, room, central, 2222);
    await governor.tick();
    const recv = await room.media.createPlainTransport(hanoi, 'recv');
    await recv.connect({ ip: '127.0.0.1', port: 9 });
    const { id } = await room.media.consume(hanoi, recv.id, centralCamera);
    await room.media.resumeConsumer(hanoi, id);
    const consumer = hanoi.consumers.get(id) as types.Consumer;
    // Hanoi's page shows the central point as a thumbnail until its own stage follows.
    await room.media.setConsumerPreferredLayers(hanoi, id, 0, undefined);
    centralMic.speak(-25);
    t.ok(
      await until(5000, () => governor.status('s')?.stageSpeaker === 'central'),
      'the central point takes the stage',
    );
    await governor.tick();
    t.equal(
      consumer.preferredLayers?.spatialLayer,
      0,
      'planned at the thumbnail the page asked for',
    );
    // The page's stage follows a moment later: it asks for the large layer. No tick comes
    // by itself (an hour apart), and the slow way up would take three.
    const asked = Date.now();
    await room.media.setConsumerPreferredLayers(hanoi, id, 2, undefined);
    t.ok(
      await until(1000, () => consumer.preferredLayers?.spatialLayer === 2),
      `large ${Date.now() - asked} ms after the page asked`,
    );
  },
);
