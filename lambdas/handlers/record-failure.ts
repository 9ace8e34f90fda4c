/** Lambda entry point for the record-failure task (being written; see lambdas/handlers/lambda-env.ts for its environment). */
export const handler = async (_event: unknown): Promise<never> => {
  throw new Error('record-failure handler is not wired yet');
};
