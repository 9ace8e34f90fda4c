import type { PriceTable } from './pricing';
import type {
  ConversationStore, DocumentStore, EventPublisher, LanguageModel, Logger, MetricsSink,
  ProgressListener, Sandbox, SandboxStartOptions,
} from './ports';
import { allowedModelsOf } from './budget';
import { MAX_CAPTURE_CHARS } from './config';
import type { RunRecord } from './types';

/** Everything the engine's steps need, injected by handlers (AWS) or the local runner. */
export interface EngineDeps {
  store: ConversationStore;
  sandbox: Sandbox;
  /** Serves both roles: root (`role: 'root'`) and, where the sandbox bridges to the host, sub-calls. */
  model: LanguageModel;
  documents: DocumentStore;
  events: EventPublisher;
  logger: Logger;
  metrics: MetricsSink;
  prices?: PriceTable;
  progress?: ProgressListener;
  /** Milliseconds clock (injectable for tests). */
  now?: () => number;
}

/** The sandbox start options of a run. */
export function sandboxOptionsFor(run: Pick<RunRecord, 'runId' | 'documents' | 'config'>): SandboxStartOptions {
  return {
    runId: run.runId,
    documents: run.documents,
    subModelId: run.config.subModelId,
    subConcurrency: run.config.subConcurrency,
    maxCaptureChars: MAX_CAPTURE_CHARS,
    allowedModels: allowedModelsOf(run.config),
    maxIterations: run.config.maxIterations,
    ...(run.config.subMaxOutputTokens !== undefined ? { subMaxOutputTokens: run.config.subMaxOutputTokens } : {}),
  };
}

/** ISO timestamp from the deps' clock. */
export function isoNow(deps: Pick<EngineDeps, 'now'>): string {
  return new Date((deps.now ?? Date.now)()).toISOString();
}
