import { defineError } from "../errors/catalogue.js";

/** Errors of the operator API itself. */
export const ApiErrors = {
  badRequest: defineError("API_ERR_BAD_REQUEST", 400, (reason: string) => `bad request: ${reason}`),
  unauthorized: defineError("API_ERR_UNAUTHORIZED", 401, () => "this route needs Authorization: Bearer <token>"),
  notFound: defineError("API_ERR_NOT_FOUND", 404, (method: string, url: string) => `no route ${method} ${url}`),
  tooLarge: defineError("API_ERR_TOO_LARGE", 413, () => "request body too large"),
  notAcceptable: defineError("API_ERR_NOT_ACCEPTABLE", 406, (what: string) => `this route answers ${what} only: send Accept: ${what}`),
  internal: defineError("API_ERR_INTERNAL", 500, () => "internal error; see the manageos log"),
};
