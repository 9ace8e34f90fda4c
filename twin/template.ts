/**
 * Reads the synthesized CloudFormation template the way CloudFormation would deploy it into the twin:
 * every resource gets a twin physical ID (names, ARNs, URLs), and `Ref`, `Fn::GetAtt`, `Fn::Join` and
 * `Fn::Sub` are resolved against them. The twin's resources, Lambda environments and state machine
 * definitions all come from here, so the twin runs what the template says and nothing else.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';

/** Account and region of the twin (fixed; moto accepts any). */
export const TWIN_ACCOUNT = '123456789012';
/** The twin's region. */
export const TWIN_REGION = 'us-east-1';

/** One template resource. */
export interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
}

/** A CloudFormation template (the parts the twin reads). */
export interface Template {
  Resources: Record<string, TemplateResource>;
  Outputs?: Record<string, { Value: unknown; Description?: string }>;
}

/** Physical identity of one deployed resource. */
export interface PhysicalResource {
  /** What `Ref` returns. */
  ref: string;
  /** `Fn::GetAtt` attributes. */
  attrs: Record<string, string>;
}

const short = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 8);

/** The twin's physical ID of one resource, named like CloudFormation names them (stack-logicalId-suffix). */
function physicalFor(stackName: string, logicalId: string, r: TemplateResource): PhysicalResource {
  const props = r.Properties ?? {};
  const arn = (service: string, resource: string): string => `arn:aws:${service}:${TWIN_REGION}:${TWIN_ACCOUNT}:${resource}`;
  const generated = `${stackName}-${logicalId}-${short(stackName + logicalId)}`;
  switch (r.Type) {
    case 'AWS::S3::Bucket': {
      const name = typeof props.BucketName === 'string' ? props.BucketName : generated.toLowerCase().slice(0, 63);
      return { ref: name, attrs: { Arn: `arn:aws:s3:::${name}`, DomainName: `${name}.s3.amazonaws.com` } };
    }
    case 'AWS::DynamoDB::Table': {
      const name = typeof props.TableName === 'string' ? props.TableName : generated;
      return { ref: name, attrs: { Arn: arn('dynamodb', `table/${name}`), StreamArn: arn('dynamodb', `table/${name}/stream/0`) } };
    }
    case 'AWS::Lambda::Function': {
      const name = typeof props.FunctionName === 'string' ? props.FunctionName : generated.slice(0, 64);
      return { ref: name, attrs: { Arn: arn('lambda', `function:${name}`) } };
    }
    case 'AWS::StepFunctions::StateMachine': {
      const name = typeof props.StateMachineName === 'string' ? props.StateMachineName : generated;
      const a = arn('states', `stateMachine:${name}`);
      return { ref: a, attrs: { Arn: a, Name: name } };
    }
    case 'AWS::SQS::Queue': {
      const name = typeof props.QueueName === 'string' ? props.QueueName : generated.slice(0, 80);
      return { ref: `http://sqs.${TWIN_REGION}.localhost/${TWIN_ACCOUNT}/${name}`, attrs: { Arn: arn('sqs', name), QueueName: name } };
    }
    case 'AWS::IAM::Role': {
      const name = generated.slice(0, 64);
      return { ref: name, attrs: { Arn: `arn:aws:iam::${TWIN_ACCOUNT}:role/${name}`, RoleId: `AROA${short(name).toUpperCase()}` } };
    }
    case 'AWS::Logs::LogGroup': {
      const name = typeof props.LogGroupName === 'string' ? props.LogGroupName : `/aws/twin/${generated}`;
      return { ref: name, attrs: { Arn: arn('logs', `log-group:${name}:*`) } };
    }
    case 'AWS::BedrockAgentCore::CodeInterpreterCustom': {
      const id = `${String(props.Name ?? logicalId)}-${short(logicalId)}`;
      return { ref: id, attrs: { CodeInterpreterId: id, CodeInterpreterArn: arn('bedrock-agentcore', `code-interpreter-custom/${id}`) } };
    }
    default:
      return { ref: generated, attrs: { Arn: arn('twin', generated) } };
  }
}

/** The template of a stack as deployed into the twin: resources with physical IDs, intrinsics resolvable. */
export class TwinTemplate {
  readonly physical: Record<string, PhysicalResource> = {};

  constructor(readonly template: Template, readonly stackName: string) {
    for (const [id, r] of Object.entries(template.Resources)) this.physical[id] = physicalFor(stackName, id, r);
  }

