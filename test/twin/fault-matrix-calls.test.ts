/** The fault matrix on the AWS path (issue 10): the rows that fault a model or sandbox call (see fault-matrix-suite.ts). */
import { faultMatrixSuite } from './fault-matrix-suite';

faultMatrixSuite('calls');
