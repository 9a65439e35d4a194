import { paramMissingStatus } from '../../../src/hoiio/statuses';
import { type Account } from '../accounts';
import { type Endpoint } from '../config-schema';
import { type Params } from '../form-params';
import { type SimulatorState } from '../state';

/** A Hoiio JSON reply: always a `status`, every number a string. */
export type Reply = { status: string } & Record<string, string | string[] | Record<string, string>[]>;

export interface EndpointContext {
  endpoint: Endpoint;
  params: Params;
  account: Account;
  state: SimulatorState;
}

export type Handler = (context: EndpointContext) => Reply | Promise<Reply>;

export const fail = (status: string): Reply => ({ status });

/** The value of a param, treating an empty one as absent (an empty form field is how most clients omit one). */
export function param(params: Params, name: string): string | undefined {
  const value = params[name];
  return value === undefined || value === '' ? undefined : value;
}

/** The first required param that is missing, as `error_<name>_param_missing`. */
export function firstMissing(params: Params, names: string[]): Reply | undefined {
  const missing = names.find((name) => param(params, name) === undefined);
  return missing === undefined ? undefined : fail(paramMissingStatus(missing));
}
