import path from 'node:path';

/** The checkout's root, wherever the process was started from. */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
/** Local state of the embedded stack (the dev server's SQLite file, logs, pid file); ignored by git. */
export const DATA_DIR = path.resolve(process.env.BRIDGEKEEPER_DATA_DIR ?? path.join(PROJECT_ROOT, '.data'));
/** Tools the project installs for itself (the Temporal CLI); ignored by git. */
export const TOOLS_DIR = path.join(PROJECT_ROOT, '.tools');
