/**
 * The fault matrix on the AWS path (issue 10): the rows that fault a store write, a step or a Lambda invocation
 * (see fault-matrix-suite.ts).
 */
import { faultMatrixSuite } from './fault-matrix-suite';

faultMatrixSuite('steps');
