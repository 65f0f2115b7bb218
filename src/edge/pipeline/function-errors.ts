/**
 * @module edge/pipeline/function-errors
 * A function failure is a transition to `synth`, never an exception: this maps the runtime's
 * error code to the transaction's error and CloudFront result class (spec 5.1).
 */
import { ERROR_CODES, VergeError } from '../../shared/errors.js';
import type { FunctionErrorCode } from '../../shared/lambda-edge/index.js';
import type { FunctionAssociationPlan } from '../config/plan.js';
import type { StepName } from './steps.js';
import type { ResultType, ViewerTxn } from './transaction.js';

export function isCloudFrontFunction(assoc: FunctionAssociationPlan): boolean {
  return assoc.source.runtime.startsWith('cloudfront-js');
}

export function resultTypeOf(code: FunctionErrorCode): ResultType {
  return ERROR_CODES[code].xCache as ResultType;
}

export function functionFailure(txn: ViewerTxn, code: FunctionErrorCode, message: string): StepName {
  txn.error = new VergeError(code, message);
  txn.resultType = resultTypeOf(code);
  txn.detailedResultType = txn.resultType;
  return 'synth';
}
