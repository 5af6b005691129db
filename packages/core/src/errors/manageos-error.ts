/** Fields every manageos error carries beyond the message. */
export interface ManageosErrorOptions {
  cause?: unknown;
  details?: Record<string, unknown>;
}

/** The one base error: a stable string `code` that reaches HTTP clients and logs unchanged. */
export class ManageosError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, message: string, options: ManageosErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ManageosError";
    this.code = code;
    this.details = options.details;
  }

  /** The JSON shape the HTTP API answers with. */
  toJSON(): { code: string; message: string; details?: Record<string, unknown> } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

/** True for any ManageosError (also across bundled copies of this package). */
export function isManageosError(value: unknown): value is ManageosError {
  return (
    value instanceof ManageosError ||
    (value instanceof Error && value.name === "ManageosError" && typeof (value as { code?: unknown }).code === "string")
  );
}

/** The `{code, message, details?}` shape of any ManageosError, including copies from another bundle. */
export function errorJson(error: ManageosError): { code: string; message: string; details?: Record<string, unknown> } {
  const details = (error as { details?: Record<string, unknown> }).details;
  return details === undefined ? { code: error.code, message: error.message } : { code: error.code, message: error.message, details };
}
