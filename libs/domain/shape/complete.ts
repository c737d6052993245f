/**
 * Every property of T present, `undefined` where T's is optional. A request-path object is built in one shape with
 * every field named (docs/architecture.md, "Object literals on the request path"); typing the literal as Complete<T>
 * makes a field added to T later a compile error at each such literal instead of a field silently left out.
 */
export type Complete<T> = { [K in keyof Required<T>]: T[K] };
