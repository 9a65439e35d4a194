import type { ActivityInterceptorsFactory } from '@temporalio/worker';

/**
 * Puts the account and the leg (txn_ref) an activity works on into every line its logger writes, beside the workflow
 * id the SDK adds: read from the activity's request, which names them (never the token, which activities hold
 * themselves).
 */
export const activityLogContext: ActivityInterceptorsFactory = () => {
  let context: Record<string, string> = {};
  return {
    inbound: {
      execute(input, next) {
        const request = input.args[0] as { account?: unknown; txnRef?: unknown } | undefined;
        context = {
          ...(typeof request?.account === 'string' ? { account: request.account } : {}),
          ...(typeof request?.txnRef === 'string' ? { txnRef: request.txnRef } : {}),
        };
        return next(input);
      },
    },
    outbound: {
      getLogAttributes(input, next) {
        return next({ ...context, ...input });
      },
    },
  };
};
