/** `gridauthz --verbose …`: commands say on stderr how they reached things (which database path, for one). */
let verbose = false;

export function setVerbose(on: boolean): void {
  verbose = on;
}

/** Writes one `gridauthz: …` line to stderr when --verbose is on. */
export function verboseNote(text: string): void {
  if (verbose) process.stderr.write(`gridauthz: ${text}\n`);
}
