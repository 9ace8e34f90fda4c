/** The default stack: storage, task functions, state machine, outputs and IAM scoping. */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { CONVERSATION_TABLE_SCHEMA } from '../../lambdas/adapters/dynamodb/schema';
import { EVENT_DETAIL_TYPES, EVENT_SOURCE } from '../../lambdas/core/run-events';
import { DEFAULT_RUN_CONFIG } from '../../lambdas/core/config';
import { LAMBDA_ENV } from '../../lambdas/handlers/lambda-env';
import { LAMBDA_BUNDLING, POWERTOOLS_ENV, RUN_FUNCTION_SPECS, type RunFunctionKey } from '../../lib/run-functions';
import { STACK_OUTPUT_KEYS } from '../../lib/stack-outputs';
import {
  actionsOf, functionLogicalId, resourcesOf, roleOfFunction, statementsOfRole, statementsWith, synth,
} from './helpers';

const NAMES: Record<RunFunctionKey, string> = { startRun: 'StartRun', rootTurn: 'RootTurn', finalizeRun: 'FinalizeRun', recordFailure: 'RecordFailure' };

let template: Template;
let bucketId: string;
let tableId: string;
const statements = {} as Record<RunFunctionKey, Array<Record<string, any>>>;

beforeAll(() => {
  ({ template } = synth());
  const buckets = template.findResources('AWS::S3::Bucket', { Properties: { VersioningConfiguration: { Status: 'Enabled' } } });
  bucketId = Object.keys(buckets)[0];
  tableId = Object.keys(template.findResources('AWS::DynamoDB::Table'))[0];
  for (const key of Object.keys(NAMES) as RunFunctionKey[]) {
    statements[key] = statementsOfRole(template, roleOfFunction(template, functionLogicalId(template, NAMES[key])));
  }
});

describe('storage', () => {
  test('the pipeline bucket: SSE, versioned, no public access, access logs, S3 -> EventBridge', () => {
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: {
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        VersioningConfiguration: { Status: 'Enabled' },
        LoggingConfiguration: { DestinationBucketName: { Ref: Match.anyValue() } },
      },
    });
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: { Ref: bucketId }, NotificationConfiguration: { EventBridgeConfiguration: {} },
    });
    expect(Object.keys(template.findResources('AWS::S3::Bucket'))).toHaveLength(2);
  });

  test('both buckets deny non-TLS requests', () => {
    const policies = Object.values(template.findResources('AWS::S3::BucketPolicy')) as Array<Record<string, any>>;
    expect(policies).toHaveLength(2);
    for (const p of policies) {
      expect(p.Properties.PolicyDocument.Statement).toEqual(expect.arrayContaining([
        expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      ]));
    }
  });

  test('the table: pk/sk strings, on-demand, PITR, TTL on expiresAt, encrypted, retained', () => {
    expect(CONVERSATION_TABLE_SCHEMA).toMatchObject({ partitionKey: 'pk', sortKey: 'sk', ttlAttribute: 'expiresAt' });
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: {
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        SSESpecification: { SSEEnabled: true },
      },
    });
  });
});

