/** What the agent says about itself (not the build log): one line per event, on stderr by default. */
export interface AgentLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export function stderrLogger(now: () => Date = () => new Date()): AgentLogger {
  const line = (level: string, message: string): void => {
    process.stderr.write(`${now().toISOString()} ${level} ${message}\n`);
  };
  return { info: (m) => line('INFO', m), warn: (m) => line('WARN', m), error: (m) => line('ERROR', m) };
}

export const silentLogger: AgentLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };
