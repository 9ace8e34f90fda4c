/** Run every benchmark in turn and print their figures: `npm run bench`. */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const benches = ['orchestration-bench.ts', 'turn-parts.ts', 'sandbox-bench.ts', 'view-bench.ts', 'cli-start.ts', 'host-under-load.ts'];
let failed = 0;
for (const b of benches) {
  console.log(`\n===== ${b} =====`);
  const r = spawnSync(process.execPath, [require.resolve('tsx/cli'), path.join(__dirname, b)], { stdio: 'inherit' });
  if (r.status !== 0) failed += 1;
}
process.exit(failed ? 1 : 0);
