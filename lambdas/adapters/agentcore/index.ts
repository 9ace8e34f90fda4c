/**
 * The AgentCore Code Interpreter sandbox (AWS). See docs/agentcore-sandbox.md.
 */
export {
  AgentCoreSandbox, AgentCoreSession, LAMBDA_MAX_TIMEOUT_SECONDS, SESSION_TIMEOUT_BOUNDS_SECONDS, sessionNameFor, sessionTimeoutForRun, type AgentCoreSandboxOptions,
} from './agentcore-sandbox';
export { renderSetupScript, SETUP_REPORT_MARKER, type SetupParams, type SetupReport } from './agentcore-setup.py';
export { extractReport, invokeCode, toSandboxError, InvokeDeadlineError, type KernelOutput } from './agentcore-invoke';
