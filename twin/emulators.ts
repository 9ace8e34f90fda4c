/**
 * The Bedrock Runtime and AgentCore emulators (twin/bedrock, twin/agentcore) started for a twin:
 * a {@link TwinOptions.emulators} hook, so each AgentCore sandbox kernel gets the twin's S3 and the
 * Bedrock emulator as its endpoints (boto3 reads `AWS_ENDPOINT_URL_*`), with fake role credentials.
 */
import type { Script } from '../lambdas/adapters/models/scripted-model';
import { startAgentCoreEmulator, type AgentCoreEmulator } from './agentcore/emulator';
import { startBedrockEmulator, type BedrockEmulator } from './bedrock/emulator';
import type { FaultHitter } from './faults';
import type { EmulatorEndpoints, TwinOptions } from './twin';

/** Options of {@link twinEmulators}. */
export interface TwinEmulatorOptions {
  /** The scripted model (object or file path) Bedrock answers from. */
  script: Script | string;
  faults?: FaultHitter;
}

/** The started emulators, for assertions (calls, sessions). */
export interface StartedEmulators {
  bedrock?: BedrockEmulator;
  agentCore?: AgentCoreEmulator;
}

/** A hook for {@link TwinOptions.emulators}; `started` is filled in when the twin calls it. */
export function twinEmulators(options: TwinEmulatorOptions, started: StartedEmulators = {}): NonNullable<TwinOptions['emulators']> {
  return async (awsEnv: Record<string, string>): Promise<EmulatorEndpoints> => {
    const bedrock = await startBedrockEmulator({ script: options.script, ...(options.faults ? { faults: options.faults } : {}) });
    let agentCore: AgentCoreEmulator;
    try {
      agentCore = await startAgentCoreEmulator({
        ...(options.faults ? { faults: options.faults } : {}),
        env: { ...awsEnv, AWS_ENDPOINT_URL_BEDROCK_RUNTIME: bedrock.endpoint },
      });
    } catch (err) {
      await bedrock.close();
      throw err;
    }
    started.bedrock = bedrock;
    started.agentCore = agentCore;
    return {
      bedrockRuntimeUrl: bedrock.endpoint,
      agentCoreUrl: agentCore.endpoint,
      close: async () => { await agentCore.close(); await bedrock.close(); },
    };
  };
}