  /** Load a template file. */
  static load(templatePath: string, stackName: string): TwinTemplate {
    return new TwinTemplate(JSON.parse(fs.readFileSync(templatePath, 'utf8')) as Template, stackName);
  }

  /** Logical IDs of the resources of one type (template order). */
  idsOfType(type: string): string[] {
    return Object.entries(this.template.Resources).filter(([, r]) => r.Type === type).map(([id]) => id);
  }

  /** A resource by logical ID (throws naming it when absent). */
  resource(id: string): TemplateResource {
    const r = this.template.Resources[id];
    if (!r) throw new Error(`template has no resource ${id}`);
    return r;
  }

  /** The logical ID of the single resource of `type` whose `aws:cdk:path` ends with `pathSuffix`. */
  idByPath(type: string, pathSuffix: string): string {
    const ids = this.idsOfType(type).filter((id) => String(this.resource(id).Metadata?.['aws:cdk:path'] ?? '').endsWith(pathSuffix));
    if (ids.length !== 1) throw new Error(`expected one ${type} at a path ending ${pathSuffix}, found ${ids.length}`);
    return ids[0];
  }

  private pseudo(name: string): string | undefined {
    const values: Record<string, string> = {
      'AWS::Partition': 'aws', 'AWS::Region': TWIN_REGION, 'AWS::AccountId': TWIN_ACCOUNT, 'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': this.stackName, 'AWS::StackId': `arn:aws:cloudformation:${TWIN_REGION}:${TWIN_ACCOUNT}:stack/${this.stackName}/twin`,
      'AWS::NoValue': '',
    };
    return values[name];
  }

  private ref(name: string): string {
    const p = this.pseudo(name);
    if (p !== undefined) return p;
    const r = this.physical[name];
    if (!r) throw new Error(`Ref to unknown resource ${name}`);
    return r.ref;
  }

  private getAtt(id: string, attr: string): string {
    const r = this.physical[id];
    if (!r) throw new Error(`Fn::GetAtt of unknown resource ${id}`);
    const v = r.attrs[attr];
    if (v === undefined) throw new Error(`Fn::GetAtt ${id}.${attr}: the twin has no such attribute (${this.resource(id).Type})`);
    return v;
  }

  private sub(text: string, vars: Record<string, unknown>): string {
    return text.replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
      if (name in vars) return String(this.resolve(vars[name]));
      const dot = name.indexOf('.');
      return dot > 0 ? this.getAtt(name.slice(0, dot), name.slice(dot + 1)) : this.ref(name);
    });
  }

  /** Resolve every intrinsic function inside `value` (deeply). */
  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (!value || typeof value !== 'object') return value;
    const o = value as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1) {
      const [k] = keys;
      const arg = o[k];
      if (k === 'Ref') return this.ref(String(arg));
      if (k === 'Fn::GetAtt') {
        const [id, attr] = Array.isArray(arg) ? arg.map(String) : String(arg).split('.');
        return this.getAtt(id, attr);
      }
      if (k === 'Fn::Join') {
        const [sep, parts] = arg as [string, unknown[]];
        return (this.resolve(parts) as unknown[]).map(String).join(sep);
      }
      if (k === 'Fn::Sub') {
        if (typeof arg === 'string') return this.sub(arg, {});
        const [text, vars] = arg as [string, Record<string, unknown>];
        return this.sub(text, vars ?? {});
      }
      if (k.startsWith('Fn::')) throw new Error(`the twin does not resolve ${k}`);
    }
    return Object.fromEntries(keys.map((k) => [k, this.resolve(o[k])]));
  }

  /** Resolved properties of a resource. */
  props(id: string): Record<string, unknown> {
    return this.resolve(this.resource(id).Properties ?? {}) as Record<string, unknown>;
  }

  /** A state machine's definition with `DefinitionString` resolved and `DefinitionSubstitutions` applied. */
  stateMachineDefinition(id: string): Record<string, unknown> {
    const p = this.props(id);
    let text = String(p.DefinitionString);
    const substitutions = (p.DefinitionSubstitutions ?? {}) as Record<string, string>;
    text = text.replace(/\$\{([A-Za-z0-9_]+)\}/g, (whole, name: string) => name in substitutions ? substitutions[name] : whole);
    return JSON.parse(text) as Record<string, unknown>;
  }

  /** Resolved stack outputs (key -> value). */
  outputs(): Record<string, string> {
    return Object.fromEntries(Object.entries(this.template.Outputs ?? {}).map(([k, o]) => [k, String(this.resolve(o.Value))]));
  }
}
