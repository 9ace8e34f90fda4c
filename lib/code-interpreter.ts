/**
 * The sandbox: a custom AgentCore Code Interpreter (L1 `CfnCodeInterpreterCustom`) with its own
 * execution role.
 *
 * Model-written code runs with this role and this network (threat model: docs/deploy.md). The role
 * may ONLY call the configured sub models (`llm_query`) and read the pipeline bucket's `documents/`
 * and `inbox/` prefixes. It cannot write to S3, touch DynamoDB, start executions or publish events.
 */
import { createHash } from 'node:crypto';
import { Names, Stack } from 'aws-cdk-lib';
import { CfnCodeInterpreterCustom } from 'aws-cdk-lib/aws-bedrockagentcore';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { bedrockInvokeStatements } from './model-arns';
import { acknowledgeWildcards, NAG_REASONS } from './nag';
import type { PipelineConfig } from './pipeline-config';
import { SandboxNetwork, type SandboxNetworkOptions } from './sandbox-network';
import { READABLE_DOCUMENT_PREFIXES } from './storage';

/** Service principal of AgentCore (assumes the execution role). */
export const AGENTCORE_SERVICE_PRINCIPAL = 'bedrock-agentcore.amazonaws.com';

/** Data-plane actions on a code interpreter, by name (prefix `bedrock-agentcore:`). */
export const CODE_INTERPRETER_ACTIONS = {
  start: 'bedrock-agentcore:StartCodeInterpreterSession',
  invoke: 'bedrock-agentcore:InvokeCodeInterpreter',
  get: 'bedrock-agentcore:GetCodeInterpreterSession',
  stop: 'bedrock-agentcore:StopCodeInterpreterSession',
  /** A new session first finds (and stops) one its run started in an attempt that died. */
  list: 'bedrock-agentcore:ListCodeInterpreterSessions',
} as const;

/** Props of `SandboxCodeInterpreter`. */
export interface SandboxCodeInterpreterProps {
  readonly config: PipelineConfig;
  /** The pipeline bucket (documents are read from `documents/` and `inbox/`). */
  readonly bucket: s3.IBucket;
  /** Network options for `networkMode: 'VPC'` (ignored in `PUBLIC` mode). */
  readonly network?: SandboxNetworkOptions;
}

/** The custom Code Interpreter, its execution role and (VPC mode) its network. */
export class SandboxCodeInterpreter extends Construct {
  /** Execution role: the identity model-written code runs as. */
  readonly role: iam.Role;
  /** The L1 resource. */
  readonly resource: CfnCodeInterpreterCustom;
  /** Code interpreter ID (what `StartCodeInterpreterSession` takes). */
  readonly codeInterpreterId: string;
  /** Code interpreter ARN (the resource of the session actions). */
  readonly codeInterpreterArn: string;
  /** Name of the code interpreter (unique per stack; letters, digits and `_`). */
  readonly codeInterpreterName: string;
  /** VPC, security group and endpoints in `VPC` mode. */
  readonly network?: SandboxNetwork;

