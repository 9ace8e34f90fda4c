/**
 * The network of the sandbox in `VPC` mode: private isolated subnets (no internet gateway, no NAT),
 * a security group without ingress, and the VPC endpoints model-written code needs — and nothing else:
 *
 * - S3 gateway endpoint (documents), its policy limited to the pipeline bucket's readable prefixes, so
 *   code holding other credentials still cannot move data to another bucket through it;
 * - `bedrock-runtime` interface endpoint (`llm_query`), its policy limited to the sandbox role and the
 *   configured sub models.
 *
 * No STS or CloudWatch Logs endpoint: the sandbox gets its role credentials from the microVM metadata
 * service (MMDS), not STS, and its role has no Logs permission. Add more with `additionalEndpoints`.
 */
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { pipelineLogGroup } from './log-groups';
import { BEDROCK_INVOKE_ACTIONS, bedrockModelArns } from './model-arns';
import type { PipelineConfig } from './pipeline-config';
import { READABLE_DOCUMENT_PREFIXES } from './storage';

/** Options of the sandbox network (all optional: by default a new two-AZ VPC is created). */
export interface SandboxNetworkOptions {
  /** Use this VPC instead of creating one. Its subnets' route tables then decide what the sandbox can reach. */
  readonly vpc?: ec2.IVpc;
  /** Look this VPC up instead of creating one (needs a stack with a concrete account and region). */
  readonly vpcId?: string;
  /** Subnets of the sandbox ENIs (default: the private isolated subnets). */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * AZ names of a created VPC. AgentCore supports only some AZ IDs per region; pin names that map to
   * supported IDs in your account (see docs/deploy.md). Default: the first two AZs of the region.
   */
  readonly availabilityZones?: string[];
  /** Create the S3 and bedrock-runtime endpoints (default true; set false when the VPC already has them). */
  readonly createEndpoints?: boolean;
  /** Further interface endpoints to create (e.g. `InterfaceVpcEndpointAwsService.STS`). */
  readonly additionalEndpoints?: ec2.InterfaceVpcEndpointAwsService[];
}

/** Props of `SandboxNetwork`. */
export interface SandboxNetworkProps extends SandboxNetworkOptions {
  readonly config: PipelineConfig;
  readonly bucket: s3.IBucket;
  /** The sandbox execution role (the only principal the endpoint policies admit). */
  readonly sandboxRole: iam.IRole;
}

/** VPC, subnets, security group and endpoints of the sandbox. */
export class SandboxNetwork extends Construct {
  /** The VPC (created or given). */
  readonly vpc: ec2.IVpc;
  /** Security group of the sandbox ENIs: no ingress, HTTPS egress only. */
  readonly securityGroup: ec2.SecurityGroup;
  /** Subnet IDs of the sandbox ENIs. */
  readonly subnetIds: string[];
  /** Endpoints created here. */
  readonly endpoints: Array<ec2.GatewayVpcEndpoint | ec2.InterfaceVpcEndpoint> = [];

  constructor(scope: Construct, id: string, props: SandboxNetworkProps) {
    super(scope, id);
    const subnetSelection = props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
    this.vpc = props.vpc
      ?? (props.vpcId ? ec2.Vpc.fromLookup(this, 'Vpc', { vpcId: props.vpcId }) : this.createVpc(props));

    this.securityGroup = new ec2.SecurityGroup(this, 'SandboxSecurityGroup', {
      vpc: this.vpc,
      description: 'rlm-pipeline sandbox ENIs: no ingress; HTTPS egress (routes allow only VPC endpoints)',
      allowAllOutbound: false,
    });
    // Port 443 to anywhere: the S3 gateway endpoint is reached through a prefix list whose ID is only
    // known by lookup; in the created VPC the route tables have no internet route, so this reaches
    // the endpoints and nothing else.
    this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to VPC endpoints');

    this.subnetIds = this.vpc.selectSubnets(subnetSelection).subnetIds;
    if (props.createEndpoints ?? true) this.createEndpoints(props, subnetSelection);
  }

  private createVpc(props: SandboxNetworkProps): ec2.Vpc {
    const vpc = new ec2.Vpc(this, 'Vpc', {
      ...(props.availabilityZones ? { availabilityZones: props.availabilityZones } : { maxAzs: 2 }),
      natGateways: 0,
      subnetConfiguration: [{ name: 'sandbox', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
      enableDnsHostnames: true,
      enableDnsSupport: true,
      restrictDefaultSecurityGroup: true,
    });
    const flowLogGroup = pipelineLogGroup(this, 'FlowLogs', props.config);
    // Rejected egress shows up here: the trail of model-written code trying to leave.
    vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });
    return vpc;
  }

  private createEndpoints(props: SandboxNetworkProps, subnets: ec2.SubnetSelection): void {
    const role = new iam.ArnPrincipal(props.sandboxRole.roleArn);
    const s3Endpoint = this.vpc.addGatewayEndpoint('S3Endpoint', { service: ec2.GatewayVpcEndpointAwsService.S3, subnets: [subnets] });
    s3Endpoint.addToPolicy(new iam.PolicyStatement({
      sid: 'ReadPipelineDocuments',
      principals: [role],
      actions: ['s3:GetObject'],
      resources: READABLE_DOCUMENT_PREFIXES.map((p) => props.bucket.arnForObjects(`${p}*`)),
    }));
    s3Endpoint.addToPolicy(new iam.PolicyStatement({
      sid: 'ListPipelineDocuments',
      principals: [role],
      actions: ['s3:ListBucket'],
      resources: [props.bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': READABLE_DOCUMENT_PREFIXES.map((p) => `${p}*`) } },
    }));
    this.endpoints.push(s3Endpoint);

    const bedrock = this.vpc.addInterfaceEndpoint('BedrockRuntimeEndpoint', {
      service: ec2.InterfaceVpcEndpointAwsService.BEDROCK_RUNTIME,
      subnets,
      privateDnsEnabled: true,
      open: false,
    });
    bedrock.connections.allowFrom(this.securityGroup, ec2.Port.tcp(443), 'sandbox to bedrock-runtime');
    bedrock.addToPolicy(new iam.PolicyStatement({
      sid: 'InvokeSubModels',
      principals: [role],
      actions: [...BEDROCK_INVOKE_ACTIONS],
      resources: [...new Set(props.config.subModelIds.flatMap((m) => bedrockModelArns(this, m)))],
    }));
    this.endpoints.push(bedrock);

    (props.additionalEndpoints ?? []).forEach((service, i) => {
      const ep = this.vpc.addInterfaceEndpoint(`AdditionalEndpoint${i}`, { service, subnets, privateDnsEnabled: true, open: false });
      ep.connections.allowFrom(this.securityGroup, ec2.Port.tcp(443), `sandbox to ${service.shortName}`);
      this.endpoints.push(ep);
    });
  }
}
