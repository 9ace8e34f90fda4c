/** Step Functions adapters: starting run executions from triggers. */
export { SfnExecutionStarter, type SfnExecutionStarterOptions } from './execution-starter';
