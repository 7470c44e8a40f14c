import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { tempDir } from '../../test/helpers/cli.js';
import { debEntries, debSrcFile } from './debianSources.js';

t.test('deb-src twins of the configured deb entries, both apt formats', (t) => {
  const apt = tempDir('apt');
  mkdirSync(path.join(apt, 'sources.list.d'));
  writeFileSync(
    path.join(apt, 'sources.list.d', 'debian.sources'),
    [
      'Types: deb',
      '# http://snapshot.debian.org/archive/debian/20250520T000000Z',
      'URIs: http://deb.debian.org/debian',
      'Suites: bookworm bookworm-updates',
      'Components: main',
      'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg',
      '',
      'Types: deb',
      'URIs: http://mirror.example/debian-security',
      'Suites: bookworm-security',
      'Components: main',
      'Enabled: no',
    ].join('\n'),
  );
  writeFileSync(
    path.join(apt, 'sources.list'),
    '# comment\ndeb [arch=amd64 signed-by=/etc/apt/keyrings/site.gpg] http://mirror.gov.vn/debian bookworm main contrib\ndeb-src http://x y z\n',
  );
  const entries = debEntries(apt);
  t.equal(entries.length, 2, 'disabled stanzas and deb-src lines are skipped');
  const file = debSrcFile(entries);
  t.match(
    file,
    /Types: deb-src\nURIs: http:\/\/mirror\.gov\.vn\/debian\nSuites: bookworm\nComponents: main contrib\nSigned-By: \/etc\/apt\/keyrings\/site\.gpg/,
  );
  t.match(
    file,
    /Types: deb-src\nURIs: http:\/\/deb\.debian\.org\/debian\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: \/usr\/share\/keyrings\/debian-archive-keyring\.gpg/,
  );
  t.notMatch(file, /mirror\.example/);
  t.end();
});
