/**
 * HOIIO_* variables naming two accounts, `sales` and `support`, on one Hoiio application: Hoiio's call limit is per
 * application, so both must share one call budget. The base URL is never dialed by the tests that use this.
 */
export function twoAccountsOnOneApp(appId: string): NodeJS.ProcessEnv {
  return {
    HOIIO_BASE_URL: 'http://127.0.0.1:4010/open/',
    HOIIO_ACCOUNTS: JSON.stringify({
      sales: { appId, accessTokenEnv: 'BK_TEST_SALES_TOKEN' },
      support: { appId, accessTokenEnv: 'BK_TEST_SUPPORT_TOKEN' },
    }),
    BK_TEST_SALES_TOKEN: 'sales-token',
    BK_TEST_SUPPORT_TOKEN: 'support-token',
  };
}
