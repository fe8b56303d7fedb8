/** The commands as real processes, as the tests use them. */
export { ChildCommand as CliProcess, messageValues, sentValues, type JsonEvent } from '../../src/demo/processes.js';
