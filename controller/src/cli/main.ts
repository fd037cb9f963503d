// The `berth` command line. `buildProgram` is exported so other parts of the controller can add
// commands; `main` runs one invocation and returns its exit code (it never calls process.exit,
// so long-running commands such as `dev` keep the process alive).
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import { exitCodeFor } from '../errors/index.ts';
import { registerApply } from './commands/apply.ts';
import { registerDelete } from './commands/delete.ts';
import { registerDescribe } from './commands/describe.ts';
import { registerGet } from './commands/get.ts';
import { registerVersion } from './commands/version.ts';
import { registerLogs } from './commands/logs.ts';
import { registerExec } from './commands/exec.ts';
import { registerTop } from './commands/top.ts';
import { registerNodeOps } from './commands/node-ops.ts';
import { registerAuth } from './commands/auth.ts';
import { registerBill } from './commands/bill.ts';
import { registerExtend } from './commands/extend.ts';
import { registerAvailability } from './commands/availability.ts';
import { registerAdmin } from './commands/admin.ts';
import { registerConfig } from './commands/config.ts';
import { registerToken } from './commands/token.ts';
import { registerCalendar } from './commands/calendar.ts';
import { registerWebhook } from './commands/webhook.ts';
import { CliExit, processDeps, type CliDeps } from './deps.ts';
import { describeFailure } from './report-error.ts';
import { addSettingOptions } from '../settings/options.ts';
import { CONTROLLER_PROFILE, DEV_PROFILE } from '../settings/resolve.ts';

const USAGE_EXIT = exitCodeFor('Invalid');

export function buildProgram(deps: CliDeps = processDeps()): Command {
  const program = new Command('berth')
    .description('Berth: containers on demand on your own machines')
    .option('-s, --server <url>', 'Berth server URL (env BERTH_SERVER)')
    .option('--token <token>', 'API token (env BERTH_TOKEN)')
    .option('--context <name>', 'the config context to use for this command (env BERTH_CONTEXT; default: the current context)')
    .option(
      '--certificate-authority <file>',
      'PEM file of the CA that signs the server certificate (env BERTH_CERTIFICATE_AUTHORITY; default: from the config)',
    )
    // Settings below are copied into every subcommand, so they must precede the commands.
    .exitOverride()
    .configureOutput({
      writeOut: deps.stdout,
      writeErr: deps.stderr,
      outputError: (text, write) => write(`${text.trim().replace(/\s*\n\s*/g, ' ')}\n`),
    });
  registerApply(program, deps);
  registerGet(program, deps);
  registerDescribe(program, deps);
  registerDelete(program, deps);
  registerVersion(program, deps);
  registerLogs(program, deps);
  registerExec(program, deps);
  registerTop(program, deps);
  registerNodeOps(program, deps);
  registerAuth(program, deps);
  registerBill(program, deps);
  registerExtend(program, deps);
  registerAvailability(program, deps);
  registerAdmin(program, deps);
  registerConfig(program, deps);
  registerToken(program, deps);
  registerCalendar(program, deps);
  registerWebhook(program, deps);
  registerDevHook(program);
  registerControllerHook(program);
  return program;
}

// ---- HOOK for the lead: `berth dev` lives in ../dev/run-dev.ts, loaded only when used so the
// everyday client never pulls in the server's dependencies. ----
function registerDevHook(program: Command): void {
  const dev = program
    .command('dev')
    .description('run a single-machine Berth (controller, agent, API, dashboard) for trying it out: loopback, plain HTTP, SQLite');
  addSettingOptions(dev, DEV_PROFILE).action(async (opts: Record<string, string | boolean | undefined>) => {
    const { runDev } = await import('../dev/run-dev.ts');
    await runDev(opts);
  });
}

function registerControllerHook(program: Command): void {
  const controller = program.command('controller').description('run the management node: API, scheduler, NAT and the agent endpoint');
  addSettingOptions(controller, CONTROLLER_PROFILE).action(async (opts: Record<string, string | boolean | undefined>) => {
    const { runController } = await import('../server/run-controller.ts');
    await runController(opts);
  });
}

/** Runs one invocation (`args` without node and script) and returns the exit code. */
export async function main(args: string[], deps: CliDeps = processDeps()): Promise<number> {
  try {
    await buildProgram(deps).parseAsync(args, { from: 'user' });
    return 0;
  } catch (err) {
    return exitCodeOf(err, deps);
  }
}

function exitCodeOf(err: unknown, deps: CliDeps): number {
  if (err instanceof CliExit) return err.exitCode;
  if (err instanceof CommanderError) {
    // Commander has already printed its one line (or the help text).
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
    return USAGE_EXIT;
  }
  const failure = describeFailure(err);
  deps.stderr(failure.lines.map((l) => `${l}\n`).join(''));
  return failure.exitCode;
}

function invokedDirectly(): boolean {
  try {
    return !!process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
}

// Run as a program itself: a release's bin/berth links to the built file (dist/berth.cjs), and
// `tsx controller/src/cli/main.ts` works too. The checkout's bin imports it and calls main.
// No top-level await: the build is CommonJS.
if (invokedDirectly()) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
