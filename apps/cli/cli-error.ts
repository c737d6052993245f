/** An error the CLI reports as one line on stderr with this exit code (no stack trace). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
    /** End the process at once after the message (start-up failures: listeners or timers may still be open). */
    readonly exitNow = false,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
