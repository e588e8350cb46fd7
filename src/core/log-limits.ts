/**
 * The per-build log limit (finding 11), shared by the runner that stops writing at it and the
 * server that refuses chunks past it, so a misbehaving agent cannot store more.
 */

/** The default limit: 256 MiB, on agents, servers and `nagare build` alike. */
export const DEFAULT_LOG_LIMIT_BYTES = 256 * 1024 * 1024;

/**
 * Past the limit the runner still writes its own `[Container]` lines (phase ends, the result) up
 * to this much more, so the end of a truncated build stays readable.
 */
export const RUNNER_LOG_SLACK_BYTES = 64 * 1024;

/** What the server takes beyond the limit: the runner's slack and the agent's closing lines. */
export const SERVER_LOG_SLACK_BYTES = 1024 * 1024;
