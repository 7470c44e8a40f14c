import { spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { errors } from '../../common/errors.js';

/**
 * Runs one build step, appending its output to the build log, and fails with the log's
 * last lines so the operator sees the compiler's complaint, not just an exit code.
 */
export async function run(
  command: string,
  args: string[],
  options: { cwd?: string; log: WriteStream; env?: NodeJS.ProcessEnv },
): Promise<void> {
  options.log.write(`\n$ ${command} ${args.join(' ')}\n`);
  const tail: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const onData = (chunk: Buffer): void => {
      options.log.write(chunk);
      tail.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      tail.splice(0, Math.max(0, tail.length - 15));
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', resolve);
  }).catch((err: unknown) => {
    throw new errors.WORKER_BUILD_FAILED(`${command}: ${(err as Error).message}`);
  });
  if (code !== 0) {
    throw new errors.WORKER_BUILD_FAILED(
      `\`${command} ${args.join(' ')}\` exited ${code}:\n  ${tail.join('\n  ')}`,
    );
  }
}

export function openLog(file: string): WriteStream {
  return createWriteStream(file, { flags: 'a' });
}
