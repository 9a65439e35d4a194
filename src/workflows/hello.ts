import { proxyActivities } from '@temporalio/workflow';
import type * as activities from '../activities/hello';

const { greet } = proxyActivities<typeof activities>({ startToCloseTimeout: '10 seconds' });

/** The smallest round trip through server, worker and an activity: `npm start` runs it to prove the stack works. */
export async function hello(name: string): Promise<string> {
  return await greet(name);
}
