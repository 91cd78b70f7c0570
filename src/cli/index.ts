#!/usr/bin/env node
/**
 * The `seqline` command (package.json "bin"). One subcommand for now:
 *
 *   npx seqline backfill --dialect postgres --url "$DATABASE_URL" --table messages
 *
 * Run `seqline backfill --help` for its options.
 */
import { BACKFILL_HELP, backfillCommand, EXIT } from './backfillCommand';

const USAGE = `Usage: seqline <command> [options]

Commands:
  backfill   fill the sequence column of an existing messages table and seed the counters

Run "seqline backfill --help" for its options.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'backfill') {
    return backfillCommand(rest, { stdout: process.stdout, stderr: process.stderr });
  }
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n\n${BACKFILL_HELP}\n`);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  process.stderr.write(`[seqline] unknown command ${JSON.stringify(command)}\n\n${USAGE}\n`);
  return EXIT.usage;
}

// No top-level await: the bin is also emitted as CommonJS, where it is not allowed.
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`[seqline] ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = EXIT.failed;
  },
);
