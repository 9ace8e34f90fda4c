/**
 * One warm Lambda container of the twin: a Node process that loads the function's bundle (the cdk.out
 * asset dir, `Handler` = `file.export`) once and answers invocations over IPC, like the Lambda runtime
 * interface client does: an event and a context with `getRemainingTimeInMillis()`, `awsRequestId`,
 * `functionName`; the result, or `{errorType, errorMessage, trace}` for an error the handler threw.
 * The parent (lambda-emulator.ts) enforces the timeout by killing this process.
 */
'use strict';
const path = require('node:path');

const taskRoot = process.env.LAMBDA_TASK_ROOT;
const handlerSpec = process.env._HANDLER;
const dot = handlerSpec.lastIndexOf('.');
const modulePath = path.join(taskRoot, handlerSpec.slice(0, dot));
const exportName = handlerSpec.slice(dot + 1);

let handler;
let initError;
try {
  const mod = require(modulePath);
  handler = mod[exportName];
  if (typeof handler !== 'function') {
    initError = { errorType: 'Runtime.HandlerNotFound', errorMessage: `${handlerSpec} is undefined or not exported` };
  }
} catch (err) {
  initError = { errorType: 'Runtime.ImportModuleError', errorMessage: `Error: ${err && err.message}`, trace: String(err && err.stack).split('\n') };
}

function errorPayload(err) {
  if (err instanceof Error) {
    return { errorType: err.name || 'Error', errorMessage: err.message, trace: String(err.stack || '').split('\n') };
  }
  return { errorType: 'Error', errorMessage: typeof err === 'string' ? err : JSON.stringify(err) };
}

process.on('message', async (msg) => {
  if (!msg || msg.type !== 'invoke') return;
  const { id, event, deadline, requestId, traceId } = msg;
  if (initError) {
    process.send({ type: 'result', id, error: initError });
    return;
  }
  process.env._X_AMZN_TRACE_ID = traceId;
  const context = {
    awsRequestId: requestId,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: msg.functionArn,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  try {
    const value = await handler(event, context);
    process.send({ type: 'result', id, value: value === undefined ? null : value });
  } catch (err) {
    process.send({ type: 'result', id, error: errorPayload(err) });
  }
});

process.send({ type: 'ready' });