describe('task functions', () => {
  test.each(Object.keys(NAMES) as RunFunctionKey[])('%s: Node.js 22 on arm64, X-Ray active, own log group, timeout and memory', (key) => {
    const id = functionLogicalId(template, NAMES[key]);
    const fn = template.toJSON().Resources[id];
    expect(fn.Properties).toMatchObject({
      Runtime: 'nodejs22.x', Architectures: ['arm64'], Handler: 'index.handler', TracingConfig: { Mode: 'Active' },
      Timeout: RUN_FUNCTION_SPECS[key].timeoutSeconds, MemorySize: RUN_FUNCTION_SPECS[key].memoryMb,
    });
    const logGroupId = fn.Properties.LoggingConfig.LogGroup.Ref;
    expect(template.toJSON().Resources[logGroupId]).toMatchObject({ Type: 'AWS::Logs::LogGroup', DeletionPolicy: 'Retain', Properties: { RetentionInDays: 90 } });
  });

  test('root-turn has the 15-minute Lambda maximum; the others are shorter', () => {
    expect(RUN_FUNCTION_SPECS.rootTurn.timeoutSeconds).toBe(900);
    for (const key of ['startRun', 'finalizeRun', 'recordFailure'] as const) expect(RUN_FUNCTION_SPECS[key].timeoutSeconds).toBeLessThan(900);
  });

  test('every function gets the whole LAMBDA_ENV contract plus Powertools settings', () => {
    const fn = template.toJSON().Resources[functionLogicalId(template, 'RootTurn')];
    const vars = fn.Properties.Environment.Variables as Record<string, unknown>;
    // Every variable, but the optional sub-call output limit, which is set only when configured.
    for (const name of Object.values(LAMBDA_ENV)) {
      if (name === LAMBDA_ENV.subMaxOutputTokens) expect(vars).not.toHaveProperty(name);
      else expect(vars).toHaveProperty(name);
    }
    expect(vars).toMatchObject({
      ...POWERTOOLS_ENV,
      [LAMBDA_ENV.rootModelId]: DEFAULT_RUN_CONFIG.rootModelId,
      [LAMBDA_ENV.subModelId]: DEFAULT_RUN_CONFIG.subModelId,
      [LAMBDA_ENV.resultsPrefix]: 'results/',
      [LAMBDA_ENV.eventBusName]: 'default',
      [LAMBDA_ENV.maxIterations]: '30',
      [LAMBDA_ENV.tableName]: { Ref: tableId },
      [LAMBDA_ENV.bucketName]: { Ref: bucketId },
      [LAMBDA_ENV.codeInterpreterId]: { 'Fn::GetAtt': [expect.any(String), 'CodeInterpreterId'] },
    });
  });

  test('bundling keeps class names (Retry/Catch match error names) and bundles the SDK', () => {
    expect(LAMBDA_BUNDLING).toMatchObject({ keepNames: true, minify: true, sourceMap: true, externalModules: [], target: 'node22' });
  });
});

