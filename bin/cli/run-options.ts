/**
 * The run-option flags shared by `rlm run`, `rlm batch` and `rlm submit`, their help lines and their parsing
 * into `RunConfig`: all derived from the settings table (`lambdas/core/settings.ts`).
 */
import { InvalidInputError } from '../../lambdas/core/errors';
import { boundsOf, isNumericSetting, RUN_SETTING_NAMES, SETTINGS, type SettingFlag, type SettingName } from '../../lambdas/core/settings';
import type { RunConfig } from '../../lambdas/core/types';
import { intFlag, numberFlag } from './args';

/** The run settings that have a CLI flag, with it. */
const FLAGGED = RUN_SETTING_NAMES.flatMap((name) => {
  const flag = (SETTINGS[name] as { flag?: SettingFlag }).flag;
  return flag ? [{ name, flag }] : [];
});

/** The flag names of the run settings (the table's `flag.name`). */
type RunFlagName = { [K in (typeof RUN_SETTING_NAMES)[number]]: (typeof SETTINGS)[K] extends { flag: { name: infer N } } ? N : never }[(typeof RUN_SETTING_NAMES)[number]];

/** `parseArgs` option specs of the run options. */
export const RUN_OPTION_FLAGS = Object.fromEntries(FLAGGED.map(({ flag }) => [
  flag.name, flag.short ? { type: 'string', short: flag.short } : { type: 'string' },
])) as Record<RunFlagName, { type: 'string'; short?: string }>;

/** Parsed values of `RUN_OPTION_FLAGS`. */
export type RunOptionValues = Partial<Record<RunFlagName, string>>;

/** Help lines of the run options (`  -n, --max-iterations N   root turns ...`), one a setting. */
export function runOptionsHelp(width = 26): string[] {
  return FLAGGED.map(({ name, flag }) => {
    const left = `${flag.short ? `-${flag.short}, ` : '    '}--${flag.name} ${flag.placeholder}`;
    return `  ${left.padEnd(width)} ${SETTINGS[name].help}`;
  });
}

/** Model IDs used with a scripted model when none is given: priced at 0, so costs do not pretend to be Claude's. */
export const SCRIPTED_MODEL_IDS = { rootModelId: 'scripted-root', subModelId: 'scripted-sub' } as const;

/** One flag's value as the setting, checked against the table's bounds (in the flag's unit). */
function settingFromFlag(name: SettingName, flag: SettingFlag, raw: string | undefined): string | number | undefined {
  if (raw === undefined) return undefined;
  const spec = SETTINGS[name];
  if (!isNumericSetting(name)) {
    if (!raw.trim()) throw new InvalidInputError(`--${flag.name} must not be empty`);
    return raw.trim();
  }
  const scale = flag.scale ?? 1;
  const isInt = scale === 1 && !spec.schema.safeParse(0.5).success;
  const n = isInt ? intFlag(flag.name, raw) as number : numberFlag(flag.name, raw) as number;
  const value = scale === 1 ? n : Math.round(n * scale);
  const { min, max } = boundsOf(name);
  const minReason = (spec as { minReason?: string }).minReason;
  if (value < min && minReason) {
    throw new InvalidInputError(`--${flag.name} must be at least ${min / scale}${scale === 1000 ? ' seconds' : ''} (${minReason}), got ${raw}`);
  }
  if (value < min || value > max) {
    throw new InvalidInputError(`--${flag.name} must be from ${min / scale} to ${max / scale}, got "${raw}"`);
  }
  return value;
}

/**
 * Turn run-option flags into run-config overrides (only the flags given). With `scripted`, missing model
 * IDs become the scripted ones. Throws `InvalidInputError` naming a bad flag.
 */
export function runOptionsFromFlags(values: RunOptionValues, opts: { scripted?: boolean } = {}): Partial<RunConfig> {
  const options: Record<string, unknown> = {};
  for (const { name, flag } of FLAGGED) {
    const v = settingFromFlag(name, flag, values[flag.name as RunFlagName]);
    if (v !== undefined) options[name] = v;
  }
  if (opts.scripted) {
    options.rootModelId ??= SCRIPTED_MODEL_IDS.rootModelId;
    options.subModelId ??= SCRIPTED_MODEL_IDS.subModelId;
  }
  return options as Partial<RunConfig>;
}
