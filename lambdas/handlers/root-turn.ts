/** Lambda entry point for the root-turn task (being written; see lambdas/handlers/lambda-env.ts for its environment). */
export const handler = async (_event: unknown): Promise<never> => {
  throw new Error('root-turn handler is not wired yet');
};
