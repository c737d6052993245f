// passport 0.7 and passport-strategy ship no types and @types/passport is not installed; these declare only what
// the admin listener uses.
declare module 'passport-strategy' {
  class Strategy {
    name?: string;
    authenticate(req: unknown, options?: unknown): void;
    /** Bound by passport for the duration of one authenticate call. */
    success(user: unknown, info?: unknown): void;
    fail(challenge?: unknown, status?: number): void;
    error(err: unknown): void;
    pass(): void;
  }
  export = Strategy;
}

declare module 'passport' {
  import Strategy = require('passport-strategy');
  type Callback = (err: unknown, user: unknown, info: unknown, status: unknown) => void;
  class Authenticator {
    use(name: string, strategy: Strategy): this;
    authenticate(name: string | string[], options: { session: boolean }, callback: Callback): (req: unknown, res: unknown, next: (err?: unknown) => void) => void;
  }
  export { Authenticator as Passport, Strategy };
}
