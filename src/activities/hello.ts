import { Context } from '@temporalio/activity';

export function greet(name: string): string {
  const { workflowExecution, activityId, attempt } = Context.current().info;
  const caller = workflowExecution?.workflowId ?? activityId;
  return `Hello, ${name}! Greeted by worker process ${process.pid} for ${caller} (attempt ${attempt})`;
}
