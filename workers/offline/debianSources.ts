/**
 * The offline build compiles OpenSSL from its pristine upstream tarball as Debian's
 * archive ships it (`openssl_<version>.orig.tar.gz`, checked against the archive's
 * signed index by apt). That needs `deb-src` entries; a stock Debian machine has only
 * `deb` ones, so we add the source twin of each configured `deb` entry (same mirror,
 * suites, components and key) in a file of our own.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const SOURCES_FILE = '/etc/apt/sources.list.d/diemcau-deb-src.sources';

interface Stanza {
  uris: string[];
  suites: string[];
  components: string[];
  signedBy: string | null;
}

/** `deb` entries of the machine's apt configuration, in both formats apt reads. */
export function debEntries(aptDir = '/etc/apt'): Stanza[] {
  const out: Stanza[] = [];
  const listFiles = [path.join(aptDir, 'sources.list')];
  const dir = path.join(aptDir, 'sources.list.d');
  if (existsSync(dir)) {
    for (const name of readdirSync(dir).sort()) {
      listFiles.push(path.join(dir, name));
    }
  }
  for (const file of listFiles) {
    if (!existsSync(file) || file === SOURCES_FILE) {
      continue;
    }
    const text = readFileSync(file, 'utf8');
    if (file.endsWith('.sources')) {
      out.push(...parseDeb822(text));
    } else if (file.endsWith('.list')) {
      out.push(...parseOneLine(text));
    }
  }
  return out;
}

function parseDeb822(text: string): Stanza[] {
  const stanzas: Stanza[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    for (const line of block.split('\n')) {
      const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
      if (m && !line.startsWith('#')) {
        fields.set((m[1] as string).toLowerCase(), (m[2] as string).trim());
      }
    }
    if (!(fields.get('types') ?? '').split(/\s+/).includes('deb')) {
      continue;
    }
    if ((fields.get('enabled') ?? 'yes') === 'no') {
      continue;
    }
    stanzas.push({
      uris: (fields.get('uris') ?? '').split(/\s+/).filter(Boolean),
      suites: (fields.get('suites') ?? '').split(/\s+/).filter(Boolean),
      components: (fields.get('components') ?? '').split(/\s+/).filter(Boolean),
      signedBy: fields.get('signed-by') ?? null,
    });
  }
  return stanzas;
}

function parseOneLine(text: string): Stanza[] {
  const stanzas: Stanza[] = [];
  for (const raw of text.split('\n')) {
    const m = /^\s*deb\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s+(.+)$/.exec(raw);
    if (!m) {
      continue;
    }
    const signedBy = /signed-by=(\S+)/.exec(m[1] ?? '')?.[1] ?? null;
    stanzas.push({
      uris: [m[2] as string],
      suites: [m[3] as string],
      components: (m[4] as string).split(/\s+/).filter(Boolean),
      signedBy,
    });
  }
  return stanzas;
}

export function debSrcFile(stanzas: Stanza[]): string {
  return (
    stanzas
      .filter((s) => s.uris.length > 0 && s.suites.length > 0)
      .map((s) =>
        [
          'Types: deb-src',
          `URIs: ${s.uris.join(' ')}`,
          `Suites: ${s.suites.join(' ')}`,
          `Components: ${s.components.join(' ')}`,
          ...(s.signedBy ? [`Signed-By: ${s.signedBy}`] : []),
        ].join('\n'),
      )
      .join('\n\n') + '\n'
  );
}

export function writeDebSrcFile(): void {
  writeFileSync(
    SOURCES_FILE,
    `# Written by diemcau's offline worker build.\n${debSrcFile(debEntries())}`,
  );
}
