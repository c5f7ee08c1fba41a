// The one error idiom of the appliance: an expected failure (bad input, a missing file, a busy
// port) is a CodedError. Its `code` is stable, so callers, the CLI ("[code]") and the API's
// catalogue (enroll/errors.ts) branch on it and never on the message, which is written for a
// person. Each room declares its codes as a string union beside its own subclass; it lives
// here, in the lowest room, so that every room can extend it.
export class CodedError<Code extends string = string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}
