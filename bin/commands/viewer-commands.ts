/** The commands that read local runs back (`rlm list/show/view/export`), with their help, for `bin/rlm.ts`. */
import { EXPORT_HELP, exportCommand } from './export';
import { LIST_HELP, listCommand } from './list';
import { SHOW_HELP, showCommand } from './show';
import { VIEW_HELP, viewCommand } from './view';

type IO = { stdout: (s: string) => void; stderr: (s: string) => void };

/** Help text and entry point of each viewer command. */
export const viewerCommands: Record<'list' | 'show' | 'view' | 'export', { help: string; run: (argv: string[], io: IO) => Promise<number> }> = {
  list: { help: LIST_HELP, run: listCommand },
  show: { help: SHOW_HELP, run: showCommand },
  view: { help: VIEW_HELP, run: viewCommand },
  export: { help: EXPORT_HELP, run: exportCommand },
};
