import dgram from 'node:dgram';
import path from 'node:path';
import t from 'tap';
import { resolveFfmpeg } from '../../archive/ffmpegBinary.js';
import { sha256File } from '../../common/sha256File.js';
import { tempDir } from '../../test/helpers/cli.js';
import { freePortBlock } from '../../test/helpers/ports.js';
import { createLogger } from '../../common/logger.js';
import { RecorderSupervisor } from './RecorderSupervisor.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

t.test(
  'the recorder process takes point recordings over IPC and ends with the server',
  async (t) => {
    const supervisor = await RecorderSupervisor.start(
      resolveFfmpeg(null).path,
      createLogger('silent'),
    );
    const pid = supervisor.health().pid as number;
    t.ok(alive(pid), 'a separate process');
    t.not(pid, process.pid);
    t.same(await supervisor.request({ type: 'ping' }), { points: [] });

    const base = await freePortBlock(2);
    const dir = path.join(tempDir('rec'), 'media');
    await supervisor.request({
      type: 'startPoint',
      key: 'ha-noi/camera',
      dir,
      workDir: path.join(dir, '..', 'work'),
      name: 'ha-noi-camera',
      segmentSeconds: 30,
      tracks: [
        {
          kind: 'audio',
          port: base,
          rtcpPort: base + 1,
          payloadType: 100,
          codec: 'opus',
          clockRate: 48000,
          channels: 2,
        },
      ],
    });
    t.same(
      await supervisor.request({ type: 'ping' }),
      { points: ['ha-noi/camera'] },
      'recording (ffmpeg listening)',
    );
    const stopped = await supervisor.request({ type: 'stopPoint', key: 'ha-noi/camera' });
    for (const segment of stopped.segments) {
      t.equal(await sha256File(segment.file), segment.sha256, 'closed segments come back hashed');
    }
    t.same(await supervisor.request({ type: 'ping' }), { points: [] }, 'stopped');

    // A port someone else holds: ffmpeg cannot listen, and the request says so.
    const squatter = dgram.createSocket('udp4');
    await new Promise<void>((r) => squatter.bind(base, '127.0.0.1', r));
    t.teardown(() => squatter.close());

    await t.rejects(
      supervisor.request({
        type: 'startPoint',
        key: 'bad',
        dir,
        workDir: path.join(dir, '..', 'work'),
        name: 'bad',
        segmentSeconds: 30,
        tracks: [
          {
            kind: 'video',
            port: base,
            rtcpPort: base + 1,
            payloadType: 101,
            codec: 'VP8',
            clockRate: 90000,
          },
        ],
      }),
      { code: 'DC_ERR_UNAVAILABLE' },
      'an ffmpeg that cannot listen is reported, not hung on',
    );

    await supervisor.close();
    await new Promise((r) => setTimeout(r, 200));
    t.notOk(alive(pid), 'the recorder process is gone after close()');
    t.equal(supervisor.health().alive, false);
  },
);
