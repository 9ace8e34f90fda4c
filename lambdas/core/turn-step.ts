/** Compatibility re-exports: the RootTurn task lives in `core/run/root-turn.ts`. */
export { runRootTurn, type RootTurnInput } from './run/root-turn';
