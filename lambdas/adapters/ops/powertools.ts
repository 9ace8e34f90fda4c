/**
 * Powertools for AWS Lambda behind the core's `Logger` and `MetricsSink` ports. Every log line carries
 * the run ID and turn (appended per invocation); metrics go out as CloudWatch EMF when flushed.
 */
import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { Logger, MetricsSink } from '../../core/ports';

/** The Powertools trio for one Lambda container. */
export interface Powertools {
  logger: PowertoolsLogger;
  metrics: Metrics;
  tracer: Tracer;
}

/** Create the Powertools instances (service name and namespace from POWERTOOLS_* env vars). */
export function createPowertools(serviceName = 'rlm-pipeline'): Powertools {
  return {
    logger: new PowertoolsLogger({ serviceName }),
    metrics: new Metrics({ serviceName, namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'RlmPipeline' }),
    tracer: new Tracer({ serviceName }),
  };
}

/** Adapt a Powertools logger to the core `Logger` port. */
export function loggerPort(logger: PowertoolsLogger): Logger {
  return {
    debug: (m, f) => logger.debug(m, f ?? {}),
    info: (m, f) => logger.info(m, f ?? {}),
    warn: (m, f) => logger.warn(m, f ?? {}),
    error: (m, f) => logger.error(m, f ?? {}),
  };
}

const UNITS = { Count: MetricUnit.Count, Seconds: MetricUnit.Seconds, Milliseconds: MetricUnit.Milliseconds, None: MetricUnit.NoUnit } as const;

/** Adapt Powertools metrics to the core `MetricsSink` port (flush with `metrics.publishStoredMetrics()`). */
export function metricsPort(metrics: Metrics): MetricsSink {
  return { count: (name, value, unit = 'Count') => metrics.addMetric(name, UNITS[unit], value) };
}
