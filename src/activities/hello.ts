import { Context } from '@temporalio/activity';

export async function greet(name: string): Promise<string> {
  const { workflowExecution, attempt } = Context.current().info;
  return `Hello, ${name}! Greeted by worker process ${process.pid} for ${workflowExecution.workflowId} (attempt ${attempt})`;
}