describe('least privilege of the task functions', () => {
  const objectArn = (prefix: string) => `<${bucketId}.Arn>/${prefix}*`;

  test('DynamoDB: exact item actions on the table, no scans, no deletes', () => {
    const expected: Record<RunFunctionKey, string[]> = {
      startRun: ['dynamodb:GetItem', 'dynamodb:PutItem'],
      rootTurn: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
      finalizeRun: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
      recordFailure: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
    };
    for (const key of Object.keys(NAMES) as RunFunctionKey[]) {
      const ddb = statements[key].filter((s) => actionsOf([s]).some((a) => a.startsWith('dynamodb:')));
      expect(actionsOf(ddb).sort()).toEqual(expected[key]);
      expect(resourcesOf(ddb)).toEqual([`<${tableId}.Arn>`]);
    }
  });

  test('S3: start-run reads documents/ and inbox/ (List with a prefix condition); all write results/, the later tasks read it back (spilled items)', () => {
    expect(resourcesOf(statementsWith(statements.startRun, 's3:GetObject')).sort()).toEqual([objectArn('documents/'), objectArn('inbox/')]);
    const list = statementsWith(statements.startRun, 's3:ListBucket');
    expect(list).toHaveLength(1);
    expect(list[0].Condition).toEqual({ StringLike: { 's3:prefix': ['documents/*', 'inbox/*'] } });
    expect(resourcesOf(statementsWith(statements.startRun, 's3:PutObject'))).toEqual([objectArn('results/')]);
    for (const key of ['rootTurn', 'finalizeRun', 'recordFailure'] as const) {
      expect(resourcesOf(statementsWith(statements[key], 's3:PutObject'))).toEqual([objectArn('results/')]);
      expect(resourcesOf(statementsWith(statements[key], 's3:GetObject'))).toEqual([objectArn('results/')]);
    }
  });

  test('no statement of any function has a "*" resource except X-Ray', () => {
    for (const key of Object.keys(NAMES) as RunFunctionKey[]) {
      for (const s of statements[key]) {
        if (resourcesOf([s]).includes('*')) expect(actionsOf([s]).sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
      }
    }
  });

  test('Bedrock: only root-turn may invoke a model, and only the root model', () => {
    for (const key of ['startRun', 'finalizeRun', 'recordFailure'] as const) {
      expect(actionsOf(statements[key]).filter((a) => a.startsWith('bedrock:'))).toEqual([]);
    }
    const invoke = statementsWith(statements.rootTurn, 'bedrock:InvokeModel');
    expect(resourcesOf(invoke)).toEqual([
      'arn:<AWS::Partition>:bedrock:<AWS::Region>:<AWS::AccountId>:inference-profile/us.anthropic.claude-sonnet-4-5-20250929-v1:0',
      'arn:<AWS::Partition>:bedrock:*::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0',
    ]);
    expect(resourcesOf(invoke).join()).not.toContain('haiku');
  });

  test('AgentCore: session actions on this code interpreter only', () => {
    const interpreter = Object.keys(template.findResources('AWS::BedrockAgentCore::CodeInterpreterCustom'))[0];
    const expected: Record<RunFunctionKey, string[]> = {
      startRun: ['GetCodeInterpreterSession', 'InvokeCodeInterpreter', 'ListCodeInterpreterSessions', 'StartCodeInterpreterSession', 'StopCodeInterpreterSession'],
      rootTurn: ['GetCodeInterpreterSession', 'InvokeCodeInterpreter', 'ListCodeInterpreterSessions', 'StartCodeInterpreterSession', 'StopCodeInterpreterSession'],
      finalizeRun: ['StopCodeInterpreterSession'],
      recordFailure: ['StopCodeInterpreterSession'],
    };
    for (const key of Object.keys(NAMES) as RunFunctionKey[]) {
      const ac = statements[key].filter((s) => actionsOf([s]).some((a) => a.startsWith('bedrock-agentcore:')));
      expect(actionsOf(ac).sort()).toEqual(expected[key].map((a) => `bedrock-agentcore:${a}`));
      expect(resourcesOf(ac)).toEqual([`<${interpreter}.CodeInterpreterArn>`]);
    }
  });

  test('EventBridge: finalize-run and record-failure publish to the default bus, as rlm-pipeline only', () => {
    for (const key of ['finalizeRun', 'recordFailure'] as const) {
      const put = statementsWith(statements[key], 'events:PutEvents');
      expect(resourcesOf(put)).toEqual(['arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:event-bus/default']);
      expect(put[0].Condition).toEqual({ StringEquals: { 'events:source': EVENT_SOURCE, 'events:detail-type': Object.values(EVENT_DETAIL_TYPES) } });
    }
    for (const key of ['startRun', 'rootTurn'] as const) expect(statementsWith(statements[key], 'events:PutEvents')).toHaveLength(0);
  });

  test('no function role has a managed policy (logs are granted on its own log group)', () => {
    for (const key of Object.keys(NAMES) as RunFunctionKey[]) {
      const roleId = roleOfFunction(template, functionLogicalId(template, NAMES[key]));
      expect(template.toJSON().Resources[roleId].Properties.ManagedPolicyArns).toBeUndefined();
      const logs = statementsWith(statements[key], 'logs:PutLogEvents');
      expect(resourcesOf(logs)).toHaveLength(1);
      expect(resourcesOf(logs)[0]).toMatch(/^<.*Logs.*\.Arn>$/);
    }
  });
});

test('outputs carry the keys the CLI reads', () => {
  expect(Object.keys(template.toJSON().Outputs).sort()).toEqual(Object.values(STACK_OUTPUT_KEYS).sort());
  template.hasOutput(STACK_OUTPUT_KEYS.eventBusName, { Value: 'default' });
  template.hasOutput(STACK_OUTPUT_KEYS.bucketName, { Value: { Ref: bucketId } });
  template.hasOutput(STACK_OUTPUT_KEYS.tableName, { Value: { Ref: tableId } });
  const batchMachine = Object.entries(template.findResources('AWS::StepFunctions::StateMachine'))
    .find(([, r]) => !(r as { Properties: { DefinitionSubstitutions?: unknown } }).Properties.DefinitionSubstitutions)![0];
  template.hasOutput(STACK_OUTPUT_KEYS.batchStateMachineArn, { Value: { Ref: batchMachine } });
});

test('batch scratch objects expire; inputs and results do not', () => {
  const rules = Object.values(template.findResources('AWS::S3::Bucket'))
    .flatMap((b) => ((b as any).Properties.LifecycleConfiguration?.Rules ?? []) as Array<{ Id: string; Prefix?: string; ExpirationInDays?: number }>);
  expect(rules.find((r) => r.Id === 'expire-batch-work')).toMatchObject({ Prefix: 'batches/work/', ExpirationInDays: 14 });
  expect(rules.filter((r) => r.ExpirationInDays && r.Prefix && /^(documents|inbox|jobs|results)\//.test(r.Prefix))).toEqual([]);
});
