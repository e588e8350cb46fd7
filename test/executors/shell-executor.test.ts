import { ShellExecutor } from '../../src/executors/shell-executor.js';
import { runExecutorContract } from './executor-contract.js';

const hostEnvironment = Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined));

runExecutorContract('shell', () => new ShellExecutor({ hostEnvironment }));
