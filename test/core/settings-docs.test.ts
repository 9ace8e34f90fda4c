/** The docs that list settings are checked against the settings table: a row added there must be documented. */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { KNOWN_CONTEXT_KEYS, RUN_SETTING_NAMES, SETTINGS, type SettingFlag } from '../../lambdas/core/settings';

const read = (file: string) => readFileSync(path.join(__dirname, '..', '..', file), 'utf8');

test('README lists every run flag of the table', () => {
  const readme = read('README.md');
  const flags = RUN_SETTING_NAMES.flatMap((k) => {
    const flag = (SETTINGS[k] as { flag?: SettingFlag }).flag;
    return flag ? [`--${flag.name}`] : [];
  });
  expect(flags.length).toBeGreaterThan(5);
  expect(flags.filter((f) => !readme.includes(`\`${f} `) && !readme.includes(`\`${f}\``))).toEqual([]);
});

test('docs/deploy.md has a row for every CDK context key the app knows', () => {
  const deploy = read('docs/deploy.md');
  expect(KNOWN_CONTEXT_KEYS.filter((k) => !deploy.includes(`| \`${k}\` |`))).toEqual([]);
});
