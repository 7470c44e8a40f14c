import t from 'tap';
import type { RunningServer } from './cli.js';

/** After each failed test of this file, what the server logged above info, for the CI log. */
export function showServerWarningsOnFailure(server: RunningServer): void {
  t.afterEach((test) => {
    if (!test.passing()) {
      test.comment(
        server.logs
          .filter((l) => /"level":(40|50|60)/.test(l))
          .join('\n')
          .slice(-8000),
      );
    }
  });
}
