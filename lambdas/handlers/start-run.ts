/** Lambda entry point for the start-run task (being written; see lambdas/handlers/lambda-env.ts for its environment). */
export const handler = async (_event: unknown): Promise<never> => {
  throw new Error('start-run handler is not wired yet');
};
