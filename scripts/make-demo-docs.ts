/**
 * Generate the demo corpus in examples/demo/docs: three days of service logs with INFO/WARN lines
 * and a few INCIDENT lines. Deterministic (seeded), so the committed files can be regenerated.
 * Usage: npx tsx scripts/make-demo-docs.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

let seed = 20261124;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];

const services = ['checkout', 'payments', 'search', 'inventory', 'auth'];
const incidentWeight: Record<string, number> = { checkout: 3, payments: 14, search: 2, inventory: 4, auth: 1 };
const causes: Record<string, string[]> = {
  payments: ['upstream card processor timeout', 'connection pool exhausted', 'card processor returned 503'],
  checkout: ['cart service latency spike', 'stale price cache'],
  search: ['index shard unavailable'],
  inventory: ['replication lag on stock table', 'deadlock on reservation update'],
  auth: ['token signing key rotation delay'],
};
const infos = ['request served', 'cache refreshed', 'health check ok', 'batch job finished', 'config reloaded'];

const dir = path.join(__dirname, '..', 'examples', 'demo', 'docs');
mkdirSync(dir, { recursive: true });
for (const day of ['2026-11-01', '2026-11-02', '2026-11-03']) {
  const lines: string[] = [];
  for (let i = 0; i < 2400; i++) {
    const t = new Date(Date.parse(`${day}T00:00:00Z`) + i * 36_000).toISOString();
    const svc = pick(services);
    const r = rand();
    if (r < 0.004 * incidentWeight[svc]) lines.push(`${t} ${svc} INCIDENT sev=${1 + Math.floor(rand() * 3)} cause="${pick(causes[svc])}"`);
    else if (r < 0.08) lines.push(`${t} ${svc} WARN latency_ms=${200 + Math.floor(rand() * 800)}`);
    else lines.push(`${t} ${svc} INFO ${pick(infos)} latency_ms=${5 + Math.floor(rand() * 120)}`);
  }
  writeFileSync(path.join(dir, `${day}.log`), lines.join('\n') + '\n');
}
console.log(`wrote ${dir}`);
