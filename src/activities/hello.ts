import { Context } from '@temporalio/activity';

export function greet(name: string): Promise<string> {
  const { workflowExecution, activityId, attempt } = Context.current().info;
  const caller = workflowExecution?.workflowId ?? activityId;
  return Promise.resolve(`Hello, ${name}! Greeted by worker process ${process.pid} for ${caller} (attempt ${attempt})`);
}
