import { type ABISerializableConstructor, Struct, type StructConstructor } from "@wharfkit/antelope";

/** One field of a packed struct, in FC_REFLECT order. */
export interface FieldSpec {
  readonly name: string;
  readonly type: ABISerializableConstructor | string;
  readonly array?: boolean;
  readonly optional?: boolean;
}

// Registers a Struct class's ABI name and fields without decorator syntax (the build uses none).
export function defineStruct<T extends StructConstructor>(ctor: T, name: string, fields: readonly FieldSpec[]): T {
  Struct.type(name)(ctor);
  for (const field of fields) {
    const options = { array: field.array === true, optional: field.optional === true };
    Struct.field(field.type, options)(ctor.prototype as Struct, field.name);
  }
  return ctor;
}
