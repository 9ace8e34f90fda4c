/**
 * Task resources other than plain Lambda ARNs, as the batch machine uses them:
 * `aws-sdk:sfn:listExecutions`, `states:startExecution.sync:2`, `aws-sdk:s3:putObject`, and its
 * Distributed Map, which aws-local-stepfunctions cannot run: the twin replaces the Map state by a Task
 * that follows its contract — read the items with the ItemReader (S3 GetObject, JSON array), run the
 * ItemProcessor once per item as its own execution (the child's `$$.Execution.Id` is the item's),
 * at most MaxConcurrency at a time, and fail with `States.ExceedToleratedFailureThreshold` past
 * ToleratedFailurePercentage. A ResultWriter (not used by the stack today) is rejected loudly.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DefinitionTransform, Execution, TwinStepFunctions } from './executions';
import { NO_STATE_TIMEOUT_SECONDS, SfnApiError } from './executions';

/** A task error as Step Functions names it. */
class TaskError extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

function at(input: unknown, jsonPath: string): unknown {
  if (!jsonPath.startsWith('$')) throw new Error(`unsupported path ${jsonPath}`);
  let v: unknown = input;
  for (const part of jsonPath.slice(1).split('.').filter(Boolean)) v = (v as Record<string, unknown> | undefined)?.[part];
  return v;
}

/** Resolve a Parameters block whose `.$` values are plain `$.a.b` paths. */
function parameters(params: Record<string, unknown>, input: unknown): Record<string, unknown> {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => k.endsWith('.$') ? [k.slice(0, -2), at(input, String(v))] : [k, v]));
}

/** Resolver for the Step Functions and S3 service integrations the batch machine uses. */
export function serviceTaskResolver(sfn: () => TwinStepFunctions, s3: S3Client) {
  return async (resource: string, input: unknown): Promise<unknown> => {
    const p = (input ?? {}) as Record<string, unknown>;
    if (resource === 'arn:aws:states:::aws-sdk:sfn:listExecutions') {
      try {
        const list = sfn().list(String(p.StateMachineArn), p.StatusFilter as string | undefined).slice(0, Number(p.MaxResults ?? 100));
        return { Executions: list.map((e) => ({ ExecutionArn: e.executionArn, StateMachineArn: e.stateMachineArn, Name: e.name, Status: e.status, StartDate: e.startDate.toISOString() })) };
      } catch (err) {
        if (err instanceof SfnApiError) throw new TaskError(`Sfn.${err.name}`, err.message);
        throw err;
      }
    }
    if (resource === 'arn:aws:states:::states:startExecution.sync:2') {
      let e: Execution;
      try {
        e = sfn().startExecution(String(p.StateMachineArn), JSON.stringify(p.Input ?? {}), p.Name as string | undefined);
      } catch (err) {
        if (err instanceof SfnApiError) throw new TaskError(`StepFunctions.${err.name}Exception`.replace('ExceptionException', 'Exception'), err.message);
        throw err;
      }
      await e.done;
      const described = {
        ExecutionArn: e.executionArn, StateMachineArn: e.stateMachineArn, Name: e.name, Status: e.status,
        StartDate: e.startDate.getTime(), StopDate: e.stopDate?.getTime(), Input: JSON.parse(e.input),
        ...(e.output !== undefined ? { Output: JSON.parse(e.output) } : {}), ...(e.error ? { Error: e.error } : {}), ...(e.cause ? { Cause: e.cause } : {}),
      };
      if (e.status !== 'SUCCEEDED') throw new TaskError('States.TaskFailed', JSON.stringify(described));
      return described;
    }
    if (resource === 'arn:aws:states:::aws-sdk:s3:putObject') {
      const out = await s3.send(new PutObjectCommand({
        Bucket: String(p.Bucket), Key: String(p.Key), Body: typeof p.Body === 'string' ? p.Body : JSON.stringify(p.Body),
        ...(p.ContentType ? { ContentType: String(p.ContentType) } : {}),
      }));
      return { ETag: out.ETag, ...(out.VersionId ? { VersionId: out.VersionId } : {}) };
    }
    throw new TaskError('States.Runtime', `the twin has no integration for Task resource ${resource}`);
  };
}

/** Replace each DISTRIBUTED Map state by a Task driven by its ItemReader/ItemProcessor contract. */
export function distributedMapTransform(s3: S3Client): DefinitionTransform {
  return (definition, sfn) => {
    const states = { ...(definition.States as Record<string, Record<string, unknown>>) };
    const extraHandlers: Record<string, (input: unknown, execution: Execution) => Promise<unknown>> = {};
    for (const [name, state] of Object.entries(states)) {
      const processor = state.ItemProcessor as Record<string, unknown> | undefined;
      if (state.Type !== 'Map' || (processor?.ProcessorConfig as { Mode?: string } | undefined)?.Mode !== 'DISTRIBUTED') continue;
      if (state.ResultWriter) throw new Error(`Map ${name}: the twin does not emulate ResultWriter`);
      const { ItemProcessor: _p, ItemReader: reader, MaxConcurrency, ToleratedFailurePercentage, Label: _l, ItemSelector, ItemsPath: _i, ...rest } = state;
      if (ItemSelector) throw new Error(`Map ${name}: the twin does not emulate ItemSelector`);
      // A Map state has no timeout of its own on AWS: the replacing Task must not get the local runner's 60 s.
      states[name] = { ...rest, Type: 'Task', Resource: `arn:aws:states:::twin:distributedMap:${name}`, TimeoutSeconds: NO_STATE_TIMEOUT_SECONDS };
      const { ProcessorConfig: _c, ...childDefinition } = processor as Record<string, unknown>;
      extraHandlers[name] = async (input, parent) => {
        const r = reader as { Resource: string; Parameters: Record<string, unknown>; ReaderConfig?: { InputType?: string } };
        if (r.Resource !== 'arn:aws:states:::s3:getObject' || r.ReaderConfig?.InputType !== 'JSON') throw new Error(`Map ${name}: only a JSON s3:getObject ItemReader is emulated`);
        const loc = parameters(r.Parameters, input);
        const obj = await s3.send(new GetObjectCommand({ Bucket: String(loc.Bucket), Key: String(loc.Key) }));
        const items = JSON.parse(await obj.Body!.transformToString()) as unknown[];
        if (!Array.isArray(items)) throw new TaskError('States.ItemReaderFailed', `ItemReader ${String(loc.Key)} is not a JSON array`);
        let failed = 0;
        let next = 0;
        const worker = async () => {
          while (next < items.length) {
            const index = next++;
            const child: Execution = {
              ...parent, executionArn: `${parent.executionArn.replace(':execution:', ':mapRun:')}/${name}:${index}`, name: `${parent.name}-${index}`,
              input: JSON.stringify(items[index]), states: [],
            };
            try {
              await sfn.runDefinition(sfn.registered(parent.stateMachineArn), childDefinition, items[index], child);
            } catch {
              failed++;
            }
          }
        };
        const concurrency = Math.max(1, Number(MaxConcurrency ?? 1000) || 1000);
        await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
        const tolerated = Number(ToleratedFailurePercentage ?? 0);
        if (items.length > 0 && (failed / items.length) * 100 > tolerated) {
          throw new TaskError('States.ExceedToleratedFailureThreshold', `${failed} of ${items.length} items failed`);
        }
        return null;
      };
    }
    return { definition: { ...definition, States: states }, extraHandlers };
  };
}
