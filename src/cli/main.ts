/**
 * `diemcau <command>`: the one entry point for operators and IT centers' scripts.
 * Exit codes: 0 success, 1 failure (a readable reason on stderr), 2 bad usage or
 * invalid configuration (the message names the key).
 */
import { isDiemcauError } from '../errors.js';
import { configCommand } from './configCommand.js';
import { doctor } from './doctor.js';
import { recordingsCommand } from './recordingsCommand.js';
import { serve } from './serve.js';
import { serviceCommand } from './serviceCommand.js';
import { tokenCommand } from './tokenCommand.js';
import { workerCommand } from './workerCommand.js';
import { packageVersion } from '../Server.js';

const USAGE = `diemcau ${packageVersion}: WebRTC bridge for online citizen reception

Usage:
  diemcau serve [--config FILE]          start the server (HTTP, signaling, media workers)
  diemcau doctor [--config FILE] [--json] check this machine; non-zero if something is wrong
  diemcau token --session S --point P --role operator|host|delegate|observer
                [--name NAME] [--kind central|delegate] [--ttl 12h] [--url]
                                         make an invitation token for one bridge point
  diemcau worker build [--source auto|prebuilt|offline] [--force] [--skip-checks]
                                         get or build the mediasoup worker (air-gapped build)
  diemcau worker path                    print the worker binary the server would use
  diemcau worker apt-packages build|runtime|test
                                         list the Debian packages each needs
  diemcau recordings list [--json]       the session archives on this machine
  diemcau recordings verify <sessionId|dir>
                                         check an archive's audit chain and files; exit 1 naming each problem
  diemcau recordings export <sessionId|dir> --to DIR
                                         copy an archive (e.g. to an external drive), verify the copy
  diemcau recordings finalize <sessionId|dir> [--no-composite]
                                         join segments and render the composite (after a server stop)
  diemcau service unit|install [--user NAME] [--config FILE]
                                         run as a systemd service (own user, restart on failure)
  diemcau config [--config FILE]         print the effective configuration (secrets hidden)
  diemcau version                        print the version

Configuration: config/default.json, then --config FILE (JSON or YAML), then
DIEMCAU_<SECTION>_<KEY> environment variables (e.g. DIEMCAU_HTTP_PORT=4443).
`;

const EXIT_2_CODES = new Set([
  'DC_ERR_CONFIG_INVALID',
  'DC_ERR_CONFIG_FILE_UNREADABLE',
  'DC_ERR_USAGE',
]);

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve(rest);
    case 'doctor':
      return doctor(rest);
    case 'worker':
      return workerCommand(rest);
    case 'token':
      return tokenCommand(rest);
    case 'recordings':
      return recordingsCommand(rest);
    case 'config':
      return configCommand(rest);
    case 'service':
      return serviceCommand(rest);
    case 'version':
    case '--version':
      console.log(packageVersion);
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      console.error(`diemcau: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (isDiemcauError(err)) {
      console.error(`diemcau: ${err.message} [${err.code}]`);
      process.exitCode = EXIT_2_CODES.has(err.code) ? 2 : 1;
    } else if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`diemcau: ${(err as Error).message}\n\n${USAGE}`);
      process.exitCode = 2;
    } else {
      console.error('diemcau: unexpected failure:', err);
      process.exitCode = 1;
    }
  },
);
