/**
 * `diemcau <command>`: the one entry point for operators and IT centers' scripts.
 * Exit codes: 0 success, 1 failure (a readable reason on stderr), 2 bad usage or
 * invalid configuration (the message names the key).
 */
import { isDiemcauError } from '../../common/errors.js';
import { configCommand } from './configCommand.js';
import { doctor } from './doctor.js';
import { recordingsCommand } from './recordingsCommand.js';
import { serve } from './serve.js';
import { serviceCommand } from './serviceCommand.js';
import { tokenCommand } from './tokenCommand.js';
import {
  inviteCommand,
  operatorCommand,
  pointCommand,
  sessionCommand,
} from './planningCommands.js';
import { workerCommand } from './workerCommand.js';
import { packageVersion } from '../../common/paths.js';

const USAGE = `diemcau ${packageVersion}: WebRTC bridge for online citizen reception

Usage:
  diemcau serve [--config FILE]          start the server (HTTP, signaling, media workers)
  diemcau doctor [--config FILE] [--json] check this machine; non-zero if something is wrong
  diemcau token --session S --point P --role operator|host|delegate|observer
                [--name NAME] [--kind central|delegate] [--ttl 12h] [--url]
                                         make an invitation token for one bridge point
  diemcau session create|list|show|edit|open|end|cancel …
                                         plan and run reception sessions (--json on listings)
  diemcau point add|edit|remove SESSION [POINT] …
                                         a session's bridge points
  diemcau invite SESSION POINT [--format html|txt] [--lang vi|en] [--out FILE]
                                         a point's invitation, with its login (issued if needed)
  diemcau operator add NAME --password-stdin | list | remove NAME | token NAME [--ttl 30d]
                                         operator accounts, and bearer tokens for scripts
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
  diemcau <command> --help               what a command does, and its options

Configuration: config/default.json, then --config FILE (JSON or YAML), then
DIEMCAU_<SECTION>_<KEY> environment variables (e.g. DIEMCAU_HTTP_PORT=4443).
`;

/** Each command's own help: `diemcau <command> --help` (or `-h`, or `diemcau help <command>`). */
const HELP: Record<string, string> = {
  serve: `Usage: diemcau serve [--config FILE]

Starts the server: HTTP API and pages, WebSocket signaling, the mediasoup workers and
the recorder. SIGINT or SIGTERM shut it down cleanly (recordings finished), exit 0.`,
  doctor: `Usage: diemcau doctor [--config FILE] [--json]

Checks this machine: Node.js, the mediasoup worker, ffmpeg, the ports (a diemcau
already running on them is reported as such), free disk for the archive.
Exit 1 with a list of what is wrong.`,
  token: `Usage: diemcau token --session S --point P --role operator|host|delegate|observer
                     [--name NAME] [--kind central|delegate] [--ttl 12h] [--url]

Makes an invitation token for one bridge point of session S, or with --url the address
to open (http.publicUrl, else the bind address). It is signed with the data directory's
key: run it with the server's data directory.`,
  worker: `Usage: diemcau worker build [--source auto|prebuilt|offline] [--force] [--skip-checks]
       diemcau worker path [--config FILE]
       diemcau worker apt-packages build|runtime|test

Gets the mediasoup worker (this machine's cache, mediasoup's prebuilt download, else the
air-gapped build from mediasoup's sources), checked before it is kept; prints the binary
the server would run; lists the Debian packages each part needs.`,
  recordings: `Usage: diemcau recordings list [--json]
       diemcau recordings verify <sessionId|dir> [--json]
       diemcau recordings export <sessionId|dir> --to DIR
       diemcau recordings finalize <sessionId|dir> [--no-composite]

list: each archive with its status (complete, with gaps, composite failed, damaged,
unfinished), duration and size. verify: the audit chain, every media file (present,
size, SHA-256, readable, duration and seek index) and the record's completeness; exit 1
naming each problem and each gap. export: a verified copy on another disk. finalize:
joins a stopped server's segments and renders the composite.`,
  service: `Usage: diemcau service install [--user NAME] [--config FILE] [--unit-dir DIR]
                               [--lib-dir DIR] [--no-enable]
       diemcau service unit [--user NAME] [--config FILE] [--lib-dir DIR]

install (as root): a system user, its data directory, a copy of the worker, and the
systemd unit (restart on failure, 90 s to finish recordings on stop), enabled.
unit: prints the unit, for a hand install.`,
  config: `Usage: diemcau config [--config FILE]

Prints the effective configuration (defaults, the file, DIEMCAU_* variables), secrets hidden.`,
  version: 'Usage: diemcau version\n\nPrints the version.',
  session: `Usage: diemcau session create --title T --category a|b|c|d|e|other
                              --host-level ttcp|ban-tcd|ministry|province|district
                              --start ISO --end ISO [--case TEXT] [--chair NAME]
                              [--rehearsal ISO] [--link-mbps N] [--id ID] [--json]
       diemcau session list [--json]
       diemcau session show SESSION [--json]
       diemcau session edit SESSION [--title …] [--start ISO] … [--json]
       diemcau session open|end|cancel SESSION
       diemcau session ready SESSION --reason TEXT
       diemcau session archive SESSION

Plans a reception session (Decision 748): the plan is due 5 days ahead, invitations 3
days ahead, connectivity tests one day and two hours before; late steps are shown.
States: planned → invited → ready → live → ended → archived (cancelled before live).
Works with the server running or stopped, on the same database.`,
  point: `Usage: diemcau point add SESSION --kind central|delegate --name NAME
                          [--organisation ORG] [--person "ROLE: NAME"]… [--id ID] [--json]
       diemcau point edit SESSION POINT [--name …] [--organisation …] [--person …]
       diemcau point remove SESSION POINT

A session has exactly one central point and up to sessions.maxDelegatePoints delegates.`,
  invite: `Usage: diemcau invite SESSION POINT [--format html|txt] [--lang vi|en] [--out FILE]
                      [--reissue]

Prints (or writes) the point's invitation: the session, the instructions for the PC,
the join link, the login and password, the test and session times, the list of points.
Issues the point's credential first when none is in force; --reissue replaces it (the
old link and password stop working at once).`,
  operator: `Usage: diemcau operator add NAME --password-stdin
       diemcau operator list [--json]
       diemcau operator remove NAME
       diemcau operator token NAME [--ttl 30d]

Operator accounts sign in to the console (/console); a token is for scripts
(Authorization: Bearer …) and is revoked with its account.`,
};

const EXIT_2_CODES = new Set([
  'DC_ERR_CONFIG_INVALID',
  'DC_ERR_CONFIG_FILE_UNREADABLE',
  'DC_ERR_USAGE',
]);

const wantsHelp = (args: string[]): boolean => args.includes('--help') || args.includes('-h');

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== undefined && Object.hasOwn(HELP, command) && wantsHelp(rest)) {
    console.log(HELP[command]);
    return 0;
  }
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
    case 'session':
      return sessionCommand(rest);
    case 'point':
      return pointCommand(rest);
    case 'invite':
      return inviteCommand(rest);
    case 'operator':
      return operatorCommand(rest);
    case 'config':
      return configCommand(rest);
    case 'service':
      return serviceCommand(rest);
    case 'version':
    case '--version':
      console.log(packageVersion);
      return 0;
    case 'help': {
      const topic = rest[0];
      console.log(topic !== undefined && Object.hasOwn(HELP, topic) ? HELP[topic] : USAGE);
      return 0;
    }
    case undefined:
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
