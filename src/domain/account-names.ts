/** How bridgekeeper names Hoiio accounts. Pure, and free of schemas: a workflow interceptor reads it in every run. */

/** The Hoiio account a session uses when its input names none: the one HOIIO_APP_ID / HOIIO_ACCESS_TOKEN describe. */
export const DEFAULT_ACCOUNT = 'default';
/** How every input, the CLI and HOIIO_ACCOUNTS name a Hoiio account. */
export const ACCOUNT_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;
export const ACCOUNT_NAME_RULE = 'must name a configured Hoiio account (lowercase letters, digits, _ and -)';