  constructor(scope: Construct, id: string, props: SandboxCodeInterpreterProps) {
    super(scope, id);
    const { config, bucket } = props;
    const stack = Stack.of(this);
    // The name gets a hash of the create-only properties below: changing them (network mode, subnets, role)
    // makes a new name, so CloudFormation's replacement does not collide with the old interpreter's name.
    const baseName = interpreterName(this);

    this.role = new iam.Role(this, 'ExecutionRole', {
      description: 'rlm-pipeline sandbox: model-written code runs as this role (sub-model calls, read documents)',
      assumedBy: new iam.ServicePrincipal(AGENTCORE_SERVICE_PRINCIPAL, {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'bedrock-agentcore', resource: 'code-interpreter-custom', resourceName: `${baseName}*`,
            }),
          },
        },
      }),
    });
    let networkConfiguration: CfnCodeInterpreterCustom.CodeInterpreterNetworkConfigurationProperty = { networkMode: 'PUBLIC' };
    if (config.networkMode === 'VPC') {
      this.network = new SandboxNetwork(this, 'Network', { ...props.network, config, bucket, sandboxRole: this.role });
      networkConfiguration = {
        networkMode: 'VPC',
        vpcConfig: { securityGroups: [this.network.securityGroup.securityGroupId], subnets: this.network.subnetIds },
      };
    }
    // With our endpoints the sandbox reaches S3 and Bedrock only through them, so the role's grants can
    // require that VPC: credentials read from the metadata service are useless anywhere else.
    // aws:SourceVpc is paired with aws:RequestedRegion: it is only present on requests made in this region.
    const pinToVpc = (st: iam.PolicyStatement): iam.PolicyStatement => {
      if (this.network?.endpoints.length) {
        st.addCondition('StringEquals', { 'aws:SourceVpc': this.network.vpc.vpcId, 'aws:RequestedRegion': Stack.of(this).region });
      }
      return st;
    };

    // The profile's routed calls to other regions are made by Bedrock: not pinned, but only through the profile.
    const invoke = bedrockInvokeStatements(this, config.subModelIds);
    this.role.addToPolicy(pinToVpc(invoke.direct));
    if (invoke.viaProfile) {
      this.role.addToPolicy(invoke.viaProfile);
      acknowledgeWildcards(this.role, invoke.viaProfile, NAG_REASONS.crossRegionModel);
    }
    const read = pinToVpc(new iam.PolicyStatement({
      sid: 'ReadDocuments',
      actions: ['s3:GetObject'],
      resources: READABLE_DOCUMENT_PREFIXES.map((p) => bucket.arnForObjects(`${p}*`)),
    }));
    this.role.addToPolicy(read);
    acknowledgeWildcards(this.role, read, NAG_REASONS.documentPrefixes);
    this.role.addToPolicy(pinToVpc(new iam.PolicyStatement({
      sid: 'ListDocuments',
      actions: ['s3:ListBucket'],
      resources: [bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': READABLE_DOCUMENT_PREFIXES.map((p) => `${p}*`) } },
    })));

    const createOnly = { executionRoleArn: this.role.roleArn, networkConfiguration };
    this.codeInterpreterName = `${baseName}_${createOnlyHash(Stack.of(this).resolve(createOnly))}`;
    this.resource = new CfnCodeInterpreterCustom(this, 'Resource', {
      name: this.codeInterpreterName,
      // Constant: the description is create-only too, and must not force a replacement by itself.
      description: 'rlm-pipeline sandbox: model-written code runs here',
      ...createOnly,
    });
    // Sessions must find the role's policy (and in VPC mode the endpoints) in place.
    this.resource.node.addDependency(this.role);
    if (this.network) this.resource.node.addDependency(this.network);
    this.codeInterpreterId = this.resource.attrCodeInterpreterId;
    this.codeInterpreterArn = this.resource.attrCodeInterpreterArn;
  }

  /** Allow `grantee` the given session actions (values of `CODE_INTERPRETER_ACTIONS`) on this interpreter only. */
  grantSessionActions(grantee: iam.IGrantable, ...actions: string[]): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions, resourceArns: [this.codeInterpreterArn] });
  }
}

/** Characters of the create-only-properties hash at the end of the interpreter name. */
const NAME_HASH_CHARS = 8;

/**
 * The start of a name AgentCore accepts (`^[a-zA-Z][a-zA-Z0-9_]{0,47}$`), unique per stack and construct
 * path, leaving room for `_` and the hash.
 */
function interpreterName(scope: Construct): string {
  const max = 48 - NAME_HASH_CHARS - 1;
  const raw = Names.uniqueResourceName(scope, { maxLength: max, separator: '_' }).replace(/[^A-Za-z0-9_]/g, '_');
  return /^[A-Za-z]/.test(raw) ? raw.slice(0, max) : `r${raw}`.slice(0, max);
}

/** Short stable hash of the resolved (CloudFormation JSON) create-only properties. */
function createOnlyHash(resolved: unknown): string {
  return createHash('sha256').update(JSON.stringify(resolved)).digest('hex').slice(0, NAME_HASH_CHARS);
}
