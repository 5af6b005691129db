import { describe, expect, it } from "vitest";
import { CoreErrors, declaredCodes, defineError, isManageosError, ManageosError, statusOf } from "../src/index.js";

describe("errors", () => {
  it("carries a stable code, the cause and details", () => {
    const cause = new Error("disk full");
    const error = CoreErrors.atomicWrite("/x/state.json", "disk full", { cause, details: { bytes: 3 } });
    expect(error).toBeInstanceOf(ManageosError);
    expect(error.code).toBe("CORE_ERR_ATOMIC_WRITE");
    expect(error.message).toBe("cannot write /x/state.json: disk full");
    expect(error.cause).toBe(cause);
    expect(error.toJSON()).toEqual({
      code: "CORE_ERR_ATOMIC_WRITE",
      message: "cannot write /x/state.json: disk full",
      details: { bytes: 3 },
    });
  });

  it("maps codes to HTTP statuses, unknown codes to 500", () => {
    expect(statusOf(CoreErrors.configInvalid.code)).toBe(400);
    expect(statusOf("NOBODY_DECLARED_THIS")).toBe(500);
  });

  it("refuses to declare a code twice", () => {
    defineError("TEST_ERR_ONCE", 409, () => "once");
    expect(() => defineError("TEST_ERR_ONCE", 409, () => "twice")).toThrow(/declared twice/);
  });

  it("declares only well-formed codes", () => {
    for (const code of declaredCodes().keys()) expect(code).toMatch(/^[A-Z]+_ERR_[A-Z0-9_]+$/);
  });

  it("recognises a ManageosError from another copy of the package", () => {
    const foreign = Object.assign(new Error("x"), { name: "ManageosError", code: "SUP_ERR_X" });
    expect(isManageosError(foreign)).toBe(true);
    expect(isManageosError(new Error("plain"))).toBe(false);
  });
});
