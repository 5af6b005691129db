/** The error body nodeos' http_plugin answers with. */
export interface NodeosErrorBody {
  code: number;
  message: string;
  error: {
    code: number;
    name: string;
    what: string;
    details: { message: string; file: string; line_number: number; method: string }[];
  };
}

/** A reply: HTTP status and a JSON body. */
export interface Reply {
  readonly status: number;
  readonly body: unknown;
  /** The body already encoded as JSON, sent as it is instead of `body`. */
  readonly encoded?: Buffer;
}

/** Builds nodeos' `{code, message, error:{code,name,what,details}}` reply. */
export function nodeosError(
  status: number,
  message: string,
  error: { code: number; name: string; what: string; detail: string; method: string },
): Reply {
  const body: NodeosErrorBody = {
    code: status,
    message,
    error: {
      code: error.code,
      name: error.name,
      what: error.what,
      details: [{ message: error.detail, file: "http_plugin.cpp", line_number: 1, method: error.method }],
    },
  };
  return { status, body };
}

/** 404 for a path no loaded plugin serves. */
export function notFound(): Reply {
  return nodeosError(404, "Not Found", {
    code: 0,
    name: "exception",
    what: "unspecified",
    detail: "Unknown Endpoint",
    method: "handle_http_request",
  });
}

/** 400 for a body that does not parse. */
export function badRequest(detail: string): Reply {
  return nodeosError(400, "Invalid Request", {
    code: 3200006,
    name: "invalid_http_request",
    what: "invalid http request",
    detail,
    method: "parse_params",
  });
}

/** 400 for a block that is not there. */
export function unknownBlock(ref: string): Reply {
  return nodeosError(400, "Unknown Block", {
    code: 3100002,
    name: "unknown_block_exception",
    what: "Unknown block",
    detail: `Could not find block: ${ref}`,
    method: "get_block",
  });
}
